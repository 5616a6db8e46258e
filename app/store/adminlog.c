/* SPDX-License-Identifier: MIT */
/* adminlog: t_<slug>.admin_actions (see adminlog.h).
 *
 * adminlog_record is meant to run inside the caller's transaction
 * (pg_begin), next to the change it documents, so the change and its record
 * are written together or not at all; outside one it commits on its own.
 * Every statement goes through pg_query_run_tenant: the table name resolves
 * only in the tenant's own schema.
 *
 * Reads are newest first, by id (ids follow the order of the writes; two
 * workers' clocks may not), and page by id (before_id), which stays correct
 * while new rows arrive. A filter's empty fields match any row: each is one
 * `$n = '' OR column = $n` condition, so one statement serves every
 * combination and each combination can use its column's index. Row strings
 * are copied into the caller's arena; the PGresult is freed before
 * returning. */
#include "store/adminlog.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/pg.h"

#define ADMINLOG_FIELD_MAX 2048 /* bytes of one text field */

#define ADMINLOG_COLUMNS                                                         \
    "id, action, target_sub, target_email, before_value, after_value,"          \
    " actor_sub, actor_email, detail, request_id, client_addr,"                 \
    " extract(epoch FROM at)::bigint"

#define ADMINLOG_WHERE                                                           \
    " WHERE ($1 = '' OR actor_sub = $1) AND ($2 = '' OR target_sub = $2)"       \
    " AND ($3 = '' OR action = $3)"

enum adminlog_col {
    COL_ID, COL_ACTION, COL_TARGET_SUB, COL_TARGET_EMAIL, COL_BEFORE, COL_AFTER,
    COL_ACTOR_SUB, COL_ACTOR_EMAIL, COL_DETAIL, COL_REQUEST_ID, COL_CLIENT_ADDR, COL_AT,
};

/* Clean text of at most ADMINLOG_FIELD_MAX bytes (pg_field_ok). */
static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, ADMINLOG_FIELD_MAX, required);
}

static const char *text(const struct pg_query *q, int row, enum adminlog_col c,
                        struct arena *a)
{
    return pg_query_is_null(q, row, c) ? NULL : arena_strdup(a, pg_query_value(q, row, c));
}

static const char *or_any(const char *s)
{
    return s ? s : "";
}

/* A filter is clean text; its absent fields become "" (any). */
static bool filter_ok(const struct adminlog_filter *f)
{
    return !f || (field_ok(f->actor_sub, false) && field_ok(f->target_sub, false) &&
                  field_ok(f->action, false));
}

/* Copies the rows of q into out (rows in a). */
static void take_rows(const struct pg_query *q, struct arena *a, struct adminlog_page *out)
{
    out->n = pg_query_rows(q);
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++) {
        struct adminlog_entry *e = &out->rows[i];
        e->id = strtoll(pg_query_value(q, i, COL_ID), NULL, 10);
        e->action = text(q, i, COL_ACTION, a);
        e->target_sub = text(q, i, COL_TARGET_SUB, a);
        e->target_email = text(q, i, COL_TARGET_EMAIL, a);
        e->before_value = text(q, i, COL_BEFORE, a);
        e->after_value = text(q, i, COL_AFTER, a);
        e->actor_sub = text(q, i, COL_ACTOR_SUB, a);
        e->actor_email = text(q, i, COL_ACTOR_EMAIL, a);
        e->detail = text(q, i, COL_DETAIL, a);
        e->request_id = text(q, i, COL_REQUEST_ID, a);
        e->client_addr = text(q, i, COL_CLIENT_ADDR, a);
        e->at = (time_t)strtoll(pg_query_value(q, i, COL_AT), NULL, 10);
    }
}

/* Records one action of tenant (a slug) at e->at (0: now). action and
 * actor_sub are required; the others may be NULL. Joins the transaction open
 * on this thread, if any. Returns STORE_OK, STORE_UNAVAILABLE, or
 * STORE_ERROR for a field that is not clean text, an action name the table
 * refuses, or an invalid or unmigrated tenant. */
