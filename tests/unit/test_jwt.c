/* SPDX-License-Identifier: MIT */
/* test_jwt: Cognito token verification without a server.
 *
 * Two RSA key pairs are made with OpenSSL at start; their public halves go
 * into JWKS documents (n, e in base64url) and the fetch function of jwt.c,
 * reached by including the .c, is replaced by a fake that counts calls and
 * serves whatever JWKS the test chose. Tokens are signed with libjwt (RS256,
 * and HS256 keyed with the public PEM, the classic confusion attack) or put
 * together by hand (alg none, odd headers, tampered parts). Covered: valid
 * id and access tokens; every claim check and its boundary; unknown kid and
 * the refetch rate limit, key rotation, fetch failures and a cold cache
 * under concurrent callers; keys fetched from a JWKS URL of their own;
 * malformed input; JWKS parsing; jwt_pool_url. */
#include "test.h"

#include "aws/jwt.c"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

#define T0 1700000000 /* a fixed clock: 2023-11-14 */
#define POOL_ISSUER "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool"
#define OTHER_ISSUER "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OtherPool"
#define CLIENT_ID "3n4b5urk1ft4fl3mg5e62d9ado"
#define KID "key-one"
#define KID2 "key-two"
#define HOUR 3600
#define RACE_THREADS 8
#define SLOW_FETCH_US 50000

static EVP_PKEY *key1, *key2, *weak_key;
static char *key1_priv_pem, *key1_pub_pem, *key2_priv_pem;
static char *jwks_key1;      /* {KID: key1} */
static char *jwks_key1_key2; /* {KID: key1, KID2: key2} */

static const struct jwt_expect expect_id = {POOL_ISSUER, CLIENT_ID, JWT_USE_ID};
static const struct jwt_expect expect_access = {POOL_ISSUER, CLIENT_ID, JWT_USE_ACCESS};

/* ---- helpers ----------------------------------------------------------- */

/* b64url returns the unpadded base64url text of data; the caller frees it. */
static char *b64url(const void *data, size_t len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    char *out = xmalloc(len / 3 * 4 + 5), *o = out;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = abc[v >> 18];
        *o++ = abc[(v >> 12) & 63];
        *o++ = abc[(v >> 6) & 63];
        *o++ = abc[v & 63];
    }
    if (len - i == 1) {
        *o++ = abc[p[i] >> 2];
        *o++ = abc[(p[i] & 3) << 4];
    } else if (len - i == 2) {
        *o++ = abc[p[i] >> 2];
        *o++ = abc[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
        *o++ = abc[(p[i + 1] & 15) << 2];
    }
    *o = '\0';
    return out;
}

static char *b64url_str(const char *s)
{
    return b64url(s, strlen(s));
}

/* cat3 returns "a.b.c" (malloc'd). */
static char *cat3(const char *a, const char *b, const char *c)
{
    struct buf t;
    buf_init(&t);
    buf_printf(&t, "%s.%s.%s", a, b, c);
    return t.data;
}

static char *pem_of(EVP_PKEY *pkey, bool private_key)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *data, *pem;
    long len;

    if (private_key)
        PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(mem, pkey);
    len = BIO_get_mem_data(mem, &data);
    pem = xstrndup(data, (size_t)len);
    BIO_free(mem);
    return pem;
}

/* jwk_of renders the public half of pkey as one JWK object text. */
static char *jwk_of(EVP_PKEY *pkey, const char *kid, const char *extra)
{
    BIGNUM *n = NULL, *e = NULL;
    unsigned char nb[RSA_MAX_BITS / 8], eb[RSA_EXPONENT_MAX_BYTES];
    struct buf t;
    char *n64, *e64;

    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    n64 = b64url(nb, (size_t)BN_bn2bin(n, nb));
    e64 = b64url(eb, (size_t)BN_bn2bin(e, eb));
    buf_init(&t);
    buf_printf(&t, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}", kid, n64, e64,
               extra ? extra : "");
    free(n64);
    free(e64);
    BN_free(n);
    BN_free(e);
    return t.data;
}

/* rsa_pem writes the SubjectPublicKeyInfo DER itself: it must be exactly
 * what OpenSSL's encoder writes for the same key, for moduli with and
 * without the top bit set, and refuse what it refused before. */
static void test_jwk_to_pem(void)
{
    bool same = true;
    for (int i = 0; i < 6; i++) {
        EVP_PKEY *k = EVP_RSA_gen(i < 3 ? 2048 : 3072);
        BIGNUM *n = NULL, *e = NULL;
        unsigned char nb[RSA_MAX_BITS / 8], eb[RSA_EXPONENT_MAX_BYTES];
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n);
        EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e);
        char *n64 = b64url(nb, (size_t)BN_bn2bin(n, nb)), *e64 = b64url(eb, (size_t)BN_bn2bin(e, eb));
        char *ours = rsa_pem(n64, e64), *openssl = pem_of(k, false);
        same &= ours && openssl && !strcmp(ours, openssl);
        free(ours);
        free(openssl);
        free(n64);
        free(e64);
        BN_free(n);
        BN_free(e);
        EVP_PKEY_free(k);
    }
    test_cond("JWK to PEM: byte for byte what OpenSSL writes (2048 and 3072 bits)", same);
    /* 2048 one-bits: a modulus whose top bit is set and no leading zero. */
    unsigned char ones[256], zero_led[257] = {0}, three[] = {3}, one[] = {1}, even[] = {1, 0};
    memset(ones, 0xff, sizeof ones);
    memset(zero_led + 1, 0xff, 256);
    char *n64 = b64url(ones, sizeof ones), *lead64 = b64url(zero_led, sizeof zero_led);
    char *e3 = b64url(three, 1), *e1 = b64url(one, 1), *e_even = b64url(even, 2);
    char *short64 = b64url(ones, 200);
    char *a = rsa_pem(n64, e3), *b = rsa_pem(lead64, e3);
    test_cond("JWK to PEM: a leading zero byte of the modulus changes nothing", a && b && !strcmp(a, b));
    char *c = rsa_pem(n64, e1), *d = rsa_pem(n64, e_even), *f = rsa_pem(short64, e3);
    char *g = rsa_pem("", e3), *h = rsa_pem(n64, "!!");
    test_cond("JWK to PEM: exponent 1, an even exponent, a 1600-bit modulus, empty or bad base64 refused",
              !c && !d && !f && !g && !h);
    free(a); free(b); free(c); free(d); free(f); free(g); free(h);
    free(n64); free(lead64); free(e3); free(e1); free(e_even); free(short64);
}

