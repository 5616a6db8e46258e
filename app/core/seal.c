/* SPDX-License-Identifier: MIT */
/* seal: authenticated encryption at rest and the hashing/encoding helpers
 * around it (see seal.h), on OpenSSL's EVP and HMAC interfaces, with random
 * bytes from the kernel (getrandom(2)).
 *
 * The sealed format is nonce(12) || ciphertext || tag(16) with AES-256-GCM
 * and a fresh random nonce per message. Random 96-bit nonces stay safe up to
 * about 2^32 messages under one key (NIST SP 800-38D); gatehouse seals one
 * refresh token per login and one client secret per tenant, far below that.
 * Associated data binds a ciphertext to its owner (a session's id hash, a
 * tenant) so a sealed value copied to another row fails to open.
 *
 * Secrets are handled in place: encryption copies the plaintext once into
 * the output buffer and encrypts it there, decryption copies the ciphertext
 * and decrypts it there, so no stray plaintext copy is left in freed memory;
 * a failed call wipes what it appended. Callers wipe plaintext they are done
 * with (seal_wipe, seal_wipe_buf). The caller owns every buffer. */
#include "core/seal.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/buf.h"

#define B64_BITS_PER_CHAR 6
#define BITS_PER_BYTE 8
#define BYTE_MASK 0xFFu
#define B64_ALPHABET_SIZE 64
#define B64_CHAR_MASK (B64_ALPHABET_SIZE - 1)

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* ---- helpers ------------------------------------------------------------ */

/* Drops what a failed call appended to b, wiping it first: it may hold part
 * of a plaintext. */
static void truncate_wiped(struct buf *b, size_t len)
{
    if (!b->data || b->len <= len)
        return;
    OPENSSL_cleanse(b->data + len, b->len - len);
    b->len = len;
    b->data[len] = '\0';
}

static bool args_ok(const void *p, size_t len, const void *ad, size_t ad_len)
{
    return len <= SEAL_INPUT_MAX && ad_len <= SEAL_INPUT_MAX &&
           (len == 0 || p) && (ad_len == 0 || ad);
}

/* A failure of SHA-256 or HMAC inside OpenSSL can only be an allocation
 * failure; like xmalloc, the process gives up rather than hand back a digest
 * that is not one. */
static void crypto_failed(void)
{
    abort();
}

/* The 6-bit value of a base64url character, or -1. */
static int b64url_value(unsigned char c)
{
    const char *hit = c ? memchr(b64url_alphabet, c, B64_ALPHABET_SIZE) : NULL;
    return hit ? (int)(hit - b64url_alphabet) : -1;
}

/* ---- AES-256-GCM -------------------------------------------------------- */

/* Seals len bytes of plain under key, authenticating ad_len bytes of ad too,
 * and appends nonce || ciphertext || tag (len + SEAL_OVERHEAD bytes) to out.
 * Returns 0, or -1 with out unchanged when an argument exceeds
 * SEAL_INPUT_MAX, the random source fails or OpenSSL refuses. */
int seal_encrypt_ad(const unsigned char key[SEAL_KEY_BYTES], const void *plain,
                    size_t len, const void *ad, size_t ad_len, struct buf *out)
{
    unsigned char nonce[SEAL_NONCE_BYTES], tag[SEAL_TAG_BYTES], *text;
    size_t start = out->len;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0, rc = -1;

    if (!args_ok(plain, len, ad, ad_len) || seal_random(nonce, sizeof nonce) != 0)
        return -1;
    if (!(ctx = EVP_CIPHER_CTX_new()) ||
        EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1)
        goto out;
    if (ad_len && EVP_EncryptUpdate(ctx, NULL, &n, ad, (int)ad_len) != 1)
        goto out;
    buf_append(out, nonce, sizeof nonce);
    buf_append(out, plain, len);
    /* Encrypt the copy where it lies: the plaintext never exists anywhere
     * else in out's memory, even if a later append moves the block. */
    text = (unsigned char *)out->data + start + SEAL_NONCE_BYTES;
    if (len && (EVP_EncryptUpdate(ctx, text, &n, text, (int)len) != 1 ||
                (size_t)n != len))
        goto out;
    if (EVP_EncryptFinal_ex(ctx, text + len, &n) != 1 || n != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_BYTES, tag) != 1)
        goto out;
    buf_append(out, tag, sizeof tag);
    rc = 0;
out:
    if (rc != 0)
        truncate_wiped(out, start);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* Opens what seal_encrypt_ad made from the same key and ad, appending the
 * plaintext (len - SEAL_OVERHEAD bytes, NUL-terminated by buf) to out.
 * Returns 0, or -1 with out unchanged when data is too short, any byte of
 * it, the key or the ad differ, or OpenSSL refuses. The caller wipes the
 * plaintext when done with it (seal_wipe_buf). */
