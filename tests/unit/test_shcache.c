/* SPDX-License-Identifier: MIT */
/* test_shcache: the pool-wide caches — hits and misses, ages, evictions by
 * key, owner and all, the epoch that keeps a stale read out, the per-process
 * switch, sharing across fork, and recovery from a holder that died. And
 * cachesync_apply's payloads, which turn notifications into evictions. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/shcache.h"
#include "store/cachesync.h"
#include "test.h"

#define NOW 1800000000
#define AGE 60

static void key_from(unsigned char key[SHCACHE_KEY_BYTES], unsigned char seed)
{
    for (size_t i = 0; i < SHCACHE_KEY_BYTES; i++)
        key[i] = (unsigned char)(seed * 31 + i * 7);
}

static bool get_is(enum shcache_kind kind, const unsigned char *key, time_t now, const char *want)
{
    char value[SHCACHE_VALUE_MAX];
    size_t len = 0;
    if (!shcache_get(kind, key, now, AGE, value, sizeof value, &len))
        return want == NULL;
    return want && len == strlen(want) + 1 && !memcmp(value, want, len);
}

static void put(enum shcache_kind kind, const unsigned char *key, const char *owner,
                const char *value)
{
    shcache_put(kind, key, shcache_epoch(kind), NOW, owner, value, strlen(value) + 1);
}

static void test_without_area(void)
{
    unsigned char k[SHCACHE_KEY_BYTES];
    key_from(k, 1);
    shcache_set_enabled(true);
    put(SHCACHE_SESSIONS, k, "1/a", "value");
    test_cond("no area: a put is a no-op and a get misses", get_is(SHCACHE_SESSIONS, k, NOW, NULL));
    shcache_forget(SHCACHE_SESSIONS, k);
    shcache_forget_all(SHCACHE_BEARER);
    test_cond("no area: evictions are harmless", shcache_epoch(SHCACHE_SESSIONS) == 0);
}

static void test_basics(void)
{
    unsigned char a[SHCACHE_KEY_BYTES], b[SHCACHE_KEY_BYTES];
    char big[SHCACHE_VALUE_MAX + 1], small[4];
    size_t len;
    key_from(a, 2);
    key_from(b, 3);

    shcache_set_enabled(false);
    put(SHCACHE_SESSIONS, a, "1/a", "off");
    shcache_set_enabled(true);
    test_cond("disabled: nothing stored", get_is(SHCACHE_SESSIONS, a, NOW, NULL));
    put(SHCACHE_SESSIONS, a, "1/a", "alpha");
    test_cond("hit", get_is(SHCACHE_SESSIONS, a, NOW, "alpha"));
    shcache_set_enabled(false);
    test_cond("disabled: a stored entry is not read", get_is(SHCACHE_SESSIONS, a, NOW, NULL));
    shcache_set_enabled(true);
    test_cond("another key misses", get_is(SHCACHE_SESSIONS, b, NOW, NULL));
    test_cond("kinds are apart", get_is(SHCACHE_BEARER, a, NOW, NULL));
    test_cond("within max age", get_is(SHCACHE_SESSIONS, a, NOW + AGE, "alpha"));
    test_cond("older than max age misses", get_is(SHCACHE_SESSIONS, a, NOW + AGE + 1, NULL));
    test_cond("stored in the future (clock step) misses", get_is(SHCACHE_SESSIONS, a, NOW - 1, NULL));
    test_cond("too small a buffer misses",
              !shcache_get(SHCACHE_SESSIONS, a, NOW, AGE, small, sizeof small, &len));
    put(SHCACHE_SESSIONS, a, "1/a", "alpha-2");
    test_cond("a put replaces", get_is(SHCACHE_SESSIONS, a, NOW, "alpha-2"));

    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put(SHCACHE_SESSIONS, b, "1/b", big);
    test_cond("a value over SHCACHE_VALUE_MAX is not stored", get_is(SHCACHE_SESSIONS, b, NOW, NULL));
    char owner[SHCACHE_OWNER_MAX + 1];
    memset(owner, 'o', SHCACHE_OWNER_MAX);
    owner[SHCACHE_OWNER_MAX] = '\0';
    put(SHCACHE_SESSIONS, b, owner, "beta");
    test_cond("an owner too long is not stored", get_is(SHCACHE_SESSIONS, b, NOW, NULL));

    shcache_forget(SHCACHE_SESSIONS, b);
    test_cond("forgetting another key keeps this one", get_is(SHCACHE_SESSIONS, a, NOW, "alpha-2"));
    shcache_forget(SHCACHE_SESSIONS, a);
    test_cond("forget", get_is(SHCACHE_SESSIONS, a, NOW, NULL));
}

static void test_epoch(void)
{
    unsigned char a[SHCACHE_KEY_BYTES], b[SHCACHE_KEY_BYTES];
    key_from(a, 4);
    key_from(b, 5);
    uint64_t before = shcache_epoch(SHCACHE_SESSIONS);
    /* A reader took the epoch, read the row; meanwhile a writer changed some
     * row and evicted: the reader's copy may be stale and is refused. */
    shcache_forget(SHCACHE_SESSIONS, b);
    shcache_put(SHCACHE_SESSIONS, a, before, NOW, "1/a", "stale", 6);
    test_cond("a put after an eviction since its epoch stores nothing",
              get_is(SHCACHE_SESSIONS, a, NOW, NULL));
    shcache_put(SHCACHE_SESSIONS, a, shcache_epoch(SHCACHE_SESSIONS), NOW, "1/a", "fresh", 6);
    test_cond("a put with the current epoch stores", get_is(SHCACHE_SESSIONS, a, NOW, "fresh"));
    uint64_t bearer = shcache_epoch(SHCACHE_BEARER);
    shcache_forget(SHCACHE_SESSIONS, a);
    test_cond("epochs are per kind", shcache_epoch(SHCACHE_BEARER) == bearer);
}