/* base_claims returns the claims of a fresh id or access token of our pool
 * at T0; tests change fields before signing. */
static struct json_object *base_claims(enum jwt_use use)
{
    struct json_object *c = json_object_new_object();
    struct json_object *groups = json_object_new_array();

    json_object_array_add(groups, json_object_new_string("admin"));
    json_object_object_add(c, "sub",
                           json_object_new_string("5f1c2a7e-1111-2222-3333-444455556666"));
    json_object_object_add(c, "iss", json_object_new_string(POOL_ISSUER));
    json_object_object_add(c, "cognito:groups", groups);
    json_object_object_add(c, "iat", json_object_new_int64(T0 - 10));
    json_object_object_add(c, "auth_time", json_object_new_int64(T0 - 10));
    json_object_object_add(c, "exp", json_object_new_int64(T0 + HOUR));
    json_object_object_add(c, "jti",
                           json_object_new_string("0d1f6c52-aaaa-bbbb-cccc-ddddeeeeffff"));
    if (use == JWT_USE_ID) {
        json_object_object_add(c, "aud", json_object_new_string(CLIENT_ID));
        json_object_object_add(c, "token_use", json_object_new_string("id"));
        json_object_object_add(c, "email", json_object_new_string("ada@example.com"));
        json_object_object_add(c, "custom:user_tier", json_object_new_string("free"));
    } else {
        json_object_object_add(c, "client_id", json_object_new_string(CLIENT_ID));
        json_object_object_add(c, "token_use", json_object_new_string("access"));
        json_object_object_add(c, "scope", json_object_new_string("aws.cognito.signin.user.admin"));
    }
    return c;
}

static const char *json_text(struct json_object *o)
{
    return json_object_to_json_string_ext(o,
                                          JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* sign_lib signs claims with libjwt; key is a private PEM for RS256 or the
 * HMAC secret for HS256. It consumes claims; the caller frees the token. */
static char *sign_lib(struct json_object *claims, const char *kid, jwt_alg_t alg, const char *key)
{
    jwt_t *j = NULL;
    char *token = NULL;

    if (jwt_new(&j) == 0 && (!kid || jwt_add_header(j, "kid", kid) == 0) &&
        jwt_add_grants_json(j, json_text(claims)) == 0 &&
        jwt_set_alg(j, alg, (const unsigned char *)key, (int)strlen(key)) == 0)
        token = jwt_encode_str(j);
    jwt_free(j);
    json_object_put(claims);
    return token;
}

/* sign_rs256 signs with key1 as KID, the common case. */
static char *sign_rs256(struct json_object *claims)
{
    return sign_lib(claims, KID, JWT_ALG_RS256, key1_priv_pem);
}

/* sign_raw builds a token from literal header and claims texts, signed
 * RS256 with pkey: for headers libjwt would not write. */
static char *sign_raw(const char *header, const char *claims, EVP_PKEY *pkey)
{
    char *h = b64url_str(header), *c = b64url_str(claims), *input = cat3(h, c, "");
    unsigned char sig[RSA_MAX_BITS / 8];
    size_t siglen = sizeof(sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char *s, *token;

    input[strlen(input) - 1] = '\0'; /* "h.c" is what gets signed */
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey);
    EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input));
    s = b64url(sig, siglen);
    token = cat3(h, c, s);
    EVP_MD_CTX_free(md);
    free(h);
    free(c);
    free(input);
    free(s);
    return token;
}

/* hmac_raw is sign_raw with HMAC-SHA256 under secret. */
static char *hmac_raw(const char *header, const char *claims, const char *secret)
{
    char *h = b64url_str(header), *c = b64url_str(claims), *input, *s, *token;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    struct buf t;

    buf_init(&t);
    buf_printf(&t, "%s.%s", h, c);
    input = t.data;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)input, strlen(input), mac,
         &maclen);
    s = b64url(mac, maclen);
    token = cat3(h, c, s);
    free(h);
    free(c);
    free(input);
    free(s);
    return token;
}

/* status_of verifies token (then frees it) and checks that claims come back
 * exactly on success. A NULL token (a helper failed) never passes. */
static enum jwt_status status_of(char *token, const struct jwt_expect *expect, time_t now)
{
    struct json_object *claims = (struct json_object *)1;
    enum jwt_status st;

    if (!token) {
        /* A signing helper failed: matching no expected status, the case fails. */
        test_cond("the test could build its token", false);
        return (enum jwt_status)-1;
    }
    st = jwt_verify(token, expect, now, &claims);

    if ((st == JWT_OK) != (claims != NULL))
        test_cond("claims are returned exactly on success", false);
    json_object_put(claims);
    free(token);
    return st;
}

/* ---- a fake JWKS endpoint ---------------------------------------------- */

static int fetch_count;
static const char *fetch_serves; /* NULL: the fetch fails */
static char fetch_url[512];
static bool fetch_saw_lock_held;
static useconds_t fetch_delay_us;

static int fake_fetch(const char *url, struct buf *out, char *err, size_t errlen)
{
    __atomic_add_fetch(&fetch_count, 1, __ATOMIC_SEQ_CST);
    snprintf(fetch_url, sizeof(fetch_url), "%s", url);
    /* The cache lock must be free while a fetch runs. */
    if (pthread_mutex_trylock(&cache_lock) == 0)
        pthread_mutex_unlock(&cache_lock);
    else
        fetch_saw_lock_held = true;
    if (fetch_delay_us)
        usleep(fetch_delay_us);
    if (!fetch_serves) {
        snprintf(err, errlen, "connection refused (fake)");
        return -1;
    }
    buf_puts(out, fetch_serves);
    return 0;
}

static void reset_cache(const char *jwks, time_t now)
{
    jwt_cache_clear();
    fetch_count = 0;
    fetch_serves = NULL;
    fetch_delay_us = 0;
    if (jwks && jwt_cache_put_jwks(POOL_ISSUER, jwks, strlen(jwks), now) != 0)
        test_cond("the test JWKS is accepted", false);
}

/* ---- valid tokens ------------------------------------------------------ */

