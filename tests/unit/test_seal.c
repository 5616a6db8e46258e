/* SPDX-License-Identifier: MIT */
/* test_seal: AES-256-GCM against the test vectors of the GCM specification
 * (McGrew and Viega, test cases 13, 14 and 16) opened through our format,
 * round trips with and without associated data, refusal of every single
 * tampered byte, of truncation, of another key and of other associated data;
 * SHA-256 (FIPS 180-2 "abc") and HMAC-SHA-256 (RFC 4231 case 2) answers;
 * base64url against RFC 4648 and its strictness; random bytes, constant-time
 * comparison and wiping. Needs no server. */
#include "core/seal.c"

#include "core/buf.h"
#include "test.h"

#define HEX_MAX 512
#define ROUNDS 64

/* ---- helpers ------------------------------------------------------------ */

static size_t from_hex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static bool bytes_are(const void *got, size_t got_len, const char *want_hex)
{
    unsigned char want[HEX_MAX];
    size_t n = from_hex(want_hex, want);
    return got_len == n && memcmp(got, want, n) == 0;
}

/* Builds nonce || ciphertext || tag from the parts of a published vector. */
static size_t sealed_from(const char *nonce, const char *ct, const char *tag,
                          unsigned char *out)
{
    size_t n = from_hex(nonce, out);
    n += from_hex(ct, out + n);
    n += from_hex(tag, out + n);
    return n;
}

/* ---- AES-256-GCM -------------------------------------------------------- */

static void test_vectors(void)
{
    unsigned char key[SEAL_KEY_BYTES] = {0}, sealed[HEX_MAX], ad[HEX_MAX];
    struct buf out;
    size_t n, ad_len;

    buf_init(&out);
    /* Test case 13: zero key, zero nonce, empty plaintext. */
    n = sealed_from("000000000000000000000000", "", "530f8afbc74536b9a963b4f1c4cb738b",
                    sealed);
    test_cond("gcm tc13 opens to nothing",
              seal_decrypt(key, sealed, n, &out) == 0 && out.len == 0);
    /* Test case 14: one zero block. */
    n = sealed_from("000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
                    "d0d1c8a799996bf0265b98b5d48ab919", sealed);
    test_cond("gcm tc14 opens to a zero block",
              seal_decrypt(key, sealed, n, &out) == 0 &&
                  bytes_are(out.data, out.len, "00000000000000000000000000000000"));
    buf_reset(&out);
    /* Test case 16: a 60-byte plaintext with 20 bytes of associated data. */
    from_hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", key);
    ad_len = from_hex("feedfacedeadbeeffeedfacedeadbeefabaddad2", ad);
    n = sealed_from("cafebabefacedbaddecaf888",
                    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
                    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
                    "76fc6ece0f4e1768cddf8853bb2d551b", sealed);
    test_cond("gcm tc16 opens with its associated data",
              seal_decrypt_ad(key, sealed, n, ad, ad_len, &out) == 0 &&
                  bytes_are(out.data, out.len,
                            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d"
                            "8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657"
                            "ba637b39"));
    buf_reset(&out);
    test_cond("gcm tc16 refuses without its associated data",
              seal_decrypt(key, sealed, n, &out) == -1 && out.len == 0);
    buf_free(&out);
}

