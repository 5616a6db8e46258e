/* SPDX-License-Identifier: MIT */
/* csrf: cross-site request forgery defences for browser forms (see csrf.h).
 *
 * Two independent checks guard a POST. First the Origin header (or, without
 * it, the Referer) must name https and exactly the host the request was sent
 * to: a browser always sends Origin on a cross-site POST, and a page on
 * another site cannot forge it. Second a token in the form: signed in, it is
 * HMAC(SESSION_KEY, "csrf" || session's secret), so it lives as long as the
 * session and never reveals the secret; before login (the login and sign-up
 * forms) it is HMAC(SESSION_KEY, "csrf-anon" || cookie) for a random value in
 * the __Host-gh_csrf cookie. The labels keep the two kinds, and any other
 * HMAC made with SESSION_KEY, from ever standing in for each other; since
 * anyone can choose the cookie value they send, only 43 canonical base64url
 * characters are accepted as one. The __Host- prefix stops a sibling
 * subdomain from planting that cookie, and the signature stops a planted
 * value from being paired with a token the attacker made up.
 *
 * Tokens are deterministic for a given session or cookie, so a page can be
 * rendered any number of times, in any tab. Comparisons take constant time.
 * Ownership: no allocation; callers own every buffer. The key copy is set by
 * csrf_init_worker before threads start; without it every check fails. */
#include "http/csrf.h"

#include <string.h>
#include <strings.h>

#include "http/cookies.h"

#define SESSION_LABEL "csrf"
#define ANON_LABEL "csrf-anon"
#define HTTPS_PREFIX "https://"
#define DEFAULT_PORT_SUFFIX ":443"
#define LABEL_MAX (sizeof ANON_LABEL) /* the longer label, with room to spare */

static unsigned char csrf_key[SEAL_KEY_BYTES];
static bool key_ready;

/* ---- tokens ------------------------------------------------------------- */

/* token = base64url(HMAC(key, label || data)). */
static void make_token(const char *label, const void *data, size_t len,
                       char token[CSRF_TOKEN_LEN + 1])
{
    unsigned char msg[LABEL_MAX + CSRF_SECRET_MAX + CSRF_COOKIE_LEN];
    unsigned char mac[SEAL_SHA256_BYTES];
    size_t label_len = strlen(label);

    memcpy(msg, label, label_len);
    memcpy(msg + label_len, data, len);
    seal_hmac_sha256(csrf_key, sizeof csrf_key, msg, label_len + len, mac);
    seal_b64url_encode(mac, sizeof mac, token, CSRF_TOKEN_LEN + 1);
    seal_wipe(msg, sizeof msg);
}

/* A cookie value we could have issued: 43 canonical base64url characters. */
static bool cookie_valid(const char *cookie)
{
    unsigned char raw[CSRF_COOKIE_BYTES];
    size_t n = 0;

    return cookie && strnlen(cookie, CSRF_COOKIE_LEN + 1) == CSRF_COOKIE_LEN &&
           seal_b64url_decode(cookie, CSRF_COOKIE_LEN, raw, sizeof raw, &n) &&
           n == sizeof raw;
}

/* Keeps a copy of SESSION_KEY. Call it once per process before the threads
 * start; until then no token is made and every check fails. */
void csrf_init_worker(const unsigned char key[SEAL_KEY_BYTES])
{
    memcpy(csrf_key, key, SEAL_KEY_BYTES);
    key_ready = true;
}

/* Wipes the key copy; tokens and checks then fail again. */
void csrf_cleanup_worker(void)
{
    seal_wipe(csrf_key, sizeof csrf_key);
    key_ready = false;
}

/* Writes the form token of a session whose CSRF secret is the secret_len
 * (CSRF_SECRET_MIN..CSRF_SECRET_MAX) bytes at secret. The same secret always
 * gives the same token. Returns false, writing "", without a key or with a
 * secret of the wrong size. */
bool csrf_token_for_session(const unsigned char *secret, size_t secret_len,
                            char token[CSRF_TOKEN_LEN + 1])
{
    token[0] = '\0';
    if (!key_ready || !secret || secret_len < CSRF_SECRET_MIN ||
        secret_len > CSRF_SECRET_MAX)
        return false;
    make_token(SESSION_LABEL, secret, secret_len, token);
    return true;
}

/* Writes the form token for a visitor without a session. cookie is the
 * __Host-gh_csrf value the request carried (NULL when none). When it is one
 * we could have issued, the token is derived from it and new_cookie is "".
 * Otherwise a fresh value is drawn into new_cookie, which the caller must
 * send back (csrf_cookie + cookie_format), and the token belongs to it.
 * Returns false, writing "" to both, without a key or random bytes. */