static void test_valid(void)
{
    struct json_object *claims = NULL, *v;
    char *token;

    reset_cache(jwks_key1, T0);
    token = sign_rs256(base_claims(JWT_USE_ID));
    test_cond("valid id token verifies", jwt_verify(token, &expect_id, T0, &claims) == JWT_OK);
    test_cond("id token claims: sub",
              claims && string_claim_is(claims, "sub", "5f1c2a7e-1111-2222-3333-444455556666"));
    test_cond("id token claims: email",
              claims && string_claim_is(claims, "email", "ada@example.com"));
    test_cond("id token claims: custom:user_tier",
              claims && string_claim_is(claims, "custom:user_tier", "free"));
    test_cond("id token claims: cognito:groups is [admin]",
              claims && json_object_object_get_ex(claims, "cognito:groups", &v) &&
                  json_object_is_type(v, json_type_array) && json_object_array_length(v) == 1 &&
                  strcmp(json_object_get_string(json_object_array_get_idx(v, 0)), "admin") == 0);
    test_cond("id token claims: exp is an integer",
              claims && json_object_object_get_ex(claims, "exp", &v) &&
                  json_object_get_int64(v) == T0 + HOUR);
    json_object_put(claims);
    test_cond("id token checked as access: wrong use",
              status_of(xstrdup(token), &expect_access, T0) == JWT_WRONG_USE);
    free(token);
    test_cond("no fetch when the key is cached", fetch_count == 0);

    token = sign_rs256(base_claims(JWT_USE_ACCESS));
    test_cond("valid access token verifies",
              status_of(xstrdup(token), &expect_access, T0) == JWT_OK);
    test_cond("access token checked as id: wrong use",
              status_of(token, &expect_id, T0) == JWT_WRONG_USE);

    /* The same token from a hand-made signer: libjwt's typ header is not needed. */
    struct json_object *c = base_claims(JWT_USE_ID);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", json_text(c), key1);
    test_cond("hand-signed RS256 without typ verifies", status_of(token, &expect_id, T0) == JWT_OK);
    json_object_put(c);
    test_cond("no OpenSSL error is left behind", ERR_peek_error() == 0);
}

/* ---- claim checks ------------------------------------------------------ */

/* with signs a base token of use after setting name to value (NULL removes). */
static char *with(enum jwt_use use, const char *name, struct json_object *value)
{
    struct json_object *c = base_claims(use);
    if (value)
        json_object_object_add(c, name, value);
    else
        json_object_object_del(c, name);
    return sign_rs256(c);
}

static void test_times(void)
{
    reset_cache(jwks_key1, T0);
    test_cond("expired beyond skew (exp = now - 61)",
              status_of(with(JWT_USE_ID, "exp", json_object_new_int64(T0 - 61)), &expect_id, T0) ==
                  JWT_EXPIRED);
    test_cond("expired at exactly the skew (exp = now - 60)",
              status_of(with(JWT_USE_ID, "exp", json_object_new_int64(T0 - 60)), &expect_id, T0) ==
                  JWT_EXPIRED);
    test_cond("just expired within skew (exp = now - 59) passes",
              status_of(with(JWT_USE_ID, "exp", json_object_new_int64(T0 - 59)), &expect_id, T0) ==
                  JWT_OK);
    test_cond("expired access token",
              status_of(with(JWT_USE_ACCESS, "exp", json_object_new_int64(T0 - HOUR)),
                        &expect_access, T0) == JWT_EXPIRED);
    test_cond("same token later than exp + skew is expired",
              status_of(sign_rs256(base_claims(JWT_USE_ID)), &expect_id, T0 + HOUR + 60) ==
                  JWT_EXPIRED);
    test_cond("exp near INT64_MIN does not overflow",
              status_of(with(JWT_USE_ID, "exp", json_object_new_int64(INT64_MIN + 5)), &expect_id,
                        T0) == JWT_EXPIRED);
    test_cond("exp near INT64_MAX is refused as too long, without overflow",
              status_of(with(JWT_USE_ID, "exp", json_object_new_int64(INT64_MAX)), &expect_id,
                        T0) == JWT_TOO_LONG);
    test_cond("a day after iat (Cognito's longest) passes",
              status_of(with(JWT_USE_ACCESS, "exp",
                             json_object_new_int64(T0 - 10 + JWT_LIFETIME_MAX_S)),
                        &expect_access, T0) == JWT_OK);
    test_cond("a day and the skew and a second after iat is too long",
              status_of(with(JWT_USE_ACCESS, "exp",
                             json_object_new_int64(T0 - 10 + JWT_LIFETIME_MAX_S +
                                                   JWT_CLOCK_SKEW_S + 1)),
                        &expect_access, T0) == JWT_TOO_LONG);
    test_cond("without iat, the life counts from now",
              status_of(with(JWT_USE_ID, "iat", NULL), &expect_id, T0) == JWT_OK &&
                  status_of(with(JWT_USE_ID, "iat", NULL) /* exp is T0 + HOUR */, &expect_id,
                            T0 - 2 * JWT_LIFETIME_MAX_S) == JWT_TOO_LONG);
    test_cond("an iat far in the past with a live exp is too long",
              status_of(with(JWT_USE_ID, "iat", json_object_new_int64(INT64_MIN + 5)), &expect_id,
                        T0) == JWT_TOO_LONG);
    test_cond("missing exp is malformed",
              status_of(with(JWT_USE_ID, "exp", NULL), &expect_id, T0) == JWT_MALFORMED);
    test_cond("exp as a string is malformed",
              status_of(with(JWT_USE_ID, "exp", json_object_new_string("1700003600")), &expect_id,
                        T0) == JWT_MALFORMED);
    test_cond("exp as a fraction is malformed",
              status_of(with(JWT_USE_ID, "exp", json_object_new_double(1700003600.5)), &expect_id,
                        T0) == JWT_MALFORMED);
    test_cond("iat beyond skew in the future",
              status_of(with(JWT_USE_ID, "iat", json_object_new_int64(T0 + 61)), &expect_id, T0) ==
                  JWT_NOT_YET_VALID);
    test_cond("iat within skew in the future passes",
              status_of(with(JWT_USE_ID, "iat", json_object_new_int64(T0 + 60)), &expect_id, T0) ==
                  JWT_OK);
    test_cond("iat as a string is malformed",
              status_of(with(JWT_USE_ID, "iat", json_object_new_string("now")), &expect_id, T0) ==
                  JWT_MALFORMED);
    test_cond("nbf beyond skew in the future",
              status_of(with(JWT_USE_ID, "nbf", json_object_new_int64(T0 + 600)), &expect_id, T0) ==
                  JWT_NOT_YET_VALID);
    test_cond("nbf in the past passes",
              status_of(with(JWT_USE_ID, "nbf", json_object_new_int64(T0 - 600)), &expect_id, T0) ==
                  JWT_OK);
}

