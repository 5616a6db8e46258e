/* SPDX-License-Identifier: MIT */
/* sealed: tokens at rest, as the store keeps them. A token is sealed with
 * AES-256-GCM under SESSION_KEY (core/seal), with its row's id hash as
 * associated data, so a ciphertext copied into another row does not open
 * and a copy of a table authenticates nowhere. Browser sessions
 * (store/sessions) and API sign-ins (store/signins) both keep their tokens
 * this way.
 *
 * The worker's copy of the key is set once by sealed_init_worker before
 * threads start and wiped by sealed_cleanup_worker; until then every seal
 * and open fails. Sealed bytes and opened tokens live in the caller's arena;
 * hex texts are the caller's to free. */
#ifndef GH_SEALED_H
#define GH_SEALED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/seal.h"
#include "store/pg.h"

struct arena;

void sealed_init_worker(const unsigned char key[SEAL_KEY_BYTES]);
void sealed_cleanup_worker(void);
bool sealed_ready(void);

/* sealed_hex seals token to the row with id hash `hash`, as hex for a bytea
 * parameter (the caller frees it); the sealed bytes also go to *sealed (in
 * a) when sealed is not NULL. A NULL token gives NULL (nothing to store);
 * *failed is set when sealing fails. */
char *sealed_hex(const char *token, const unsigned char hash[SEAL_SHA256_BYTES],
                 struct arena *a, const unsigned char **sealed, size_t *sealed_len,
                 bool *failed);
/* sealed_open_column opens the sealed token in hex column col of q's first
 * row into a (*out NULL when the column is NULL). False when it does not
 * open: another key, another row's token, a changed byte. */
bool sealed_open_column(const struct pg_query *q, int col,
                        const unsigned char hash[SEAL_SHA256_BYTES], struct arena *a,
                        const char **out);
/* sealed_open opens len sealed bytes into out (outlen bytes with the NUL);
 * false when they do not open or do not fit. */
bool sealed_open(const unsigned char *sealed, size_t len,
                 const unsigned char hash[SEAL_SHA256_BYTES], char *out, size_t outlen);

#endif
