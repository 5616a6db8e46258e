/* SPDX-License-Identifier: MIT */
/* jwt: Cognito token verification (see jwt.h).
 *
 * A token is taken apart here before libjwt sees it: three strict base64url
 * parts (seal_b64url_decode, gatehouse's one decoder), a header whose alg is
 * exactly "RS256" with a kid, and a claims object. libjwt 1.10 trusts the
 * header's alg (HS256 keyed with the public PEM verifies), so only then is it
 * asked to check the signature with the kid's PEM, and asked afterwards which
 * alg it used. The claims returned are our json-c parse of the very bytes the
 * signature covers.
 *
 * Keys live in a process-wide hash of issuers, each with the URL its keys
 * are fetched from (COGNITO_JWKS_URL; an issuer and a URL together make one
 * entry, so keys found at one URL never stand for another) and a set of
 * {kid, PEM} built from the JWK's n and e. One mutex guards it, never held
 * during a fetch: one thread fetches while the others wait on a condition
 * variable, at most once per JWKS_REFETCH_MIN_S per issuer (JWKS_RETRY_S
 * after a failure). The cache owns its strings; lookups hand out a copy of the PEM. */
#include "aws/jwt.h"

#include <jwt.h> /* libjwt: the -Iapp directory has no jwt.h of its own */
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/awshttp.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "core/xalloc.h"

#define JWT_ALG "RS256"
#define JWT_KID_MAX 128   /* Cognito kids are 44 characters */
#define JWT_JSON_DEPTH 16 /* claims nest arrays (groups) at most once */
#define JWKS_PATH "/.well-known/jwks.json"
#define POOL_URL_REGION "{region}" /* the placeholders of a pool URL template */
#define POOL_URL_POOL "{pool}"
#define JWKS_RETRY_S 5       /* after a failed fetch: outages heal sooner */
#define JWT_ISSUERS_MAX 4096 /* issuers come from tenant config, not tokens */
#define ISSUER_BUCKETS 64
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192
#define RSA_EXPONENT_MAX_BYTES 8
#define HTTP_OK 200

/* ---- base64url and JSON ------------------------------------------------ */

/* b64url_decode decodes len characters of unpadded base64url into a new
 * NUL-terminated buffer (the caller frees it) and its length, or NULL. It
 * is seal_b64url_decode, which accepts only the canonical form (no padding,
 * no stray characters, zero bits after the last byte), so one byte string
 * has exactly one encoding. */
static unsigned char *b64url_decode(const char *in, size_t len, size_t *outlen)
{
    size_t cap = len / 4 * 3 + 2, n = 0; /* 4 characters make 3 bytes; 3 at most 2 */
    unsigned char *out = xmalloc(cap + 1);

    if (!seal_b64url_decode(in, len, out, cap, &n)) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *outlen = n;
    return out;
}

/* parse_object parses exactly len bytes as one strict JSON object (valid
 * UTF-8, nothing after it). The caller owns the result; NULL on any error. */
static struct json_object *parse_object(const char *text, size_t len)
{
    struct json_tokener *tok;
    struct json_object *obj;