static void test_identity_claims(void)
{
    struct json_object *aud;
    const struct jwt_expect other_pool = {OTHER_ISSUER, CLIENT_ID, JWT_USE_ID};
    const struct jwt_expect other_client = {POOL_ISSUER, "someoneelse", JWT_USE_ID};

    reset_cache(jwks_key1, T0);
    test_cond("wrong iss", status_of(with(JWT_USE_ID, "iss", json_object_new_string(OTHER_ISSUER)),
                                     &expect_id, T0) == JWT_WRONG_ISSUER);
    test_cond("iss with a trailing slash is another issuer",
              status_of(with(JWT_USE_ID, "iss", json_object_new_string(POOL_ISSUER "/")),
                        &expect_id, T0) == JWT_WRONG_ISSUER);
    test_cond("missing iss",
              status_of(with(JWT_USE_ID, "iss", NULL), &expect_id, T0) == JWT_WRONG_ISSUER);
    test_cond("iss as a number", status_of(with(JWT_USE_ID, "iss", json_object_new_int(1)),
                                           &expect_id, T0) == JWT_WRONG_ISSUER);
    /* Tenant isolation: the same signing key (cognito-local signs every pool
     * with one key) but a token of pool A presented at pool B. */
    jwt_cache_put_jwks(OTHER_ISSUER, jwks_key1, strlen(jwks_key1), T0);
    test_cond("token of another pool signed by the same key: wrong issuer",
              status_of(sign_rs256(base_claims(JWT_USE_ID)), &other_pool, T0) == JWT_WRONG_ISSUER);

    test_cond("wrong token_use",
              status_of(with(JWT_USE_ID, "token_use", json_object_new_string("refresh")),
                        &expect_id, T0) == JWT_WRONG_USE);
    test_cond("missing token_use",
              status_of(with(JWT_USE_ID, "token_use", NULL), &expect_id, T0) == JWT_WRONG_USE);
    test_cond("wrong aud", status_of(with(JWT_USE_ID, "aud", json_object_new_string("x" CLIENT_ID)),
                                     &expect_id, T0) == JWT_WRONG_AUDIENCE);
    test_cond("missing aud on an id token",
              status_of(with(JWT_USE_ID, "aud", NULL), &expect_id, T0) == JWT_WRONG_AUDIENCE);
    test_cond("expecting another client", status_of(sign_rs256(base_claims(JWT_USE_ID)),
                                                    &other_client, T0) == JWT_WRONG_AUDIENCE);
    aud = json_object_new_array();
    json_object_array_add(aud, json_object_new_string("other"));
    json_object_array_add(aud, json_object_new_string(CLIENT_ID));
    test_cond("aud array holding the client passes",
              status_of(with(JWT_USE_ID, "aud", aud), &expect_id, T0) == JWT_OK);
    aud = json_object_new_array();
    json_object_array_add(aud, json_object_new_string("other"));
    json_object_array_add(aud, json_object_new_int(7));
    test_cond("aud array without the client",
              status_of(with(JWT_USE_ID, "aud", aud), &expect_id, T0) == JWT_WRONG_AUDIENCE);
    test_cond("wrong client_id on an access token",
              status_of(with(JWT_USE_ACCESS, "client_id", json_object_new_string("other")),
                        &expect_access, T0) == JWT_WRONG_AUDIENCE);
    struct json_object *c = base_claims(JWT_USE_ACCESS);
    json_object_object_del(c, "client_id");
    json_object_object_add(c, "aud", json_object_new_string(CLIENT_ID));
    test_cond("access token with aud but no client_id",
              status_of(sign_rs256(c), &expect_access, T0) == JWT_WRONG_AUDIENCE);
    test_cond("wrong issuer wins over expired (no useless refresh)",
              status_of(with(JWT_USE_ID, "iss", json_object_new_string(OTHER_ISSUER)), &expect_id,
                        T0 + 2 * HOUR) == JWT_WRONG_ISSUER);
}

/* ---- algorithms and signatures ----------------------------------------- */