enum store_result adminlog_record(const char *tenant, const struct adminlog_entry *e)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(e->action, true) || !field_ok(e->target_sub, false) ||
        !field_ok(e->target_email, false) || !field_ok(e->before_value, false) ||
        !field_ok(e->after_value, false) || !field_ok(e->actor_sub, true) ||
        !field_ok(e->actor_email, false) || !field_ok(e->detail, false) ||
        !field_ok(e->request_id, false) || !field_ok(e->client_addr, false) || e->at < 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {e->action,      e->target_sub, e->target_email,
                                  e->before_value, e->after_value, e->actor_sub,
                                  e->actor_email, e->detail,     e->request_id,
                                  e->client_addr, e->at ? pg_num_text(at, e->at) : NULL};
    if (pg_query_run_tenant(&q, tenant,
                            "INSERT INTO admin_actions (action, target_sub, target_email,"
                            " before_value, after_value, actor_sub, actor_email, detail,"
                            " request_id, client_addr, at)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
                            " coalesce(to_timestamp($11::bigint), now()))",
                            11, params))
        rc = STORE_OK;
    else
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}

/* Fills *out with at most limit rows of tenant matching f (NULL: all),
 * newest first, with an id below before_id (0: from the newest). Returns
 * STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (out->n is 0 unless OK). */
enum store_result adminlog_list(const char *tenant, const struct adminlog_filter *f,
                                long long before_id, int limit, struct arena *a,
                                struct adminlog_page *out)
{
    char before[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof(*out));
    if (limit <= 0 || before_id < 0 || !filter_ok(f))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {or_any(f ? f->actor_sub : NULL),
                                  or_any(f ? f->target_sub : NULL),
                                  or_any(f ? f->action : NULL), pg_num_text(before, before_id),
                                  pg_num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " ADMINLOG_COLUMNS " FROM admin_actions" ADMINLOG_WHERE
                             " AND ($4::bigint = 0 OR id < $4::bigint)"
                             " ORDER BY id DESC LIMIT $5::bigint",
                             5, params))
        rc = pg_store_result(&q);
    else
        take_rows(&q, a, out);
    pg_query_cleanup(&q);
    return rc;
}

/* Sets *count to the number of rows of tenant matching f (NULL: all).
 * Returns STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (*count is 0 unless
 * OK). */
enum store_result adminlog_count(const char *tenant, const struct adminlog_filter *f,
                                 long long *count)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *count = 0;
    if (!filter_ok(f))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {or_any(f ? f->actor_sub : NULL),
                                  or_any(f ? f->target_sub : NULL),
                                  or_any(f ? f->action : NULL)};
    if (!pg_query_run_tenant(&q, tenant, "SELECT count(*) FROM admin_actions" ADMINLOG_WHERE,
                             3, params))
        rc = pg_store_result(&q);
    else
        *count = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    return rc;
}

/* The person conditions of adminlog_search: $1/$2 the actor's sub and
 * email, $3/$4 the target's, $5 the action; "" matches any. Each side is
 * an OR of indexed columns (admin_actions_*_idx, and the lower(email)
 * indexes of migration tenant/017). */
#define ADMINLOG_SEARCH_WHERE                                                    \
    " WHERE (($1 = '' AND $2 = '') OR ($1 <> '' AND actor_sub = $1)"            \
    " OR ($2 <> '' AND lower(actor_email) = lower($2)))"                        \
    " AND (($3 = '' AND $4 = '') OR ($3 <> '' AND target_sub = $3)"             \
    " OR ($4 <> '' AND lower(target_email) = lower($4)))"                       \
    " AND ($5 = '' OR action = $5)"

/* Fills *out with at most limit rows of tenant matching f (NULL: all),
 * newest first, with an id below before_id (0: from the newest). Returns
 * STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (out->n is 0 unless OK). */
enum store_result adminlog_search(const char *tenant, const struct adminlog_query *f,
                                  long long before_id, int limit, struct arena *a,
                                  struct adminlog_page *out)
{
    char before[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;
    const struct adminlog_query any = {0};

    memset(out, 0, sizeof(*out));
    if (!f)
        f = &any;
    if (limit <= 0 || before_id < 0 || !field_ok(f->actor_sub, false) ||
        !field_ok(f->actor_email, false) || !field_ok(f->target_sub, false) ||
        !field_ok(f->target_email, false) || !field_ok(f->action, false))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {or_any(f->actor_sub),    or_any(f->actor_email),
                                  or_any(f->target_sub),   or_any(f->target_email),
                                  or_any(f->action),       pg_num_text(before, before_id),
                                  pg_num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " ADMINLOG_COLUMNS " FROM admin_actions"
                             ADMINLOG_SEARCH_WHERE
                             " AND ($6::bigint = 0 OR id < $6::bigint)"
                             " ORDER BY id DESC LIMIT $7::bigint",
                             7, params))
        rc = pg_store_result(&q);
    else
        take_rows(&q, a, out);
    pg_query_cleanup(&q);
    return rc;
}
