/* SPDX-License-Identifier: MIT */
/* shcache: small pool-wide caches in shared memory, for rows that nearly
 * every request would otherwise fetch from PostgreSQL (a browser's session,
 * a bearer token's user). The master maps them before forking; in a process
 * without them (a CLI command, a unit test) every lookup misses and every
 * store and eviction does nothing, so callers need no second path.
 *
 * A process uses the caches only while shcache_set_enabled(true) holds: a
 * worker turns them on while it listens for changes made by other processes
 * (store/cachesync), which could otherwise leave it reading stale entries.
 *
 * Correctness rests on the callers' order: change the database first, then
 * evict (shcache_forget...); read the epoch (shcache_epoch) before reading
 * the database, and hand it to shcache_put, which stores nothing if any
 * eviction happened in between. Contracts are in shcache.c. */
#ifndef GH_SHCACHE_H
#define GH_SHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SHCACHE_KEY_BYTES 32   /* a SHA-256 */
#define SHCACHE_OWNER_MAX 96   /* "<tenant>/<sub>": what evicts a user's entries */
#define SHCACHE_VALUE_MAX 1536 /* a larger value is simply not cached */

enum shcache_kind {
    SHCACHE_SESSIONS, /* browser sessions, keyed by the cookie's hash */
    SHCACHE_BEARER,   /* a bearer token's user and revocation state */
    SHCACHE_UPGRADES, /* a user's last upgrade request, a tenant's pending count */
    SHCACHE_SYNCS,    /* a tenant's users sync: the run under way and the last one */
    SHCACHE_KINDS,
};

struct arena;

int shcache_create(void);
void shcache_set_enabled(bool on);
uint64_t shcache_epoch(enum shcache_kind kind);
bool shcache_get(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES], time_t now,
                 time_t max_age, void *value, size_t cap, size_t *len);
void shcache_put(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES],
                 uint64_t epoch, time_t now, const char *owner, const void *value, size_t len);
void shcache_forget(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES]);
void shcache_forget_owner(enum shcache_kind kind, const char *owner);
void shcache_forget_all(enum shcache_kind kind);

/* Values made of NUL-terminated strings, written and read in order. */
bool shcache_pack_string(unsigned char *out, size_t cap, size_t *at, const char *s);
const char *shcache_unpack_string(const unsigned char *in, size_t len, size_t *at,
                                  struct arena *a);

#endif