static void test_algorithms(void)
{
    struct json_object *c = base_claims(JWT_USE_ID);
    char *claims = xstrdup(json_text(c)), *p64 = b64url_str(claims), *h64, *token;

    json_object_put(c);
    reset_cache(jwks_key1, T0);

    h64 = b64url_str("{\"alg\":\"none\"}");
    token = cat3(h64, p64, "");
    test_cond("alg none with an empty signature", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    token = cat3(h64, p64, "c2lnbmF0dXJl");
    test_cond("alg none with some signature", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    free(h64);
    h64 = b64url_str("{\"alg\":\"none\",\"kid\":\"" KID "\",\"typ\":\"JWT\"}");
    token = cat3(h64, p64, "");
    test_cond("alg none with our kid", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    free(h64);
    h64 = b64url_str("{\"alg\":\"None\",\"kid\":\"" KID "\"}");
    token = cat3(h64, p64, "");
    test_cond("alg None (case variant)", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    free(h64);
    h64 = b64url_str("{\"kid\":\"" KID "\"}");
    token = cat3(h64, p64, "");
    test_cond("no alg at all", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    free(h64);
    h64 = b64url_str("{\"alg\":[\"RS256\"],\"kid\":\"" KID "\"}");
    token = cat3(h64, p64, "");
    test_cond("alg as an array", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    free(h64);

    token = sign_lib(json_tokener_parse(claims), KID, JWT_ALG_HS256, key1_pub_pem);
    test_cond("HS256 keyed with the public PEM (libjwt)",
              status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    token = hmac_raw("{\"alg\":\"HS256\",\"kid\":\"" KID "\"}", claims, key1_pub_pem);
    test_cond("HS256 keyed with the public PEM (by hand)",
              status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    /* Duplicate names: whichever alg a JSON parser keeps, HS256 must lose. */
    token =
        hmac_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"alg\":\"HS256\"}", claims, key1_pub_pem);
    test_cond("duplicate alg RS256 then HS256, HMAC-signed",
              status_of(token, &expect_id, T0) != JWT_OK);
    token =
        hmac_raw("{\"alg\":\"HS256\",\"kid\":\"" KID "\",\"alg\":\"RS256\"}", claims, key1_pub_pem);
    test_cond("duplicate alg HS256 then RS256, HMAC-signed",
              status_of(token, &expect_id, T0) != JWT_OK);
    token = sign_lib(json_tokener_parse(claims), KID, JWT_ALG_RS512, key1_priv_pem);
    test_cond("RS512 with the right key", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    token = sign_raw("{\"alg\":\"rs256\",\"kid\":\"" KID "\"}", claims, key1);
    test_cond("alg rs256 in lower case", status_of(token, &expect_id, T0) == JWT_BAD_ALG);
    token = sign_raw("{\"alg\":\"PS256\",\"kid\":\"" KID "\"}", claims, key1);
    test_cond("alg PS256", status_of(token, &expect_id, T0) == JWT_BAD_ALG);

    /* Signatures. */
    token = sign_lib(json_tokener_parse(claims), KID, JWT_ALG_RS256, key2_priv_pem);
    test_cond("signed by another key under our kid",
              status_of(token, &expect_id, T0) == JWT_BAD_SIGNATURE);
    test_cond("no OpenSSL error is left after a bad signature", ERR_peek_error() == 0);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", claims, key1);
    char *dot2 = strrchr(token, '.');
    token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
    test_cond("one signature character changed",
              status_of(xstrdup(token), &expect_id, T0) == JWT_BAD_SIGNATURE);
    dot2[1] = '\0';
    test_cond("RS256 with an empty signature",
              status_of(token, &expect_id, T0) == JWT_BAD_SIGNATURE);

    /* Tampered payload: raise the tier, keep the signature. */
    token = sign_rs256(json_tokener_parse(claims));
    c = json_tokener_parse(claims);
    json_object_object_add(c, "custom:user_tier", json_object_new_string("premium"));
    char *p2 = b64url_str(json_text(c));
    char *first = strchr(token, '.'), *last = strrchr(token, '.');
    *first = '\0';
    char *tampered = cat3(token, p2, last + 1);
    test_cond("tampered payload, original signature",
              status_of(tampered, &expect_id, T0) == JWT_BAD_SIGNATURE);
    json_object_put(c);
    free(p2);
    free(token);

    /* Tampered header: same alg and kid, one more field. */
    token = sign_rs256(json_tokener_parse(claims));
    h64 = b64url_str("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"x\":1}");
    first = strchr(token, '.');
    tampered = xmalloc(strlen(h64) + strlen(first) + 1);
    strcpy(tampered, h64);
    strcat(tampered, first);
    test_cond("tampered header, original signature",
              status_of(tampered, &expect_id, T0) == JWT_BAD_SIGNATURE);
    free(h64);
    free(token);
    free(p64);
    free(claims);
}

/* ---- malformed input --------------------------------------------------- */

static void test_malformed(void)
{
    struct json_object *c = base_claims(JWT_USE_ID);
    char *claims = xstrdup(json_text(c)), *p64 = b64url_str(claims);
    char *h64 = b64url_str("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}");
    char *huge, *token;
    struct json_object *out = NULL;
    /* %s stands for a good header (alg RS256, our kid), so that each case
     * has only the one fault it names. */
    static const char *const bad[] = {
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "..",
        ".e30.c2ln",
        "%s..c2ln",
        "%s.e30=.c2ln",
        "%s.e3+.c2ln",
        "%s.e3/.c2ln",
        "%s .e30.c2ln",
        "%s.e30.c2ln\n",
        "%s.e30.c2ln=",
        "%s.e.c2ln",             /* length 1 mod 4 */
        "%s.e31.c2ln",           /* "{}" with non-zero trailing bits */
        "%s.bm90IGpzb24.c2ln",   /* "not json" */
        "%s.W10.c2ln",           /* [] */
        "WyJSUzI1NiJd.e30.c2ln", /* header ["RS256"] */
        "%s.e30.c2ln.",
    };

    reset_cache(jwks_key1, T0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct buf t;
        char name[128];
        enum jwt_status st;

        buf_init(&t);
        buf_printf(&t, bad[i], h64);
        st = status_of(xstrdup(buf_cstr(&t)), &expect_id, T0);
        buf_free(&t);
        snprintf(name, sizeof(name), "malformed token #%zu (\"%.30s\") is malformed", i, bad[i]);
        test_cond(name, st == JWT_MALFORMED);
    }
    test_cond("header {} has no alg",
              status_of(cat3("e30", "e30", "c2ln"), &expect_id, T0) == JWT_BAD_ALG);
    test_cond("NULL token", jwt_verify(NULL, &expect_id, T0, &out) == JWT_MALFORMED && !out);

    /* A correctly signed token made large by one claim. */
    huge = xmalloc(JWT_TOKEN_MAX + 1);
    memset(huge, 'x', JWT_TOKEN_MAX);
    huge[JWT_TOKEN_MAX / 2] = '\0'; /* base64 makes it 2/3 of the limit */
    test_cond("large signed token under JWT_TOKEN_MAX passes",
              status_of(with(JWT_USE_ID, "pad", json_object_new_string(huge)), &expect_id, T0) ==
                  JWT_OK);
    huge[JWT_TOKEN_MAX / 2] = 'x';
    huge[JWT_TOKEN_MAX] = '\0'; /* and this 4/3 of it */
    test_cond("signed token over JWT_TOKEN_MAX is malformed",
              status_of(with(JWT_USE_ID, "pad", json_object_new_string(huge)), &expect_id, T0) ==
                  JWT_MALFORMED);
    free(huge);

    /* Valid signatures over bad content. */
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"crit\":[\"exp\"]}", claims, key1);
    test_cond("crit header is refused", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"typ\":\"JOSE+JSON\"}", claims, key1);
    test_cond("typ other than JWT is refused", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"typ\":\"jwt\"}", claims, key1);
    test_cond("typ jwt in lower case passes", status_of(token, &expect_id, T0) == JWT_OK);
    token = sign_raw("{\"alg\":\"RS256\"}", claims, key1);
    test_cond("no kid", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":7}", claims, key1);
    test_cond("kid as a number", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}{}", claims, key1);
    test_cond("a second object after the header",
              status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}x", claims, key1);
    test_cond("text after the header object", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", "{\"sub\":\"\xff\"}", key1);
    test_cond("claims that are not UTF-8", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"" KID "\"}", "{'sub':'x'}", key1);
    test_cond("claims in non-strict JSON", status_of(token, &expect_id, T0) == JWT_MALFORMED);
    test_cond("expectation without issuer",
              status_of(sign_rs256(base_claims(JWT_USE_ID)),
                        &(struct jwt_expect){NULL, CLIENT_ID, JWT_USE_ID}, T0) == JWT_UNAVAILABLE);
    test_cond("expectation with an unknown use",
              status_of(sign_rs256(base_claims(JWT_USE_ID)),
                        &(struct jwt_expect){POOL_ISSUER, CLIENT_ID, (enum jwt_use)7},
                        T0) == JWT_WRONG_USE);
    json_object_put(c);
    free(claims);
    free(p64);
    free(h64);
}

/* ---- the key cache ----------------------------------------------------- */

static char *signed_with(const char *kid, const char *priv)
{
    return sign_lib(base_claims(JWT_USE_ID), kid, JWT_ALG_RS256, priv);
}

static void test_unknown_kid(void)
{
    reset_cache(jwks_key1, T0);
    fetch_serves = jwks_key1;
    test_cond("unknown kid right after a load: no fetch",
              status_of(signed_with(KID2, key2_priv_pem), &expect_id, T0 + 1) == JWT_UNKNOWN_KEY &&
                  fetch_count == 0);
    test_cond("unknown kid a minute later: one refetch",
              status_of(signed_with(KID2, key2_priv_pem), &expect_id, T0 + 61) == JWT_UNKNOWN_KEY &&
                  fetch_count == 1);
    test_cond("the refetch used <issuer>/.well-known/jwks.json",
              strcmp(fetch_url, POOL_ISSUER "/.well-known/jwks.json") == 0);
    test_cond("the fetch ran without the cache lock", !fetch_saw_lock_held);
    test_cond("a second unknown kid within 60 s does not refetch",
              status_of(signed_with("bogus-1", key2_priv_pem), &expect_id, T0 + 62) ==
                      JWT_UNKNOWN_KEY &&
                  status_of(signed_with("bogus-2", key2_priv_pem), &expect_id, T0 + 120) ==
                      JWT_UNKNOWN_KEY &&
                  fetch_count == 1);
    test_cond("known kid still verifies meanwhile",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + 62) == JWT_OK &&
                  fetch_count == 1);
    /* Key rotation: the pool now publishes key2 as well. */
    fetch_serves = jwks_key1_key2;
    test_cond("after 60 s a new kid is fetched and verifies",
              status_of(signed_with(KID2, key2_priv_pem), &expect_id, T0 + 121) == JWT_OK &&
                  fetch_count == 2);
    test_cond("the new key is then served from the cache",
              status_of(signed_with(KID2, key2_priv_pem), &expect_id, T0 + 122) == JWT_OK &&
                  fetch_count == 2);
    test_cond("a clock that went backwards allows a refetch",
              status_of(signed_with("bogus-3", key2_priv_pem), &expect_id, T0) == JWT_UNKNOWN_KEY &&
                  fetch_count == 3);
}

/* A verdict of the verified-signature cache is tied to the key that gave
 * it: once the JWKS the worker holds no longer has that key, or its kid
 * names another key, the same token bytes are refused. */
static void test_removed_key(void)
{
    char *token = signed_with(KID2, key2_priv_pem);
    char *jwk_swapped = jwk_of(key1, KID2, NULL), *jwks_swapped;
    struct buf t;

    buf_init(&t);
    buf_printf(&t, "{\"keys\":[%s]}", jwk_swapped);
    jwks_swapped = t.data;
    reset_cache(jwks_key1_key2, T0);
    test_cond("a token of the second key verifies (and is remembered)",
              status_of(xstrdup(token), &expect_id, T0) == JWT_OK &&
                  status_of(xstrdup(token), &expect_id, T0 + 1) == JWT_OK);
    jwt_cache_put_jwks(POOL_ISSUER, jwks_key1, strlen(jwks_key1), T0 + 2);
    test_cond("its key gone from the JWKS: the remembered token is refused",
              status_of(xstrdup(token), &expect_id, T0 + 3) == JWT_UNKNOWN_KEY);
    jwt_cache_put_jwks(POOL_ISSUER, jwks_swapped, strlen(jwks_swapped), T0 + 4);
    test_cond("its kid now naming another key: the remembered token is refused",
              status_of(xstrdup(token), &expect_id, T0 + 5) == JWT_BAD_SIGNATURE);
    jwt_cache_put_jwks(POOL_ISSUER, jwks_key1_key2, strlen(jwks_key1_key2), T0 + 6);
    test_cond("the key back in the JWKS: the token verifies again",
              status_of(token, &expect_id, T0 + 7) == JWT_OK);
    test_cond("no fetch for any of it", fetch_count == 0);
    free(jwk_swapped);
    free(jwks_swapped);
}

static void test_fetching(void)
{
    /* Cold cache: the first verification fetches. */
    reset_cache(NULL, T0);
    fetch_serves = jwks_key1;
    test_cond("cold cache: fetch, then verify",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0) == JWT_OK &&
                  fetch_count == 1);

    /* The JWKS endpoint is down. */
    reset_cache(NULL, T0);
    test_cond("JWKS unreachable: unavailable",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0) == JWT_UNAVAILABLE &&
                  fetch_count == 1);
    test_cond("unreachable again within the retry delay: no new fetch",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + 1) == JWT_UNAVAILABLE &&
                  fetch_count == 1);
    fetch_serves = "{\"keys\":[]}";
    test_cond("a JWKS without keys is a failed fetch",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + JWKS_RETRY_S) ==
                      JWT_UNAVAILABLE &&
                  fetch_count == 2);
    fetch_serves = "<html>oops</html>";
    test_cond("a JWKS that is not JSON is a failed fetch",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + 2 * JWKS_RETRY_S) ==
                      JWT_UNAVAILABLE &&
                  fetch_count == 3);
    fetch_serves = jwks_key1;
    test_cond("the endpoint is back: verifies",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + 3 * JWKS_RETRY_S) ==
                      JWT_OK &&
                  fetch_count == 4);

    /* Keys are kept when a later refetch fails; the unknown kid then is an
     * outage, not a bad token. */
    fetch_serves = NULL;
    test_cond("refetch failure with keys cached: unknown kid reads as unavailable",
              status_of(signed_with(KID2, key2_priv_pem), &expect_id, T0 + 200) ==
                      JWT_UNAVAILABLE &&
                  fetch_count == 5);
    test_cond("and the cached key still verifies",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0 + 201) == JWT_OK &&
                  fetch_count == 5);
}