int seal_decrypt_ad(const unsigned char key[SEAL_KEY_BYTES], const void *data,
                    size_t len, const void *ad, size_t ad_len, struct buf *out)
{
    const unsigned char *sealed = data;
    unsigned char tag[SEAL_TAG_BYTES], *text;
    size_t start = out->len, text_len;
    EVP_CIPHER_CTX *ctx = NULL;
    int n = 0, rc = -1;

    if (!data || len < SEAL_OVERHEAD || !args_ok(data, len - SEAL_OVERHEAD, ad, ad_len))
        return -1;
    text_len = len - SEAL_OVERHEAD;
    /* A local copy: EVP_CIPHER_CTX_ctrl takes a non-const pointer. */
    memcpy(tag, sealed + len - SEAL_TAG_BYTES, sizeof tag);
    if (!(ctx = EVP_CIPHER_CTX_new()) ||
        EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, sealed) != 1)
        goto out;
    if (ad_len && EVP_DecryptUpdate(ctx, NULL, &n, ad, (int)ad_len) != 1)
        goto out;
    buf_append(out, sealed + SEAL_NONCE_BYTES, text_len);
    text = (unsigned char *)out->data + start;
    if (text_len && (EVP_DecryptUpdate(ctx, text, &n, text, (int)text_len) != 1 ||
                     (size_t)n != text_len))
        goto out;
    /* Only now is the tag checked: until then the plaintext is unverified,
     * and on failure it is wiped before anyone sees it. */
    if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_BYTES, tag) != 1 ||
        EVP_DecryptFinal_ex(ctx, text + text_len, &n) != 1)
        goto out;
    rc = 0;
out:
    if (rc != 0)
        truncate_wiped(out, start);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* seal_encrypt_ad with no associated data. */
int seal_encrypt(const unsigned char key[SEAL_KEY_BYTES], const void *plain,
                 size_t len, struct buf *out)
{
    return seal_encrypt_ad(key, plain, len, NULL, 0, out);
}

/* seal_decrypt_ad with no associated data. */
int seal_decrypt(const unsigned char key[SEAL_KEY_BYTES], const void *data,
                 size_t len, struct buf *out)
{
    return seal_decrypt_ad(key, data, len, NULL, 0, out);
}

/* ---- random, hashes ----------------------------------------------------- */

/* Fills n bytes at out from the kernel's CSPRNG (getrandom(2), the source
 * OpenSSL seeds from too). Asked for directly because it is what every
 * anonymous page needs (a CSRF token): OpenSSL's RAND_bytes takes locks and
 * runs a DRBG for each call, a cost that showed on the page path. Returns 0,
 * or -1 when it cannot produce them: the caller must then refuse to make a
 * key, id or token, never fall back to weaker bytes. */
