/* SPDX-License-Identifier: MIT */
/* users: the mirror of a tenant's Cognito users in t_<slug>.users, for
 * search, statistics, tiers and the last sign-in. Cognito stays the truth;
 * this is a copy refreshed on sign-in and admin actions. Emails are kept
 * lower-cased. Results live in the caller's arena. Functions answer an enum
 * store_result (store/pg.h); STORE_NOT_FOUND is "no such user in the
 * tenant's mirror". Contracts in users.c. */
#ifndef GH_USERS_H
#define GH_USERS_H

#include <stdbool.h>
#include <time.h>

#include "store/pg.h"

struct arena;

struct users_user {
    const char *sub, *email;
    const char *name, *tier, *status; /* NULL: unknown (see enum users_write) */
    bool enabled;
    /* 0 when never set; read only, except created_at for USERS_REPLACE */
    time_t created_at, updated_at, synced_at, last_login_at;
    /* Read only, filled by users_find (which leaves updated_at and
     * synced_at 0): TOTP on (users_set_mfa), and whether the person
     * deleted their account. */
    bool mfa;
    bool deleted;
};

/* How users_upsert writes a user the mirror may already hold. */
enum users_write {
    /* What a sign-in, sign-up or bearer call knows: a NULL name, tier or
     * status keeps the stored value (a new row: tier standard); created_at
     * is now for a new row and kept for an old one. */
    USERS_MERGE = 0,
    /* The whole of Cognito's record (`users sync`, an admin's first sight
     * of a user): the row becomes u exactly: a NULL name or status is
     * stored NULL, a NULL tier is standard, and created_at (now when 0)
     * replaces the stored one. */
    USERS_REPLACE,
};

enum store_result users_upsert(const char *tenant, const struct users_user *u, time_t now,
                               enum users_write how);
enum store_result users_set_tier(const char *tenant, const char *sub, const char *tier, time_t now,
                                 struct arena *a, const char **old_tier);
enum store_result users_touch_login(const char *tenant, const char *sub, time_t now);
enum store_result users_get(const char *tenant, const char *sub, struct arena *a,
                            struct users_user *out);
enum store_result users_get_by_email(const char *tenant, const char *email, struct arena *a,
                                     struct users_user *out);

/* ---- the admin panel and `users sync` ---------------------------------- */

#define USERS_STATS_DAYS 30

struct users_stats { /* the whole mirror of one tenant, at one moment */
    long long total, standard, premium;
    long long confirmed, unconfirmed, other_status;
    long long signups[USERS_STATS_DAYS]; /* per UTC day; the last is today */
    time_t first_day;                    /* UTC midnight of signups[0] */
};

struct users_page {
    struct users_user *rows; /* in the arena */
    int n;
    long long total; /* rows matching the filter, all pages */
};

enum store_result users_statistics(const char *tenant, time_t now, struct users_stats *out);
/* ---- the admin's user list (issue 15) --------------------------------- */

/* The orders of the list; each is (key, sub) so that the sub breaks ties
 * and a page can start right after a row (keyset pages). */
enum users_sort {
    USERS_SORT_EMAIL = 0,
    USERS_SORT_NAME,
    USERS_SORT_TIER,
    USERS_SORT_STATUS,
    USERS_SORT_CREATED,
    USERS_SORT_LAST_LOGIN,
    USERS_SORTS,
};
/* Whether a sort's key is a time, carried as microseconds since the epoch
 * (an integer in decimal) rather than as text. */
bool users_sort_is_time(enum users_sort sort);

#define USERS_STATUS_DELETED "DELETED" /* status filter: the deleted users */

struct users_query {
    const char *q;      /* a piece of the email or the name, any case; NULL: any */
    const char *tier;   /* NULL: any */
    const char *status; /* a Cognito UserStatus, USERS_STATUS_DELETED, or NULL:
                         * any (deleted users are shown only with that filter) */
    int mfa, enabled;   /* -1: any; 0: off / disabled; 1: on / enabled */
    enum users_sort sort;
    bool desc;
    /* The row to start from (both or neither): the page after it, or with
     * backward the page before it (still in the query's order). */
    const char *from_key, *from_sub;
    bool backward;
};

struct users_keyset {
    struct users_user *rows; /* in the arena, in the query's order */
    const char **keys;       /* each row's sort key, as from_key wants it */
    int n;
    bool more; /* rows remain beyond the page, in the direction it was read */
};

enum store_result users_find(const char *tenant, const struct users_query *qy, int limit,
                             struct arena *a, struct users_keyset *out);
enum store_result users_count(const char *tenant, const struct users_query *qy, long long *total);
enum store_result users_set_mfa(const char *tenant, const char *sub, bool on);
enum store_result users_batch_by_sub(const char *tenant, const char *after_sub, int limit,
                                     struct arena *a, struct users_page *out);

enum store_result users_delete_unseen(const char *tenant, const char *sub, time_t before);
enum store_result users_mark_deleted(const char *tenant, const char *sub, time_t now);
/* An admin's change of a user's account (svc/adminuser): enabled or not,
 * and the Cognito status the change left (NULL: kept). */
enum store_result users_set_account(const char *tenant, const char *sub, bool enabled,
                                    const char *status, time_t now);
/* An admin's edit of a user's name (svc/adminuser); may run inside the
 * caller's transaction, unlike users_upsert. */
enum store_result users_set_name(const char *tenant, const char *sub, const char *name, time_t now);

#endif
