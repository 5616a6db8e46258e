/* SPDX-License-Identifier: MIT */
/* users: t_<slug>.users, the tenant's mirror of its Cognito pool (see
 * users.h). Every statement goes through pg_query_run_tenant, so table names
 * are unqualified and resolve only in the tenant's own schema: a slug picks
 * the schema, and no statement here can name another tenant's table.
 *
 * Emails are compared lower-cased. Only ASCII letters are folded, in C, the
 * same way on every path: PostgreSQL's lower() would follow the database
 * collation, and an email stored under one rule and looked up under another
 * would silently miss. Cognito enforces one user per email in a pool (email
 * is the username), so an upsert whose email still sits on another sub's row
 * means that user was deleted and re-created: the stale row gives way, in
 * the same transaction.
 *
 * Every write that can change what a bearer call reads of a user (email,
 * name, tier, the row itself) drops the answers cached for that user
 * (revoked_forget_user) once it has committed.
 *
 * Ownership: strings handed back are copies in the caller's arena; inputs
 * stay the caller's. Everything else is freed before returning. */
#include "store/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "store/pg.h"
#include "store/revoked.h"

#define USERS_FIELD_MAX 2048 /* bytes of a sub, email, name, tier or status */
#define NUM_TEXT_MAX 24      /* a 64-bit integer in decimal, sign and NUL */
#define DEFAULT_TIER "standard"

/* Seconds since the epoch of a timestamptz column, as text. */
#define EPOCH(col) "extract(epoch FROM " col ")::bigint"

#define USER_COLUMNS                                                        \
    "sub, email, name, tier, status, enabled, " EPOCH("created_at") ", "     \
    EPOCH("updated_at") ", " EPOCH("synced_at") ", " EPOCH("last_login_at")

enum user_col {
    COL_SUB, COL_EMAIL, COL_NAME, COL_TIER, COL_STATUS, COL_ENABLED, COL_CREATED,
    COL_UPDATED, COL_SYNCED, COL_LAST_LOGIN,
};

/* ---- helpers ------------------------------------------------------------ */

static enum users_result pg_failure(const struct pg_query *q)
{
    return q->err == PG_ERR_UNAVAILABLE ? USERS_UNAVAILABLE : USERS_ERROR;
}

static char *num_text(char out[NUM_TEXT_MAX], long long v)
{
    snprintf(out, NUM_TEXT_MAX, "%lld", v);
    return out;
}

/* Valid UTF-8 without control characters, at most USERS_FIELD_MAX bytes;
 * NULL passes unless required, "" never does when required. */
static bool field_ok(const char *s, bool required)
{
    size_t n;

    if (!s)
        return !required;
    n = strnlen(s, USERS_FIELD_MAX + 1);
    return n <= USERS_FIELD_MAX && (!required || n > 0) && utf8_valid(s, n) &&
           !utf8_has_control(s, n);
}