struct race {
    char *token;
    enum jwt_status st;
};

static void *race_verify(void *arg)
{
    struct race *r = arg;
    struct json_object *claims = NULL;
    r->st = jwt_verify(r->token, &expect_id, T0, &claims);
    json_object_put(claims);
    return NULL;
}

static void test_concurrent_cold_start(void)
{
    pthread_t th[RACE_THREADS];
    struct race r[RACE_THREADS];
    bool all_ok = true;

    reset_cache(NULL, T0);
    fetch_serves = jwks_key1;
    fetch_delay_us = SLOW_FETCH_US;
    for (int i = 0; i < RACE_THREADS; i++) {
        r[i].token = signed_with(KID, key1_priv_pem);
        pthread_create(&th[i], NULL, race_verify, &r[i]);
    }
    for (int i = 0; i < RACE_THREADS; i++) {
        pthread_join(th[i], NULL);
        all_ok = all_ok && r[i].st == JWT_OK;
        free(r[i].token);
    }
    test_cond("concurrent cold start: every thread verifies", all_ok);
    test_cond("concurrent cold start: exactly one fetch", fetch_count == 1);
    test_cond("concurrent cold start: no lock held during the fetch", !fetch_saw_lock_held);
}

/* ---- JWKS parsing ------------------------------------------------------ */

