/* SPDX-License-Identifier: MIT */
/* syncjob: the users sync of a tenant and the sync thread (see syncjob.h).
 *
 * "Sync now" must not run inside the admin's request: listing a large pool
 * takes minutes, and a worker thread held that long is a thread the site
 * does not have (the master would also kill it at the request timeout). The
 * request only queues a row (store/syncs); one extra thread per worker
 * process polls the queue every SYNC_POLL_MS and runs what it claims. The
 * queue is in PostgreSQL, not in a process, so a run outlives the worker
 * that took it: a worker that stops gracefully hands its run back at the
 * next page, one that is killed leaves a heartbeat that goes stale and
 * another worker's thread claims the run again (SYNC_STALE_S). The sync is
 * safe to run twice, so starting over is always right.
 *
 * The thread has its own PostgreSQL connection and libcurl handle, as every
 * worker thread does (the pg and awshttp layers keep them per thread), and
 * releases the handle when it ends. It sleeps in poll() on a pipe that
 * syncjob_stop writes to, so a stop never waits for a poll interval. */
#include "svc/syncjob.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "aws/awshttp.h"
#include "core/limits.h"
#include "core/log.h"
#include "svc/svc.h"

#define SYNC_THREAD_STACK (256 * 1024)
#define SYNC_ERR_MAX 256

struct watching {
    const struct syncs_run *run;
    const volatile bool *stop;
    bool lost; /* the run is no longer ours */
};

/* after_page records progress; false stops the sync (asked to stop, or the
 * run was taken over by a later claim). */
static bool after_page(void *ctx, long seen, const struct usersync_counts *counts)
{
    struct watching *w = ctx;
    if (w->run && w->run->id &&
        syncs_progress(w->run, seen, counts->added, counts->changed, counts->deleted) ==
            STORE_NOT_FOUND) {
        w->lost = true;
        return false;
    }
    return !(w->stop && *w->stop);
}

int syncjob_tenant(const struct tenant *t, const struct syncs_run *run, FILE *report,
                   const volatile bool *stop, struct tierchange_settled *settled,
                   struct usersync_counts *counts, char *err, size_t errlen)
{
    struct cog_client c;
    struct watching w = {.run = run, .stop = stop};

    memset(counts, 0, sizeof(*counts));
    if (tierchange_settle(t, report, settled, err, errlen) < 0)
        return -1;
    svc_client(t, &c);
    if (usersync_run_watched(t->slug, &c, report, counts, after_page, &w, err, errlen) < 0)
        return -1;
    if (run && run->id)
        syncs_progress(run, counts->added + counts->changed + counts->unchanged, counts->added,
                       counts->changed, counts->deleted);
    return 0;
}

/* ---- the thread ------------------------------------------------------------ */

static pthread_t thread;
static bool running;
static int wake[2] = {-1, -1};
static volatile bool stopping;

/* run_one runs a claimed sync to its end, or hands it back when asked to
 * stop. */
static void run_one(const struct syncs_run *run)
{
    struct tenant t;
    struct tierchange_settled settled;
    struct usersync_counts counts;
    char err[SYNC_ERR_MAX] = "";

    log_event(LOG_INFO, "users_sync_started", "tenant=%s run=%lld attempt=%d", run->slug,
              run->id, run->attempt);
    enum store_result found = tenants_find(run->slug, &t);
    if (found != STORE_OK) {
        syncs_finish(run, false, found == STORE_NOT_FOUND ? "no such tenant"
                                                          : "the database is unavailable");
        return;
    }
    int rc = syncjob_tenant(&t, run, NULL, &stopping, &settled, &counts, err, sizeof(err));
    if (rc < 0 && stopping) {
        syncs_give_back(run);
        log_event(LOG_INFO, "users_sync_handed_back", "tenant=%s run=%lld", run->slug, run->id);
        return;
    }
    syncs_finish(run, rc == 0, err);
    log_event(rc == 0 ? LOG_INFO : LOG_WARN, rc == 0 ? "users_sync_done" : "users_sync_failed",
              "tenant=%s run=%lld added=%ld changed=%ld deleted=%ld", run->slug, run->id,
              counts.added, counts.changed, counts.deleted);
}

static void *sync_thread(void *arg)
{
    (void)arg;
    while (!stopping) {
        struct syncs_run run;
        if (syncs_claim(SYNC_STALE_S, SYNC_ATTEMPTS_MAX, &run) == STORE_OK) {
            run_one(&run);
            continue; /* another may wait */
        }
        struct pollfd p = {.fd = wake[0], .events = POLLIN};
        poll(&p, 1, SYNC_POLL_MS);
    }
    awshttp_thread_cleanup();
    return NULL;
}

bool syncjob_start(void)
{
    pthread_attr_t attr;
    if (running)
        return true;
    if (pipe2(wake, O_CLOEXEC) < 0)
        return false;
    stopping = false;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, SYNC_THREAD_STACK);
    running = pthread_create(&thread, &attr, sync_thread, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!running) {
        close(wake[0]);
        close(wake[1]);
        wake[0] = wake[1] = -1;
    }
    return running;
}

void syncjob_stop(void)
{
    if (!running)
        return;
    stopping = true;
    if (write(wake[1], "x", 1) < 0 && errno != EAGAIN)
        log_event(LOG_WARN, "users_sync_wake_failed", "errno=%d", errno);
    pthread_join(thread, NULL);
    close(wake[0]);
    close(wake[1]);
    wake[0] = wake[1] = -1;
    running = false;
}