/* A copy of email with ASCII letters lower-cased; the caller frees it. */
static char *fold_email(const char *email)
{
    char *folded = xstrdup(email);
    for (char *c = folded; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return folded;
}

static const char *text_col(const struct pg_query *q, struct arena *a, enum user_col c)
{
    return pg_query_is_null(q, 0, c) ? NULL : arena_strdup(a, pg_query_value(q, 0, c));
}

static time_t time_col(const struct pg_query *q, enum user_col c)
{
    return pg_query_is_null(q, 0, c) ? 0 : (time_t)strtoll(pg_query_value(q, 0, c), NULL, 10);
}

/* Runs a SELECT of USER_COLUMNS with one parameter and fills *out from the
 * single row it finds. */
static enum users_result get_one(const char *tenant, const char *sql, const char *param,
                                 struct arena *a, struct users_user *out)
{
    const char *const params[] = {param};
    struct pg_query q;
    enum users_result rc = USERS_NOT_FOUND;

    pg_query_init(&q);
    memset(out, 0, sizeof *out);
    if (!pg_query_run_tenant(&q, tenant, sql, 1, params)) {
        rc = pg_failure(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1)
        goto out;
    out->sub = text_col(&q, a, COL_SUB);
    out->email = text_col(&q, a, COL_EMAIL);
    out->name = text_col(&q, a, COL_NAME);
    out->tier = text_col(&q, a, COL_TIER);
    out->status = text_col(&q, a, COL_STATUS);
    out->enabled = strcmp(pg_query_value(&q, 0, COL_ENABLED), "t") == 0;
    out->created_at = time_col(&q, COL_CREATED);
    out->updated_at = time_col(&q, COL_UPDATED);
    out->synced_at = time_col(&q, COL_SYNCED);
    out->last_login_at = time_col(&q, COL_LAST_LOGIN);
    rc = USERS_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* ---- writes ------------------------------------------------------------- */

/* Inserts or refreshes the mirror row of user u->sub in tenant (a slug) from
 * what Cognito says, at time now. sub and email are required (the email is
 * stored lower-cased); name, tier and status that are NULL keep the stored
 * value (a new row gets tier standard). enabled is always written. A row of
 * another sub holding the same email is deleted first (see the design
 * comment). Returns USERS_OK, USERS_UNAVAILABLE, or USERS_ERROR for a field
 * that is not clean text or is too long, a tier the table refuses, or an
 * invalid or unmigrated tenant. */
enum users_result users_upsert(const char *tenant, const struct users_user *u,
                               time_t now)
{
    char at[NUM_TEXT_MAX], *email = NULL;
    struct pg_query q;
    enum users_result rc = USERS_ERROR;

    pg_query_init(&q);
    if (!field_ok(u->sub, true) || !field_ok(u->email, true) || !field_ok(u->name, false) ||
        !field_ok(u->tier, false) || !field_ok(u->status, false))
        goto out;
    email = fold_email(u->email);
    const char *const stale[] = {email, u->sub};
    const char *const params[] = {u->sub, email, u->name, u->tier, u->status,
                                  u->enabled ? "true" : "false", num_text(at, now)};
    if (!pg_begin(&q) ||
        !pg_query_run_tenant(&q, tenant, "DELETE FROM users WHERE email = $1 AND sub <> $2",
                             2, stale) ||
        !pg_query_run_tenant(
            &q, tenant,
            "INSERT INTO users (sub, email, name, tier, status, enabled, created_at,"
            " updated_at, synced_at)"
            " VALUES ($1, $2, $3, coalesce($4, '" DEFAULT_TIER "'), $5, $6::boolean,"
            " to_timestamp($7::bigint), to_timestamp($7::bigint), to_timestamp($7::bigint))"
            " ON CONFLICT (sub) DO UPDATE SET email = excluded.email,"
            " name = coalesce($3, users.name), tier = coalesce($4, users.tier),"
            " status = coalesce($5, users.status), enabled = excluded.enabled,"
            " updated_at = excluded.updated_at, synced_at = excluded.synced_at",
            7, params) ||
        !pg_commit(&q)) {
        rc = pg_failure(&q);
        pg_rollback(); /* a no-op when the transaction is already over */
        goto out;
    }
    revoked_forget_user(tenant, u->sub);
    rc = USERS_OK;
out:
    pg_query_cleanup(&q);
    free(email);
    return rc;
}

/* Sets the tier of user sub in tenant to tier at time now. On USERS_OK,
 * *old_tier (when old_tier is not NULL) gets the tier it replaced, copied
 * into a, for the audit record: read and replaced under one row lock, so two
 * admins changing the same user each see what they really replaced.
 * USERS_NOT_FOUND: no such user; USERS_UNAVAILABLE; USERS_ERROR for a tier
 * the table refuses or a bad argument. */
enum users_result users_set_tier(const char *tenant, const char *sub,
                                 const char *tier, time_t now, struct arena *a,
                                 const char **old_tier)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum users_result rc = USERS_ERROR;

    if (old_tier)
        *old_tier = NULL;
    if (!field_ok(sub, true) || !field_ok(tier, true))
        return USERS_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, tier, num_text(at, now)};
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE users u SET tier = $2, updated_at = to_timestamp($3::bigint)"
                             " FROM (SELECT sub, tier FROM users WHERE sub = $1 FOR UPDATE) old"
                             " WHERE u.sub = old.sub RETURNING old.tier",
                             3, params)) {
        rc = pg_failure(&q);
    } else if (pg_query_rows(&q) != 1) {
        rc = USERS_NOT_FOUND;
    } else {
        if (old_tier)
            *old_tier = arena_strdup(a, pg_query_value(&q, 0, 0));
        revoked_forget_user(tenant, sub);
        rc = USERS_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* run_for_sub runs sql, whose parameters are $1 the sub and $2 a time in
 * seconds, on tenant's users and tells whether it touched that user's row:
 * USERS_OK, USERS_NOT_FOUND, USERS_UNAVAILABLE or USERS_ERROR. */
static enum users_result run_for_sub(const char *tenant, const char *sql, const char *sub,
                                     time_t t)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum users_result rc;

    if (!field_ok(sub, true))
        return USERS_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, num_text(at, t)};
    if (!pg_query_run_tenant(&q, tenant, sql, 2, params))
        rc = pg_failure(&q);
    else
        rc = pg_query_affected(&q) == 1 ? USERS_OK : USERS_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Records that user sub of tenant signed in at now. Returns USERS_OK,
 * USERS_NOT_FOUND (no mirror row yet: upsert first), USERS_UNAVAILABLE or
 * USERS_ERROR. */
