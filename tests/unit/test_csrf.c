/* SPDX-License-Identifier: MIT */
/* test_csrf: session and anonymous tokens (recomputed here with OpenSSL's
 * HMAC directly, so the construction itself is checked), cookie validation,
 * the constant-time check and the request guard, refusal of everything
 * before a key is set, the Origin/Referer rules over a table of same-site
 * and cross-site cases, and the __Host-gh_csrf cookie as cookie_format
 * writes it. Needs no server. */
#include "http/csrf.c"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/buf.h"
#include "test.h"

#define B64_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define SECRET_BYTES 32
#define MSG_MAX 256

static const unsigned char key[SEAL_KEY_BYTES] = "0123456789abcdef0123456789abcde";

/* base64url(HMAC-SHA-256(key, label || data)) made without csrf.c. */
static void expected_token(const char *label, const void *data, size_t len, char *out)
{
    unsigned char msg[MSG_MAX], mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    size_t label_len = strlen(label);

    memcpy(msg, label, label_len);
    memcpy(msg + label_len, data, len);
    HMAC(EVP_sha256(), key, sizeof key, msg, label_len + len, mac, &mac_len);
    seal_b64url_encode(mac, mac_len, out, CSRF_TOKEN_LEN + 1);
}

static bool is_b64url(const char *s, size_t len)
{
    return strlen(s) == len && strspn(s, B64_CHARS) == len;
}

/* ---- before the key ----------------------------------------------------- */

static void test_without_key(void)
{
    unsigned char secret[SECRET_BYTES] = {1};
    char token[CSRF_TOKEN_LEN + 1] = "x", cookie[CSRF_COOKIE_LEN + 1] = "x";

    test_cond("no session token without a key",
              !csrf_token_for_session(secret, sizeof secret, token) && token[0] == '\0');
    test_cond("no anonymous token without a key",
              !csrf_token_for_anonymous(NULL, cookie, token) && token[0] == '\0' &&
                  cookie[0] == '\0');
    /* A token made under the all-zero key the static starts with must not
     * pass: an uninitialised worker fails closed. */
    memset(csrf_key, 0, sizeof csrf_key);
    make_token(SESSION_LABEL, secret, sizeof secret, token);
    test_cond("the guard refuses everything without a key",
              !csrf_request_ok(token, secret, sizeof secret, NULL));
}

/* ---- tokens ------------------------------------------------------------- */

static void test_session_tokens(void)
{
    unsigned char a[SECRET_BYTES], b[SECRET_BYTES];
    char ta[CSRF_TOKEN_LEN + 1], ta2[CSRF_TOKEN_LEN + 1], tb[CSRF_TOKEN_LEN + 1];
    char want[CSRF_TOKEN_LEN + 1];

    seal_random(a, sizeof a);
    memcpy(b, a, sizeof b);
    b[SECRET_BYTES - 1] ^= 1;
    test_cond("session token made", csrf_token_for_session(a, sizeof a, ta) &&
                                        is_b64url(ta, CSRF_TOKEN_LEN));
    expected_token("csrf", a, sizeof a, want);
    test_cond("session token is base64url(HMAC(key, \"csrf\" || secret))",
              strcmp(ta, want) == 0);
    test_cond("same secret, same token",
              csrf_token_for_session(a, sizeof a, ta2) && strcmp(ta, ta2) == 0);
    test_cond("one bit of secret changes the token",
              csrf_token_for_session(b, sizeof b, tb) && strcmp(ta, tb) != 0);
    test_cond("secret too short or too long is refused",
              !csrf_token_for_session(a, CSRF_SECRET_MIN - 1, tb) && tb[0] == '\0' &&
                  !csrf_token_for_session(a, CSRF_SECRET_MAX + 1, tb) &&
                  !csrf_token_for_session(NULL, sizeof a, tb));
}

