/* SPDX-License-Identifier: MIT */
/* audit: t_<slug>.tier_changes (see audit.h).
 *
 * audit_record is meant to run inside the caller's transaction (pg_begin),
 * next to the users-mirror update it documents, so the change and its record
 * are written together or not at all; outside one it commits on its own.
 * Every statement goes through pg_query_run_tenant: the table name resolves
 * only in the tenant's own schema.
 *
 * Reads are newest first, by id: ids follow the order of the writes, while
 * two workers' clocks may not. Pages for people use an offset (page
 * numbers, a total); the CSV export walks the table by id (before_id),
 * which stays correct while new rows arrive. Row strings are copied into the caller's
 * arena; the PGresult is freed before returning. */
#include "store/audit.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/pg.h"

#define AUDIT_FIELD_MAX 2048 /* bytes of one text field */

#define AUDIT_COLUMNS                                                            \
    "id, user_sub, user_email, old_tier, new_tier, changed_by_sub,"             \
    " changed_by_email, request_id, client_addr,"                               \
    " extract(epoch FROM changed_at)::bigint, coalesce(intent_id, 0), note"

enum audit_col {
    COL_ID, COL_USER_SUB, COL_USER_EMAIL, COL_OLD, COL_NEW, COL_BY_SUB, COL_BY_EMAIL,
    COL_REQUEST_ID, COL_CLIENT_ADDR, COL_AT, COL_INTENT_ID, COL_NOTE,
};

/* Clean text of at most AUDIT_FIELD_MAX bytes (pg_field_ok). */
static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, AUDIT_FIELD_MAX, required);
}

static const char *text(const struct pg_query *q, int row, enum audit_col c, struct arena *a)
{
    return pg_query_is_null(q, row, c) ? NULL : arena_strdup(a, pg_query_value(q, row, c));
}

/* Copies the rows of q into out (rows in a). */
static void take_rows(const struct pg_query *q, struct arena *a, struct audit_page *out)
{
    out->n = pg_query_rows(q);
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++) {
        struct audit_change *c = &out->rows[i];
        c->id = strtoll(pg_query_value(q, i, COL_ID), NULL, 10);
        c->user_sub = text(q, i, COL_USER_SUB, a);
        c->user_email = text(q, i, COL_USER_EMAIL, a);
        c->old_tier = text(q, i, COL_OLD, a);
        c->new_tier = text(q, i, COL_NEW, a);
        c->by_sub = text(q, i, COL_BY_SUB, a);
        c->by_email = text(q, i, COL_BY_EMAIL, a);
        c->request_id = text(q, i, COL_REQUEST_ID, a);
        c->client_addr = text(q, i, COL_CLIENT_ADDR, a);
        c->at = (time_t)strtoll(pg_query_value(q, i, COL_AT), NULL, 10);
        c->intent_id = strtoll(pg_query_value(q, i, COL_INTENT_ID), NULL, 10);
        c->note = text(q, i, COL_NOTE, a);
    }
}

/* Records one tier change of tenant (a slug) at c->at. user_sub, user_email,
 * new_tier and by_sub are required; the others may be NULL (intent_id 0). Joins the
 * transaction open on this thread, if any. Returns STORE_OK,
 * STORE_UNAVAILABLE, or STORE_ERROR for a field that is not clean text, a
 * tier the table refuses, or an invalid or unmigrated tenant. */
enum store_result audit_record(const char *tenant, const struct audit_change *c)
{
    char at[NUM_TEXT_MAX], intent[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    if (!field_ok(c->user_sub, true) || !field_ok(c->user_email, true) ||
        !field_ok(c->old_tier, false) || !field_ok(c->new_tier, true) ||
        !field_ok(c->by_sub, true) || !field_ok(c->by_email, false) ||
        !field_ok(c->request_id, false) || !field_ok(c->client_addr, false) ||
        !field_ok(c->note, false) || c->intent_id < 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {c->user_sub,   c->user_email, c->old_tier,
                                  c->new_tier,   c->by_sub,     c->by_email,
                                  c->request_id, c->client_addr, pg_num_text(at, c->at),
                                  c->intent_id ? pg_num_text(intent, c->intent_id) : NULL,
                                  c->note};
    if (pg_query_run_tenant(&q, tenant,
                            "INSERT INTO tier_changes (user_sub, user_email, old_tier, new_tier,"
                            " changed_by_sub, changed_by_email, request_id, client_addr,"
                            " changed_at, intent_id, note)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, to_timestamp($9::bigint),"
                            " $10::bigint, $11)",
                            11, params))
        rc = STORE_OK;
    else
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}

/* Fills *out with at most limit rows of tenant, newest first: those with an
 * id below before_id (0: from the newest), skipping offset of them. Returns
 * STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (out->n is 0 unless OK). */
enum store_result audit_list(const char *tenant, long long before_id, long long offset,
                             int limit, struct arena *a, struct audit_page *out)
{
    char before[NUM_TEXT_MAX], skip[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof(*out));
    if (limit <= 0 || offset < 0 || before_id < 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(before, before_id), pg_num_text(skip, offset),
                                  pg_num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " AUDIT_COLUMNS " FROM tier_changes"
                             " WHERE $1::bigint = 0 OR id < $1::bigint"
                             " ORDER BY id DESC"
                             " OFFSET $2::bigint LIMIT $3::bigint",
                             3, params))
        rc = pg_store_result(&q);
    else
        take_rows(&q, a, out);
    pg_query_cleanup(&q);
    return rc;
}

/* Fills *out with the latest limit tier changes of user sub in tenant,
 * newest first. Returns STORE_OK, STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result audit_for_user(const char *tenant, const char *sub, int limit,
                                 struct arena *a, struct audit_page *out)
{
    char lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof(*out));
    if (!field_ok(sub, true) || limit <= 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, pg_num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " AUDIT_COLUMNS " FROM tier_changes WHERE user_sub = $1"
                             " ORDER BY changed_at DESC, id DESC LIMIT $2::bigint",
                             2, params))
        rc = pg_store_result(&q);
    else
        take_rows(&q, a, out);
    pg_query_cleanup(&q);
    return rc;
}

/* Sets *count to the number of tier changes recorded in tenant. Returns
 * STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (*count is 0 unless OK). */
enum store_result audit_count(const char *tenant, long long *count)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *count = 0;
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant, "SELECT count(*) FROM tier_changes", 0, NULL))
        rc = pg_store_result(&q);
    else
        *count = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    return rc;
}
