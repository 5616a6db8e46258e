/* SPDX-License-Identifier: MIT */
/* sealed: sealing and opening stored tokens (see sealed.h).
 *
 * The key is process state written once before the worker threads start
 * and only read afterwards, so it needs no lock. Opened plaintext passes
 * through a buffer that is wiped as it is freed (seal_wipe_buf). */
#include "store/sealed.h"

#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/hex.h"
#include "core/xalloc.h"

static unsigned char session_key[SEAL_KEY_BYTES];
static bool key_ready;

void sealed_init_worker(const unsigned char key[SEAL_KEY_BYTES])
{
    memcpy(session_key, key, SEAL_KEY_BYTES);
    key_ready = true;
}

void sealed_cleanup_worker(void)
{
    seal_wipe(session_key, sizeof session_key);
    key_ready = false;
}

bool sealed_ready(void)
{
    return key_ready;
}

char *sealed_hex(const char *token, const unsigned char hash[SEAL_SHA256_BYTES],
                 struct arena *a, const unsigned char **sealed, size_t *sealed_len,
                 bool *failed)
{
    struct buf out;
    char *hex = NULL;

    if (!token)
        return NULL;
    buf_init(&out);
    if (key_ready &&
        seal_encrypt_ad(session_key, token, strlen(token), hash, SEAL_SHA256_BYTES, &out) == 0) {
        hex = hex_encode(out.data, out.len, xmalloc(2 * out.len + 1));
        if (sealed) {
            unsigned char *copy = arena_alloc(a, out.len);
            memcpy(copy, out.data, out.len);
            *sealed = copy;
            *sealed_len = out.len;
        }
    }
    if (!hex)
        *failed = true;
    buf_free(&out);
    return hex;
}

bool sealed_open_column(const struct pg_query *q, int col,
                        const unsigned char hash[SEAL_SHA256_BYTES], struct arena *a,
                        const char **out)
{
    *out = NULL;
    if (pg_query_is_null(q, 0, col))
        return true;
    size_t hex_len = pg_query_len(q, 0, col), len = hex_len / 2;
    unsigned char *sealed = arena_alloc(a, len + 1);
    struct buf plain;
    bool ok = false;
    buf_init(&plain);
    if (key_ready && hex_decode(pg_query_value(q, 0, col), hex_len, sealed, len) &&
        seal_decrypt_ad(session_key, sealed, len, hash, SEAL_SHA256_BYTES, &plain) == 0) {
        *out = arena_strndup(a, plain.data, plain.len);
        ok = true;
    }
    seal_wipe_buf(&plain);
    return ok;
}

bool sealed_open(const unsigned char *sealed, size_t len,
                 const unsigned char hash[SEAL_SHA256_BYTES], char *out, size_t outlen)
{
    struct buf plain;
    bool ok = false;

    if (outlen)
        out[0] = '\0';
    if (!key_ready)
        return false;
    buf_init(&plain);
    if (seal_decrypt_ad(session_key, sealed, len, hash, SEAL_SHA256_BYTES, &plain) == 0 &&
        plain.len < outlen && strlen(buf_cstr(&plain)) == plain.len) {
        memcpy(out, plain.data, plain.len + 1);
        ok = true;
    }
    seal_wipe_buf(&plain);
    return ok;
}
