/* SPDX-License-Identifier: MIT */
/* test_revoked: the revocation denylist against a real PostgreSQL (a
 * scratch database, see scratch_db.h): a signed-out token is refused by its
 * jti, a token refreshed from the same sign-in by its origin_jti, every
 * older token of the user by the cut-off and nothing newer; rows die with
 * the tokens they name and are cleaned up by later sign-outs; tenants are
 * apart; bad arguments are errors before any SQL. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "store/pg.h"
#include "store/revoked.h"
#include "store/users.h"
#include "test.h"
#include "scratch_db.h"

#define T0 1700000000L /* the moment of the sign-out */
#define HOUR 3600L
#define DAY (24 * HOUR)

static struct revoked_token token(const char *sub, const char *jti, const char *origin, long iat)
{
    return (struct revoked_token){.sub = sub, .jti = jti, .origin_jti = origin, .iat = iat,
                                  .exp = iat + HOUR};
}

static long long rows(const char *tenant)
{
    struct pg_query q;
    long long n = -1;
    pg_query_init(&q);
    if (pg_query_run_tenant(&q, tenant, "SELECT count(*) FROM revoked_tokens", 0, NULL))
        n = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    return n;
}

static bool has(const char *tenant, const char *id)
{
    struct pg_query q;
    const char *const params[] = {id};
    bool found = false;
    pg_query_init(&q);
    if (pg_query_run_tenant(&q, tenant, "SELECT 1 FROM revoked_tokens WHERE id = $1", 1, params))
        found = pg_query_rows(&q) == 1;
    pg_query_cleanup(&q);
    return found;
}

/* A check's answer as one value: its result when that is not STORE_OK,
 * else the verdict, CLEAR or REVOKED. */
enum { CLEAR = -1, REVOKED = -2 };

static int answer(enum store_result rc, bool revoked)
{
    return rc != STORE_OK ? (int)rc : revoked ? REVOKED : CLEAR;
}

static int check(const char *tenant, const struct revoked_token *t)
{
    bool revoked;
    enum store_result rc = revoked_check(tenant, t, &revoked);
    return answer(rc, revoked);
}

static int check_user(const char *tenant, const struct revoked_token *t, struct arena *a,
                      struct revoked_profile *p)
{
    bool revoked;
    enum store_result rc = revoked_check_user(tenant, t, a, p, &revoked);
    return answer(rc, revoked);
}

static void test_arguments(void)
{
    struct revoked_token t = token("sub-1", "jti-1", NULL, T0);
    struct revoked_token no_sub = token(NULL, "jti-1", NULL, T0);
    struct revoked_token no_jti = token("sub-1", "", NULL, T0);
    struct revoked_token control = token("sub-1", "jti\x01", NULL, T0);
    test_cond("no sub", check("default", &no_sub) == STORE_ERROR);
    test_cond("empty jti", revoked_sign_out("default", &no_jti, T0) == STORE_ERROR);
    test_cond("a control character", check("default", &control) == STORE_ERROR);
    test_cond("a hostile slug", check("x\"; DROP SCHEMA t_default; --", &t) ==
                                    STORE_ERROR);
}

static void test_sign_out(void)
{
    struct revoked_token presented = token("alice", "jti-a2", "origin-a", T0);
    struct revoked_token earlier = token("alice", "jti-a1", "origin-a", T0 - 600);
    struct revoked_token same_second = token("alice", "jti-a3", NULL, T0);
    struct revoked_token refreshed = token("alice", "jti-a4", "origin-a", T0 + 5);
    struct revoked_token later = token("alice", "jti-a5", "origin-b", T0 + 1);
    struct revoked_token bob = token("bob", "jti-b1", "origin-x", T0 - 600);

    test_cond("a tenant without a schema", check("nosuchtenant", &presented) ==
                                                   STORE_ERROR);
    test_cond("nothing is revoked at first", check("default", &presented) == CLEAR);
    test_cond("sign out", revoked_sign_out("default", &presented, T0) == STORE_OK);
    test_cond("the presented token is refused", check("default", &presented) ==
                                                    REVOKED);
    test_cond("an older token of the user is refused (cut-off)",
              check("default", &earlier) == REVOKED);
    test_cond("a token refreshed from the same sign-in is refused (origin_jti)",
              check("default", &refreshed) == REVOKED);
    test_cond("another token of the same second passes (iat has whole seconds)",
              check("default", &same_second) == CLEAR);
    test_cond("a token of a later sign-in passes", check("default", &later) ==
                                                       CLEAR);
    test_cond("another user's token passes", check("default", &bob) == CLEAR);
    test_cond("three rows", rows("default") == 3 && has("default", "jti-a2") &&
                                has("default", "origin-a") && has("default", "alice"));
    test_cond("the other tenant knows nothing of it",
              check("other", &presented) == CLEAR && rows("other") == 0);

    /* Repeating is harmless; a later sign-out moves the cut-off on. */
    test_cond("sign out again", revoked_sign_out("default", &presented, T0 + 1) == STORE_OK);
    test_cond("still three rows", rows("default") == 3);
    struct revoked_token second = token("alice", "jti-a5", "origin-b", T0 + 1);
    test_cond("a second sign-out", revoked_sign_out("default", &second, T0 + 100) == STORE_OK);
    test_cond("it refuses what the first let through",
              check("default", &same_second) == REVOKED);
    struct revoked_token after = token("alice", "jti-a6", NULL, T0 + 100);
    test_cond("but not a token of its own second",
              check("default", &after) == CLEAR);
}