static void test_owner_and_all(void)
{
    unsigned char k[4][SHCACHE_KEY_BYTES];
    for (unsigned char i = 0; i < 4; i++)
        key_from(k[i], (unsigned char)(10 + i));
    put(SHCACHE_BEARER, k[0], "acme/u1", "t1");
    put(SHCACHE_BEARER, k[1], "acme/u1", "t2");
    put(SHCACHE_BEARER, k[2], "acme/u2", "t3");
    put(SHCACHE_BEARER, k[3], "other/u1", "t4");
    shcache_forget_owner(SHCACHE_BEARER, "acme/u1");
    test_cond("forget_owner evicts every entry of the owner",
              get_is(SHCACHE_BEARER, k[0], NOW, NULL) && get_is(SHCACHE_BEARER, k[1], NOW, NULL));
    test_cond("forget_owner keeps other owners (same sub in another tenant too)",
              get_is(SHCACHE_BEARER, k[2], NOW, "t3") && get_is(SHCACHE_BEARER, k[3], NOW, "t4"));
    shcache_forget_all(SHCACHE_BEARER);
    test_cond("forget_all", get_is(SHCACHE_BEARER, k[2], NOW, NULL) &&
                                get_is(SHCACHE_BEARER, k[3], NOW, NULL));
}

