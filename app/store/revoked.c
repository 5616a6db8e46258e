/* SPDX-License-Identifier: MIT */
/* revoked: the denylist of revoked access tokens (see revoked.h and
 * sql/tenant/003_revoked_tokens.sql).
 *
 * A sign-out writes up to three rows in one statement: the token's own jti
 * (so the token presented is refused at once, even if a new sign-in
 * happens in the same second), its origin_jti (every access token refreshed
 * from the same sign-in, as Cognito's RevokeToken does), and a per-user
 * cut-off (every token of the user issued before now, as GlobalSignOut
 * does). Each row says "refuse a token carrying my id if its iat is before
 * issued_before", so the check is one primary-key probe for three ids and a
 * max(), with no per-kind logic in SQL: planning, not execution, is what a
 * statement this small costs, and the check runs on every bearer call. It
 * needs no expiry test either: a row outlives no token it can match, and
 * expired tokens are refused by verification before the check. The same
 * sign-out statement deletes rows whose tokens have all expired (sparing
 * the ids it is about to upsert: one statement may not delete and update a
 * row), so the table stays as small as the set of usable tokens, with no
 * sweeper.
 *
 * Writes run through pg_query_run_tenant: the table is the request's
 * tenant's own. The check is the one exception, because it runs on every
 * bearer call: instead of setting the search_path for its transaction
 * first (a second statement in its pipeline, and a search_path change that
 * makes the server parse a prepared statement again), it names
 * "t_<slug>".revoked_tokens and "t_<slug>".users explicitly, from
 * pg_tenant_schema as tenants_drop_schema does, and is one
 * statement outside any transaction: nothing is set that could outlive it,
 * and it can read no other tenant's rows. It also reads the user's row of
 * the users mirror (owned by store/users), since a bearer call needs both.
 *
 * The answer for a token (its verdict and its user's row) is kept in the
 * pool-wide shcache (SHCACHE_BEARER) for up to BEARER_CACHE_S, keyed by the
 * token's ids, so a client polling with one token costs one query a minute.
 * A sign-out and every change to a user's mirror row evict that user's
 * answers (revoked_forget_user) before the caller answers.
 *
 * Nothing is allocated beyond the query's result and, for a profile, its
 * copies in the caller's arena. */
#include "store/revoked.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/seal.h"
#include "core/shcache.h"
#include "store/pg.h"

#define REVOKED_FIELD_MAX 256 /* bytes of a sub or token id */
#define CHECK_SQL_MAX 512     /* a check statement with the schema named twice */
#define ALWAYS "9223372036854775807" /* issued_before of a token row: any iat */

enum check_col { COL_EMAIL, COL_NAME, COL_TIER, COL_BEFORE };

/* ---- the cache ---------------------------------------------------------- */

/* A cached answer: the verdict, whether the mirror had the user, then (if
 * so) email, name, tier, NUL-terminated, with the name empty when NULL. */
struct cached_answer {
    unsigned char verdict, found, has_name;
};

static void owner_of(char out[SHCACHE_OWNER_MAX], const char *tenant, const char *sub)
{
    snprintf(out, SHCACHE_OWNER_MAX, "%s/%s", tenant, sub);
}

/* key_of hashes what the answer depends on: the tenant, the user and the
 * token's own ids. Fields are clean text (token_ok), so a newline parts them
 * unambiguously. */
static void key_of(unsigned char key[SHCACHE_KEY_BYTES], const char *tenant,
                   const struct revoked_token *t)
{
    char text[4 * REVOKED_FIELD_MAX + PG_SCHEMA_MAX];
    int n = snprintf(text, sizeof(text), "%s\n%s\n%s\n%s", tenant, t->sub, t->jti,
                     t->origin_jti ? t->origin_jti : "");
    seal_sha256(text, n > 0 && (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1, key);
}

static bool from_cache(const unsigned char key[SHCACHE_KEY_BYTES], struct arena *a,
                       struct revoked_profile *out, bool *revoked)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    struct cached_answer h;
    size_t len = 0, at = sizeof h;
    if (!shcache_get(SHCACHE_BEARER, key, time(NULL), BEARER_CACHE_S, packed, sizeof packed,
                     &len) ||
        len < sizeof h)
        return false;
    memcpy(&h, packed, sizeof h);
    if (h.found) {
        const char *name;
        if (!(out->email = shcache_unpack_string(packed, len, &at, a)) ||
            !(name = shcache_unpack_string(packed, len, &at, a)) ||
            !(out->tier = shcache_unpack_string(packed, len, &at, a))) {
            memset(out, 0, sizeof(*out));
            return false;
        }
        out->name = h.has_name ? name : NULL;
    }
    out->found = h.found;
    *revoked = h.verdict != 0;
    return true;
}

