/* SPDX-License-Identifier: MIT */
/* csrf: form tokens and the Origin check that guard every browser POST.
 * Signed in, a token is an HMAC of the session's CSRF secret; before that it
 * is an HMAC of a random __Host-gh_csrf cookie (signed double submit). Both
 * are keyed by SESSION_KEY and compared in constant time. The dispatcher runs
 * csrf_origin_ok and csrf_request_ok before a POST handler. See csrf.c. */
#ifndef GH_CSRF_H
#define GH_CSRF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/seal.h"

struct cookie_attrs;

#define CSRF_COOKIE_NAME "__Host-gh_csrf"
#define CSRF_FIELD "csrf" /* the hidden form field carrying the token */
#define CSRF_COOKIE_BYTES 32
#define CSRF_COOKIE_LEN SEAL_B64URL_LEN(CSRF_COOKIE_BYTES) /* 43 */
#define CSRF_TOKEN_LEN SEAL_B64URL_LEN(SEAL_SHA256_BYTES)  /* 43 */
#define CSRF_SECRET_MIN 16 /* bytes of a session's CSRF secret */
#define CSRF_SECRET_MAX 64

void csrf_init_worker(const unsigned char key[SEAL_KEY_BYTES]);
void csrf_cleanup_worker(void);

/* Token makers: false (and "" written) without a key or random bytes. */
bool csrf_token_for_session(const unsigned char *secret, size_t secret_len,
                            char token[CSRF_TOKEN_LEN + 1]);
bool csrf_token_for_anonymous(const char *cookie, char new_cookie[CSRF_COOKIE_LEN + 1],
                              char token[CSRF_TOKEN_LEN + 1]);

bool csrf_check(const char *submitted, const char *expected);
bool csrf_request_ok(const char *submitted, const unsigned char *session_secret,
                     size_t secret_len, const char *anon_cookie);
bool csrf_origin_ok(const char *origin, const char *referer, const char *host);

void csrf_cookie(struct cookie_attrs *c, const char *value);

#endif
