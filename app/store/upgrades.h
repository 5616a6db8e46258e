/* SPDX-License-Identifier: MIT */
/* upgrades: the tenant's upgrade requests, t_<slug>.upgrade_requests — a
 * standard user's ask for Premium and an administrator's decision on it.
 * At most one request of a user is pending (a unique partial index says
 * so). Results live in the caller's arena. Every function answers an enum
 * store_result (core/result.h). Contracts in upgrades.c. */
#ifndef GH_UPGRADES_H
#define GH_UPGRADES_H

#include <time.h>

#include "store/pg.h"

struct arena;

/* A request's states (upgrade_requests.state). */
#define UPGRADES_PENDING "pending"
#define UPGRADES_APPROVED "approved"
#define UPGRADES_DECLINED "declined"
#define UPGRADES_CLOSED "closed" /* the user was deleted before a decision */

struct upgrades_request {
    long long id;
    const char *user_sub, *user_email;
    const char *note;                 /* the user's words; may be NULL */
    const char *state;                /* one of UPGRADES_* */
    const char *reason;               /* the admin's words on a decline; may be NULL */
    const char *decided_by_sub, *decided_by_email; /* NULL while pending */
    time_t created_at, decided_at;    /* decided_at: 0 while pending */
};

struct upgrades_page {
    struct upgrades_request *rows; /* in the arena, oldest first */
    int n;
};

enum store_result upgrades_ask(const char *tenant, const char *sub, const char *email,
                               const char *note, long long *id);
enum store_result upgrades_latest(const char *tenant, const char *sub, struct arena *a,
                                  struct upgrades_request *out);
enum store_result upgrades_get(const char *tenant, long long id, struct arena *a,
                               struct upgrades_request *out);
enum store_result upgrades_pending(const char *tenant, long long after_id, int limit,
                                   struct arena *a, struct upgrades_page *out);
enum store_result upgrades_count_pending(const char *tenant, long long *count);
enum store_result upgrades_decide(const char *tenant, long long id, const char *state,
                                  const char *by_sub, const char *by_email,
                                  const char *reason);
enum store_result upgrades_close_orphans(const char *tenant, long long *closed);
/* upgrades_forget empties the pool's cache of requests and counts (a caller
 * that decided inside its own transaction calls it after the commit). */
void upgrades_forget(void);

#endif
