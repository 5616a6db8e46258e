/* SPDX-License-Identifier: MIT */
/* shcache: pool-wide caches in shared memory (see shcache.h).
 *
 * Why shared and not per process: a logout handled by one worker must stop
 * the cookie at once in every worker of the pool. With one table for all,
 * the worker that ends a session evicts it for everybody before it answers.
 *
 * Layout: per kind, SHCACHE_SLOTS direct-mapped slots (the key is a SHA-256,
 * so its first bytes spread well), each with a process-shared, robust mutex
 * and a copy of one value of at most SHCACHE_VALUE_MAX bytes. The values sit
 * in an array of their own, apart from the slots' small headers: a scan (an
 * eviction by owner) then reads a few pages of headers, and a worker's
 * resident memory grows only by the values it actually reads or writes. A collision
 * just replaces the older entry: this is a cache, the database stays the
 * truth. Held locks cover a memcpy, nothing more; a worker that dies holding
 * one leaves it to the next locker (EOWNERDEAD), which drops the slot.
 *
 * The race every such cache has: a reader fetches a row, a writer changes it
 * and evicts, then the reader stores what it fetched, stale. Each kind keeps
 * an epoch that every eviction bumps before it clears; a reader takes the
 * epoch before its query and shcache_put stores only if it is unchanged
 * (checked under the slot's lock, so an eviction that follows the check
 * finds the entry and clears it). Entries also age out after the caller's
 * max_age, a bound on what any missed eviction could cost.
 *
 * Ownership: the area is mapped once by the master and shared by all
 * workers; callers pass and get copies, never pointers into it. */
#include "core/shcache.h"

#include "core/arena.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#define SHCACHE_SLOTS 512 /* per kind: the sessions active in the same minute */

struct slot {
    pthread_mutex_t lock;
    bool used;
    unsigned char key[SHCACHE_KEY_BYTES];
    char owner[SHCACHE_OWNER_MAX];
    time_t stored_at;
    size_t len;
};

struct table {
    _Atomic uint64_t epoch;
    struct slot slots[SHCACHE_SLOTS];
    unsigned char values[SHCACHE_SLOTS][SHCACHE_VALUE_MAX];
};

static struct table *tables; /* SHCACHE_KINDS of them; NULL: no caches here */
static atomic_bool enabled;  /* this process reads and stores (evictions always run) */

/* shcache_create maps the caches; the master calls it once before forking.
 * Returns 0, or -1 when the memory or the mutexes cannot be had. */
int shcache_create(void)
{
    pthread_mutexattr_t attr;
    int rc = -1;

    if (tables)
        return 0;
    void *p = mmap(NULL, sizeof(struct table) * SHCACHE_KINDS, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (pthread_mutexattr_init(&attr) != 0)
        goto out;
    if (pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) != 0 ||
        pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) != 0)
        goto out_attr;
    struct table *t = p;
    for (int k = 0; k < SHCACHE_KINDS; k++)
        for (size_t i = 0; i < SHCACHE_SLOTS; i++)
            if (pthread_mutex_init(&t[k].slots[i].lock, &attr) != 0)
                goto out_attr;
    tables = t;
    rc = 0;
out_attr:
    pthread_mutexattr_destroy(&attr);
out:
    if (rc < 0)
        munmap(p, sizeof(struct table) * SHCACHE_KINDS);
    return rc;
}

/* shcache_set_enabled turns this process's lookups and stores on or off.
 * Evictions run either way, so a process that stops using the caches still
 * keeps them right for the others. */
void shcache_set_enabled(bool on)
{
    atomic_store(&enabled, on);
}

static size_t index_for(const unsigned char *key)
{
    uint64_t h;
    memcpy(&h, key, sizeof h);
    return h % SHCACHE_SLOTS;
}

/* lock takes a slot's mutex. A holder that died may have left the slot half
 * written: it is dropped. False only if the mutex is unusable. */
static bool lock(struct slot *s)
{
    int rc = pthread_mutex_lock(&s->lock);
    if (rc == EOWNERDEAD) {
        s->used = false;
        pthread_mutex_consistent(&s->lock);
        return true;
    }
    return rc == 0;
}

static bool usable(enum shcache_kind kind)
{
    return tables && kind >= 0 && kind < SHCACHE_KINDS;
}

/* shcache_epoch is the value to pass to shcache_put for what the caller is
 * about to read from the database. */