bool csrf_token_for_anonymous(const char *cookie, char new_cookie[CSRF_COOKIE_LEN + 1],
                              char token[CSRF_TOKEN_LEN + 1])
{
    unsigned char raw[CSRF_COOKIE_BYTES];

    new_cookie[0] = '\0';
    token[0] = '\0';
    if (!key_ready)
        return false;
    if (cookie_valid(cookie)) {
        make_token(ANON_LABEL, cookie, CSRF_COOKIE_LEN, token);
        return true;
    }
    if (seal_random(raw, sizeof raw) != 0)
        return false;
    seal_b64url_encode(raw, sizeof raw, new_cookie, CSRF_COOKIE_LEN + 1);
    make_token(ANON_LABEL, new_cookie, CSRF_COOKIE_LEN, token);
    return true;
}

/* ---- checks ------------------------------------------------------------- */

/* Returns true when submitted (from the form; may be NULL) equals expected
 * (a token made here). The lengths are public; the bytes are compared in
 * constant time. */
bool csrf_check(const char *submitted, const char *expected)
{
    if (!submitted || !expected ||
        strnlen(submitted, CSRF_TOKEN_LEN + 1) != CSRF_TOKEN_LEN ||
        strnlen(expected, CSRF_TOKEN_LEN + 1) != CSRF_TOKEN_LEN)
        return false;
    return seal_equal(submitted, expected, CSRF_TOKEN_LEN);
}

/* The dispatcher's token guard for a form POST. submitted is the form's
 * CSRF_FIELD (may be NULL); session_secret the signed-in session's CSRF
 * secret (NULL when there is no session); anon_cookie the request's
 * __Host-gh_csrf value (may be NULL). Returns true when submitted is the
 * session's token or the anonymous token of that cookie: a form rendered
 * just before signing in stays valid after it. Without a key, false. */
bool csrf_request_ok(const char *submitted, const unsigned char *session_secret,
                     size_t secret_len, const char *anon_cookie)
{
    char expected[CSRF_TOKEN_LEN + 1];
    bool ok = false;

    if (!key_ready || !submitted)
        return false;
    if (session_secret && csrf_token_for_session(session_secret, secret_len, expected))
        ok |= csrf_check(submitted, expected);
    if (cookie_valid(anon_cookie)) {
        make_token(ANON_LABEL, anon_cookie, CSRF_COOKIE_LEN, expected);
        ok |= csrf_check(submitted, expected);
    }
    seal_wipe(expected, sizeof expected);
    return ok;
}

/* ---- Origin ------------------------------------------------------------- */

/* What a URL's authority may hold: a host name, an IPv4 or bracketed IPv6
 * literal, and a port. Anything else (userinfo, percent escapes, spaces,
 * backslashes) is refused rather than interpreted. */
static bool authority_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
}

/* Drops an explicit ":443" (the https default) from the length of an
 * authority, so "example.com:443" and "example.com" compare equal. */
static size_t without_default_port(const char *s, size_t n)
{
    size_t suffix = strlen(DEFAULT_PORT_SUFFIX);

    if (n > suffix && strncmp(s + n - suffix, DEFAULT_PORT_SUFFIX, suffix) == 0)
        return n - suffix;
    return n;
}

/* True when url is https://<authority> with an authority equal to host's,
 * followed by nothing (origin_form) or by a path, query or fragment. */
static bool same_origin(const char *url, bool origin_form, const char *host)
{
    size_t prefix = strlen(HTTPS_PREFIX), n, host_len;
    const char *authority;

    if (strncasecmp(url, HTTPS_PREFIX, prefix) != 0)
        return false;
    authority = url + prefix;
    n = strcspn(authority, "/?#");
    if (n == 0 || (origin_form && authority[n] != '\0'))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!authority_char(authority[i]))
            return false;
    }
    host_len = strlen(host);
    n = without_default_port(authority, n);
    host_len = without_default_port(host, host_len);
    return n == host_len && strncasecmp(authority, host, n) == 0;
}

/* The dispatcher's origin guard for a state-changing request. origin and
 * referer are the request's headers (NULL when absent), host its Host header
 * (host[:port], as the browser sent it). Origin, when present, decides
 * alone and must be exactly https://host[:port]; without Origin the Referer
 * must be an https URL on the same host[:port]; with neither (or no Host)
 * the answer is false: browsers send Origin on every POST, so its absence
 * means something is off. "null" origins (sandboxed frames, some cross-site
 * redirects) are refused. */
bool csrf_origin_ok(const char *origin, const char *referer, const char *host)
{
    if (!host || !*host)
        return false;
    if (origin)
        return same_origin(origin, true, host);
    if (referer)
        return same_origin(referer, false, host);
    return false;
}

/* Fills *c for cookie_format: the __Host-gh_csrf cookie holding value (a
 * new_cookie from csrf_token_for_anonymous). Secure, HttpOnly (scripts never
 * need it: the token travels in the page), SameSite=Lax, Path=/, and a
 * browser-session lifetime. */
void csrf_cookie(struct cookie_attrs *c, const char *value)
{
    memset(c, 0, sizeof *c);
    c->name = CSRF_COOKIE_NAME;
    c->value = value;
    c->path = "/";
    c->secure = true;
    c->http_only = true;
    c->same_site = COOKIE_SAMESITE_LAX;
}