static void test_anonymous_tokens(void)
{
    char cookie[CSRF_COOKIE_LEN + 1], again[CSRF_COOKIE_LEN + 1], other[CSRF_COOKIE_LEN + 1];
    char token[CSRF_TOKEN_LEN + 1], token2[CSRF_TOKEN_LEN + 1], want[CSRF_TOKEN_LEN + 1];
    static const char *const bad_cookies[] = {
        "",
        "short",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padded */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",    /* 42 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* 44 */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",   /* wrong alphabet */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",   /* loose trailing bits */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\xc3", /* not ASCII */
    };
    bool all_replaced = true;

    test_cond("no cookie: a new one is issued",
              csrf_token_for_anonymous(NULL, cookie, token) &&
                  is_b64url(cookie, CSRF_COOKIE_LEN) && is_b64url(token, CSRF_TOKEN_LEN));
    expected_token("csrf-anon", cookie, strlen(cookie), want);
    test_cond("anonymous token is base64url(HMAC(key, \"csrf-anon\" || cookie))",
              strcmp(token, want) == 0);
    test_cond("its own cookie back: same token, nothing new to set",
              csrf_token_for_anonymous(cookie, again, token2) && again[0] == '\0' &&
                  strcmp(token, token2) == 0);
    test_cond("a second visitor gets another cookie and token",
              csrf_token_for_anonymous(NULL, other, token2) && strcmp(other, cookie) != 0 &&
                  strcmp(token2, token) != 0);
    for (size_t i = 0; i < sizeof bad_cookies / sizeof bad_cookies[0]; i++) {
        if (!csrf_token_for_anonymous(bad_cookies[i], again, token2) ||
            !is_b64url(again, CSRF_COOKIE_LEN) || strcmp(again, bad_cookies[i]) == 0) {
            printf("  bad cookie %zu kept\n", i);
            all_replaced = false;
        }
    }
    test_cond("malformed cookies are replaced, never signed", all_replaced);
    /* A cookie of 43 valid characters is accepted whoever made it: the
     * HMAC, not the value, is what an attacker cannot produce. */
    test_cond("any canonical 43-character value is kept",
              csrf_token_for_anonymous("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", again,
                                       token2) &&
                  again[0] == '\0');
}

/* ---- checks ------------------------------------------------------------- */

