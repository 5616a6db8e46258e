/* SPDX-License-Identifier: MIT */
/* fuzz_csrf: libFuzzer target for the CSRF guards and the base64url decoder
 * they rest on.
 *
 * Input: a flags byte, then up to three '\n'-separated fields (origin,
 * referer, host); flag bits make the origin or referer absent. Checked:
 * csrf_origin_ok accepts only https URLs without userinfo whose authority is
 * the host's, and always accepts "https://" + host for a plain host (and
 * never "http://" + host or a longer authority); seal_b64url_decode accepts
 * only canonical text (decode then encode gives the input back); the
 * anonymous token maker always yields 43-character base64url values and a
 * token the guard accepts with that cookie; and the guard never accepts a
 * token other than the ones the token makers produce for the same inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/seal.h"
#include "http/csrf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert, never compiled out. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond,         \
                    __FILE__, __LINE__);                                     \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define FLAG_NO_ORIGIN 0x01
#define FLAG_NO_REFERER 0x02
#define FIELDS 3
#define HTTPS "https://"
#define DECODE_MAX 4096

static const unsigned char key[SEAL_KEY_BYTES] = "fuzz-key-fuzz-key-fuzz-key-fuzz";
static struct arena arena;
static bool initialised;

static bool plain_host(const char *h)
{
    if (!*h)
        return false;
    for (; *h; h++) {
        char c = *h;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return false;
    }
    return true;
}

static char *concat(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = arena_alloc(&arena, n);
    snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static void check_origin(const char *origin, const char *referer, const char *host)
{
    bool ok = csrf_origin_ok(origin, referer, host);
    const char *used = origin ? origin : referer;

    CHECK(ok == csrf_origin_ok(origin, referer, host)); /* no hidden state */
    if (ok) {
        size_t authority;
        CHECK(used && host && *host);
        CHECK(strncasecmp(used, HTTPS, strlen(HTTPS)) == 0);
        authority = strcspn(used + strlen(HTTPS), "/?#");
        CHECK(authority > 0);
        CHECK(!memchr(used + strlen(HTTPS), '@', authority));
        CHECK(!origin || used[strlen(HTTPS) + authority] == '\0');
    }
    if (host && plain_host(host)) {
        CHECK(csrf_origin_ok(concat(HTTPS, host, ""), NULL, host));
        CHECK(csrf_origin_ok(NULL, concat(HTTPS, host, "/path?q#f"), host));
        CHECK(!csrf_origin_ok(concat("http://", host, ""), NULL, host));
        CHECK(!csrf_origin_ok(concat(HTTPS, host, "x"), NULL, host));
        CHECK(!csrf_origin_ok(concat(HTTPS, "evil@", host), NULL, host));
    }
}

static void check_b64(const char *s, size_t len)
{
    unsigned char out[DECODE_MAX];
    size_t n = 0;

    if (len > DECODE_MAX || !seal_b64url_decode(s, len, out, sizeof out, &n))
        return;
    char *back = arena_alloc(&arena, SEAL_B64URL_LEN(n) + 1);
    CHECK(seal_b64url_encode(out, n, back, SEAL_B64URL_LEN(n) + 1));
    CHECK(strlen(back) == len && memcmp(back, s, len) == 0);
}

static void check_tokens(const char *submitted, const uint8_t *data, size_t size,
                         const char *cookie)
{
    char new_cookie[CSRF_COOKIE_LEN + 1], token[CSRF_TOKEN_LEN + 1];
    char session_token[CSRF_TOKEN_LEN + 1], anon_token[CSRF_TOKEN_LEN + 1], unused[64];
    const unsigned char *secret = size >= CSRF_SECRET_MIN ? data : NULL;
    size_t secret_len = size > CSRF_SECRET_MAX ? CSRF_SECRET_MAX : size;
    const char *effective;

    CHECK(csrf_token_for_anonymous(cookie, new_cookie, token));
    CHECK(strlen(token) == CSRF_TOKEN_LEN);
    CHECK(new_cookie[0] == '\0' || strlen(new_cookie) == CSRF_COOKIE_LEN);
    CHECK(new_cookie[0] != '\0' || (cookie && strlen(cookie) == CSRF_COOKIE_LEN));
    effective = new_cookie[0] ? new_cookie : cookie;
    CHECK(csrf_request_ok(token, NULL, 0, effective));
    CHECK(csrf_check(token, token));

    if (csrf_request_ok(submitted, secret, secret_len, cookie)) {
        bool by_session = secret && csrf_token_for_session(secret, secret_len, session_token) &&
                          strcmp(submitted, session_token) == 0;
        bool by_cookie = new_cookie[0] == '\0' &&
                         csrf_token_for_anonymous(cookie, unused, anon_token) &&
                         strcmp(submitted, anon_token) == 0;
        CHECK(by_session || by_cookie);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[FIELDS] = {NULL, NULL, NULL};
    uint8_t flags;
    char *text;

    if (!initialised) {
        arena_init(&arena);
        csrf_init_worker(key);
        initialised = true;
    }
    if (size == 0)
        return 0;
    flags = data[0];
    text = arena_strndup(&arena, (const char *)data + 1, size - 1);
    for (int i = 0; i < FIELDS; i++) {
        fields[i] = text;
        if (i + 1 < FIELDS && text) {
            char *nl = strchr(text, '\n');
            if (nl)
                *nl = '\0';
            text = nl ? nl + 1 : NULL;
        }
    }
    check_origin((flags & FLAG_NO_ORIGIN) ? NULL : fields[0],
                 (flags & FLAG_NO_REFERER) ? NULL : fields[1], fields[2]);
    check_b64((const char *)data + 1, strnlen((const char *)data + 1, size - 1));
    check_tokens(fields[0], data + 1, size - 1, fields[1]);
    arena_reset(&arena);
    return 0;
}
