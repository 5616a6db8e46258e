/* SPDX-License-Identifier: MIT */
/* intents: t_<slug>.tier_intents (see intents.h).
 *
 * An intent is written and committed before Cognito is called, so that a
 * worker killed, a Cognito call timed out or a transaction refused after it
 * still leaves a row saying what was asked, by whom, and when. It is settled
 * inside the transaction that records the change (or its abandonment), by
 * an UPDATE that only a still pending row matches: whoever settles first —
 * the admin's request or `users sync` — wins, and the other sees
 * STORE_NOT_FOUND and writes nothing. Every statement goes through
 * pg_query_run_tenant: the table resolves only in the tenant's schema.
 *
 * Ownership: row strings are copied into the caller's arena; the PGresult
 * is freed before returning. */
#include "store/intents.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "store/pg.h"

#define INTENT_FIELD_MAX 2048 /* bytes of one text field */

#define INTENT_COLUMNS                                                               \
    "i.id, i.user_sub, i.username, i.user_email, i.old_tier, i.new_tier,"            \
    " i.changed_by_sub, i.changed_by_email, i.request_id, i.client_addr,"            \
    " extract(epoch FROM i.created_at)::bigint,"                                     \
    " EXISTS (SELECT 1 FROM tier_intents n WHERE n.user_sub = i.user_sub AND n.id > i.id)"

enum intent_col {
    COL_ID, COL_USER_SUB, COL_USERNAME, COL_USER_EMAIL, COL_OLD, COL_NEW, COL_BY_SUB,
    COL_BY_EMAIL, COL_REQUEST_ID, COL_CLIENT_ADDR, COL_CREATED, COL_SUPERSEDED,
};

static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, INTENT_FIELD_MAX, required);
}

enum store_result intents_begin(const char *tenant, struct intents_intent *in)
{
    struct pg_query q;
    enum store_result rc;

    in->id = 0;
    if (!field_ok(in->user_sub, true) || !field_ok(in->username, true) ||
        !field_ok(in->user_email, true) || !field_ok(in->old_tier, true) ||
        !field_ok(in->new_tier, true) || !field_ok(in->by_sub, true) ||
        !field_ok(in->by_email, false) || !field_ok(in->request_id, false) ||
        !field_ok(in->client_addr, false))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {in->user_sub, in->username, in->user_email,
                                  in->old_tier, in->new_tier, in->by_sub,
                                  in->by_email, in->request_id, in->client_addr};
    if (!pg_query_run_tenant(&q, tenant,
                             "INSERT INTO tier_intents (user_sub, username, user_email, old_tier,"
                             " new_tier, changed_by_sub, changed_by_email, request_id,"
                             " client_addr) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                             " RETURNING id",
                             9, params)) {
        rc = pg_store_result(&q);
    } else {
        in->id = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

enum store_result intents_settle(const char *tenant, long long id, const char *state)
{
    char num[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (strcmp(state, "done") && strcmp(state, "abandoned"))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(num, id), state};
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE tier_intents SET state = $2, settled_at = now()"
                             " WHERE id = $1::bigint AND state = 'pending'",
                             2, params))
        rc = pg_store_result(&q);
    else if (pg_query_affected(&q) != 1)
        rc = STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

static const char *text(const struct pg_query *q, int row, enum intent_col c, struct arena *a)
{
    return pg_query_is_null(q, row, c) ? NULL : arena_strdup(a, pg_query_value(q, row, c));
}

enum store_result intents_pending(const char *tenant, long long after_id, int older_than_s,
                                  int limit, struct arena *a, struct intents_page *out)
{
    char after[NUM_TEXT_MAX], age[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof(*out));
    if (limit <= 0 || older_than_s < 0 || after_id < 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(age, older_than_s), pg_num_text(lim, limit),
                                  pg_num_text(after, after_id)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " INTENT_COLUMNS " FROM tier_intents i"
                             " WHERE i.state = 'pending' AND i.id > $3::bigint"
                             " AND i.created_at < now() - make_interval(secs => $1::bigint)"
                             " ORDER BY i.id LIMIT $2::bigint",
                             3, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    out->n = pg_query_rows(&q);
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++) {
        struct intents_intent *r = &out->rows[i];
        r->id = strtoll(pg_query_value(&q, i, COL_ID), NULL, 10);
        r->user_sub = text(&q, i, COL_USER_SUB, a);
        r->username = text(&q, i, COL_USERNAME, a);
        r->user_email = text(&q, i, COL_USER_EMAIL, a);
        r->old_tier = text(&q, i, COL_OLD, a);
        r->new_tier = text(&q, i, COL_NEW, a);
        r->by_sub = text(&q, i, COL_BY_SUB, a);
        r->by_email = text(&q, i, COL_BY_EMAIL, a);
        r->request_id = text(&q, i, COL_REQUEST_ID, a);
        r->client_addr = text(&q, i, COL_CLIENT_ADDR, a);
        r->created_at = (time_t)strtoll(pg_query_value(&q, i, COL_CREATED), NULL, 10);
        r->superseded = pg_query_bool(&q, i, COL_SUPERSEDED);
    }
out:
    pg_query_cleanup(&q);
    return rc;
}
