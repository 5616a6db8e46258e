/* SPDX-License-Identifier: MIT */
/* audit: the tenant's record of tier changes, t_<slug>.tier_changes. Rows
 * are only ever added; they outlive the users they name. Results live in the
 * caller's arena. Every function answers an enum store_result (store/pg.h):
 * STORE_OK, STORE_UNAVAILABLE or STORE_ERROR. Contracts in audit.c. */
#ifndef GH_AUDIT_H
#define GH_AUDIT_H

#include <time.h>

#include "store/pg.h"

struct arena;

struct audit_change {
    long long id;                  /* read only */
    const char *user_sub, *user_email;
    const char *old_tier;          /* NULL: not known */
    const char *new_tier;
    const char *by_sub, *by_email; /* the admin; by_email may be NULL */
    const char *request_id, *client_addr; /* may be NULL */
    time_t at;
    long long intent_id;           /* the tier_intents row it settles; 0: none */
    const char *note;              /* how it was settled, when not by the admin's
                                      own request (users sync); may be NULL */
};

/* A page of rows, newest first. */
struct audit_page {
    struct audit_change *rows; /* in the arena */
    int n;
};

enum store_result audit_record(const char *tenant, const struct audit_change *c);
enum store_result audit_list(const char *tenant, long long before_id, long long offset,
                             int limit, struct arena *a, struct audit_page *out);
enum store_result audit_for_user(const char *tenant, const char *sub, int limit,
                                 struct arena *a, struct audit_page *out);
enum store_result audit_count(const char *tenant, long long *count);


#endif