static void test_round_trip(void)
{
    unsigned char key[SEAL_KEY_BYTES], other_key[SEAL_KEY_BYTES];
    const char *secret = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIn0.refresh-token";
    const char *ad = "session-hash", *prefix = "kept:";
    size_t len = strlen(secret), prefix_len = strlen(prefix);
    struct buf a, b, plain;
    bool every_byte = true;

    buf_init(&a);
    buf_init(&b);
    buf_init(&plain);
    test_cond("random key", seal_random(key, sizeof key) == 0 &&
                                seal_random(other_key, sizeof other_key) == 0);

    buf_puts(&a, prefix);
    test_cond("encrypt appends nonce, ciphertext and tag",
              seal_encrypt_ad(key, secret, len, ad, strlen(ad), &a) == 0 &&
                  a.len == prefix_len + len + SEAL_OVERHEAD &&
                  memcmp(a.data, prefix, prefix_len) == 0);
    test_cond("ciphertext does not contain the plaintext",
              !memmem(a.data, a.len, secret, len) && !memmem(a.data, a.len, "refresh", 7));
    test_cond("two encryptions differ (fresh nonce)",
              seal_encrypt_ad(key, secret, len, ad, strlen(ad), &b) == 0 &&
                  b.len == len + SEAL_OVERHEAD &&
                  memcmp(a.data + prefix_len, b.data, SEAL_NONCE_BYTES) != 0 &&
                  memcmp(a.data + prefix_len, b.data, b.len) != 0);

    buf_puts(&plain, prefix);
    test_cond("decrypt appends the plaintext",
              seal_decrypt_ad(key, a.data + prefix_len, a.len - prefix_len, ad,
                              strlen(ad), &plain) == 0 &&
                  plain.len == prefix_len + len &&
                  memcmp(plain.data + prefix_len, secret, len) == 0 &&
                  plain.data[plain.len] == '\0');
    buf_reset(&plain);

    /* Every single flipped bit position class: each byte, one bit. */
    for (size_t i = 0; i < b.len; i++) {
        b.data[i] ^= 0x01;
        if (seal_decrypt_ad(key, b.data, b.len, ad, strlen(ad), &plain) != -1 ||
            plain.len != 0)
            every_byte = false;
        b.data[i] ^= 0x01;
    }
    test_cond("any tampered byte (nonce, ciphertext or tag) is refused", every_byte);
    test_cond("untampered still opens",
              seal_decrypt_ad(key, b.data, b.len, ad, strlen(ad), &plain) == 0 &&
                  plain.len == len);
    buf_reset(&plain);
    test_cond("another key is refused",
              seal_decrypt_ad(other_key, b.data, b.len, ad, strlen(ad), &plain) == -1);
    test_cond("other associated data is refused",
              seal_decrypt_ad(key, b.data, b.len, "session-hasH", strlen(ad), &plain) == -1);
    test_cond("missing associated data is refused",
              seal_decrypt(key, b.data, b.len, &plain) == -1);
    test_cond("truncated is refused",
              seal_decrypt_ad(key, b.data, b.len - 1, ad, strlen(ad), &plain) == -1 &&
                  seal_decrypt_ad(key, b.data, SEAL_OVERHEAD - 1, ad, strlen(ad), &plain) == -1 &&
                  seal_decrypt_ad(key, b.data, 0, ad, strlen(ad), &plain) == -1);
    test_cond("extended is refused",
              (buf_putc(&b, 'x'), seal_decrypt_ad(key, b.data, b.len, ad, strlen(ad),
                                                  &plain) == -1));
    test_cond("failures leave out empty", plain.len == 0);

    buf_reset(&a);
    test_cond("empty plaintext round trip",
              seal_encrypt(key, NULL, 0, &a) == 0 && a.len == SEAL_OVERHEAD &&
                  seal_decrypt(key, a.data, a.len, &plain) == 0 && plain.len == 0);
    test_cond("oversized input is refused",
              seal_encrypt(key, secret, (size_t)SEAL_INPUT_MAX + 1, &a) == -1 &&
                  a.len == SEAL_OVERHEAD);
    test_cond("NULL plaintext with a length is refused",
              seal_encrypt(key, NULL, 1, &a) == -1 && a.len == SEAL_OVERHEAD);

    seal_wipe_buf(&plain);
    test_cond("seal_wipe_buf leaves an empty buf", plain.data == NULL && plain.len == 0);
    buf_free(&a);
    buf_free(&b);
}

/* ---- hashes, random ----------------------------------------------------- */

