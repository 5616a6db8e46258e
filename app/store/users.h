/* SPDX-License-Identifier: MIT */
/* users: the mirror of a tenant's Cognito users in t_<slug>.users, for
 * search, statistics, tiers and the last sign-in. Cognito stays the truth;
 * this is a copy refreshed on sign-in and admin actions. Emails are kept
 * lower-cased. Results live in the caller's arena. Contracts in users.c. */
#ifndef GH_USERS_H
#define GH_USERS_H

#include <stdbool.h>
#include <time.h>

struct arena;

enum users_result {
    USERS_OK = 0,
    USERS_NOT_FOUND,   /* no such user in the tenant's mirror */
    USERS_UNAVAILABLE, /* PostgreSQL unreachable: answer 503 */
    USERS_ERROR,       /* bad argument, unknown tenant schema, a bug: 500 */
};

struct users_user {
    const char *sub, *email;
    const char *name, *tier, *status; /* NULL: unknown (upsert: keep) */
    bool enabled;
    /* read only: 0 when never set */
    time_t created_at, updated_at, synced_at, last_login_at;
};

enum users_result users_upsert(const char *tenant, const struct users_user *u,
                               time_t now);
enum users_result users_set_tier(const char *tenant, const char *sub,
                                 const char *tier, time_t now, struct arena *a,
                                 const char **old_tier);
enum users_result users_touch_login(const char *tenant, const char *sub, time_t now);
enum users_result users_get(const char *tenant, const char *sub, struct arena *a,
                            struct users_user *out);
enum users_result users_get_by_email(const char *tenant, const char *email,
                                     struct arena *a, struct users_user *out);

/* ---- the admin panel and `users sync` ---------------------------------- */

#define USERS_STATS_DAYS 30

struct users_stats { /* the whole mirror of one tenant, at one moment */
    long long total, standard, premium;
    long long confirmed, unconfirmed, other_status;
    long long signups[USERS_STATS_DAYS]; /* per UTC day; the last is today */
    time_t first_day;                    /* UTC midnight of signups[0] */
};

struct users_filter { /* NULL or "": any */
    const char *email_prefix, *tier, *status;
};

struct users_page {
    struct users_user *rows; /* in the arena */
    int n;
    long long total; /* rows matching the filter, all pages */
};

enum users_result users_statistics(const char *tenant, time_t now, struct users_stats *out);
enum users_result users_list(const char *tenant, const struct users_filter *f,
                             long long offset, int limit, struct arena *a,
                             struct users_page *out);
enum users_result users_put(const char *tenant, const struct users_user *u, time_t now);
enum users_result users_delete_unseen(const char *tenant, const char *sub, time_t before);

#endif