static void test_check(void)
{
    unsigned char secret[SECRET_BYTES], other_secret[SECRET_BYTES];
    char st[CSRF_TOKEN_LEN + 1], at[CSRF_TOKEN_LEN + 1], other_at[CSRF_TOKEN_LEN + 1];
    char cookie[CSRF_COOKIE_LEN + 1], other_cookie[CSRF_COOKIE_LEN + 1];
    char tampered[CSRF_TOKEN_LEN + 1], longer[CSRF_TOKEN_LEN + 2];

    seal_random(secret, sizeof secret);
    seal_random(other_secret, sizeof other_secret);
    csrf_token_for_session(secret, sizeof secret, st);
    csrf_token_for_anonymous(NULL, cookie, at);
    csrf_token_for_anonymous(NULL, other_cookie, other_at);

    test_cond("check: equal", csrf_check(st, st));
    memcpy(tampered, st, sizeof tampered);
    tampered[CSRF_TOKEN_LEN - 1] = tampered[CSRF_TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
    test_cond("check: last character differs", !csrf_check(tampered, st));
    memcpy(tampered, st, sizeof tampered);
    tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
    test_cond("check: first character differs", !csrf_check(tampered, st));
    test_cond("check: NULL or empty", !csrf_check(NULL, st) && !csrf_check("", st) &&
                                          !csrf_check(st, NULL) && !csrf_check("", ""));
    snprintf(longer, sizeof longer, "%sA", st);
    test_cond("check: prefix or extension", !csrf_check(longer, st) &&
                                                !csrf_check(st, longer));
    tampered[CSRF_TOKEN_LEN - 1] = '\0';
    test_cond("check: truncated", !csrf_check(tampered, st));

    test_cond("guard: session token", csrf_request_ok(st, secret, sizeof secret, NULL));
    test_cond("guard: session token of another session",
              !csrf_request_ok(st, other_secret, sizeof other_secret, NULL));
    test_cond("guard: anonymous token with its cookie", csrf_request_ok(at, NULL, 0, cookie));
    test_cond("guard: anonymous token with another cookie",
              !csrf_request_ok(at, NULL, 0, other_cookie));
    test_cond("guard: anonymous token without its cookie", !csrf_request_ok(at, NULL, 0, NULL));
    test_cond("guard: signed in, a form from just before login still passes",
              csrf_request_ok(at, secret, sizeof secret, cookie));
    test_cond("guard: signed in, a token of another cookie fails",
              !csrf_request_ok(other_at, secret, sizeof secret, cookie));
    test_cond("guard: the cookie value itself is not a token",
              !csrf_request_ok(cookie, NULL, 0, cookie));
    test_cond("guard: a session token is not an anonymous token (labels)",
              !csrf_request_ok(st, other_secret, sizeof other_secret, cookie));
    test_cond("guard: no token", !csrf_request_ok(NULL, secret, sizeof secret, cookie) &&
                                     !csrf_request_ok("", secret, sizeof secret, cookie));
    test_cond("guard: no session and no cookie", !csrf_request_ok(st, NULL, 0, NULL));
}

/* ---- Origin ------------------------------------------------------------- */

struct origin_case {
    const char *origin, *referer, *host;
    bool ok;
};

static const struct origin_case origin_cases[] = {
    /* same site */
    {"https://example.com", NULL, "example.com", true},
    {"https://EXAMPLE.com", NULL, "example.COM", true},
    {"https://localhost:8443", NULL, "localhost:8443", true},
    {"https://example.com:443", NULL, "example.com", true},
    {"https://example.com", NULL, "example.com:443", true},
    {"https://[::1]:8443", NULL, "[::1]:8443", true},
    {"HTTPS://example.com", NULL, "example.com", true},
    {"https://acme.gate.example", NULL, "acme.gate.example", true},
    {NULL, "https://example.com/login?next=%2F#top", "example.com", true},
    {NULL, "https://example.com", "example.com", true},
    {NULL, "https://localhost:8443/t/acme/signup", "localhost:8443", true},
    /* Origin decides alone when present */
    {"https://example.com", "https://evil.example/", "example.com", true},
    {"https://evil.example", "https://example.com/", "example.com", false},
    /* cross site, wrong scheme, wrong port */
    {"https://evil.example", NULL, "example.com", false},
    {"http://example.com", NULL, "example.com", false},
    {"https://example.com:8443", NULL, "example.com", false},
    {"https://example.com", NULL, "example.com:8443", false},
    {"https://example.com.evil.example", NULL, "example.com", false},
    {"https://evil-example.com", NULL, "example.com", false},
    {"https://sub.example.com", NULL, "example.com", false},
    {"https://example.co", NULL, "example.com", false},
    {"null", NULL, "example.com", false},
    {"", NULL, "example.com", false},
    {"", "https://example.com/", "example.com", false},
    {"https://", NULL, "example.com", false},
    /* an Origin is scheme://host[:port] and nothing more */
    {"https://example.com/", NULL, "example.com", false},
    {"https://example.com/path", NULL, "example.com", false},
    /* tricks in the authority */
    {"https://example.com@evil.example", NULL, "example.com", false},
    {"https://evil.example@example.com", NULL, "evil.example@example.com", false},
    {NULL, "https://example.com@evil.example/", "example.com", false},
    {NULL, "https://evil.example\\@example.com/", "example.com", false},
    {NULL, "https://example.com%2f@evil/", "example.com", false},
    {"https://exa mple.com", NULL, "exa mple.com", false},
    {"https://example.com\r\n", NULL, "example.com", false},
    /* Referer rules */
    {NULL, "http://example.com/", "example.com", false},
    {NULL, "https://evil.example/https://example.com/", "example.com", false},
    {NULL, "//example.com/", "example.com", false},
    {NULL, "/login", "example.com", false},
    {NULL, "https://example.com.evil.example/", "example.com", false},
    {NULL, "https:///example.com", "example.com", false},
    /* nothing to go on */
    {NULL, NULL, "example.com", false},
    {"https://example.com", NULL, NULL, false},
    {"https://example.com", NULL, "", false},
    {"https://", NULL, "", false},
};

static void test_origin(void)
{
    bool ok = true;

    for (size_t i = 0; i < sizeof origin_cases / sizeof origin_cases[0]; i++) {
        const struct origin_case *c = &origin_cases[i];
        if (csrf_origin_ok(c->origin, c->referer, c->host) != c->ok) {
            printf("  origin case %zu: origin=%s referer=%s host=%s want %d\n", i,
                   c->origin ? c->origin : "(null)", c->referer ? c->referer : "(null)",
                   c->host ? c->host : "(null)", c->ok);
            ok = false;
        }
    }
    test_cond("origin and referer table", ok);
}

/* ---- the cookie --------------------------------------------------------- */

static void test_cookie(void)
{
    char cookie[CSRF_COOKIE_LEN + 1], token[CSRF_TOKEN_LEN + 1], want[128];
    struct cookie_attrs attrs;
    struct buf out;

    buf_init(&out);
    csrf_token_for_anonymous(NULL, cookie, token);
    csrf_cookie(&attrs, cookie);
    test_cond("cookie_format accepts the CSRF cookie", cookie_format(&out, &attrs) == 0);
    snprintf(want, sizeof want, "__Host-gh_csrf=%s; Path=/; Secure; HttpOnly; SameSite=Lax",
             cookie);
    test_cond("CSRF cookie attributes", strcmp(buf_cstr(&out), want) == 0);
    if (strcmp(buf_cstr(&out), want) != 0)
        printf("  got: %s\n", buf_cstr(&out));
    buf_free(&out);
}

int main(void)
{
    test_without_key();
    csrf_init_worker(key);
    test_session_tokens();
    test_anonymous_tokens();
    test_check();
    test_origin();
    test_cookie();
    csrf_cleanup_worker();
    {
        unsigned char secret[SECRET_BYTES] = {0};
        char token[CSRF_TOKEN_LEN + 1];
        test_cond("after cleanup no token is made",
                  !csrf_token_for_session(secret, sizeof secret, token));
    }
    return test_report();
}