static size_t keys_of(const char *issuer)
{
    char url[512];
    snprintf(url, sizeof(url), "%s" JWKS_PATH, issuer);
    struct issuer *is = issuer_get(issuer, url);
    return is && is->keys ? is->keys->count : 0;
}

static int put(const char *jwks)
{
    return jwt_cache_put_jwks(POOL_ISSUER, jwks, strlen(jwks), T0);
}

static void test_jwks(void)
{
    char *k1 = jwk_of(key1, KID, NULL);
    char *k1_rs512 = jwk_of(key1, "rs512", ",\"alg\":\"RS512\"");
    char *k1_enc = jwk_of(key1, "enc", ",\"use\":\"enc\"");
    char *k1_alg_num = jwk_of(key1, "algnum", ",\"alg\":5");
    char *k1_dup = jwk_of(key2, KID, NULL);
    char *weak = jwk_of(weak_key, "weak", NULL);
    struct buf t;

    reset_cache(NULL, T0);
    test_cond("JWKS with no keys member", put("{}") == -1);
    test_cond("JWKS keys not an array", put("{\"keys\":{}}") == -1);
    test_cond("JWKS with only a symmetric key",
              put("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"h\",\"k\":\"c2VjcmV0\"}]}") == -1);
    buf_init(&t);
    buf_printf(&t, "{\"keys\":[%s]}", weak);
    test_cond("JWKS with only a 1024-bit RSA key", put(t.data) == -1);
    buf_reset(&t);
    buf_printf(&t, "{\"keys\":[%s,%s,%s]}", k1_rs512, k1_enc, k1_alg_num);
    test_cond("JWKS with RS512, enc or odd-alg keys only", put(t.data) == -1);
    test_cond("JWKS garbage", put("{\"keys\":[1,\"x\",null,[]]}") == -1);
    test_cond("JWKS with bad n and e",
              put("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"n\":\"!!\",\"e\":\"AQAB\"},"
                  "{\"kty\":\"RSA\",\"kid\":\"y\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}") == -1);
    test_cond("no issuer entry with keys after refusals", keys_of(POOL_ISSUER) == 0);

    buf_reset(&t);
    buf_printf(&t, "{\"keys\":[%s,%s,%s],\"extra\":true}", weak, k1, k1_dup);
    test_cond("JWKS mixing good and bad keys loads", put(t.data) == 0);
    test_cond("only the good key is kept, first of a duplicate kid", keys_of(POOL_ISSUER) == 1);
    test_cond("and it is key1",
              status_of(signed_with(KID, key1_priv_pem), &expect_id, T0) == JWT_OK);

    /* Count cap: more keys than JWKS_KEYS_MAX keeps the first ones. */
    buf_reset(&t);
    buf_puts(&t, "{\"keys\":[");
    for (int i = 0; i < JWKS_KEYS_MAX + 4; i++) {
        char kid[32];
        snprintf(kid, sizeof(kid), "k%d", i);
        char *jwk = jwk_of(key1, kid, NULL);
        buf_printf(&t, "%s%s", i ? "," : "", jwk);
        free(jwk);
    }
    buf_puts(&t, "]}");
    test_cond("JWKS with too many keys keeps JWKS_KEYS_MAX",
              put(t.data) == 0 && keys_of(POOL_ISSUER) == JWKS_KEYS_MAX);

    /* Size cap. */
    buf_reset(&t);
    buf_puts(&t, "{\"keys\":[");
    buf_puts(&t, k1);
    buf_puts(&t, "],\"pad\":\"");
    while (t.len <= JWKS_RESPONSE_MAX)
        buf_puts(&t, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    buf_puts(&t, "\"}");
    test_cond("JWKS over JWKS_RESPONSE_MAX is refused", put(t.data) == -1);

    test_cond("a failed put keeps the earlier set", keys_of(POOL_ISSUER) == JWKS_KEYS_MAX);
    buf_free(&t);
    free(k1);
    free(k1_rs512);
    free(k1_enc);
    free(k1_alg_num);
    free(k1_dup);
    free(weak);
}

/* ---- names and issuers ------------------------------------------------- */

static void test_names(void)
{
    bool distinct = true;
    for (int a = JWT_OK; a <= JWT_UNAVAILABLE; a++)
        for (int b = a + 1; b <= JWT_UNAVAILABLE; b++)
            if (strcmp(jwt_status_name(a), jwt_status_name(b)) == 0)
                distinct = false;
    test_cond("status names are distinct", distinct);
    test_cond("status name of expired", strcmp(jwt_status_name(JWT_EXPIRED), "expired") == 0);
    test_cond("status name out of range",
              strcmp(jwt_status_name((enum jwt_status)99), "unknown_status") == 0);
}

static void test_pool_url(void)
{
    char out[256], tiny[16];
    const char *aws = "https://cognito-idp.{region}.amazonaws.com/{pool}";
    const char *aws_jwks =
        "https://cognito-idp.{region}.amazonaws.com/{pool}/.well-known/jwks.json";
    const char *local = "http://127.0.0.1:9229/{pool}";
    const char *too_long = "eu-west-1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    test_cond("AWS issuer",
              jwt_pool_url(out, sizeof(out), aws, "eu-west-1", "eu-west-1_AbC123") == 0 &&
                  strcmp(out, "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123") == 0);
    test_cond("AWS JWKS URL",
              jwt_pool_url(out, sizeof(out), aws_jwks, "us-east-1", "us-east-1_X") == 0 &&
                  strcmp(out, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
                              "/.well-known/jwks.json") == 0);
    test_cond("local issuer without {region} needs no region",
              jwt_pool_url(out, sizeof(out), local, NULL, "local_5xY") == 0 &&
                  strcmp(out, "http://127.0.0.1:9229/local_5xY") == 0);
    test_cond("every placeholder is filled in",
              jwt_pool_url(out, sizeof(out), "https://k.example/{pool}/{region}/{pool}",
                           "ap-south-1", "p_1") == 0 &&
                  strcmp(out, "https://k.example/p_1/ap-south-1/p_1") == 0);
    test_cond("a template without placeholders stays as it is",
              jwt_pool_url(out, sizeof(out), "https://keys.example/jwks.json", NULL, "p_1") == 0 &&
                  strcmp(out, "https://keys.example/jwks.json") == 0);
    test_cond("pool id with a slash refused",
              jwt_pool_url(out, sizeof(out), aws, "eu-west-1", "../evil") == -1);
    test_cond("pool id with a query refused",
              jwt_pool_url(out, sizeof(out), aws, "eu-west-1", "p?x=1") == -1);
    test_cond("pool id with a brace refused (no placeholder smuggled in)",
              jwt_pool_url(out, sizeof(out), aws, "eu-west-1", "{region}") == -1);
    test_cond("empty pool id refused", jwt_pool_url(out, sizeof(out), aws, "eu-west-1", "") == -1);
    test_cond("pool id longer than Cognito's refused",
              jwt_pool_url(out, sizeof(out), aws, "eu-west-1", too_long) == -1);
    test_cond("region with a dot refused",
              jwt_pool_url(out, sizeof(out), aws, "evil.com/x", "p_1") == -1);
    test_cond("no region for a template with {region} refused",
              jwt_pool_url(out, sizeof(out), aws, NULL, "p_1") == -1);
    test_cond("template without http(s) refused",
              jwt_pool_url(out, sizeof(out), "file:///etc/{pool}", NULL, "p_1") == -1);
    test_cond("template with a space or a line break refused",
              jwt_pool_url(out, sizeof(out), "https://k.example/{pool} x", NULL, "p_1") == -1 &&
                  jwt_pool_url(out, sizeof(out), "https://k.example/{pool}\nx", NULL, "p_1") == -1);
    test_cond("no template refused",
              jwt_pool_url(out, sizeof(out), NULL, "eu-west-1", "p_1") == -1);
    test_cond("URL that does not fit refused",
              jwt_pool_url(tiny, sizeof(tiny), aws, "eu-west-1", "eu-west-1_AbC123") == -1);
}