int seal_random(void *out, size_t n)
{
    unsigned char *p = out;

    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* Writes the SHA-256 digest of len bytes at data to out. */
/* OpenSSL 3 looks algorithms up in a locked table on every implicit use
 * (EVP_sha256(), HMAC()); on the request path (a session cookie's hash, a
 * CSRF token) that lock is contended by every thread. The algorithms are
 * therefore fetched once per process and reused. */
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;

/* Each thread also keeps one HMAC context and the key it was last keyed
 * with: most calls (every form's CSRF token) use the same key, and keying a
 * fresh context is most of an HMAC's cost in OpenSSL 3. The copy of the key
 * is wiped when the thread ends. */
#define HMAC_KEY_KEPT_MAX 64 /* longer keys are keyed afresh every time */
struct hmac_thread {
    EVP_MAC_CTX *ctx;
    bool keyed;
    size_t key_len;
    unsigned char key[HMAC_KEY_KEPT_MAX];
};
static pthread_key_t hmac_thread_key;
static bool hmac_thread_ready;

static void hmac_thread_free(void *p)
{
    struct hmac_thread *h = p;
    EVP_MAC_CTX_free(h->ctx);
    seal_wipe(h, sizeof *h);
    free(h);
}

static void fetch_algorithms(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    hmac_thread_ready = pthread_key_create(&hmac_thread_key, hmac_thread_free) == 0;
}

/* The calling thread's HMAC context, made on first use; NULL on failure. */
static struct hmac_thread *hmac_thread(void)
{
    struct hmac_thread *h = hmac_thread_ready ? pthread_getspecific(hmac_thread_key) : NULL;
    if (h || !hmac_thread_ready || !hmac_mac)
        return h;
    h = calloc(1, sizeof *h);
    if (h && !(h->ctx = EVP_MAC_CTX_new(hmac_mac))) {
        free(h);
        return NULL;
    }
    if (h && pthread_setspecific(hmac_thread_key, h) != 0) {
        hmac_thread_free(h);
        return NULL;
    }
    return h;
}

void seal_sha256(const void *data, size_t len, unsigned char out[SEAL_SHA256_BYTES])
{
    unsigned int n = 0;

    pthread_once(&fetch_once, fetch_algorithms);
    if (!sha256_md || EVP_Digest(data, len, out, &n, sha256_md, NULL) != 1 ||
        n != SEAL_SHA256_BYTES)
        crypto_failed();
}

/* Writes HMAC-SHA-256(key, msg) to out. key_len may be anything up to
 * INT_MAX (longer keys are hashed first, as RFC 2104 says). */
void seal_hmac_sha256(const void *key, size_t key_len, const void *msg,
                      size_t len, unsigned char out[SEAL_SHA256_BYTES])
{
    static const unsigned char no_key; /* HMAC wants a pointer even for "" */
    size_t n = 0;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };

    pthread_once(&fetch_once, fetch_algorithms);
    struct hmac_thread *h = key_len <= INT_MAX ? hmac_thread() : NULL;
    if (!h)
        crypto_failed();
    /* Same key as last time: init with no key restarts with the kept one. */
    bool same = h->keyed && h->key_len == key_len && CRYPTO_memcmp(h->key, key, key_len) == 0;
    bool ok = (same ? EVP_MAC_init(h->ctx, NULL, 0, NULL)
                    : EVP_MAC_init(h->ctx, key_len ? key : &no_key, key_len, params)) == 1 &&
              EVP_MAC_update(h->ctx, msg, len) == 1 &&
              EVP_MAC_final(h->ctx, out, &n, SEAL_SHA256_BYTES) == 1 && n == SEAL_SHA256_BYTES;
    h->keyed = ok && key_len <= HMAC_KEY_KEPT_MAX;
    if (h->keyed && !same) {
        memcpy(h->key, key, key_len);
        h->key_len = key_len;
    }
    if (!ok)
        crypto_failed();
}

/* ---- base64url (RFC 4648 section 5, unpadded) --------------------------- */

/* Writes the base64url form of len bytes at in, and a NUL, to out. Returns
 * false, writing nothing, when outlen < SEAL_B64URL_LEN(len) + 1. */
bool seal_b64url_encode(const void *in, size_t len, char *out, size_t outlen)
{
    const unsigned char *p = in;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;

    if (len > SEAL_INPUT_MAX || outlen < SEAL_B64URL_LEN(len) + 1)
        return false;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << BITS_PER_BYTE) | p[i];
        bits += BITS_PER_BYTE;
        while (bits >= B64_BITS_PER_CHAR) {
            bits -= B64_BITS_PER_CHAR;
            out[o++] = b64url_alphabet[(acc >> bits) & B64_CHAR_MASK];
        }
        acc &= (1u << bits) - 1;
    }
    if (bits > 0)
        out[o++] = b64url_alphabet[(acc << (B64_BITS_PER_CHAR - bits)) & B64_CHAR_MASK];
    out[o] = '\0';
    return true;
}

/* Decodes len characters of unpadded base64url at in into out (room for
 * outcap bytes) and stores the byte count in *outlen. Returns false when a
 * character is outside the alphabet (padding and whitespace included), the
 * length cannot be a base64 length, the result would not fit, or the unused
 * low bits of the last character are not zero: each byte string then has
 * exactly one accepted spelling. On failure out's contents are unspecified. */
bool seal_b64url_decode(const char *in, size_t len, void *out, size_t outcap,
                        size_t *outlen)
{
    unsigned char *p = out;
    size_t rem = len % 4, need = len / 4 * 3 + (rem ? rem - 1 : 0), o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    if (rem == 1 || need > outcap || (len && !in))
        return false;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return false;
        acc = (acc << B64_BITS_PER_CHAR) | (uint32_t)v;
        bits += B64_BITS_PER_CHAR;
        if (bits >= BITS_PER_BYTE) {
            bits -= BITS_PER_BYTE;
            p[o++] = (unsigned char)((acc >> bits) & BYTE_MASK);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return false;
    if (outlen)
        *outlen = o;
    return true;
}

/* ---- comparison, wiping ------------------------------------------------- */

/* Returns true when the n bytes at a and b are equal, taking the same time
 * wherever they differ (for MACs and tokens). */
bool seal_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

/* Overwrites n bytes at p with zeros in a way the compiler cannot drop. */
void seal_wipe(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

/* Wipes b's whole allocation (not only its length) and frees it, leaving b
 * empty and reusable. Safe on an empty buf. */
void seal_wipe_buf(struct buf *b)
{
    seal_wipe(b->data, b->cap);
    buf_free(b);
}