enum users_result users_touch_login(const char *tenant, const char *sub, time_t now)
{
    return run_for_sub(tenant,
                       "UPDATE users SET last_login_at = to_timestamp($2::bigint) WHERE sub = $1",
                       sub, now);
}

/* ---- reads -------------------------------------------------------------- */

/* Fills *out with user sub of tenant (strings in a). Returns USERS_OK,
 * USERS_NOT_FOUND, USERS_UNAVAILABLE or USERS_ERROR; *out is zeroed unless
 * USERS_OK. */
enum users_result users_get(const char *tenant, const char *sub, struct arena *a,
                            struct users_user *out)
{
    if (!field_ok(sub, true)) {
        memset(out, 0, sizeof *out);
        return USERS_NOT_FOUND;
    }
    return get_one(tenant, "SELECT " USER_COLUMNS " FROM users WHERE sub = $1", sub, a,
                   out);
}

/* Like users_get, by email; the lookup ignores the case of ASCII letters. */
enum users_result users_get_by_email(const char *tenant, const char *email,
                                     struct arena *a, struct users_user *out)
{
    enum users_result rc;
    char *folded;

    if (!field_ok(email, true)) {
        memset(out, 0, sizeof *out);
        return USERS_NOT_FOUND;
    }
    folded = fold_email(email);
    rc = get_one(tenant, "SELECT " USER_COLUMNS " FROM users WHERE email = $1", folded, a,
                 out);
    free(folded);
    return rc;
}

/* ---- the admin panel and `users sync` ------------------------------------- */

#define SECONDS_PER_DAY 86400
#define STATUS_CONFIRMED "CONFIRMED"
#define STATUS_UNCONFIRMED "UNCONFIRMED"

/* One statement, one round trip: tiers, statuses and sign-ups per day, each
 * as (kind, key, count). Day keys are offsets from $1, the UTC midnight of
 * the first day shown. */
#define STATISTICS_SQL                                                          \
    "SELECT 'tier', tier, count(*) FROM users GROUP BY tier"                    \
    " UNION ALL SELECT 'status', coalesce(status, ''), count(*) FROM users"     \
    " GROUP BY 2"                                                               \
    " UNION ALL SELECT 'day', floor((extract(epoch FROM created_at)"            \
    " - $1::bigint) / 86400)::bigint::text, count(*) FROM users"                \
    " WHERE created_at >= to_timestamp($1::bigint) GROUP BY 2"

/* Fills *out with the statistics of tenant's mirror as of now: users per
 * tier, confirmed (CONFIRMED), unconfirmed (UNCONFIRMED) and other statuses,
 * and sign-ups (by the mirror's created_at) per UTC day for the
 * USERS_STATS_DAYS days ending today. Returns USERS_OK, USERS_UNAVAILABLE or
 * USERS_ERROR; *out is zeroed first. */