static void test_expiry(void)
{
    struct revoked_token old = token("carol", "jti-c1", "origin-c", T0 - 600);
    struct revoked_token presented = token("carol", "jti-c2", NULL, T0);
    long long before = rows("default");
    test_cond("carol signs out", revoked_sign_out("default", &presented, T0) == STORE_OK);
    test_cond("two rows for her (no origin_jti)", rows("default") == before + 2);
    test_cond("her older token is refused", check("default", &old) == REVOKED);
    /* A row is kept until no token it matches can be valid: the token's
     * own until it expires (plus the skew), the cut-off for the longest
     * lifetime. Verification refuses expired tokens before any check, so
     * the check needs no clock; the rows only have to go eventually. */
    struct revoked_token dave = token("dave", "jti-d1", NULL, T0 + 2 * HOUR);
    test_cond("dave signs out two hours later", revoked_sign_out("default", &dave, T0 + 2 * HOUR) ==
                                                    STORE_OK);
    test_cond("carol's token row is gone, her cut-off is not",
              !has("default", "jti-c2") && has("default", "carol") && has("default", "jti-d1"));
    test_cond("so her older token is still refused", check("default", &old) == REVOKED);
    struct revoked_token erin = token("erin", "jti-x1", NULL, T0 + 2 * DAY);
    test_cond("someone signs out two days later", revoked_sign_out("default", &erin, T0 + 2 * DAY) ==
                                                      STORE_OK);
    long long after = rows("default");
    test_cond("everything older is gone, the new rows are there", after == 2);
    if (after != 2)
        printf("  rows before %lld, after %lld\n", before, after);
    test_cond("and carol's tokens match nothing any more", check("default", &old) == CLEAR);
    test_cond("erin's token is refused", check("default", &erin) == REVOKED);
}

static void test_profile(void)
{
    struct arena a;
    struct revoked_profile p;
    struct revoked_token frank = token("frank", "jti-f1", NULL, T0);
    struct users_user u = {.sub = "frank", .email = "Frank@Example.com", .name = NULL,
                           .tier = "premium", .status = "CONFIRMED", .enabled = true};
    arena_init(&a);
    test_cond("no mirror row: not found",
              check_user("default", &frank, &a, &p) == CLEAR && !p.found);
    test_cond("mirror frank", users_upsert("default", &u, T0, USERS_MERGE) == STORE_OK);
    test_cond("the profile comes with the check",
              check_user("default", &frank, &a, &p) == CLEAR && p.found &&
                  !strcmp(p.email, "frank@example.com") && p.name == NULL &&
                  !strcmp(p.tier, "premium"));
    test_cond("frank signs out", revoked_sign_out("default", &frank, T0) == STORE_OK);
    test_cond("revoked, profile and all",
              check_user("default", &frank, &a, &p) == REVOKED && p.found);
    test_cond("the other tenant's mirror has no frank",
              check_user("other", &frank, &a, &p) == CLEAR && !p.found);
    arena_free(&a);
}

/* A password reset or change: every token of the user issued before the
 * cut-off is refused, those of the cut-off's second included, and nobody
 * else's; a token issued from the cut-off on is not. */
static void test_sign_out_user(void)
{
    struct revoked_token earlier = token("grace", "jti-g1", NULL, T0 - 600);
    struct revoked_token same_second = token("grace", "jti-g2", NULL, T0);
    struct revoked_token after = token("grace", "jti-g3", NULL, T0 + 1);
    struct revoked_token other = token("heidi", "jti-h1", NULL, T0);
    test_cond("no sub", revoked_sign_out_user("default", NULL, T0 + 1, T0) == STORE_ERROR);
    test_cond("a sub with a control character",
              revoked_sign_out_user("default", "gr\001ace", T0 + 1, T0) == STORE_ERROR);
    test_cond("grace's password is reset",
              revoked_sign_out_user("default", "grace", T0 + 1, T0) == STORE_OK);
    test_cond("her earlier token is refused", check("default", &earlier) == REVOKED);
    test_cond("so is one of the same second", check("default", &same_second) == REVOKED);
    test_cond("one issued after is not", check("default", &after) == CLEAR);
    test_cond("nobody else is touched", check("default", &other) == CLEAR);
    test_cond("one row, for the user", has("default", "grace") && !has("default", "jti-g1"));
}

static void test_without_server(void)
{
    struct revoked_token t = token("sub-1", "jti-1", NULL, T0);
    test_cond("no database: unavailable", check("default", &t) == STORE_UNAVAILABLE);
}

int main(void)
{
    struct scratch_db db;
    char err[SCRATCH_ERR_MAX];
    test_arguments();
    if (pg_init_worker("host=/nonexistent-gh-socket-dir port=1 connect_timeout=1", true, err,
                       sizeof(err)))
        test_without_server();
    pg_cleanup_worker();
    if (scratch_db_open(&db, "revoked")) {
        test_sign_out();
        test_expiry();
        test_profile();
        test_sign_out_user();
    }
    scratch_db_close(&db);
    return test_report();
}
