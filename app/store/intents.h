/* SPDX-License-Identifier: MIT */
/* intents: t_<slug>.tier_intents, the tier changes an admin asked for,
 * written 'pending' before Cognito is called and settled 'done' or
 * 'abandoned' after (see svc/tierchange.c for why). Results live in the
 * caller's arena. Functions answer an enum store_result (store/pg.h):
 * STORE_OK, STORE_NOT_FOUND (no pending intent of that id), STORE_UNAVAILABLE
 * or STORE_ERROR (a field the table refuses, an unmigrated tenant). */
#ifndef GH_INTENTS_H
#define GH_INTENTS_H

#include <stdbool.h>
#include <time.h>

#include "store/pg.h"

struct arena;

struct intents_intent {
    long long id;                         /* set by intents_begin */
    const char *user_sub, *username, *user_email;
    const char *old_tier, *new_tier;      /* Cognito's before, and the one asked */
    const char *by_sub, *by_email;        /* the admin; by_email may be NULL */
    const char *request_id, *client_addr; /* may be NULL */
    time_t created_at;                    /* read only */
    bool superseded;                      /* read only: a later intent names the user */
};

struct intents_page {
    struct intents_intent *rows; /* in the arena, oldest first */
    int n;
};

/* intents_begin records in as 'pending' (committed at once, outside any
 * transaction) and sets in->id. */
enum store_result intents_begin(const char *tenant, struct intents_intent *in);
/* intents_settle moves intent id from 'pending' to state ("done" or
 * "abandoned"), joining the transaction open on this thread; the row stays
 * locked until it ends, so two settlers never both win: the second gets
 * STORE_NOT_FOUND. */
enum store_result intents_settle(const char *tenant, long long id, const char *state);
/* intents_pending fills out with at most limit intents of tenant with an id
 * above after_id still pending older_than_s seconds after they were
 * written, oldest first. */
enum store_result intents_pending(const char *tenant, long long after_id, int older_than_s,
                                  int limit, struct arena *a, struct intents_page *out);

#endif