enum users_result users_statistics(const char *tenant, time_t now, struct users_stats *out)
{
    char first[NUM_TEXT_MAX];
    struct pg_query q;
    enum users_result rc = USERS_OK;

    memset(out, 0, sizeof *out);
    out->first_day = now - now % SECONDS_PER_DAY - (USERS_STATS_DAYS - 1) * SECONDS_PER_DAY;
    pg_query_init(&q);
    const char *const params[] = {num_text(first, (long long)out->first_day)};
    if (!pg_query_run_tenant(&q, tenant, STATISTICS_SQL, 1, params)) {
        rc = pg_failure(&q);
        goto out;
    }
    for (int i = 0; i < pg_query_rows(&q); i++) {
        const char *kind = pg_query_value(&q, i, 0), *key = pg_query_value(&q, i, 1);
        long long n = strtoll(pg_query_value(&q, i, 2), NULL, 10);
        if (!strcmp(kind, "tier")) {
            out->total += n;
            if (!strcmp(key, "premium"))
                out->premium += n;
            else
                out->standard += n; /* the table allows no third tier */
        } else if (!strcmp(kind, "status")) {
            if (!strcmp(key, STATUS_CONFIRMED))
                out->confirmed += n;
            else if (!strcmp(key, STATUS_UNCONFIRMED))
                out->unconfirmed += n;
            else
                out->other_status += n;
        } else {
            long long day = strtoll(key, NULL, 10);
            if (day >= 0 && day < USERS_STATS_DAYS)
                out->signups[day] += n; /* a clock ahead of ours: not shown */
        }
    }
out:
    pg_query_cleanup(&q);
    return rc;
}

/* Appends s, lower-cased like stored emails, with LIKE's wildcards and
 * escape character escaped, then '%': a prefix pattern matching only
 * itself. */
static void like_prefix(struct buf *out, const char *s)
{
    for (const char *c = s; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            buf_putc(out, '\\');
        buf_putc(out, (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c);
    }
    buf_putc(out, '%');
}

static const char *given_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

static void fill_row(const struct pg_query *q, int row, struct arena *a, struct users_user *u)
{
    static const enum user_col texts[] = {COL_SUB, COL_EMAIL, COL_NAME, COL_TIER, COL_STATUS};
    const char **fields[] = {&u->sub, &u->email, &u->name, &u->tier, &u->status};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        *fields[i] = pg_query_is_null(q, row, texts[i])
                         ? NULL
                         : arena_strdup(a, pg_query_value(q, row, texts[i]));
    u->enabled = strcmp(pg_query_value(q, row, COL_ENABLED), "t") == 0;
    static const enum user_col times[] = {COL_CREATED, COL_UPDATED, COL_SYNCED, COL_LAST_LOGIN};
    time_t *stamps[] = {&u->created_at, &u->updated_at, &u->synced_at, &u->last_login_at};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        *stamps[i] = pg_query_is_null(q, row, times[i])
                         ? 0
                         : (time_t)strtoll(pg_query_value(q, row, times[i]), NULL, 10);
}

#define LIST_WHERE                                                              \
    " WHERE ($1::text IS NULL OR email LIKE $1 ESCAPE '\\')"                    \
    " AND ($2::text IS NULL OR tier = $2) AND ($3::text IS NULL OR status = $3)"

/* Fills *out with one page of tenant's mirror: the users matching f (an
 * email prefix, ignoring the case of ASCII letters; a tier; a status) in
 * email order, skipping offset and at most limit, with the total that
 * match. Returns USERS_OK, USERS_UNAVAILABLE, or USERS_ERROR for a filter
 * that is not clean text or a bad offset or limit. */
enum users_result users_list(const char *tenant, const struct users_filter *f,
                             long long offset, int limit, struct arena *a,
                             struct users_page *out)
{
    char skip[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct buf pattern;
    struct pg_query q;
    enum users_result rc = USERS_ERROR;

    memset(out, 0, sizeof *out);
    buf_init(&pattern);
    pg_query_init(&q);
    const char *prefix = given_or_null(f->email_prefix);
    if (offset < 0 || limit <= 0 || !field_ok(prefix, false) ||
        !field_ok(f->tier, false) || !field_ok(f->status, false))
        goto out;
    if (prefix)
        like_prefix(&pattern, prefix);
    const char *const params[] = {prefix ? buf_cstr(&pattern) : NULL, given_or_null(f->tier),
                                  given_or_null(f->status), num_text(skip, offset),
                                  num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant, "SELECT count(*) FROM users" LIST_WHERE, 3, params)) {
        rc = pg_failure(&q);
        goto out;
    }
    out->total = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " USER_COLUMNS " FROM users" LIST_WHERE
                             " ORDER BY email OFFSET $4::bigint LIMIT $5::bigint",
                             5, params)) {
        rc = pg_failure(&q);
        goto out;
    }
    out->n = pg_query_rows(&q);
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++)
        fill_row(&q, i, a, &out->rows[i]);
    rc = USERS_OK;