    if (len > INT32_MAX || memchr(text, '\0', len))
        return NULL;
    tok = json_tokener_new_ex(JWT_JSON_DEPTH);
    if (!tok)
        return NULL;
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    if (obj &&
        (json_tokener_get_error(tok) != json_tokener_success ||
         json_tokener_get_parse_end(tok) != len || !json_object_is_type(obj, json_type_object))) {
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

/* get_string returns obj[name] when it is a string, else NULL. */
static const char *get_string(struct json_object *obj, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* ---- JWK to PEM -------------------------------------------------------- */

/* The key is handed to libjwt as PEM. It is written here, as the few bytes
 * of DER an RSA SubjectPublicKeyInfo is (RFC 8017 A.1.1, RFC 5280 4.1),
 * rather than through OpenSSL's key import and encoder framework: those are
 * hundreds of kilobytes of code that every worker would page in for its
 * first bearer token, for a structure of two integers. */

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define PEM_LINE_BYTES 48 /* 64 base64 characters per line */

/* AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL } */
static const unsigned char rsa_algorithm[] = {0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
                                              0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

static size_t der_length_size(size_t n)
{
    return n < 0x80 ? 1 : n <= 0xff ? 2 : 3;
}

/* der_header writes a tag and a length (below 65536) and returns its end. */
static unsigned char *der_header(unsigned char *o, unsigned char tag, size_t n)
{
    *o++ = tag;
    if (n >= 0x80)
        *o++ = n <= 0xff ? 0x81 : 0x82;
    if (n > 0xff)
        *o++ = (unsigned char)(n >> 8);
    *o++ = (unsigned char)n;
    return o;
}

/* An unsigned big-endian number with no leading zero: an INTEGER needs a
 * zero byte in front when its top bit is set. */
static size_t integer_body(const unsigned char *v, size_t len)
{
    return len + (v[0] & 0x80 ? 1 : 0);
}

static unsigned char *der_integer(unsigned char *o, const unsigned char *v, size_t len)
{
    o = der_header(o, DER_INTEGER, integer_body(v, len));
    if (v[0] & 0x80)
        *o++ = 0;
    memcpy(o, v, len);
    return o + len;
}

/* b64url_number decodes a JWK number into *out (malloc'd, the caller frees)
 * without its leading zeros; false when malformed, zero or too long. */
static bool b64url_number(const char *b64, size_t max_bytes, unsigned char **out,
                          const unsigned char **v, size_t *len)
{
    size_t n;
    unsigned char *bytes = b64url_decode(b64, strlen(b64), &n);
    size_t skip = 0;
    while (bytes && skip < n && bytes[skip] == 0)
        skip++;
    if (!bytes || skip == n || n - skip > max_bytes) {
        free(bytes);
        return false;
    }
    *out = bytes;
    *v = bytes + skip;
    *len = n - skip;
    return true;
}

static size_t bit_length(const unsigned char *v, size_t len)
{
    size_t bits = (len - 1) * 8;
    for (unsigned char b = v[0]; b; b >>= 1)
        bits++;
    return bits;
}

/* pem_wrap wraps der in a PUBLIC KEY PEM block; the caller frees it. */
static char *pem_wrap(const unsigned char *der, size_t len)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----\n", end[] = "-----END PUBLIC KEY-----\n";
    size_t lines = (len + PEM_LINE_BYTES - 1) / PEM_LINE_BYTES;
    char *pem = xmalloc(sizeof(begin) + lines * (4 * PEM_LINE_BYTES / 3 + 1) + sizeof(end));
    char *o = pem + sizeof(begin) - 1;
    memcpy(pem, begin, sizeof(begin) - 1);
    for (size_t at = 0; at < len; at += PEM_LINE_BYTES) {
        size_t chunk = len - at < PEM_LINE_BYTES ? len - at : PEM_LINE_BYTES;
        o += EVP_EncodeBlock((unsigned char *)o, der + at, (int)chunk);
        *o++ = '\n';
    }
    memcpy(o, end, sizeof(end));
    return pem;
}

/* rsa_pem builds an RSA public key from the JWK's base64url modulus and
 * exponent and returns it as a PEM string the caller frees, or NULL when the
 * numbers are malformed or the key is weaker or larger than we accept. */
static char *rsa_pem(const char *n_b64, const char *e_b64)
{
    unsigned char *n_bytes = NULL, *e_bytes = NULL, *der = NULL;
    const unsigned char *n, *e;
    size_t n_len, e_len;
    char *pem = NULL;

    if (!b64url_number(n_b64, RSA_MAX_BITS / 8 + 1, &n_bytes, &n, &n_len) ||
        !b64url_number(e_b64, RSA_EXPONENT_MAX_BYTES, &e_bytes, &e, &e_len))
        goto out;
    size_t bits = bit_length(n, n_len);
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || !(e[e_len - 1] & 1) ||
        (e_len == 1 && e[0] == 1))
        goto out;
    /* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
    size_t n_body = integer_body(n, n_len), e_body = integer_body(e, e_len);
    size_t key_body = 1 + der_length_size(n_body) + n_body + 1 + der_length_size(e_body) + e_body;
    size_t key = 1 + der_length_size(key_body) + key_body;
    size_t bit_string = 1 + key; /* a leading "0 unused bits" byte */
    size_t spki_body = sizeof(rsa_algorithm) + 1 + der_length_size(bit_string) + bit_string;
    size_t spki = 1 + der_length_size(spki_body) + spki_body;
    unsigned char *o = der = xmalloc(spki);
    o = der_header(o, DER_SEQUENCE, spki_body);
    memcpy(o, rsa_algorithm, sizeof(rsa_algorithm));
    o += sizeof(rsa_algorithm);
    o = der_header(o, DER_BIT_STRING, bit_string);
    *o++ = 0;
    o = der_header(o, DER_SEQUENCE, key_body);
    o = der_integer(o, n, n_len);
    o = der_integer(o, e, e_len);
    if ((size_t)(o - der) == spki)
        pem = pem_wrap(der, spki);
out:
    free(n_bytes);
    free(e_bytes);
    free(der);
    return pem;
}

/* ---- key sets ---------------------------------------------------------- */

struct key {
    char *kid;
    char *pem;
    /* SHA-256 of the PEM: which key this is, whatever its kid. A verdict of
     * the verified-signature cache holds for this key only. */
    unsigned char id[SEAL_SHA256_BYTES];
};

struct keyset {
    size_t count;
    struct key keys[JWKS_KEYS_MAX];
};

static void keyset_free(struct keyset *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        free(set->keys[i].kid);
        free(set->keys[i].pem);
    }
    free(set);
}

static const struct key *keyset_find(const struct keyset *set, const char *kid)
{
    for (size_t i = 0; set && i < set->count; i++)
        if (strcmp(set->keys[i].kid, kid) == 0)
            return &set->keys[i];
    return NULL;
}

/* add_jwk appends jwk to set when it is a usable RS256 signing key with a
 * kid not seen yet; anything else in a JWKS is skipped, not an error. */
static void add_jwk(struct keyset *set, struct json_object *jwk)
{
    const char *kty = get_string(jwk, "kty");
    const char *use = get_string(jwk, "use");
    const char *alg = get_string(jwk, "alg");
    const char *kid = get_string(jwk, "kid");
    const char *n = get_string(jwk, "n");
    const char *e = get_string(jwk, "e");
    struct json_object *v;
    char *pem;

    if (!kty || strcmp(kty, "RSA") != 0 || !kid || !*kid || strlen(kid) > JWT_KID_MAX || !n || !e ||
        keyset_find(set, kid))
        return;
    /* "use" and "alg" are optional in a JWK, but when present must fit. */
    if ((json_object_object_get_ex(jwk, "use", &v) && (!use || strcmp(use, "sig") != 0)) ||
        (json_object_object_get_ex(jwk, "alg", &v) && (!alg || strcmp(alg, JWT_ALG) != 0)))
        return;
    pem = rsa_pem(n, e);
    if (!pem)
        return;
    set->keys[set->count].kid = xstrdup(kid);
    set->keys[set->count].pem = pem;
    seal_sha256(pem, strlen(pem), set->keys[set->count].id);
    set->count++;
}

/* parse_jwks returns the usable keys of a JWKS document (the caller frees
 * them with keyset_free), or NULL when it is too large, not JSON, or holds
 * no usable key. */
static struct keyset *parse_jwks(const char *text, size_t len)
{
    struct json_object *root = NULL, *keys;
    struct keyset *set = NULL;