static void test_hashes(void)
{
    unsigned char d[SEAL_SHA256_BYTES], e[SEAL_SHA256_BYTES], r1[32], r2[32];
    const char *msg = "what do ya want for nothing?";
    bool differ = false;

    seal_sha256("abc", 3, d);
    test_cond("sha256(abc)",
              bytes_are(d, sizeof d,
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    seal_sha256("", 0, d);
    test_cond("sha256(\"\")",
              bytes_are(d, sizeof d,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    seal_hmac_sha256("Jefe", 4, msg, strlen(msg), d);
    test_cond("hmac-sha256 RFC 4231 case 2",
              bytes_are(d, sizeof d,
                        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
    seal_hmac_sha256("Jeff", 4, msg, strlen(msg), e);
    test_cond("hmac depends on the key", memcmp(d, e, sizeof d) != 0);
    seal_hmac_sha256("", 0, "", 0, d);
    test_cond("hmac with empty key and message",
              bytes_are(d, sizeof d,
                        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
    /* The thread keeps its last key: the same key again, another one, and a
     * key too long to keep (RFC 4231 case 6, 131 bytes) must all still give
     * the right answers, whatever came before. */
    unsigned char long_key[131];
    memset(long_key, 0xaa, sizeof long_key);
    const char *case6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    bool kept = true;
    for (int round = 0; round < 2; round++) {
        seal_hmac_sha256("Jefe", 4, msg, strlen(msg), d);
        kept &= bytes_are(d, sizeof d,
                          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        seal_hmac_sha256("Jefe", 4, msg, strlen(msg), d);
        kept &= bytes_are(d, sizeof d,
                          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        seal_hmac_sha256(long_key, sizeof long_key, case6, strlen(case6), d);
        kept &= bytes_are(d, sizeof d,
                          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        seal_hmac_sha256(long_key, sizeof long_key, case6, strlen(case6), d);
        kept &= bytes_are(d, sizeof d,
                          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }
    test_cond("hmac: repeated and alternating keys, short and long (RFC 4231 case 6)", kept);

    test_cond("random bytes", seal_random(r1, sizeof r1) == 0 && seal_random(r2, sizeof r2) == 0);
    for (size_t i = 0; i < sizeof r1; i++)
        differ |= r1[i] != r2[i];
    test_cond("two random draws differ", differ);
    test_cond("zero random bytes is fine", seal_random(r1, 0) == 0);
}

/* ---- base64url ---------------------------------------------------------- */

static void test_b64url(void)
{
    static const char *const rfc[][2] = {
        {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},       {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
    };
    static const char *const refused[] = {
        "Zg==", "Zm9v=", "Z", "Zm9vY", "Zh", "Zm9", "Zm+v", "Zm/v", "Zm9 v", "Zm\n9v",
        "Zm9\x80", "-_9",
    };
    char enc[64];
    unsigned char dec[64], all[256];
    size_t n = 0;
    bool ok = true;

    for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
        size_t len = strlen(rfc[i][0]);
        if (!seal_b64url_encode(rfc[i][0], len, enc, sizeof enc) || strcmp(enc, rfc[i][1]) ||
            strlen(enc) != SEAL_B64URL_LEN(len) ||
            !seal_b64url_decode(rfc[i][1], strlen(rfc[i][1]), dec, sizeof dec, &n) ||
            n != len || memcmp(dec, rfc[i][0], n) != 0) {
            printf("  b64url vector %zu\n", i);
            ok = false;
        }
    }
    test_cond("RFC 4648 vectors both ways", ok);
    test_cond("url-safe alphabet", seal_b64url_encode("\xfb\xff", 2, enc, sizeof enc) &&
                                       strcmp(enc, "-_8") == 0);
    test_cond("url-safe decode", seal_b64url_decode("-_8", 3, dec, sizeof dec, &n) &&
                                     n == 2 && dec[0] == 0xfb && dec[1] == 0xff);
    ok = true;
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        if (seal_b64url_decode(refused[i], strlen(refused[i]), dec, sizeof dec, &n)) {
            printf("  accepted \"%s\"\n", refused[i]);
            ok = false;
        }
    }
    test_cond("padding, whitespace, wrong alphabet, bad lengths, loose bits refused", ok);
    test_cond("decode refuses what does not fit",
              !seal_b64url_decode("Zm9vYmFy", 8, dec, 5, &n) &&
                  seal_b64url_decode("Zm9vYmFy", 8, dec, 6, &n) && n == 6);
    test_cond("encode refuses a short buffer",
              !seal_b64url_encode("foo", 3, enc, 4) && seal_b64url_encode("foo", 3, enc, 5));

    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)i;
    ok = true;
    for (size_t len = 0; len <= sizeof all && ok; len += 7) {
        char big[SEAL_B64URL_LEN(sizeof all) + 1];
        unsigned char back[sizeof all];
        ok = seal_b64url_encode(all + (sizeof all - len), len, big, sizeof big) &&
             strlen(big) == SEAL_B64URL_LEN(len) &&
             seal_b64url_decode(big, strlen(big), back, sizeof back, &n) && n == len &&
             memcmp(back, all + (sizeof all - len), len) == 0;
    }
    test_cond("every byte value round trips at many lengths", ok);
    test_cond("32 bytes are 43 characters", SEAL_B64URL_LEN(32) == 43);
}

/* ---- comparison, wiping ------------------------------------------------- */

static void test_equal_wipe(void)
{
    unsigned char a[16] = "0123456789abcdef", b[16] = "0123456789abcdef";
    bool zero = true;

    test_cond("equal", seal_equal(a, b, sizeof a));
    b[15] ^= 1;
    test_cond("last byte differs", !seal_equal(a, b, sizeof a));
    b[15] ^= 1;
    b[0] ^= 0x80;
    test_cond("first byte differs", !seal_equal(a, b, sizeof a));
    test_cond("zero length is equal", seal_equal(a, b, 0));
    seal_wipe(a, sizeof a);
    for (size_t i = 0; i < sizeof a; i++)
        zero &= a[i] == 0;
    test_cond("wipe zeroes", zero);
    seal_wipe(NULL, 5); /* a NULL pointer is accepted: this must not crash */
}

int main(void)
{
    test_vectors();
    test_round_trip();
    test_hashes();
    test_b64url();
    test_equal_wipe();
    return test_report();
}