out:
    pg_query_cleanup(&q);
    buf_free(&pattern);
    return rc;
}

/* Writes user u of tenant exactly as Cognito has it, for `users sync`: like
 * users_upsert, except that a NULL tier is the default tier (not "keep"),
 * and created_at, when not 0, replaces the stored creation time (Cognito's
 * UserCreateDate, which the sign-up statistics count by). Returns USERS_OK,
 * USERS_UNAVAILABLE or USERS_ERROR (as users_upsert). */
enum users_result users_put(const char *tenant, const struct users_user *u, time_t now)
{
    char at[NUM_TEXT_MAX], created[NUM_TEXT_MAX], *email = NULL;
    struct pg_query q;
    enum users_result rc = USERS_ERROR;

    pg_query_init(&q);
    if (!field_ok(u->sub, true) || !field_ok(u->email, true) || !field_ok(u->name, false) ||
        !field_ok(u->tier, false) || !field_ok(u->status, false))
        goto out;
    email = fold_email(u->email);
    const char *const stale[] = {email, u->sub};
    const char *const params[] = {u->sub, email, u->name, u->tier ? u->tier : DEFAULT_TIER,
                                  u->status, u->enabled ? "true" : "false", num_text(at, now),
                                  num_text(created, u->created_at ? u->created_at : now)};
    if (!pg_begin(&q) ||
        !pg_query_run_tenant(&q, tenant, "DELETE FROM users WHERE email = $1 AND sub <> $2",
                             2, stale) ||
        !pg_query_run_tenant(
            &q, tenant,
            "INSERT INTO users (sub, email, name, tier, status, enabled, created_at,"
            " updated_at, synced_at)"
            " VALUES ($1, $2, $3, $4, $5, $6::boolean, to_timestamp($8::bigint),"
            " to_timestamp($7::bigint), to_timestamp($7::bigint))"
            " ON CONFLICT (sub) DO UPDATE SET email = excluded.email, name = excluded.name,"
            " tier = excluded.tier, status = excluded.status, enabled = excluded.enabled,"
            " created_at = excluded.created_at, updated_at = excluded.updated_at,"
            " synced_at = excluded.synced_at",
            8, params) ||
        !pg_commit(&q)) {
        rc = pg_failure(&q);
        pg_rollback();
        goto out;
    }
    revoked_forget_user(tenant, u->sub);
    rc = USERS_OK;
out:
    pg_query_cleanup(&q);
    free(email);
    return rc;
}

/* Deletes the mirror row of sub in tenant, for a user Cognito no longer
 * has, unless the row was written at or after before (the start of the
 * listing that missed it: a user who signed up meanwhile stays). Returns
 * USERS_OK when it deleted the row, USERS_NOT_FOUND when there was none to
 * delete, USERS_UNAVAILABLE or USERS_ERROR. */
enum users_result users_delete_unseen(const char *tenant, const char *sub, time_t before)
{
    enum users_result rc = run_for_sub(
        tenant, "DELETE FROM users WHERE sub = $1 AND updated_at < to_timestamp($2::bigint)", sub,
        before);
    if (rc == USERS_OK)
        revoked_forget_user(tenant, sub);
    return rc;
}