    if (len > JWKS_RESPONSE_MAX)
        goto out;
    root = parse_object(text, len);
    if (!root || !json_object_object_get_ex(root, "keys", &keys) ||
        !json_object_is_type(keys, json_type_array))
        goto out;
    set = xcalloc(1, sizeof(*set));
    for (size_t i = 0; i < json_object_array_length(keys) && set->count < JWKS_KEYS_MAX; i++) {
        struct json_object *jwk = json_object_array_get_idx(keys, i);
        if (json_object_is_type(jwk, json_type_object))
            add_jwk(set, jwk);
    }
    if (set->count == 0) {
        keyset_free(set);
        set = NULL;
    }
out:
    json_object_put(root);
    return set;
}

/* ---- the cache --------------------------------------------------------- */

struct issuer {
    struct issuer *next; /* hash chain */
    char *name;
    char *url;           /* where its JWKS is fetched */
    struct keyset *keys; /* NULL until a fetch or put succeeded */
    time_t last_attempt; /* when the last fetch started (or a put happened) */
    bool attempted;
    bool last_failed;
    bool fetching; /* a thread is fetching; others wait on fetch_done */
};

/* Lookups are a hash probe and a strdup, so a plain mutex costs readers
 * nothing an rwlock would save, and the condition variable needs one. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fetch_done = PTHREAD_COND_INITIALIZER;
static struct issuer *buckets[ISSUER_BUCKETS];
static size_t issuer_count;

typedef int jwks_fetch_fn(const char *url, struct buf *out, char *err, size_t errlen);

/* http_fetch GETs url into out; 0 on a 200 answer, else -1 with err set. */
static int http_fetch(const char *url, struct buf *out, char *err, size_t errlen)
{
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct awshttp_reply reply;
    int rc = -1;

    if (awshttp_call("GET", url, headers, NULL, 0, JWKS_RESPONSE_MAX, HTTP_TOTAL_TIMEOUT_MS,
                     &reply) != 0) {
        snprintf(err, errlen, "%s", reply.error);
        goto out;
    }
    if (reply.status != HTTP_OK) {
        snprintf(err, errlen, "HTTP status %ld", reply.status);
        goto out;
    }
    buf_append(out, reply.body.data, reply.body.len);
    rc = 0;
out:
    awshttp_reply_free(&reply);
    return rc;
}

/* The unit test, which includes this file, swaps in a counting fake. */
static jwks_fetch_fn *fetch_jwks = http_fetch;

static size_t issuer_hash(const char *name, const char *url)
{
    uint32_t h = 2166136261u; /* FNV-1a, over name, a NUL and url */
    for (const char *s = name; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    h *= 16777619u;
    for (const char *s = url; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % ISSUER_BUCKETS;
}

/* issuer_get returns the entry for name with its keys at url, adding it
 * when missing; NULL when the cache is full. Called with cache_lock held. */
static struct issuer *issuer_get(const char *name, const char *url)
{
    size_t b = issuer_hash(name, url);
    struct issuer *is;

    for (is = buckets[b]; is; is = is->next)
        if (strcmp(is->name, name) == 0 && strcmp(is->url, url) == 0)
            return is;
    if (issuer_count >= JWT_ISSUERS_MAX)
        return NULL;
    is = xcalloc(1, sizeof(*is));
    is->name = xstrdup(name);
    is->url = xstrdup(url);
    is->next = buckets[b];
    buckets[b] = is;
    issuer_count++;
    return is;
}

/* may_fetch says whether an issuer's JWKS may be fetched at now. A clock
 * that went backwards counts as enough time passed. */
static bool may_fetch(const struct issuer *is, time_t now)
{
    time_t wait = is->last_failed ? JWKS_RETRY_S : JWKS_REFETCH_MIN_S;
    return !is->attempted || now < is->last_attempt || now - is->last_attempt >= wait;
}

/* refresh fetches issuer's JWKS and installs it. It is entered and left
 * with cache_lock held and drops it for the fetch itself; is->fetching keeps
 * other threads from starting the same fetch meanwhile. */
static void refresh(struct issuer *is, time_t now)
{
    struct buf body;
    char err[AWSHTTP_ERROR_MAX] = "";
    char qi[LOG_VALUE_MAX], qu[LOG_VALUE_MAX], qe[LOG_VALUE_MAX];
    struct keyset *set = NULL;
    const char *name = is->name, *url = is->url; /* entries live until jwt_cache_clear */

    is->fetching = true;
    is->attempted = true;
    is->last_attempt = now;
    pthread_mutex_unlock(&cache_lock);

    buf_init(&body);
    if (fetch_jwks(url, &body, err, sizeof(err)) == 0) {
        set = parse_jwks(body.data ? body.data : "", body.len);
        if (!set)
            snprintf(err, sizeof(err), "no usable RS256 key in the JWKS");
    }
    if (set)
        log_event(LOG_INFO, "jwks_fetched", "issuer=%s url=%s keys=%zu",
                  log_quote(qi, sizeof(qi), name), log_quote(qu, sizeof(qu), url), set->count);
    else
        log_event(LOG_WARN, "jwks_fetch_failed", "issuer=%s url=%s error=%s",
                  log_quote(qi, sizeof(qi), name), log_quote(qu, sizeof(qu), url),
                  log_quote(qe, sizeof(qe), err));
    buf_free(&body);

    pthread_mutex_lock(&cache_lock);
    if (set) {
        keyset_free(is->keys); /* a failed fetch keeps the keys we had */
        is->keys = set;
    }
    is->last_failed = !set;
    is->fetching = false;
    pthread_cond_broadcast(&fetch_done);
}

/* find_key copies into id the identity of the key kid of issuer (its keys
 * at url) and into *pem its PEM (one lookup, so both are of the same key),
 * fetching the JWKS when the issuer has no keys yet or does not know kid and
 * may be fetched. */
static enum jwt_status find_key(const char *issuer, const char *url, const char *kid, time_t now,
                                unsigned char id[SEAL_SHA256_BYTES], char **pem)
{
    enum jwt_status st;
    struct issuer *is;

    *pem = NULL;
    pthread_mutex_lock(&cache_lock);
    is = issuer_get(issuer, url);
    if (!is) {
        st = JWT_UNAVAILABLE;
        goto out;
    }
    for (bool fetched = false;;) {
        const struct key *k = keyset_find(is->keys, kid);
        if (k) {
            memcpy(id, k->id, SEAL_SHA256_BYTES);
            *pem = xstrdup(k->pem);
            st = JWT_OK;
            break;
        }
        if (is->fetching) {
            /* Whatever that fetch brings is as fresh as our own would be. */
            while (is->fetching)
                pthread_cond_wait(&fetch_done, &cache_lock);
            fetched = true;
            continue;
        }
        if (fetched || !may_fetch(is, now)) {
            /* A kid we cannot know because the JWKS is unreachable is an
             * outage, not a bad token. */
            st = is->keys && !is->last_failed ? JWT_UNKNOWN_KEY : JWT_UNAVAILABLE;
            break;
        }
        refresh(is, now);
        fetched = true;
    }
out:
    pthread_mutex_unlock(&cache_lock);
    return st;
}

int jwt_cache_put_jwks(const char *issuer, const char *jwks, size_t len, time_t now)
{
    struct keyset *set = parse_jwks(jwks, len), *old = NULL;
    struct issuer *is;
    struct buf url;

    if (!set)
        return -1;
    buf_init(&url);
    buf_printf(&url, "%s%s", issuer, JWKS_PATH);
    pthread_mutex_lock(&cache_lock);
    is = issuer_get(issuer, buf_cstr(&url));
    if (is) {
        old = is->keys;
        is->keys = set;
        is->attempted = true;
        is->last_attempt = now;
        is->last_failed = false;
        set = NULL;
    }
    pthread_mutex_unlock(&cache_lock);
    buf_free(&url);
    keyset_free(old);
    keyset_free(set);
    return is ? 0 : -1;
}

/* ---- verified-signature cache --------------------------------------------
 *
 * libjwt reads the key's PEM text on every call, which costs OpenSSL 3 a
 * millisecond or more; a bearer client sends the same access token on
 * every call for an hour. So a token whose signature libjwt has verified is
 * remembered — the SHA-256 of issuer, key and token, in a direct-mapped
 * table — and the same bytes from the same issuer skip the signature check.
 * Only the signature is skipped: the header, the claims and the expiry are
 * checked on every call, and a changed byte misses the cache.
 *
 * A verdict is worth what the key that gave it is worth: the key (the
 * identity of its PEM, not just its kid) is part of what is hashed, and it
 * is looked up in the issuer's current key set on every call, hit or not.
 * Once a refetched JWKS no longer holds the key (a key Cognito withdrew, a
 * kid now naming another key), its verdicts are never found again. */
#define VERIFIED_SLOTS 1024

static pthread_mutex_t verified_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char verified[VERIFIED_SLOTS][SEAL_SHA256_BYTES];

static void verified_hash(const char *issuer, const unsigned char key_id[SEAL_SHA256_BYTES],
                          const char *token, unsigned char out[SEAL_SHA256_BYTES])
{
    struct buf text;
    buf_init(&text);
    buf_puts(&text, issuer);
    buf_putc(&text, '\n');
    buf_append(&text, key_id, SEAL_SHA256_BYTES);
    buf_putc(&text, '\n');
    buf_puts(&text, token);
    seal_sha256(text.data, text.len, out);
    buf_free(&text);
}

static size_t verified_slot(const unsigned char h[SEAL_SHA256_BYTES])
{
    return ((size_t)h[0] << 8 | h[1]) % VERIFIED_SLOTS;
}

static bool verified_has(const unsigned char h[SEAL_SHA256_BYTES])
{
    pthread_mutex_lock(&verified_lock);
    bool hit = !memcmp(verified[verified_slot(h)], h, SEAL_SHA256_BYTES);
    pthread_mutex_unlock(&verified_lock);
    return hit;
}

static void verified_add(const unsigned char h[SEAL_SHA256_BYTES])
{
    pthread_mutex_lock(&verified_lock);
    memcpy(verified[verified_slot(h)], h, SEAL_SHA256_BYTES);
    pthread_mutex_unlock(&verified_lock);
}

void jwt_cache_clear(void)
{
    pthread_mutex_lock(&verified_lock);
    memset(verified, 0, sizeof(verified));
    pthread_mutex_unlock(&verified_lock);
    pthread_mutex_lock(&cache_lock);
    for (size_t b = 0; b < ISSUER_BUCKETS; b++) {
        while (buckets[b]) {
            struct issuer *is = buckets[b];
            buckets[b] = is->next;
            keyset_free(is->keys);
            free(is->name);
            free(is->url);
            free(is);
        }
    }
    issuer_count = 0;
    pthread_mutex_unlock(&cache_lock);
}

/* ---- verification ------------------------------------------------------ */

struct parsed {
    struct json_object *header;
    struct json_object *claims;
};

static void parsed_cleanup(struct parsed *p)
{
    json_object_put(p->header);
    json_object_put(p->claims);
    p->header = p->claims = NULL;
}

/* decode_part base64url-decodes one token part and parses it as a JSON
 * object; NULL when either step fails. */
static struct json_object *decode_part(const char *s, size_t len)
{
    size_t n;
    unsigned char *bytes = b64url_decode(s, len, &n);
    struct json_object *obj = bytes ? parse_object((const char *)bytes, n) : NULL;
    free(bytes);
    return obj;
}

/* split_token checks the compact form header.claims.signature in base64url
 * and parses header and claims into p. An empty signature passes here so
 * that "alg":"none" is reported as what it is; RS256 then fails on it. */
static enum jwt_status split_token(const char *token, struct parsed *p)
{
    size_t len = strnlen(token, JWT_TOKEN_MAX + 1);
    const char *dot1, *dot2;

    if (len == 0 || len > JWT_TOKEN_MAX ||
        strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "abcdefghijklmnopqrstuvwxyz"
                      "0123456789-_.") != len)
        return JWT_MALFORMED;
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1)
        return JWT_MALFORMED;
    p->header = decode_part(token, (size_t)(dot1 - token));
    p->claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    return p->header && p->claims ? JWT_OK : JWT_MALFORMED;
}

/* check_header accepts only alg RS256, an optional typ of JWT, no crit
 * (we understand no extension) and a kid, which it stores in *kid. */
static enum jwt_status check_header(struct json_object *header, const char **kid)
{
    const char *alg = get_string(header, "alg");
    const char *typ = get_string(header, "typ");
    struct json_object *v;