static void to_cache(const unsigned char key[SHCACHE_KEY_BYTES], uint64_t epoch,
                     const char *tenant, const char *sub, const struct revoked_profile *p,
                     bool revoked)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    struct cached_answer h = {revoked, p->found, p->name != NULL};
    char owner[SHCACHE_OWNER_MAX];
    size_t at = sizeof h;
    memcpy(packed, &h, sizeof h);
    if (p->found &&
        (!shcache_pack_string(packed, sizeof(packed), &at, p->email) ||
         !shcache_pack_string(packed, sizeof(packed), &at, p->name ? p->name : "") ||
         !shcache_pack_string(packed, sizeof(packed), &at, p->tier)))
        return;
    owner_of(owner, tenant, sub);
    shcache_put(SHCACHE_BEARER, key, epoch, time(NULL), owner, packed, at);
}

/* revoked_forget_user drops the cached answers for user sub of tenant: after
 * a sign-out, and after any change to the user's row in the users mirror. */
void revoked_forget_user(const char *tenant, const char *sub)
{
    char owner[SHCACHE_OWNER_MAX];
    owner_of(owner, tenant, sub);
    shcache_forget_owner(SHCACHE_BEARER, owner);
}

/* ---- checks ------------------------------------------------------------- */

/* A clean sub, jti and (if any) origin_jti of at most REVOKED_FIELD_MAX
 * bytes (pg_field_ok). */
static bool token_ok(const struct revoked_token *t)
{
    return pg_field_ok(t->sub, REVOKED_FIELD_MAX, true) &&
           pg_field_ok(t->jti, REVOKED_FIELD_MAX, true) &&
           pg_field_ok(t->origin_jti, REVOKED_FIELD_MAX, false);
}

/* verdict compares the largest issued_before of the rows matching the token
 * (a NULL max: none) with its iat: true when the token is revoked. */
static bool verdict(const struct pg_query *q, int col, const struct revoked_token *t)
{
    if (pg_query_is_null(q, 0, col))
        return false;
    long long before = strtoll(pg_query_value(q, 0, col), NULL, 10);
    return (long long)t->iat < before;
}

#define MAX_BEFORE                                                             \
    "(SELECT max(issued_before) FROM \"%s\".revoked_tokens WHERE id IN ($1, $2, $3))"

/* run_check runs the check for t, with the user's mirror row when
 * with_user; the token's three ids are $1..$3. */
static bool run_check(struct pg_query *q, const char *tenant, bool with_user,
                      const struct revoked_token *t)
{
    char schema[PG_SCHEMA_MAX], sql[CHECK_SQL_MAX];
    /* pg_tenant_schema admits only [a-z0-9-] after "t_": the quoted name is
     * safe in the statement's text. */
    if (!pg_tenant_schema(tenant, schema, sizeof(schema)))
        return false;
    int n = with_user ? snprintf(sql, sizeof(sql),
                                 "SELECT u.email, u.name, u.tier, " MAX_BEFORE
                                 " FROM \"%s\".users u WHERE u.sub = $3",
                                 schema, schema)
                      : snprintf(sql, sizeof(sql), "SELECT " MAX_BEFORE, schema);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return false;
    const char *const params[] = {t->jti, t->origin_jti, t->sub};
    return pg_query_run(q, sql, 3, params);
}

/* Says whether the access token t of tenant is revoked: its jti or
 * origin_jti is listed, or its user signed out after it was issued. On
 * STORE_OK *revoked is the answer; otherwise it is false, and the result is
 * STORE_UNAVAILABLE, or STORE_ERROR for a token without a clean sub and
 * jti, or an invalid or unmigrated tenant. */
