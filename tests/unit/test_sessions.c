/* SPDX-License-Identifier: MIT */
/* test_sessions: the sessions and users stores against a real PostgreSQL.
 *
 * Without a server: malformed cookies are "not found" and bad arguments an
 * error without any database work (the worker is not even initialised, so
 * any statement would have answered "unavailable"), and an unreachable
 * server is "unavailable". With one: set GH_TEST_DATABASE_URL to a conninfo
 * whose role may CREATE DATABASE. The test makes a scratch database
 * (gh_test_sessions_<pid>, see scratch_db.h: migrated, with the tenants
 * "default" and "other") and checks create -> load, idle and absolute expiry
 * with sliding, remember me, tenant isolation, what the stored row holds
 * (only the id's hash, no plaintext refresh token), tampered and transplanted
 * ciphertexts, token and profile updates, deletion, the sweep, and the users
 * mirror; then drops it. Without the variable it prints so and counts one
 * failure: never a silent pass. GH_TEST_SQL_DIR overrides the migrations
 * dir ("sql"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/seal.h"
#include "http/cookies.h"
#include "pages/browser.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/users.h"
#include "test.h"
#include "scratch_db.h"

#define ERR_MAX 512
#define TOKEN_MAX 4096
#define T0 1700000000L /* a fixed "now": every deadline is relative to it */
#define HOUR (60L * 60)
#define DAY (24 * HOUR)
#define MANY_SESSIONS 2500 /* more than two sweep batches */
#define HUGE_COOKIE (1024 * 1024)
#define UNREACHABLE "host=/nonexistent-gh-socket-dir port=1 connect_timeout=1"

static const unsigned char key[SEAL_KEY_BYTES] = "session-key-for-tests-only-0123";
static const unsigned char other_key[SEAL_KEY_BYTES] = "another-key-entirely-different!";
static struct arena arena;
static long long tenant_default, tenant_other;

static const char *const groups[] = {"admin", "a,b", "quote\"back\\slash", "{brace}",
                                     "ünïcödé"};
#define NGROUPS (sizeof groups / sizeof groups[0])

/* ---- helpers ------------------------------------------------------------ */