    if (!alg || strcmp(alg, JWT_ALG) != 0)
        return JWT_BAD_ALG;
    if ((json_object_object_get_ex(header, "typ", &v) && (!typ || strcasecmp(typ, "JWT") != 0)) ||
        json_object_object_get_ex(header, "crit", &v))
        return JWT_MALFORMED;
    *kid = get_string(header, "kid");
    if (!*kid || !**kid || strlen(*kid) > JWT_KID_MAX)
        return JWT_MALFORMED;
    return JWT_OK;
}

static bool string_claim_is(struct json_object *claims, const char *name, const char *want)
{
    const char *got = get_string(claims, name);
    return got && strcmp(got, want) == 0;
}

/* audience_has: aud is a string, or (RFC 7519) an array of strings. */
static bool audience_has(struct json_object *claims, const char *client_id)
{
    struct json_object *aud;

    if (!json_object_object_get_ex(claims, "aud", &aud))
        return false;
    if (json_object_is_type(aud, json_type_string))
        return strcmp(json_object_get_string(aud), client_id) == 0;
    if (!json_object_is_type(aud, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(aud); i++) {
        struct json_object *a = json_object_array_get_idx(aud, i);
        if (json_object_is_type(a, json_type_string) &&
            strcmp(json_object_get_string(a), client_id) == 0)
            return true;
    }
    return false;
}

/* time_claim reads a NumericDate claim: 1 when present as an integer, 0
 * when absent, -1 when present with another type. */
static int time_claim(struct json_object *claims, const char *name, int64_t *out)
{
    struct json_object *v;

    if (!json_object_object_get_ex(claims, name, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return -1;
    *out = json_object_get_int64(v);
    return 1;
}

static const char *use_name(enum jwt_use use)
{
    switch (use) {
    case JWT_USE_ID:
        return "id";
    case JWT_USE_ACCESS:
        return "access";
    default:
        return NULL; /* not a use we know: no token can match it */
    }
}

/* check_claims checks the verified claims against expect, most telling
 * reason first: a token from elsewhere must not read as "expired" and make
 * the caller try a refresh. */
static enum jwt_status check_claims(struct json_object *claims, const struct jwt_expect *expect,
                                    time_t now)
{
    const char *use = use_name(expect->use);
    int64_t exp = 0, iat = 0, nbf = 0;
    int has_iat, has_nbf;

    if (!string_claim_is(claims, "iss", expect->issuer))
        return JWT_WRONG_ISSUER;
    if (!use || !string_claim_is(claims, "token_use", use))
        return JWT_WRONG_USE;
    if (expect->use == JWT_USE_ID ? !audience_has(claims, expect->client_id)
                                  : !string_claim_is(claims, "client_id", expect->client_id))
        return JWT_WRONG_AUDIENCE;
    has_iat = time_claim(claims, "iat", &iat);
    has_nbf = time_claim(claims, "nbf", &nbf);
    if (time_claim(claims, "exp", &exp) != 1 || has_iat < 0 || has_nbf < 0)
        return JWT_MALFORMED;
    /* Written so that no sum can overflow, whatever exp holds. */
    if (exp <= (int64_t)now - JWT_CLOCK_SKEW_S)
        return JWT_EXPIRED;
    if ((has_iat && iat > (int64_t)now + JWT_CLOCK_SKEW_S) ||
        (has_nbf && nbf > (int64_t)now + JWT_CLOCK_SKEW_S))
        return JWT_NOT_YET_VALID;
    /* Cognito issues access and id tokens for a day at most: a longer life
     * is not one of its tokens, whatever key signed it. iat (else now) is at
     * most now + skew here, so the sum cannot overflow. */
    if (exp > (has_iat ? iat : (int64_t)now) + JWT_LIFETIME_MAX_S + JWT_CLOCK_SKEW_S)
        return JWT_TOO_LONG;
    return JWT_OK;
}

enum jwt_status jwt_verify(const char *token, const struct jwt_expect *expect, time_t now,
                           struct json_object **claims)
{
    unsigned char token_hash[SEAL_SHA256_BYTES], key_id[SEAL_SHA256_BYTES];
    struct parsed p = {NULL, NULL};
    const char *kid = NULL;
    char *pem = NULL;
    jwt_t *lib = NULL;
    enum jwt_status st;
    struct buf url;

    *claims = NULL;
    buf_init(&url);
    if (!expect || !expect->issuer || !expect->client_id) {
        log_event(LOG_ERROR, "jwt_no_expectation", "reason=\"no issuer or client id given\"");
        st = JWT_UNAVAILABLE; /* a configuration fault, not the user's */
        goto out;
    }
    st = token ? split_token(token, &p) : JWT_MALFORMED;
    if (st != JWT_OK)
        goto out;
    st = check_header(p.header, &kid);
    if (st != JWT_OK)
        goto out;
    /* The key comes from the issuer we expect, never from the token; it is
     * looked up even when the signature need not be checked again, so that
     * a key gone from the JWKS takes its verdicts with it. */
    if (expect->jwks_url)
        buf_puts(&url, expect->jwks_url);
    else
        buf_printf(&url, "%s%s", expect->issuer, JWKS_PATH);
    st = find_key(expect->issuer, buf_cstr(&url), kid, now, key_id, &pem);
    if (st != JWT_OK)
        goto out;
    verified_hash(expect->issuer, key_id, token, token_hash);
    if (!verified_has(token_hash)) {
        if (jwt_decode(&lib, token, (const unsigned char *)pem, (int)strlen(pem)) != 0) {
            ERR_clear_error();
            st = JWT_BAD_SIGNATURE;
            goto out;
        }
        /* libjwt re-reads alg itself; make sure it verified what we checked. */
        if (jwt_get_alg(lib) != JWT_ALG_RS256) {
            st = JWT_BAD_ALG;
            goto out;
        }
        verified_add(token_hash);
    }
    st = check_claims(p.claims, expect, now);
    if (st == JWT_OK) {
        *claims = p.claims;
        p.claims = NULL;
    }
out:
    jwt_free(lib);
    free(pem);
    buf_free(&url);
    parsed_cleanup(&p);
    return st;
}

struct json_object *jwt_stored_claims(const char *token)
{
    struct parsed p = {NULL, NULL};
    if (!token || split_token(token, &p) != JWT_OK) {
        parsed_cleanup(&p);
        return NULL;
    }
    struct json_object *claims = p.claims;
    p.claims = NULL;
    parsed_cleanup(&p);
    return claims;
}

const char *jwt_status_name(enum jwt_status status)
{
    switch (status) {
    case JWT_OK:
        return "ok";
    case JWT_MALFORMED:
        return "malformed";
    case JWT_BAD_ALG:
        return "bad_alg";
    case JWT_UNKNOWN_KEY:
        return "unknown_key";
    case JWT_BAD_SIGNATURE:
        return "bad_signature";
    case JWT_WRONG_ISSUER:
        return "wrong_issuer";
    case JWT_WRONG_USE:
        return "wrong_use";
    case JWT_WRONG_AUDIENCE:
        return "wrong_audience";
    case JWT_EXPIRED:
        return "expired";
    case JWT_NOT_YET_VALID:
        return "not_yet_valid";
    case JWT_TOO_LONG:
        return "lifetime_too_long";
    case JWT_UNAVAILABLE:
        return "unavailable";
    default:
        return "unknown_status"; /* a value outside the enum: say so in the log */
    }
}

/* ---- issuers ----------------------------------------------------------- */

/* only_chars: s is non-empty and made of ASCII letters, digits and extra. */
static bool only_chars(const char *s, const char *extra)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !strchr(extra, c))
            return false;
    }
    return true;
}

/* fill_in appends tmpl to out with each placeholder replaced by value. */
static void fill_in(struct buf *out, const char *tmpl, const char *placeholder, const char *value)
{
    size_t n = strlen(placeholder);
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, placeholder, n) == 0) {
            buf_puts(out, value);
            p += n;
        } else {
            buf_putc(out, *p++);
        }
    }
}

