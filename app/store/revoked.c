/* SPDX-License-Identifier: MIT */
/* revoked: the denylist of revoked access tokens (see revoked.h and
 * sql/tenant/003_revoked_tokens.sql).
 *
 * A sign-out writes up to three rows in one statement: the token's own jti
 * (so the token presented is refused at once, even if a new sign-in
 * happens in the same second), its origin_jti (every access token refreshed
 * from the same sign-in, as Cognito's RevokeToken does), and a per-user
 * cut-off (every token of the user issued before now, as GlobalSignOut
 * does). The same statement deletes rows whose tokens have all expired, so
 * the table stays as small as the set of tokens that could still be used,
 * without a sweeper (rows about to be upserted are spared, as one statement
 * may not both delete and update a row). A check is one indexed SELECT.
 *
 * Statements run through pg_query_run_tenant: the table is the request's
 * tenant's own. Nothing is allocated beyond the query's result. */
#include "store/revoked.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/utf8.h"
#include "store/pg.h"

#define REVOKED_FIELD_MAX 256 /* bytes of a sub or token id */
#define NUM_TEXT_MAX 24       /* a 64-bit integer in decimal, sign and NUL */

static enum revoked_result pg_failure(const struct pg_query *q)
{
    return q->err == PG_ERR_UNAVAILABLE ? REVOKED_UNAVAILABLE : REVOKED_ERROR;
}

static bool field_ok(const char *s, bool required)
{
    if (!s)
        return !required;
    size_t n = strnlen(s, REVOKED_FIELD_MAX + 1);
    return n <= REVOKED_FIELD_MAX && (!required || n > 0) && utf8_valid(s, n) &&
           !utf8_has_control(s, n);
}

static char *num_text(char out[NUM_TEXT_MAX], long long v)
{
    snprintf(out, NUM_TEXT_MAX, "%lld", v);
    return out;
}

/* Says whether the access token t of tenant is revoked at time now: its jti
 * or origin_jti is listed, or its user signed out after it was issued.
 * Returns REVOKED_NO, REVOKED_YES, REVOKED_UNAVAILABLE, or REVOKED_ERROR for
 * a token without a clean sub and jti, or an invalid or unmigrated tenant. */
enum revoked_result revoked_check(const char *tenant, const struct revoked_token *t, time_t now)
{
    char iat[NUM_TEXT_MAX], at[NUM_TEXT_MAX];
    struct pg_query q;
    enum revoked_result rc;

    if (!field_ok(t->sub, true) || !field_ok(t->jti, true) || !field_ok(t->origin_jti, false))
        return REVOKED_ERROR;
    const char *const params[] = {t->jti, t->origin_jti, t->sub, num_text(iat, t->iat),
                                  num_text(at, now)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT 1 FROM revoked_tokens"
                             " WHERE expires_at > to_timestamp($5::bigint)"
                             " AND ((kind = 'token' AND id IN ($1, $2))"
                             " OR (kind = 'user' AND id = $3 AND $4::bigint < issued_before))"
                             " LIMIT 1",
                             5, params))
        rc = pg_failure(&q);
    else
        rc = pg_query_rows(&q) > 0 ? REVOKED_YES : REVOKED_NO;
    pg_query_cleanup(&q);
    return rc;
}

/* Revokes the access token t of tenant and every token its user was issued
 * before now (see the design comment), and forgets rows that no longer
 * matter. Returns REVOKED_NO (done), REVOKED_UNAVAILABLE or REVOKED_ERROR
 * (as for revoked_check). Repeating it is harmless: a later cut-off and a
 * later expiry win. */
enum revoked_result revoked_sign_out(const char *tenant, const struct revoked_token *t,
                                     time_t now)
{
    char at[NUM_TEXT_MAX], token_until[NUM_TEXT_MAX], user_until[NUM_TEXT_MAX];
    struct pg_query q;
    enum revoked_result rc = REVOKED_NO;

    if (!field_ok(t->sub, true) || !field_ok(t->jti, true) || !field_ok(t->origin_jti, false))
        return REVOKED_ERROR;
    /* A token is accepted up to JWT_CLOCK_SKEW_S past its exp; anything from
     * before now lives at most a day (plus that skew). */
    long long last = (long long)now + REVOKED_ACCESS_LIFETIME_MAX_S + JWT_CLOCK_SKEW_S;
    long long own = (long long)t->exp + JWT_CLOCK_SKEW_S;
    const char *const params[] = {t->jti, t->origin_jti, t->sub, num_text(at, now),
                                  num_text(token_until, own < last ? own : last),
                                  num_text(user_until, last)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(
            &q, tenant,
            "WITH gone AS (DELETE FROM revoked_tokens"
            " WHERE expires_at <= to_timestamp($4::bigint)"
            " AND NOT ((kind = 'token' AND id IN ($1, $2)) OR (kind = 'user' AND id = $3)))"
            " INSERT INTO revoked_tokens (kind, id, issued_before, expires_at)"
            " SELECT kind, id, before, to_timestamp(until) FROM (VALUES"
            " ('token', $1::text, NULL::bigint, $5::bigint),"
            " ('token', $2::text, NULL::bigint, $6::bigint),"
            " ('user', $3::text, $4::bigint, $6::bigint)) AS v (kind, id, before, until)"
            " WHERE id IS NOT NULL"
            " ON CONFLICT (kind, id) DO UPDATE SET"
            " issued_before = greatest(revoked_tokens.issued_before, excluded.issued_before),"
            " expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)",
            6, params))
        rc = pg_failure(&q);
    pg_query_cleanup(&q);
    return rc;
}