/* The keys of an issuer come from the JWKS URL the caller names, and keys
 * found at one URL never stand for another, even for the same issuer. */
static void test_jwks_url(void)
{
    const char *url = "http://127.0.0.1:9329/eu-west-1_TestPool/.well-known/jwks.json";
    const struct jwt_expect local = {POOL_ISSUER, CLIENT_ID, JWT_USE_ID, url};
    const struct jwt_expect elsewhere = {POOL_ISSUER, CLIENT_ID, JWT_USE_ID,
                                         "http://127.0.0.1:9329/other/.well-known/jwks.json"};

    reset_cache(NULL, T0);
    fetch_serves = jwks_key1;
    test_cond("a token of the issuer verifies with the keys at the JWKS URL",
              status_of(signed_with(KID, key1_priv_pem), &local, T0) == JWT_OK &&
                  fetch_count == 1 && strcmp(fetch_url, url) == 0);
    test_cond("those keys are cached for that issuer and URL",
              status_of(signed_with(KID, key1_priv_pem), &local, T0 + 1) == JWT_OK &&
                  fetch_count == 1);
    fetch_serves = NULL;
    test_cond("another URL for the same issuer fetches its own keys",
              status_of(signed_with(KID, key1_priv_pem), &elsewhere, T0 + 2) == JWT_UNAVAILABLE &&
                  fetch_count == 2);
    test_cond("no key put for the issuer's own URL stands for the named one",
              keys_of(POOL_ISSUER) == 0);
}

/* ---- main -------------------------------------------------------------- */

static char *jwks_with(const char *a, const char *b)
{
    struct buf t;
    buf_init(&t);
    buf_printf(&t, "{\"keys\":[%s%s%s]}", a, b ? "," : "", b ? b : "");
    return t.data;
}

int main(void)
{
    char *jwk1, *jwk2;

    log_set_level(LOG_ERROR); /* fetch failures are expected here */
    key1 = EVP_RSA_gen(2048);
    key2 = EVP_RSA_gen(2048);
    weak_key = EVP_RSA_gen(1024);
    if (!key1 || !key2 || !weak_key) {
        printf("FAIL cannot generate RSA keys\n");
        return 1;
    }
    key1_priv_pem = pem_of(key1, true);
    key1_pub_pem = pem_of(key1, false);
    key2_priv_pem = pem_of(key2, true);
    jwk1 = jwk_of(key1, KID, ",\"alg\":\"RS256\",\"use\":\"sig\"");
    jwk2 = jwk_of(key2, KID2, ",\"alg\":\"RS256\",\"use\":\"sig\"");
    jwks_key1 = jwks_with(jwk1, NULL);
    jwks_key1_key2 = jwks_with(jwk1, jwk2);
    fetch_jwks = fake_fetch;

    test_jwk_to_pem();
    test_valid();
    test_times();
    test_identity_claims();
    test_algorithms();
    test_malformed();
    test_unknown_kid();
    test_removed_key();
    test_fetching();
    test_concurrent_cold_start();
    test_jwks();
    test_names();
    test_pool_url();
    test_jwks_url();

    jwt_cache_clear();
    free(jwk1);
    free(jwk2);
    free(jwks_key1);
    free(jwks_key1_key2);
    free(key1_priv_pem);
    free(key1_pub_pem);
    free(key2_priv_pem);
    EVP_PKEY_free(key1);
    EVP_PKEY_free(key2);
    EVP_PKEY_free(weak_key);
    return test_report();
}