static void test_across_fork(void)
{
    unsigned char a[SHCACHE_KEY_BYTES], b[SHCACHE_KEY_BYTES];
    key_from(a, 20);
    key_from(b, 21);
    put(SHCACHE_SESSIONS, a, "1/a", "parent");
    pid_t pid = fork();
    if (pid == 0) {
        /* The child sees the parent's entry, evicts it and stores another. */
        bool seen = get_is(SHCACHE_SESSIONS, a, NOW, "parent");
        shcache_forget(SHCACHE_SESSIONS, a);
        put(SHCACHE_SESSIONS, b, "1/b", "child");
        _exit(seen ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    test_cond("a child process sees the entry", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    test_cond("its eviction is seen here", get_is(SHCACHE_SESSIONS, a, NOW, NULL));
    test_cond("its entry is seen here", get_is(SHCACHE_SESSIONS, b, NOW, "child"));
}

static void test_dead_holder(void)
{
    /* A child keeps storing into one slot and is killed, most likely with the
     * slot's lock held: the next locker must get through (the robust mutex
     * reports the dead owner and the slot is dropped). */
    unsigned char a[SHCACHE_KEY_BYTES];
    key_from(a, 30);
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            put(SHCACHE_SESSIONS, a, "1/a", "child");
    }
    usleep(20000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    put(SHCACHE_SESSIONS, a, "1/a", "after");
    test_cond("a slot whose holder was killed is usable again",
              get_is(SHCACHE_SESSIONS, a, NOW, "after"));
}

static void test_payloads(void)
{
    unsigned char k[SHCACHE_KEY_BYTES];
    char payload[2 + 2 * SHCACHE_KEY_BYTES + 1] = "s:";
    key_from(k, 40);
    for (size_t i = 0; i < SHCACHE_KEY_BYTES; i++) {
        static const char hex[] = "0123456789abcdef";
        payload[2 + 2 * i] = hex[k[i] >> 4];
        payload[3 + 2 * i] = hex[k[i] & 15];
    }
    put(SHCACHE_SESSIONS, k, "1/s", "session");
    cachesync_apply("s:00");
    test_cond("a malformed session payload empties the caches rather than guess",
              get_is(SHCACHE_SESSIONS, k, NOW, NULL));
    put(SHCACHE_SESSIONS, k, "1/s", "session");
    cachesync_apply(payload);
    test_cond("s:<hash> evicts that session", get_is(SHCACHE_SESSIONS, k, NOW, NULL));

    unsigned char t1[SHCACHE_KEY_BYTES], t2[SHCACHE_KEY_BYTES];
    key_from(t1, 41);
    key_from(t2, 42);
    put(SHCACHE_BEARER, t1, "acme/sub-1", "one");
    put(SHCACHE_BEARER, t2, "acme/sub-2", "two");
    cachesync_apply("u:acme/sub-1");
    test_cond("u:<slug>/<sub> evicts that user's answers only",
              get_is(SHCACHE_BEARER, t1, NOW, NULL) && get_is(SHCACHE_BEARER, t2, NOW, "two"));
    put(SHCACHE_SESSIONS, k, "1/s", "session");
    cachesync_apply("r:acme");
    test_cond("r:<slug> empties the bearer cache, not the sessions",
              get_is(SHCACHE_BEARER, t2, NOW, NULL) && get_is(SHCACHE_SESSIONS, k, NOW, "session"));
    cachesync_apply("nonsense");
    test_cond("an unknown payload empties both", get_is(SHCACHE_SESSIONS, k, NOW, NULL));
}

static void test_strings(void)
{
    unsigned char v[8];
    size_t at = 0;
    struct arena a;
    arena_init(&a);
    test_cond("pack strings that fit", shcache_pack_string(v, sizeof v, &at, "ab") &&
                                            shcache_pack_string(v, sizeof v, &at, "") && at == 4);
    test_cond("a string that does not fit writes nothing",
              !shcache_pack_string(v, sizeof v, &at, "wxyzq") && at == 4);
    size_t r = 0;
    const char *x = shcache_unpack_string(v, at, &r, &a), *y = shcache_unpack_string(v, at, &r, &a);
    test_cond("unpack in order", x && y && !strcmp(x, "ab") && !strcmp(y, "") && r == at);
    test_cond("past the end: NULL", !shcache_unpack_string(v, at, &r, &a));
    r = 0;
    test_cond("a value cut before its NUL: NULL", !shcache_unpack_string(v, 2, &r, &a));
    arena_free(&a);
}

int main(void)
{
    test_strings();
    test_without_area();
    test_cond("create", shcache_create() == 0);
    test_cond("create twice is fine", shcache_create() == 0);
    shcache_set_enabled(true);
    test_basics();
    test_epoch();
    test_owner_and_all();
    test_across_fork();
    test_dead_holder();
    test_payloads();
    return test_report();
}