enum store_result revoked_check(const char *tenant, const struct revoked_token *t,
                                bool *revoked)
{
    struct pg_query q;
    enum store_result rc;
    *revoked = false;
    if (!token_ok(t))
        return STORE_ERROR;
    pg_query_init(&q);
    if (!run_check(&q, tenant, false, t)) {
        rc = q.err == PG_OK ? STORE_ERROR : pg_store_result(&q);
    } else if (pg_query_rows(&q) != 1) {
        rc = STORE_ERROR;
    } else {
        *revoked = verdict(&q, 0, t);
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Like revoked_check, and it also fills *out with the users mirror's row of
 * t->sub (strings copied into a), in the same statement when the mirror has
 * the user (the usual case: one round trip). *out is zeroed and *revoked
 * false unless STORE_OK. */
enum store_result revoked_check_user(const char *tenant, const struct revoked_token *t,
                                     struct arena *a, struct revoked_profile *out,
                                     bool *revoked)
{
    unsigned char key[SHCACHE_KEY_BYTES];
    struct pg_query q;
    enum store_result rc;
    memset(out, 0, sizeof(*out));
    *revoked = false;
    if (!token_ok(t))
        return STORE_ERROR;
    key_of(key, tenant, t);
    if (from_cache(key, a, out, revoked))
        return STORE_OK;
    uint64_t epoch = shcache_epoch(SHCACHE_BEARER);
    pg_query_init(&q);
    if (!run_check(&q, tenant, true, t)) {
        rc = q.err == PG_OK ? STORE_ERROR : pg_store_result(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1) { /* not mirrored (yet): the check alone */
        rc = revoked_check(tenant, t, revoked);
        goto out;
    }
    *revoked = verdict(&q, COL_BEFORE, t);
    rc = STORE_OK;
    out->found = true;
    out->email = arena_strdup(a, pg_query_value(&q, 0, COL_EMAIL));
    out->name = pg_query_is_null(&q, 0, COL_NAME) ? NULL
                                                   : arena_strdup(a, pg_query_value(&q, 0, COL_NAME));
    out->tier = arena_strdup(a, pg_query_value(&q, 0, COL_TIER));
out:
    if (rc == STORE_OK)
        to_cache(key, epoch, tenant, t->sub, out, *revoked);
    pg_query_cleanup(&q);
    return rc;
}

/* write_rows records a sign-out: the token ids jti and origin (each may be
 * NULL) refused whatever their iat, user sub's tokens issued before
 * `before` refused, the token rows kept until token_until and the user's
 * until user_until; and it forgets rows that no longer matter. */
static enum store_result write_rows(const char *tenant, const char *jti, const char *origin,
                                    const char *sub, long long before, long long token_until,
                                    long long user_until, time_t now)
{
    char at[NUM_TEXT_MAX], cut[NUM_TEXT_MAX], token_text[NUM_TEXT_MAX], user_text[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;
    const char *const params[] = {jti, origin, sub, pg_num_text(at, now),
                                  pg_num_text(token_text, token_until),
                                  pg_num_text(user_text, user_until), pg_num_text(cut, before)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(
            &q, tenant,
            "WITH gone AS (DELETE FROM revoked_tokens"
            " WHERE expires_at <= to_timestamp($4::bigint)"
            " AND id NOT IN ($3, coalesce($1, $3), coalesce($2, $3)))"
            " INSERT INTO revoked_tokens (id, kind, issued_before, expires_at)"
            " SELECT id, kind, before, to_timestamp(until) FROM (VALUES"
            " ($1::text, 'token', " ALWAYS "::bigint, $5::bigint),"
            " ($2::text, 'token', " ALWAYS "::bigint, $6::bigint),"
            " ($3::text, 'user', $7::bigint, $6::bigint)) AS v (id, kind, before, until)"
            " WHERE id IS NOT NULL"
            " ON CONFLICT (id) DO UPDATE SET"
            " issued_before = greatest(revoked_tokens.issued_before, excluded.issued_before),"
            " expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)",
            7, params))
        rc = pg_store_result(&q);
    revoked_forget_user(tenant, sub);
    pg_query_cleanup(&q);
    return rc;
}

/* The last moment a token issued before now can still be accepted: a token
 * is accepted up to JWT_CLOCK_SKEW_S past its exp, and lives at most a day. */
static long long last_valid(time_t now)
{
    return (long long)now + REVOKED_ACCESS_LIFETIME_MAX_S + JWT_CLOCK_SKEW_S;
}

/* Revokes the access token t of tenant and every token its user was issued
 * before now (see the design comment), and forgets rows that no longer
 * matter. Returns STORE_OK (done), STORE_UNAVAILABLE or STORE_ERROR (as for
 * revoked_check). Repeating it is harmless: a later cut-off and a later
 * expiry win. */
enum store_result revoked_sign_out(const char *tenant, const struct revoked_token *t,
                                   time_t now)
{
    if (!token_ok(t))
        return STORE_ERROR;
    long long last = last_valid(now);
    long long own = (long long)t->exp + JWT_CLOCK_SKEW_S;
    /* One VALUES list may not upsert the same id twice. */
    const char *origin = t->origin_jti && strcmp(t->origin_jti, t->jti) ? t->origin_jti : NULL;
    return write_rows(tenant, t->jti, origin, t->sub, now, own < last ? own : last, last, now);
}

/* Refuses every token of user sub of tenant issued before `before` (epoch
 * seconds; iat counts whole seconds, so before = now + 1 takes in the
 * tokens of the current second): a password reset or change, when no token
 * of the user's is at hand. Returns as revoked_sign_out does. */
enum store_result revoked_sign_out_user(const char *tenant, const char *sub, time_t before,
                                        time_t now)
{
    if (!pg_field_ok(sub, REVOKED_FIELD_MAX, true))
        return STORE_ERROR;
    long long last = last_valid(before > now ? before : now);
    return write_rows(tenant, NULL, NULL, sub, before, last, last, now);
}