static bool is(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

static struct sess_new new_session(const char *sub, bool remember)
{
    struct sess_new n = {
        .tenant_id = tenant_default,
        .sub = sub,
        .email = "alice@example.com",
        .name = "Alice Liddell",
        .tier = "standard",
        .groups = groups,
        .ngroups = NGROUPS,
        .tokens = {.id_token = "id.token.value", .access_token = "access.token.value",
                   .refresh_token = "refresh-token-SECRET-value-0123456789",
                   .attributes = "{\"custom:company\":\"Acme\"}",
                   .access_expires_at = T0 + HOUR},
        .remember = remember,
        .user_agent = "Mozilla/5.0 (test)",
        .client_addr = "127.0.0.1",
    };
    return n;
}

/* Creates a session at time at; the id goes to id. */
static bool create_at(const char *sub, bool remember, time_t at, char id[SESS_ID_LEN + 1],
                      struct sess_session *s)
{
    struct sess_new n = new_session(sub, remember);
    return sess_create(&n, at, &arena, id, s) == STORE_OK;
}

static enum store_result load_at(const char *id, time_t at, struct sess_session *s)
{
    return sess_load(id, tenant_default, at, &arena, s);
}

/* The page load, then the tokens, as a refresh or a logout does. */
static enum store_result load_tokens_at(const char *id, time_t at, struct sess_session *s)
{
    enum store_result rc = load_at(id, at, s);
    return rc == STORE_OK ? sess_load_tokens(s, &arena) : rc;
}

/* The hex SHA-256 of the bytes a cookie value encodes. */
static void cookie_hash_hex(const char *id, char out[2 * SEAL_SHA256_BYTES + 1])
{
    unsigned char raw[SESS_ID_BYTES], hash[SEAL_SHA256_BYTES];
    size_t n = 0;

    seal_b64url_decode(id, strlen(id), raw, sizeof raw, &n);
    seal_sha256(raw, n, hash);
    for (size_t i = 0; i < sizeof hash; i++)
        snprintf(out + 2 * i, 3, "%02x", hash[i]);
}

/* Runs sql with up to two parameters; returns the first field of the first
 * row as a number, or -1. */
static long long number(const char *sql, const char *p1, const char *p2)
{
    const char *const params[] = {p1, p2};
    struct pg_query q;
    long long v = -1;

    pg_query_init(&q);
    if (pg_query_run(&q, sql, (p1 != NULL) + (p2 != NULL), params) && pg_query_rows(&q) == 1 &&
        !pg_query_is_null(&q, 0, 0))
        v = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    else if (q.err != PG_OK)
        printf("  number(%s): %s\n", sql, q.errmsg);
    pg_query_cleanup(&q);
    return v;
}

static bool exec_sql(const char *sql, const char *p1, const char *p2)
{
    const char *const params[] = {p1, p2};
    struct pg_query q;
    bool ok;

    pg_query_init(&q);
    ok = pg_query_run(&q, sql, (p1 != NULL) + (p2 != NULL), params);
    if (!ok)
        printf("  exec(%s): %s\n", sql, q.errmsg);
    pg_query_cleanup(&q);
    return ok;
}

/* sql_true runs a one-row, one-column query with one parameter and says
 * whether it answered true. */
static bool sql_true(const char *sql, const char *p1)
{
    const char *const params[] = {p1};
    struct pg_query q;
    pg_query_init(&q);
    bool yes = pg_query_run(&q, sql, 1, params) && pg_query_rows(&q) == 1 &&
               !strcmp(pg_query_value(&q, 0, 0), "t");
    pg_query_cleanup(&q);
    return yes;
}

static long long row_time(const char *id, const char *column_sql)
{
    char hex[2 * SEAL_SHA256_BYTES + 1], sql[256];

    cookie_hash_hex(id, hex);
    snprintf(sql, sizeof sql,
             "SELECT extract(epoch FROM %s)::bigint FROM gatehouse.sessions"
             " WHERE id_hash = decode($1, 'hex')",
             column_sql);
    return number(sql, hex, NULL);
}

/* ---- without a server --------------------------------------------------- */

static void test_without_server(void)
{
    static const char *const malformed[] = {
        "",
        "abc",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padding */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* base64, not base64url */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* loose trailing bits */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3\xa9",
        "' OR 1=1 --AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    const char *valid = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char id[SESS_ID_LEN + 1], *huge, err[ERR_MAX];
    struct sess_session s;
    struct sess_new n = new_session("sub-no-server", false);
    struct users_user u;
    bool all = true;

    /* pg_init_worker has not run: any statement would be "unavailable". */
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        if (sess_load(malformed[i], 1, T0, &arena, &s) != STORE_NOT_FOUND ||
            sess_delete(malformed[i], 1) != STORE_NOT_FOUND) {
            printf("  malformed cookie %zu\n", i);
            all = false;
        }
    }
    test_cond("malformed cookies are not found, without the database", all);
    test_cond("NULL cookie is not found", sess_load(NULL, 1, T0, &arena, &s) == STORE_NOT_FOUND);
    huge = malloc(HUGE_COOKIE + 1);
    memset(huge, 'A', HUGE_COOKIE);
    huge[HUGE_COOKIE] = '\0';
    test_cond("a megabyte cookie is not found", sess_load(huge, 1, T0, &arena, &s) == STORE_NOT_FOUND);
    free(huge);
    test_cond("a well-formed cookie does reach for the database",
              sess_load(valid, 1, T0, &arena, &s) == STORE_UNAVAILABLE);

    n.tenant_id = 1;
    test_cond("refresh token without a key is refused before the database",
              sess_create(&n, T0, &arena, id, &s) == STORE_ERROR && id[0] == '\0');
    sess_init_worker(key);
    n.sub = "";
    test_cond("empty sub refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.sub = "sub";
    n.email = NULL;
    test_cond("missing email refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.email = "a@b.example";
    n.name = "bad\x01name";
    test_cond("control character refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.name = "bad\xff";
    test_cond("invalid UTF-8 refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.name = NULL;
    n.ngroups = SESSION_GROUPS_MAX + 1;
    test_cond("too many groups refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.ngroups = NGROUPS;
    n.tenant_id = 0;
    test_cond("no tenant refused", sess_create(&n, T0, &arena, id, &s) == STORE_ERROR);
    n.tenant_id = 1;
    test_cond("otherwise it reaches for the database",
              sess_create(&n, T0, &arena, id, &s) == STORE_UNAVAILABLE && id[0] == '\0');

    /* Now an unreachable server. */
    test_cond("init worker (unreachable)", pg_init_worker(UNREACHABLE, true, err, sizeof err));
    test_cond("PostgreSQL down: load is unavailable (503), not signed out",
              sess_load(valid, 1, T0, &arena, &s) == STORE_UNAVAILABLE);
    test_cond("PostgreSQL down: users are unavailable",
              users_get("default", "sub", &arena, &u) == STORE_UNAVAILABLE);
    pg_cleanup_worker();
    arena_reset(&arena);
}

/* ---- create and load ---------------------------------------------------- */

static void test_create_load(void)
{
    char id[SESS_ID_LEN + 1], id2[SESS_ID_LEN + 1], hex[2 * SEAL_SHA256_BYTES + 1];
    char token[TOKEN_MAX], small[8];
    struct sess_session s, l, s2;
    const char *refresh = "refresh-token-SECRET-value-0123456789";
    bool same_groups;

    test_cond("create", create_at("sub-create", false, T0, id, &s));
    test_cond("id is 43 base64url characters",
              strlen(id) == SESS_ID_LEN &&
                  strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
                      SESS_ID_LEN);
    test_cond("created session fields",
              s.tenant_id == tenant_default && is(s.sub, "sub-create") &&
                  is(s.email, "alice@example.com") && is(s.name, "Alice Liddell") &&
                  is(s.tier, "standard") && s.ngroups == NGROUPS && !s.remember &&
                  s.created_at == T0 && s.idle_expires_at == T0 + SESSION_IDLE_S &&
                  s.absolute_expires_at == T0 + SESSION_ABSOLUTE_S);
    test_cond("load", load_at(id, T0 + 1, &l) == STORE_OK);
    same_groups = l.ngroups == NGROUPS;
    for (size_t i = 0; same_groups && i < NGROUPS; i++)
        same_groups = is(l.groups[i], groups[i]);
    test_cond("loaded groups round trip (commas, quotes, braces, UTF-8)", same_groups);
    test_cond("loaded fields",
              l.tenant_id == tenant_default && is(l.sub, "sub-create") &&
                  is(l.email, "alice@example.com") && is(l.name, "Alice Liddell") &&
                  is(l.tier, "standard") && is(l.attributes, "{\"custom:company\":\"Acme\"}") &&
                  l.access_expires_at == T0 + HOUR && !l.remember && l.created_at == T0 &&
                  l.absolute_expires_at == T0 + SESSION_ABSOLUTE_S);
    test_cond("loaded csrf secret is the created one",
              memcmp(l.csrf_secret, s.csrf_secret, sizeof s.csrf_secret) == 0);
    test_cond("the page load leaves the tokens out",
              !l.id_token && !l.access_token &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_NOT_FOUND);
    test_cond("the tokens load on demand",
              sess_load_tokens(&l, &arena) == STORE_OK && is(l.id_token, "id.token.value") &&
                  is(l.access_token, "access.token.value"));
    test_cond("refresh token opens",
              sess_refresh_token(&l, token, sizeof token) == STORE_OK && is(token, refresh));
    test_cond("refresh token that does not fit is an error, nothing written",
              sess_refresh_token(&l, small, sizeof small) == STORE_ERROR && small[0] == '\0');

    test_cond("second session", create_at("sub-create", false, T0, id2, &s2));
    test_cond("ids and csrf secrets differ",
              strcmp(id, id2) != 0 &&
                  memcmp(s.csrf_secret, s2.csrf_secret, sizeof s.csrf_secret) != 0);

    /* What the table holds. */
    cookie_hash_hex(id, hex);
    test_cond("row keyed by SHA-256 of the id",
              number("SELECT count(*) FROM gatehouse.sessions WHERE id_hash = decode($1, 'hex')",
                     hex, NULL) == 1);
    test_cond("the id appears nowhere in the row",
              number("SELECT count(*) FROM gatehouse.sessions s WHERE strpos(s::text, $1) > 0",
                     id, NULL) == 0);
    test_cond("the refresh token appears nowhere, as text or as hex",
              number("SELECT count(*) FROM gatehouse.sessions s WHERE strpos(s::text, $1) > 0"
                     " OR strpos(s::text, encode(convert_to($1, 'UTF8'), 'hex')) > 0",
                     refresh, NULL) == 0);
    test_cond("sealed refresh token is nonce + ciphertext + tag",
              number("SELECT octet_length(refresh_token_enc) FROM gatehouse.sessions"
                     " WHERE id_hash = decode($1, 'hex')",
                     hex, NULL) == (long long)(strlen(refresh) + SEAL_OVERHEAD));
    test_cond("user agent and client address stored",
              number("SELECT count(*) FROM gatehouse.sessions WHERE id_hash = decode($1, 'hex')"
                     " AND user_agent = 'Mozilla/5.0 (test)' AND client_addr = '127.0.0.1'",
                     hex, NULL) == 1);
    arena_reset(&arena);
}

static void test_headers_and_nulls(void)
{
    char id[SESS_ID_LEN + 1], hex[2 * SEAL_SHA256_BYTES + 1], long_ua[2048], token[TOKEN_MAX];
    struct sess_new n = new_session("sub-headers", false);
    struct sess_session s, l;

    n.user_agent = "bad \xff\xfe agent";
    n.client_addr = NULL;
    n.tokens.refresh_token = NULL;
    n.tokens.id_token = NULL;
    n.tokens.access_expires_at = 0;
    n.name = NULL;
    n.tier = NULL;
    n.groups = NULL;
    n.ngroups = 0;
    test_cond("a bad User-Agent never fails a login", sess_create(&n, T0, &arena, id, &s) == STORE_OK);
    cookie_hash_hex(id, hex);
    test_cond("bad User-Agent is not stored",
              number("SELECT count(*) FROM gatehouse.sessions WHERE id_hash = decode($1, 'hex')"
                     " AND user_agent IS NULL AND client_addr IS NULL",
                     hex, NULL) == 1);
    test_cond("absent values load as NULL, tier defaults to standard",
              load_tokens_at(id, T0 + 1, &l) == STORE_OK && l.name == NULL && l.id_token == NULL &&
                  l.access_expires_at == 0 && l.ngroups == 0 && is(l.tier, "standard"));
    test_cond("no refresh token: not found",
              sess_refresh_token(&l, token, sizeof token) == STORE_NOT_FOUND);

    /* 2047 bytes ending in a two-byte character cut in the middle at 512. */
    memset(long_ua, 'a', sizeof long_ua - 1);
    long_ua[sizeof long_ua - 1] = '\0';
    long_ua[511] = '\xc3';
    long_ua[512] = '\xa9';
    n.user_agent = long_ua;
    test_cond("long User-Agent", sess_create(&n, T0, &arena, id, &s) == STORE_OK);
    cookie_hash_hex(id, hex);
    test_cond("long User-Agent cut on a character boundary",
              number("SELECT octet_length(user_agent) FROM gatehouse.sessions"
                     " WHERE id_hash = decode($1, 'hex')",
                     hex, NULL) == 511);
    n.tier = "gold";
    test_cond("a tier the table refuses is an error",
              sess_create(&n, T0, &arena, id, &s) == STORE_ERROR && id[0] == '\0');
    arena_reset(&arena);
}

/* ---- lifetimes ---------------------------------------------------------- */

static void test_idle(void)
{
    char id[SESS_ID_LEN + 1], id2[SESS_ID_LEN + 1];
    struct sess_session s, l, first;
    time_t t;

    create_at("sub-idle", false, T0, id, &s);
    test_cond("idle: just before the deadline",
              load_at(id, T0 + SESSION_IDLE_S - 1, &first) == STORE_OK);
    create_at("sub-idle", false, T0, id2, &s);
    test_cond("idle: at the deadline it is gone", load_at(id2, T0 + SESSION_IDLE_S, &l) ==
                                                      STORE_NOT_FOUND);
    test_cond("idle: and after", load_at(id2, T0 + SESSION_IDLE_S + 1, &l) == STORE_NOT_FOUND);

    /* Sliding: the first load (T0 + IDLE - 1) moved the deadline. */
    t = T0 + SESSION_IDLE_S - 1;
    test_cond("sliding: deadline moved and written",
              first.last_seen_at == t && first.idle_expires_at == t + SESSION_IDLE_S &&
                  row_time(id, "last_seen_at") == t &&
                  row_time(id, "idle_expires_at") == t + SESSION_IDLE_S);
    test_cond("sliding: alive past the first deadline",
              load_at(id, T0 + SESSION_IDLE_S + 10, &l) == STORE_OK);
    test_cond("sliding: within a minute nothing is written",
              row_time(id, "last_seen_at") == t && l.last_seen_at == t &&
                  l.idle_expires_at == t + SESSION_IDLE_S);
    test_cond("sliding: a minute later it is written again",
              load_at(id, t + SESSION_TOUCH_S, &l) == STORE_OK &&
                  row_time(id, "last_seen_at") == t + SESSION_TOUCH_S &&
                  l.last_seen_at == t + SESSION_TOUCH_S &&
                  l.idle_expires_at == t + SESSION_TOUCH_S + SESSION_IDLE_S);
    t += SESSION_TOUCH_S;
    test_cond("sliding: idle after the slid deadline",
              load_at(id, t + SESSION_IDLE_S, &l) == STORE_NOT_FOUND);
    arena_reset(&arena);
}

static void test_absolute(void)
{
    const time_t step = SESSION_IDLE_S - SESSION_TOUCH_S;
    char id[SESS_ID_LEN + 1], hex[2 * SEAL_SHA256_BYTES + 1];
    struct sess_session s, l;
    bool alive = true, capped = true;
    time_t t;

    create_at("sub-absolute", false, T0, id, &s);
    for (t = T0 + step; t < T0 + SESSION_ABSOLUTE_S; t += step) {
        alive &= load_at(id, t, &l) == STORE_OK;
        capped &= l.idle_expires_at <= T0 + SESSION_ABSOLUTE_S;
    }
    test_cond("absolute: kept alive by activity all along", alive);
    test_cond("absolute: the idle deadline never passes the absolute one", capped);
    test_cond("absolute: alive a second before",
              load_at(id, T0 + SESSION_ABSOLUTE_S - 1, &l) == STORE_OK &&
                  l.idle_expires_at == T0 + SESSION_ABSOLUTE_S);
    test_cond("absolute: gone at the deadline despite activity",
              load_at(id, T0 + SESSION_ABSOLUTE_S, &l) == STORE_NOT_FOUND);

    /* The idle deadline is capped at the absolute one, so the check above
     * cannot tell whether the absolute deadline is checked at all. A row
     * whose idle deadline lies past it (a bug, a manual edit) must still
     * die at the absolute deadline. */
    create_at("sub-absolute", false, T0, id, &s);
    cookie_hash_hex(id, hex);
    test_cond("absolute: checked on its own",
              exec_sql("UPDATE gatehouse.sessions SET idle_expires_at = absolute_expires_at"
                       " + interval '1 day' WHERE id_hash = decode($1, 'hex')",
                       hex, NULL) &&
                  load_at(id, T0 + 1, &l) == STORE_OK && /* too soon to slide */
                  l.idle_expires_at > l.absolute_expires_at &&
                  load_at(id, T0 + SESSION_ABSOLUTE_S, &l) == STORE_NOT_FOUND);
    arena_reset(&arena);
}

static void test_remember(void)
{
    char id[SESS_ID_LEN + 1], id2[SESS_ID_LEN + 1], want[64];
    struct sess_session s, l, plain;
    struct cookie_attrs attrs;
    struct buf out;

    buf_init(&out);
    test_cond("remember: create", create_at("sub-remember", true, T0, id, &s) &&
                                      s.remember &&
                                      s.absolute_expires_at == T0 + SESSION_REMEMBER_S);
    test_cond("remember: alive after hours of idleness",
              load_at(id, T0 + 2 * HOUR, &l) == STORE_OK && l.remember);
    test_cond("remember: alive after 29 days", load_at(id, T0 + 29 * DAY, &l) == STORE_OK);
    test_cond("remember: gone at 30 days", load_at(id, T0 + SESSION_REMEMBER_S, &l) ==
                                               STORE_NOT_FOUND);

    browser_session_cookie(&attrs, SESS_COOKIE_NAME, id, &s, T0);
    snprintf(want, sizeof want, "; Max-Age=%ld;", (long)SESSION_REMEMBER_S);
    test_cond("remember: persistent cookie until the absolute deadline",
              cookie_format(&out, &attrs) == 0 && strncmp(out.data, SESS_COOKIE_NAME "=", strlen(SESS_COOKIE_NAME "=")) == 0 &&
                  strstr(out.data, id) && strstr(out.data, want) && strstr(out.data, "Expires=") &&
                  strstr(out.data, "; Secure") && strstr(out.data, "; HttpOnly") &&
                  strstr(out.data, "SameSite=Lax") && strstr(out.data, "Path=/"));
    buf_reset(&out);
    create_at("sub-remember", false, T0, id2, &plain);
    browser_session_cookie(&attrs, SESS_COOKIE_NAME, id2, &plain, T0);
    test_cond("otherwise a browser-session cookie",
              cookie_format(&out, &attrs) == 0 && strstr(out.data, id2) &&
                  !strstr(out.data, "Max-Age") && !strstr(out.data, "Expires"));
    buf_reset(&out);
    browser_session_cookie(&attrs, SESS_COOKIE_NAME, NULL, NULL, T0);
    test_cond("deleting cookie", cookie_format(&out, &attrs) == 0 &&
                                     strncmp(out.data, SESS_COOKIE_NAME "=;", strlen(SESS_COOKIE_NAME "=;")) == 0 &&
                                     strstr(out.data, "Max-Age=0"));
    buf_free(&out);
    arena_reset(&arena);
}

static void test_tenants(void)
{
    char id[SESS_ID_LEN + 1];
    struct sess_session s, l;

    create_at("sub-tenant", false, T0, id, &s);
    test_cond("another tenant cannot load it",
              sess_load(id, tenant_other, T0 + 1, &arena, &l) == STORE_NOT_FOUND);
    test_cond("nor delete it", sess_delete(id, tenant_other) == STORE_NOT_FOUND);
    test_cond("its own tenant still can", load_at(id, T0 + 1, &l) == STORE_OK);
    arena_reset(&arena);
}

/* ---- secrets ------------------------------------------------------------ */

static void test_tampering(void)
{
    char a[SESS_ID_LEN + 1], b[SESS_ID_LEN + 1], ha[2 * SEAL_SHA256_BYTES + 1];
    char hb[2 * SEAL_SHA256_BYTES + 1], token[TOKEN_MAX];
    struct sess_session s, l;

    create_at("sub-tamper", false, T0, a, &s);
    create_at("sub-tamper", false, T0, b, &s);
    cookie_hash_hex(a, ha);
    cookie_hash_hex(b, hb);

    test_cond("the id and access tokens are stored sealed, never in clear",
              sql_true("SELECT id_token_enc IS NOT NULL AND access_token_enc IS NOT NULL"
                       " AND position(convert_to('id.token.value', 'UTF8') in id_token_enc) = 0"
                       " AND position(convert_to('access.token.value', 'UTF8') in access_token_enc) = 0"
                       " FROM gatehouse.sessions WHERE id_hash = decode($1, 'hex')",
                       ha));
    sess_init_worker(other_key);
    test_cond("another key opens none of the tokens",
              load_tokens_at(a, T0 + 1, &l) == STORE_ERROR);
    sess_init_worker(key);

    test_cond("flip one ciphertext bit",
              exec_sql("UPDATE gatehouse.sessions SET refresh_token_enc ="
                       " set_byte(refresh_token_enc, 20, get_byte(refresh_token_enc, 20) # 1)"
                       " WHERE id_hash = decode($1, 'hex')",
                       ha, NULL));
    test_cond("tampered ciphertext fails to open",
              load_tokens_at(a, T0 + 1, &l) == STORE_OK &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_ERROR && token[0] == '\0');
    test_cond("the untouched session still opens",
              load_tokens_at(b, T0 + 1, &l) == STORE_OK &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_OK);
    test_cond("transplant b's ciphertext into a",
              exec_sql("UPDATE gatehouse.sessions SET refresh_token_enc ="
                       " (SELECT refresh_token_enc FROM gatehouse.sessions"
                       "  WHERE id_hash = decode($2, 'hex'))"
                       " WHERE id_hash = decode($1, 'hex')",
                       ha, hb));
    test_cond("a ciphertext moved to another session fails (associated data)",
              load_tokens_at(a, T0 + 1, &l) == STORE_OK &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_ERROR);
    arena_reset(&arena);
}

/* ---- updates ------------------------------------------------------------ */

static void test_update_tokens(void)
{
    char id[SESS_ID_LEN + 1], token[TOKEN_MAX];
    struct sess_session s, l;
    struct sess_tokens fresh = {.access_token = "access.2", .id_token = "id.2",
                                .attributes = "{}", .access_expires_at = T0 + 2 * HOUR};
    struct sess_tokens rotated = {.refresh_token = "refresh-2-ROTATED"};

    create_at("sub-tokens", false, T0, id, &s);
    test_cond("update tokens", sess_update_tokens(&s, &arena, &fresh) == STORE_OK &&
                                   is(s.access_token, "access.2") &&
                                   s.access_expires_at == T0 + 2 * HOUR);
    test_cond("stored tokens replaced, refresh kept",
              load_tokens_at(id, T0 + 1, &l) == STORE_OK && is(l.access_token, "access.2") &&
                  is(l.id_token, "id.2") && is(l.attributes, "{}") && l.access_expires_at == T0 + 2 * HOUR &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_OK &&
                  is(token, "refresh-token-SECRET-value-0123456789"));
    test_cond("rotate the refresh token", sess_update_tokens(&l, &arena, &rotated) == STORE_OK &&
                                              sess_refresh_token(&l, token, sizeof token) ==
                                                  STORE_OK &&
                                              is(token, "refresh-2-ROTATED"));
    test_cond("rotated token stored, access token kept",
              load_tokens_at(id, T0 + 2, &l) == STORE_OK && is(l.access_token, "access.2") &&
                  sess_refresh_token(&l, token, sizeof token) == STORE_OK &&
                  is(token, "refresh-2-ROTATED"));
    sess_delete(id, tenant_default);
    test_cond("update of a deleted session: not found",
              sess_update_tokens(&l, &arena, &fresh) == STORE_NOT_FOUND);
    test_cond("tokens of a deleted session: not found",
              sess_load_tokens(&l, &arena) == STORE_NOT_FOUND);
    arena_reset(&arena);
}

static void test_update_profile(void)
{
    static const char *const admin_only[] = {"admin"};
    char a[SESS_ID_LEN + 1], b[SESS_ID_LEN + 1], c[SESS_ID_LEN + 1];
    struct sess_session s, la, lb, lc;
    struct sess_profile premium = {.tier = "premium", .groups = admin_only, .ngroups = 1,
                                   .set_groups = true};
    struct sess_profile no_groups = {.name = "Alice L.", .set_groups = true};
    struct sess_profile gold = {.tier = "gold"};

    create_at("sub-profile", false, T0, a, &s);
    create_at("sub-profile", true, T0, b, &s);
    create_at("sub-profile-other", false, T0, c, &s);
    test_cond("profile update", sess_update_profile(tenant_default, "sub-profile", &premium) ==
                                    STORE_OK);
    test_cond("applies to every session of the user",
              load_at(a, T0 + 1, &la) == STORE_OK && load_at(b, T0 + 1, &lb) == STORE_OK &&
                  is(la.tier, "premium") && is(lb.tier, "premium") && la.ngroups == 1 &&
                  is(la.groups[0], "admin") && is(la.name, "Alice Liddell"));
    test_cond("and to no one else", load_at(c, T0 + 1, &lc) == STORE_OK &&
                                        is(lc.tier, "standard") && lc.ngroups == NGROUPS);
    test_cond("another tenant's update touches nothing",
              sess_update_profile(tenant_other, "sub-profile", &no_groups) == STORE_OK &&
                  load_at(a, T0 + 1, &la) == STORE_OK && is(la.name, "Alice Liddell"));
    test_cond("name set, groups cleared, tier kept",
              sess_update_profile(tenant_default, "sub-profile", &no_groups) == STORE_OK &&
                  load_at(a, T0 + 1, &la) == STORE_OK && is(la.name, "Alice L.") &&
                  la.ngroups == 0 && is(la.tier, "premium"));
    test_cond("a tier the table refuses", sess_update_profile(tenant_default, "sub-profile",
                                                              &gold) == STORE_ERROR);
    arena_reset(&arena);
}

/* ---- deletion ----------------------------------------------------------- */

static void test_delete(void)
{
    char a[SESS_ID_LEN + 1], b[SESS_ID_LEN + 1], c[SESS_ID_LEN + 1], v[SESS_ID_LEN + 1];
    struct sess_session sa, s, l;
    long long deleted = -1;

    create_at("sub-delete", false, T0, a, &sa);
    create_at("sub-delete", false, T0, b, &s);
    create_at("sub-delete", true, T0, c, &s);
    create_at("sub-delete-bystander", false, T0, v, &s);

    test_cond("delete the user's other sessions",
              sess_delete_user(tenant_default, "sub-delete", &sa, &deleted) == STORE_OK &&
                  deleted == 2);
    test_cond("the kept one survives", load_at(a, T0 + 1, &l) == STORE_OK);
    test_cond("the others are gone", load_at(b, T0 + 1, &l) == STORE_NOT_FOUND &&
                                         load_at(c, T0 + 1, &l) == STORE_NOT_FOUND);
    test_cond("another tenant deletes nothing",
              sess_delete_user(tenant_other, "sub-delete", NULL, &deleted) == STORE_OK &&
                  deleted == 0 && load_at(a, T0 + 1, &l) == STORE_OK);
    test_cond("logout", sess_delete(a, tenant_default) == STORE_OK);
    test_cond("after logout the cookie is worthless", load_at(a, T0 + 1, &l) == STORE_NOT_FOUND);
    test_cond("logout twice: not found", sess_delete(a, tenant_default) == STORE_NOT_FOUND);
    test_cond("bystander untouched", load_at(v, T0 + 1, &l) == STORE_OK);
    test_cond("delete all of a user",
              sess_delete_user(tenant_default, "sub-delete-bystander", NULL, &deleted) ==
                      STORE_OK &&
                  deleted == 1 && load_at(v, T0 + 1, &l) == STORE_NOT_FOUND);
    arena_reset(&arena);
}

static void test_sweep(void)
{
    char at[32], count[32], id[SESS_ID_LEN + 1];
    struct sess_session s, l;
    long long expired, deleted = -1, live_before;
    time_t sweep_at = T0 + SESSION_ABSOLUTE_S;

    create_at("sub-sweep", true, T0, id, &s); /* remember: outlives sweep_at */
    snprintf(at, sizeof at, "%ld", (long)T0);
    snprintf(count, sizeof count, "%d", MANY_SESSIONS);
    test_cond("many expired sessions",
              exec_sql("INSERT INTO gatehouse.sessions (id_hash, tenant_id, user_sub, email,"
                       " csrf_secret, idle_expires_at, absolute_expires_at)"
                       " SELECT sha256(('sweep' || i)::bytea), (SELECT id FROM gatehouse.tenants"
                       "  WHERE slug = 'default'), 'sub-bulk', 'bulk@example.com',"
                       "  sha256(('csrf' || i)::bytea), to_timestamp($1::bigint + 60),"
                       "  to_timestamp($1::bigint + 3600) FROM generate_series(1, $2::int) i",
                       at, count));
    snprintf(at, sizeof at, "%ld", (long)sweep_at);
    expired = number("SELECT count(*) FROM gatehouse.sessions WHERE idle_expires_at <="
                     " to_timestamp($1::bigint) OR absolute_expires_at <= to_timestamp($1::bigint)",
                     at, NULL);
    live_before = number("SELECT count(*) FROM gatehouse.sessions", NULL, NULL) - expired;
    test_cond("sweep deletes exactly the expired rows, in batches",
              expired > MANY_SESSIONS && sess_sweep(sweep_at, &deleted) == STORE_OK &&
                  deleted == expired &&
                  number("SELECT count(*) FROM gatehouse.sessions", NULL, NULL) == live_before);
    test_cond("a live session survives the sweep", load_at(id, sweep_at, &l) == STORE_OK);
    arena_reset(&arena);
}

/* ---- users -------------------------------------------------------------- */

static void test_users(void)
{
    struct users_user alice = {.sub = "u-1", .email = "Alice@Example.COM", .name = "Alice",
                               .status = "CONFIRMED", .enabled = true};
    struct users_user change = {.sub = "u-1", .email = "alice@example.com", .tier = "premium",
                                .status = "RESET_REQUIRED", .enabled = false};
    struct users_user reborn = {.sub = "u-2", .email = "ALICE@example.com", .enabled = true};
    struct users_user u;
    const char *old = NULL;

    test_cond("upsert new", users_upsert("default", &alice, T0, USERS_MERGE) == STORE_OK);
    test_cond("get", users_get("default", "u-1", &arena, &u) == STORE_OK && is(u.sub, "u-1") &&
                         is(u.email, "alice@example.com") && is(u.name, "Alice") &&
                         is(u.tier, "standard") && is(u.status, "CONFIRMED") && u.enabled &&
                         u.created_at == T0 && u.updated_at == T0 && u.synced_at == T0 &&
                         u.last_login_at == 0);
    test_cond("get by email ignores ASCII case",
              users_get_by_email("default", "ALICE@example.com", &arena, &u) == STORE_OK &&
                  is(u.sub, "u-1"));
    test_cond("upsert existing", users_upsert("default", &change, T0 + 10, USERS_MERGE) == STORE_OK);
    test_cond("updated, name kept, created kept",
              users_get("default", "u-1", &arena, &u) == STORE_OK && is(u.name, "Alice") &&
                  is(u.tier, "premium") && is(u.status, "RESET_REQUIRED") && !u.enabled &&
                  u.created_at == T0 && u.updated_at == T0 + 10 && u.synced_at == T0 + 10);
    test_cond("set tier returns the old one",
              users_set_tier("default", "u-1", "standard", T0 + 20, &arena, &old) == STORE_OK &&
                  is(old, "premium"));
    test_cond("tier stored", users_get("default", "u-1", &arena, &u) == STORE_OK &&
                                 is(u.tier, "standard") && u.updated_at == T0 + 20);
    test_cond("set tier of nobody", users_set_tier("default", "u-none", "premium", T0, &arena,
                                                   &old) == STORE_NOT_FOUND &&
                                        old == NULL);
    test_cond("set a tier the table refuses",
              users_set_tier("default", "u-1", "gold", T0, &arena, NULL) == STORE_ERROR);
    test_cond("touch login", users_touch_login("default", "u-1", T0 + 30) == STORE_OK &&
                                 users_get("default", "u-1", &arena, &u) == STORE_OK &&
                                 u.last_login_at == T0 + 30);
    test_cond("touch login of nobody", users_touch_login("default", "u-none", T0) ==
                                           STORE_NOT_FOUND);
    test_cond("unknown sub and email", users_get("default", "u-none", &arena, &u) ==
                                               STORE_NOT_FOUND &&
                                           u.sub == NULL &&
                                           users_get_by_email("default", "x@example.com", &arena,
                                                              &u) == STORE_NOT_FOUND);
    test_cond("a re-created user takes over the email",
              users_upsert("default", &reborn, T0 + 40, USERS_MERGE) == STORE_OK &&
                  users_get("default", "u-1", &arena, &u) == STORE_NOT_FOUND &&
                  users_get_by_email("default", "alice@example.com", &arena, &u) == STORE_OK &&
                  is(u.sub, "u-2"));
    test_cond("another tenant does not see them",
              users_get("other", "u-2", &arena, &u) == STORE_NOT_FOUND &&
                  users_get_by_email("other", "alice@example.com", &arena, &u) ==
                      STORE_NOT_FOUND);
    test_cond("a hostile slug is an error",
              users_get("x\"; DROP SCHEMA t_default; --", "u-2", &arena, &u) == STORE_ERROR &&
                  users_get("default", "u-2", &arena, &u) == STORE_OK);
    test_cond("a tenant with no schema is an error",
              users_get("nosuchtenant", "u-2", &arena, &u) == STORE_ERROR);
    alice.email = "";
    test_cond("upsert without email refused", users_upsert("default", &alice, T0, USERS_MERGE) == STORE_ERROR);
    /* The stale-email DELETE and the INSERT are one transaction: when the
     * INSERT fails, the row the DELETE removed is back. */
    alice.sub = "u-3";
    alice.email = "alice@example.com";
    alice.tier = "gold";
    test_cond("upsert with a refused tier rolls back entirely",
              users_upsert("default", &alice, T0, USERS_MERGE) == STORE_ERROR &&
                  users_get("default", "u-3", &arena, &u) == STORE_NOT_FOUND &&
                  users_get_by_email("default", "alice@example.com", &arena, &u) == STORE_OK &&
                  is(u.sub, "u-2"));

    /* An admin's changes (svc/adminuser): enabled and status, the name. */
    test_cond("set account: disabled, status kept",
              users_set_account("default", "u-2", false, NULL, T0 + 50) == STORE_OK &&
                  users_get("default", "u-2", &arena, &u) == STORE_OK && !u.enabled &&
                  u.status == NULL && u.updated_at == T0 + 50);
    test_cond("set account: enabled, status given",
              users_set_account("default", "u-2", true, "RESET_REQUIRED", T0 + 51) == STORE_OK &&
                  users_get("default", "u-2", &arena, &u) == STORE_OK && u.enabled &&
                  is(u.status, "RESET_REQUIRED"));
    test_cond("set account of nobody", users_set_account("default", "u-none", true, NULL, T0) ==
                                           STORE_NOT_FOUND);
    test_cond("set name", users_set_name("default", "u-2", "Alice B", T0 + 52) == STORE_OK &&
                              users_get("default", "u-2", &arena, &u) == STORE_OK &&
                              is(u.name, "Alice B") && u.updated_at == T0 + 52);
    test_cond("set no name refused", users_set_name("default", "u-2", "", T0) == STORE_ERROR);
    test_cond("set name of nobody",
              users_set_name("default", "u-none", "X", T0) == STORE_NOT_FOUND);
    test_cond("a deleted row is no account to change",
              users_mark_deleted("default", "u-2", T0 + 53) == STORE_OK &&
                  users_set_account("default", "u-2", true, NULL, T0 + 54) == STORE_NOT_FOUND &&
                  users_set_name("default", "u-2", "Y", T0 + 54) == STORE_NOT_FOUND);
    test_cond("another tenant's user is not changed",
              users_set_account("other", "u-2", true, NULL, T0) == STORE_NOT_FOUND);
    arena_reset(&arena);
}

/* ---- main --------------------------------------------------------------- */

/* The ids of the scratch database's tenants "default" and "other". */
static bool find_tenants(void)
{
    tenant_default = number("SELECT id FROM gatehouse.tenants WHERE slug = 'default'", NULL, NULL);
    tenant_other = number("SELECT id FROM gatehouse.tenants WHERE slug = 'other'", NULL, NULL);
    test_cond("tenants", tenant_default > 0 && tenant_other > 0 && tenant_other != tenant_default);
    return tenant_default > 0 && tenant_other > 0;
}

int main(void)
{
    struct scratch_db db;

    arena_init(&arena);
    test_without_server();
    if (scratch_db_open(&db, "sessions") && find_tenants()) {
        test_create_load();
        test_headers_and_nulls();
        test_idle();
        test_absolute();
        test_remember();
        test_tenants();
        test_tampering();
        test_update_tokens();
        test_update_profile();
        test_delete();
        test_sweep();
        test_users();
    }
    scratch_db_close(&db);
    sess_cleanup_worker();
    arena_free(&arena);
    return test_report();
}
