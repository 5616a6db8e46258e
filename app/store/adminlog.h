/* SPDX-License-Identifier: MIT */
/* adminlog: the tenant's record of every administrator's action,
 * t_<slug>.admin_actions. Rows are only ever added; they outlive the users
 * they name. Results live in the caller's arena. Every function answers an
 * enum store_result (store/pg.h). Contracts in adminlog.c. */
#ifndef GH_ADMINLOG_H
#define GH_ADMINLOG_H

#include <time.h>

#include "store/pg.h"

struct arena;

/* The actions' names (admin_actions.action). */
#define ADMINLOG_TIER_CHANGED "tier_changed"
#define ADMINLOG_USER_DISABLED "user_disabled"
#define ADMINLOG_USER_ENABLED "user_enabled"
#define ADMINLOG_PASSWORD_RESET "password_reset"
#define ADMINLOG_SIGNED_OUT "signed_out_everywhere"
#define ADMINLOG_MFA_RESET "mfa_reset"
#define ADMINLOG_SIGNUP_CONFIRMED "signup_confirmed"
#define ADMINLOG_INVITATION_SENT "invitation_sent"
#define ADMINLOG_INVITATION_RESENT "invitation_resent"
#define ADMINLOG_PROFILE_EDITED "profile_edited"
#define ADMINLOG_ADMIN_GRANTED "admin_granted"
#define ADMINLOG_ADMIN_REVOKED "admin_revoked"
#define ADMINLOG_USER_DELETED "user_deleted"
#define ADMINLOG_UPGRADE_APPROVED "upgrade_approved"
#define ADMINLOG_UPGRADE_DECLINED "upgrade_declined"
#define ADMINLOG_USERS_SYNCED "users_synced"

#define ADMINLOG_SYSTEM_ACTOR "system" /* actor_sub of what no person did */

struct adminlog_entry {
    long long id;                       /* read only */
    const char *action;                 /* one of the names above */
    const char *target_sub, *target_email; /* NULL: the tenant itself */
    const char *before_value, *after_value; /* may be NULL */
    const char *actor_sub, *actor_email; /* actor_email may be NULL */
    const char *detail;                 /* may be NULL */
    const char *request_id, *client_addr; /* may be NULL */
    time_t at;
};

/* Which rows a listing shows: NULL or "" fields match any. */
struct adminlog_filter {
    const char *actor_sub, *target_sub, *action;
};

struct adminlog_page {
    struct adminlog_entry *rows; /* in the arena, newest first */
    int n;
};

enum store_result adminlog_record(const char *tenant, const struct adminlog_entry *e);
enum store_result adminlog_list(const char *tenant, const struct adminlog_filter *f,
                                long long before_id, int limit, struct arena *a,
                                struct adminlog_page *out);
enum store_result adminlog_count(const char *tenant, const struct adminlog_filter *f,
                                 long long *count);

/* The audit page's filter: a person is matched by sub or by the email the
 * row recorded (any case), so one deleted since, or whose email changed,
 * is still found. NULL or "" fields match any; a person with both sub and
 * email matches rows with either. */
struct adminlog_query {
    const char *actor_sub, *actor_email;
    const char *target_sub, *target_email;
    const char *action;
};

enum store_result adminlog_search(const char *tenant, const struct adminlog_query *f,
                                  long long before_id, int limit, struct arena *a,
                                  struct adminlog_page *out);

#endif