int jwt_pool_url(char *out, size_t outlen, const char *tmpl, const char *region,
                 const char *pool_id)
{
    struct buf with_pool, url;
    int rc = -1;

    buf_init(&with_pool);
    buf_init(&url);
    /* The result becomes a URL we fetch and a claim we compare: keep what
     * is filled in to what ids can hold, so it cannot add a path or a host. */
    if (!tmpl || (strncmp(tmpl, "https://", 8) != 0 && strncmp(tmpl, "http://", 7) != 0) ||
        !only_chars(pool_id, "_-") || strlen(pool_id) > POOL_ID_MAX)
        goto out;
    for (const char *p = tmpl; *p; p++)
        if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) /* no URL holds these */
            goto out;
    if (strstr(tmpl, POOL_URL_REGION) &&
        (!only_chars(region, "-") || strlen(region) > REGION_NAME_MAX))
        goto out;
    /* Neither a pool id nor a region holds a brace: what one fills in
     * never makes a placeholder for the other. */
    fill_in(&with_pool, tmpl, POOL_URL_POOL, pool_id);
    fill_in(&url, buf_cstr(&with_pool), POOL_URL_REGION, region ? region : "");
    if (url.len < outlen) {
        memcpy(out, buf_cstr(&url), url.len + 1);
        rc = 0;
    }
out:
    buf_free(&with_pool);
    buf_free(&url);
    return rc;
}

/* ---- check-config -------------------------------------------------------- */

int jwt_jwks_probe(const char *url, char *err, size_t errlen)
{
    static const char *const headers[] = {"Accept: application/json", NULL};
    struct awshttp_reply reply;
    struct keyset *set = NULL;
    int rc = -1;

    if (awshttp_call("GET", url, headers, NULL, 0, JWKS_RESPONSE_MAX, HTTP_TOTAL_TIMEOUT_MS,
                     &reply) != 0) {
        snprintf(err, errlen, "no answer: %s", reply.error);
        goto out;
    }
    if (reply.status != HTTP_OK) {
        snprintf(err, errlen, "answered HTTP status %ld", reply.status);
        rc = reply.status >= 500 ? -1 : 0;
        goto out;
    }
    set = parse_jwks(reply.body.data ? reply.body.data : "", reply.body.len);
    if (!set) {
        snprintf(err, errlen, "answered, but with no usable RS256 key");
        rc = 0;
        goto out;
    }
    rc = (int)set->count;
out:
    keyset_free(set);
    awshttp_reply_free(&reply);
    return rc;
}