uint64_t shcache_epoch(enum shcache_kind kind)
{
    return usable(kind) ? atomic_load(&tables[kind].epoch) : 0;
}

/* shcache_get copies key's value into value (cap bytes) and its length into
 * *len if it is cached, stored at most max_age seconds before now, and fits.
 * False otherwise (a miss). */
bool shcache_get(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES], time_t now,
                 time_t max_age, void *value, size_t cap, size_t *len)
{
    bool hit = false;
    if (!usable(kind) || !atomic_load(&enabled))
        return false;
    size_t i = index_for(key);
    struct slot *s = &tables[kind].slots[i];
    if (!lock(s))
        return false;
    if (s->used && !memcmp(s->key, key, SHCACHE_KEY_BYTES) && now >= s->stored_at &&
        now - s->stored_at <= max_age && s->len <= cap) {
        memcpy(value, tables[kind].values[i], s->len);
        *len = s->len;
        hit = true;
    }
    pthread_mutex_unlock(&s->lock);
    return hit;
}

/* shcache_put stores len bytes of value under key, owned by owner (the tag
 * shcache_forget_owner evicts by), unless an eviction happened since the
 * caller took epoch. A value or owner too large is not stored. */
void shcache_put(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES],
                 uint64_t epoch, time_t now, const char *owner, const void *value, size_t len)
{
    size_t owner_len = strlen(owner);
    if (!usable(kind) || !atomic_load(&enabled) || len > SHCACHE_VALUE_MAX ||
        owner_len >= SHCACHE_OWNER_MAX)
        return;
    size_t i = index_for(key);
    struct slot *s = &tables[kind].slots[i];
    if (!lock(s))
        return;
    if (atomic_load(&tables[kind].epoch) == epoch) {
        memcpy(s->key, key, SHCACHE_KEY_BYTES);
        memcpy(s->owner, owner, owner_len + 1);
        memcpy(tables[kind].values[i], value, len);
        s->len = len;
        s->stored_at = now;
        s->used = true;
    }
    pthread_mutex_unlock(&s->lock);
}

/* shcache_forget evicts key. Call it after the database change commits. */
void shcache_forget(enum shcache_kind kind, const unsigned char key[SHCACHE_KEY_BYTES])
{
    if (!usable(kind))
        return;
    atomic_fetch_add(&tables[kind].epoch, 1);
    struct slot *s = &tables[kind].slots[index_for(key)];
    if (!lock(s))
        return;
    if (s->used && !memcmp(s->key, key, SHCACHE_KEY_BYTES))
        s->used = false;
    pthread_mutex_unlock(&s->lock);
}

/* forget_matching evicts every entry (all of them when owner is NULL). */
static void forget_matching(enum shcache_kind kind, const char *owner)
{
    if (!usable(kind))
        return;
    atomic_fetch_add(&tables[kind].epoch, 1);
    for (size_t i = 0; i < SHCACHE_SLOTS; i++) {
        struct slot *s = &tables[kind].slots[i];
        if (!lock(s))
            continue;
        if (s->used && (!owner || !strcmp(s->owner, owner)))
            s->used = false;
        pthread_mutex_unlock(&s->lock);
    }
}

/* shcache_forget_owner evicts every entry of owner: a scan of the table,
 * for changes to a user rather than to one of their keys. */
void shcache_forget_owner(enum shcache_kind kind, const char *owner)
{
    forget_matching(kind, owner);
}

/* shcache_forget_all empties a kind's table. */
void shcache_forget_all(enum shcache_kind kind)
{
    forget_matching(kind, NULL);
}

/* ---- values made of strings -------------------------------------------- */

/* shcache_pack_string appends s and its NUL to out (cap bytes) at *at and
 * moves *at past it; false, writing nothing, when it does not fit. */
bool shcache_pack_string(unsigned char *out, size_t cap, size_t *at, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*at > cap || n > cap - *at)
        return false;
    memcpy(out + *at, s, n);
    *at += n;
    return true;
}

/* shcache_unpack_string copies the string at *at of a value of len bytes
 * into a and moves *at past it; NULL when the value ends first. */
const char *shcache_unpack_string(const unsigned char *in, size_t len, size_t *at,
                                  struct arena *a)
{
    const unsigned char *end = *at < len ? memchr(in + *at, '\0', len - *at) : NULL;
    if (!end)
        return NULL;
    const char *s = arena_strdup(a, (const char *)in + *at);
    *at = (size_t)(end - in) + 1;
    return s;
}
