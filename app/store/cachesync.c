/* SPDX-License-Identifier: MIT */
/* cachesync: the worker's listener for changes to cached rows (see
 * cachesync.h).
 *
 * Within a pool, the code that changes a session or a user evicts it itself
 * before it answers. This thread covers the rest: every change the triggers
 * report, from anywhere, evicts the same entries a moment later (an
 * eviction is idempotent, so the pool's own changes arriving again cost
 * nothing). Payloads, built by gatehouse.cache_notify():
 *   s:<hex SHA-256>    a session (its id hash) changed or ended
 *   u:<slug>/<sub>     a user's row in tenant <slug>'s users mirror changed
 *   r:<slug>           tenant <slug>'s revocation list changed
 * Anything else empties both caches.
 *
 * The caches are used by this process only while the listener is connected
 * (shcache_set_enabled): notifications sent while it was not are lost, so on
 * every (re)connection it empties both caches before turning them on, and it
 * turns them off as soon as the connection fails. A lost database therefore
 * costs the caches, never their correctness.
 *
 * Ownership: the thread owns its connection; cachesync_stop wakes it through
 * a pipe and joins it. */
#include "store/cachesync.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/log.h"
#include "core/shcache.h"
#include "core/xalloc.h"
#include "store/pg.h"
#include "store/revoked.h"

#define PAYLOAD_MAX 512         /* "u:" + slug + "/" + sub, with room to spare */
#define RETRY_MIN_MS 200        /* first wait after a failed connection */
#define RETRY_MAX_MS 10000      /* the longest wait between attempts */
#define LISTENER_STACK (128 * 1024)

static pthread_t thread;
static bool running;
static char *listen_conninfo; /* NULL: the workers' DATABASE_URL */
static int wake_pipe[2] = {-1, -1};

static bool hex_key(const char *hex, unsigned char key[SHCACHE_KEY_BYTES])
{
    return hex_decode(hex, strlen(hex), key, SHCACHE_KEY_BYTES);
}

static void forget_everything(void)
{
    for (int kind = 0; kind < SHCACHE_KINDS; kind++)
        shcache_forget_all((enum shcache_kind)kind);
}

/* cachesync_apply evicts what one notification's payload names. */
void cachesync_apply(const char *payload)
{
    unsigned char key[SHCACHE_KEY_BYTES];
    char tenant[PAYLOAD_MAX];
    const char *slash;

    if (!strncmp(payload, "s:", 2) && hex_key(payload + 2, key)) {
        shcache_forget(SHCACHE_SESSIONS, key);
    } else if (!strncmp(payload, "u:", 2) && (slash = strchr(payload + 2, '/')) &&
               (size_t)(slash - payload - 2) < sizeof(tenant)) {
        memcpy(tenant, payload + 2, (size_t)(slash - payload - 2));
        tenant[slash - payload - 2] = '\0';
        revoked_forget_user(tenant, slash + 1);
    } else if (!strncmp(payload, "r:", 2)) {
        shcache_forget_all(SHCACHE_BEARER);
    } else {
        forget_everything();
    }
}

/* listen_until_lost serves one connection; false when asked to stop. */
static bool listen_until_lost(struct pg_listener *l)
{
    char payload[PAYLOAD_MAX];
    forget_everything();
    shcache_set_enabled(true);
    for (;;) {
        struct pollfd fds[2] = {{pg_listen_fd(l), POLLIN, 0}, {wake_pipe[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            return false;
        int got;
        while ((got = pg_listen_next(l, payload, sizeof payload)) == 1)
            cachesync_apply(payload);
        if (got < 0)
            break;
    }
    shcache_set_enabled(false);
    return true;
}

/* waits ms milliseconds, or less when asked to stop (then false). */
static bool pause_ms(int ms)
{
    struct pollfd fd = {wake_pipe[0], POLLIN, 0};
    return poll(&fd, 1, ms) == 0;
}

static void *listener(void *arg)
{
    (void)arg;
    char err[256], quoted[300];
    int wait = RETRY_MIN_MS;
    for (;;) {
        struct pg_listener *l = pg_listen(listen_conninfo, CACHESYNC_CHANNEL, err, sizeof err);
        if (l) {
            wait = RETRY_MIN_MS;
            bool go_on = listen_until_lost(l);
            pg_listen_close(l);
            shcache_set_enabled(false);
            if (!go_on)
                break;
            log_event(LOG_WARN, "cache_listener_lost", "retry_ms=%d", wait);
        } else {
            log_event(LOG_WARN, "cache_listener_failed", "error=%s retry_ms=%d",
                      log_quote(quoted, sizeof quoted, err), wait);
        }
        if (!pause_ms(wait))
            break;
        wait = wait * 2 < RETRY_MAX_MS ? wait * 2 : RETRY_MAX_MS;
    }
    return NULL;
}

/* cachesync_start starts the listener thread of this worker process (after
 * pg_init_worker), connecting to conninfo (DATABASE_LISTEN_URL; NULL: the
 * workers' DATABASE_URL; copied). The caches stay off until it is
 * connected. False when the thread cannot be started: they then stay off. */
bool cachesync_start(const char *conninfo)
{
    pthread_attr_t attr;
    if (running)
        return true;
    free(listen_conninfo);
    listen_conninfo = conninfo ? xstrdup(conninfo) : NULL;
    if (pipe2(wake_pipe, O_CLOEXEC) < 0)
        return false;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, LISTENER_STACK);
    running = pthread_create(&thread, &attr, listener, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!running) {
        close(wake_pipe[0]);
        close(wake_pipe[1]);
        wake_pipe[0] = wake_pipe[1] = -1;
    }
    return running;
}

/* cachesync_stop stops and joins the listener; the caches go off. */
void cachesync_stop(void)
{
    if (!running)
        return;
    (void)!write(wake_pipe[1], "x", 1);
    pthread_join(thread, NULL);
    close(wake_pipe[0]);
    close(wake_pipe[1]);
    wake_pipe[0] = wake_pipe[1] = -1;
    running = false;
    shcache_set_enabled(false);
    free(listen_conninfo);
    listen_conninfo = NULL;
}
