/* SPDX-License-Identifier: MIT */
/* jwt: verification of Cognito ID and access tokens (RS256 only) against
 * the pool's JWKS, fetched over HTTPS into a process-wide, thread-safe cache
 * per issuer. Tokens are never logged. (libjwt's <jwt.h> is another file.) */
#ifndef GH_JWT_H
#define GH_JWT_H

#include <stddef.h>
#include <time.h>

struct json_object;

enum jwt_status {
    JWT_OK,
    JWT_MALFORMED,      /* not a compact JWS with JSON header and claims */
    JWT_BAD_ALG,        /* header alg is not exactly RS256 */
    JWT_UNKNOWN_KEY,    /* kid not in the issuer's JWKS, even after a refetch */
    JWT_BAD_SIGNATURE,  /* the RSA signature does not verify */
    JWT_WRONG_ISSUER,   /* iss is not the expected pool */
    JWT_WRONG_USE,      /* token_use is not the expected one */
    JWT_WRONG_AUDIENCE, /* aud (id) or client_id (access) is not our client */
    JWT_EXPIRED,        /* exp + JWT_CLOCK_SKEW_S has passed: refresh */
    JWT_NOT_YET_VALID,  /* iat or nbf lies beyond the skew in the future */
    JWT_TOO_LONG,       /* exp lies more than JWT_LIFETIME_MAX_S after iat */
    JWT_UNAVAILABLE,    /* the JWKS could not be fetched */
};

enum jwt_use { JWT_USE_ID, JWT_USE_ACCESS };

struct jwt_expect {
    const char *issuer;    /* the iss the token must carry (jwt_pool_url) */
    const char *client_id; /* the app client the token must be issued to */
    enum jwt_use use;
    /* where the issuer's keys are (jwt_pool_url); NULL: the issuer's
     * /.well-known/jwks.json. Keys are cached per issuer and URL. */
    const char *jwks_url;
};

/* jwt_pool_url fills in the template tmpl (COGNITO_ISSUER, COGNITO_JWKS_URL:
 * an http(s) URL) for one user pool: each {region} becomes region and each
 * {pool} pool_id. It returns 0, or -1 when tmpl is not an http(s) URL of
 * printable ASCII without spaces, when
 * pool_id (or region, if tmpl uses it) is empty, longer than POOL_ID_MAX
 * (REGION_NAME_MAX) or holds a character a pool id (region) cannot, or when
 * the result does not fit in outlen bytes. */
int jwt_pool_url(char *out, size_t outlen, const char *tmpl, const char *region,
                 const char *pool_id);

/* jwt_jwks_probe fetches the JWKS at url now, around the cache, and returns
 * how many usable RS256 keys it holds (at least 1); 0 when an answer came
 * but holds none, or is an error status below 500 (the URL is wrong); -1
 * when no answer came or a 5xx one (unreachable for now). Below 1, err gets
 * the reason. For check-config; it may block up to the HTTP timeout. */
int jwt_jwks_probe(const char *url, char *err, size_t errlen);

/* jwt_verify checks token (NUL-terminated) against expect at time now and
 * returns JWT_OK or the first reason it fails. On JWT_OK *claims receives
 * the token's claims (sub, email, cognito:groups, custom:*, exp, ...), which
 * the caller owns and releases with json_object_put; on any other status
 * *claims is NULL. It may block up to the HTTP timeout to fetch the JWKS. */
enum jwt_status jwt_verify(const char *token, const struct jwt_expect *expect, time_t now,
                           struct json_object **claims);

/* jwt_stored_claims parses the claims of a token WITHOUT verifying it, for
 * tokens this server verified before it stored them (a session's). The
 * caller owns the result (json_object_put); NULL when it is malformed. */
struct json_object *jwt_stored_claims(const char *token);

/* jwt_status_name returns a constant name for logs ("expired", ...). */
const char *jwt_status_name(enum jwt_status status);

/* jwt_cache_put_jwks installs the JWKS text (len bytes) as the key set of
 * issuer (with its keys at the issuer's /.well-known/jwks.json) as if
 * fetched at now, replacing any earlier set; tests and fuzzers use it
 * to run without a server. It returns 0, or -1 when no usable RS256 key is
 * in it (the earlier set then stays). */
int jwt_cache_put_jwks(const char *issuer, const char *jwks, size_t len, time_t now);

/* jwt_cache_clear forgets every issuer and key. No verification may run. */
void jwt_cache_clear(void);

#endif
