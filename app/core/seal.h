/* SPDX-License-Identifier: MIT */
/* seal: the small set of cryptographic tools gatehouse needs, on OpenSSL.
 * AES-256-GCM for secrets at rest (nonce || ciphertext || tag), random bytes,
 * SHA-256, HMAC-SHA-256, unpadded base64url, constant-time comparison and
 * wiping. Pure functions: no state, safe from any thread. See seal.c. */
#ifndef GH_SEAL_H
#define GH_SEAL_H

#include <stdbool.h>
#include <stddef.h>

struct buf;

#define SEAL_KEY_BYTES 32   /* AES-256 */
#define SEAL_NONCE_BYTES 12 /* GCM's natural nonce size */
#define SEAL_TAG_BYTES 16
#define SEAL_OVERHEAD (SEAL_NONCE_BYTES + SEAL_TAG_BYTES)
#define SEAL_SHA256_BYTES 32
#define SEAL_INPUT_MAX (1024 * 1024) /* plaintext or associated data, bytes */
/* Characters of the unpadded base64url form of n bytes (no NUL). */
#define SEAL_B64URL_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Encryption appends nonce || ciphertext || tag to out; decryption appends
 * the plaintext. Both return 0, or -1 leaving out as it was. ad (may be NULL
 * when ad_len is 0) is authenticated but not stored: decryption needs the
 * same bytes. The _ad-less forms use none. */
int seal_encrypt(const unsigned char key[SEAL_KEY_BYTES], const void *plain,
                 size_t len, struct buf *out);
int seal_decrypt(const unsigned char key[SEAL_KEY_BYTES], const void *data,
                 size_t len, struct buf *out);
int seal_encrypt_ad(const unsigned char key[SEAL_KEY_BYTES], const void *plain,
                    size_t len, const void *ad, size_t ad_len, struct buf *out);
int seal_decrypt_ad(const unsigned char key[SEAL_KEY_BYTES], const void *data,
                    size_t len, const void *ad, size_t ad_len, struct buf *out);

int seal_random(void *out, size_t n);
void seal_sha256(const void *data, size_t len,
                 unsigned char out[SEAL_SHA256_BYTES]);
void seal_hmac_sha256(const void *key, size_t key_len, const void *msg,
                      size_t len, unsigned char out[SEAL_SHA256_BYTES]);

/* Encoding writes SEAL_B64URL_LEN(len) characters and a NUL. Decoding is
 * strict (no padding, no whitespace, canonical trailing bits only). */
bool seal_b64url_encode(const void *in, size_t len, char *out, size_t outlen);
bool seal_b64url_decode(const char *in, size_t len, void *out, size_t outcap,
                        size_t *outlen);

bool seal_equal(const void *a, const void *b, size_t n);
void seal_wipe(void *p, size_t n);
void seal_wipe_buf(struct buf *b);

#endif
