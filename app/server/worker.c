/* SPDX-License-Identifier: MIT */
/* worker: FastCGI worker threads (see worker.h).
 *
 * Accepting is ours, not libfcgi's. Each thread waits in its own epoll set
 * on three things: its kept-alive nginx connection (if any), the shared listening
 * socket, and the process's quit pipe. A readable kept connection carries
 * the next request; a readable listening socket means nginx opened a new
 * connection, which the thread takes (closing an idle kept one, which nginx
 * tolerates) so that idle keep-alive connections can never starve new ones;
 * a readable quit pipe means stop. The listening socket is registered with
 * EPOLLEXCLUSIVE so a new connection wakes one idle thread, not the whole
 * pool. The pipe is never drained, so one byte
 * wakes every thread, and a thread busy with a request sees it only when
 * the request is done: that is the graceful part of a graceful stop.
 *
 * libfcgi then reads and writes the accepted connection: FCGX_Accept_r is
 * handed the descriptor through FCGX_Request.ipcFd with keepConnection set,
 * so it neither closes it first nor accepts on its own (its listen_sock is
 * -1, which makes any accept it tries fail at once). Those two fields are
 * marked "don't use" in fcgiapp.h; they have been stable for two decades
 * and this is the one place that relies on them.
 *
 * Per-thread state (FastCGI request, arena, response buffers) lives on the
 * thread's stack frame in serve_thread and is released when it returns. */
#include "server/worker.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "core/scoreboard.h"
#include "http/request.h"
#include "http/response.h"
#include "server/dispatch.h"
#include "server/fcgiout.h"

#define ACCEPT_RETRY_US 10000
#define WORKER_THREAD_STACK (256 * 1024) /* no deep recursion anywhere */
#define WORKER_MALLOC_ARENAS 2
#define WORKER_TRIM_EVERY 4096 /* requests between two returns of free memory */

static int quit_pipe[2] = {-1, -1};
static atomic_long requests_served;
static const struct worker_spec *spec;

static void on_quit_signal(int signo)
{
    (void)signo;
    int saved = errno;
    ssize_t n = write(quit_pipe[1], "q", 1);
    (void)n;
    errno = saved;
}

static void request_quit(void)
{
    on_quit_signal(0);
}

static int read_body(void *ctx, char *buf, int len)
{
    return FCGX_GetStr(buf, len, ((FCGX_Request *)ctx)->in);
}

static void note_route(void *ctx, const char *route)
{
    struct slot *slot = ctx;
    strncpy(slot->route, route, SCOREBOARD_ROUTE_MAX - 1);
}

/* The per-thread event set: the quit pipe, the listening socket (with
 * EPOLLEXCLUSIVE, so a new connection wakes one idle thread rather than all
 * of them) and the connections nginx keeps open to this thread, up to
 * WAITER_KEEP_MAX. Past the limit the one idle longest is closed, never one
 * nginx has already sent a request on; when every kept one has a request
 * waiting, the one just served is not kept instead. Closing an idle one
 * races with nginx choosing it for a request, which nginx then sends again
 * on a new connection (it retries a failed kept connection, for a GET;
 * only the page lane keeps connections).
 * Eight a thread: under load nginx has a connection per request in flight,
 * and when the pool keeps fewer than that it closes the rest after each
 * answer, so nginx opens a new one for most requests (two in three at four
 * a thread and 32 in flight: an accept, a close and nginx's connect a
 * page, about a sixth of the admin overview's cost). A request nginx sends
 * on a kept connection of a busy thread waits for that thread's request,
 * which on the page lane is short: its threads wait on Cognito only for
 * rare look-ups (a tenant's password policy hourly, a signing key not seen
 * before, a bearer user the mirror lacks), and the admin's figures and
 * totals are read from tallies, not counted (sql/tenant/022). The stack's
 * nginx keeps WAITER_KEEP_MAX x threads (scripts/stack.sh). */
#define WAITER_KEEP_MAX 8
/* Connections a quitting thread still takes from the listening queue. */
#define QUIT_DRAIN_MAX 16

struct waiter {
    int epfd;
    int listen_fd;                /* the lane's listening socket */
    int conns[WAITER_KEEP_MAX];   /* kept connections, the oldest first */
    int nconns;
    bool quitting;                /* the listening socket has left the set */
    bool kept_last;               /* the last served was a kept connection */
    int drained;                  /* connections taken since quitting */
};

static int waiter_init(struct waiter *w, int listen_fd)
{
    w->nconns = 0;
    w->listen_fd = listen_fd;
    w->quitting = false;
    w->kept_last = false;
    w->drained = 0;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        return -1;
    struct epoll_event quit = {.events = EPOLLIN, .data.fd = quit_pipe[0]};
    struct epoll_event listen = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, quit_pipe[0], &quit) < 0 ||
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, listen_fd, &listen) < 0) {
        close(w->epfd);
        return -1;
    }
    return 0;
}

static int waiter_index(const struct waiter *w, int conn)
{
    for (int i = 0; i < w->nconns; i++)
        if (w->conns[i] == conn)
            return i;
    return -1;
}

/* waiter_drop takes conn out of the set (libfcgi has closed it, or the
 * caller will). */
static void waiter_drop(struct waiter *w, int conn)
{
    int i = waiter_index(w, conn);
    if (i < 0)
        return;
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, conn, NULL);
    memmove(&w->conns[i], &w->conns[i + 1], (size_t)(w->nconns - i - 1) * sizeof(int));
    w->nconns--;
}

/* waiter_forget closes every kept connection. */
static void waiter_forget(struct waiter *w)
{
    while (w->nconns > 0) {
        int conn = w->conns[0];
        waiter_drop(w, conn);
        close(conn);
    }
}

static bool readable_now(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* waiter_keep puts conn (just served, left open by nginx) in the set as the
 * most recently used, closing the one idle longest when the set is full.
 * A connection kept already stays registered: only its place in the order
 * moves, which costs no system call (most requests come this way). */
static void waiter_keep(struct waiter *w, int conn)
{
    int i = waiter_index(w, conn);
    if (i >= 0) {
        memmove(&w->conns[i], &w->conns[i + 1], (size_t)(w->nconns - i - 1) * sizeof(int));
        w->conns[w->nconns - 1] = conn;
        return;
    }
    if (w->nconns == WAITER_KEEP_MAX) {
        /* The one idle longest goes, passing over any with a request
         * already sent (closing it would fail that request); with a
         * request on each, conn itself is not kept. */
        int at = 0;
        while (at < w->nconns && readable_now(w->conns[at]))
            at++;
        if (at == w->nconns) {
            close(conn);
            return;
        }
        int gone = w->conns[at];
        waiter_drop(w, gone);
        close(gone);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = conn};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, conn, &ev) < 0) {
        close(conn);
        return;
    }
    w->conns[w->nconns++] = conn;
}

/* quit_step is what a thread does at each wait once the process quits.
 * A request nginx already sent on a kept connection is served before the
 * connection closes: nginx would not retry a POST it has sent. Then the
 * listening socket leaves the thread's set, and a connection already
 * queued on it is taken (up to QUIT_DRAIN_MAX in all): with EPOLLEXCLUSIVE
 * the kernel may have woken only this thread for it, and no other thread
 * would hear of it before the next connection arrives, so left there it
 * would wait for nothing. Returns a descriptor to serve, or -1 when the
 * thread is done (its kept connections are then closed). */
static int quit_step(struct waiter *w)
{
    for (int k = 0; k < w->nconns; k++)
        if (readable_now(w->conns[k]))
            return w->conns[k];
    if (!w->quitting) {
        w->quitting = true;
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->listen_fd, NULL);
    }
    if (w->drained < QUIT_DRAIN_MAX && readable_now(w->listen_fd)) {
        int fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd >= 0) {
            w->drained++;
            return fd;
        }
    }
    waiter_forget(w);
    return -1;
}

/* wait_for_connection blocks until a kept connection has a request or a new
 * connection is accepted. It returns the descriptor to serve, or -1 when
 * the process is quitting (the kept connections are then closed). */
static int wait_for_connection(struct waiter *w)
{
    for (;;) {
        struct epoll_event events[WAITER_KEEP_MAX + 2];
        int n = epoll_wait(w->epfd, events, WAITER_KEEP_MAX + 2, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_event(LOG_ERROR, "epoll_failed", "errno=%d", errno);
            waiter_forget(w);
            return -1;
        }
        bool listen_ready = false;
        int ready = -1, ready_at = WAITER_KEEP_MAX;
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd, at;
            if (fd == quit_pipe[0])
                return quit_step(w);
            if (fd == w->listen_fd)
                listen_ready = true;
            else if ((at = waiter_index(w, fd)) >= 0 && at < ready_at)
                ready = fd, ready_at = at;
        }
        /* Of the kept connections with a request, the one served longest
         * ago goes first (conns is in that order). epoll reports them in
         * the same order every time, and nginx reuses the connection it
         * got back last: taking the first reported would serve that one
         * again and again while a request on another waited. A new
         * connection takes its turn too: when both wait, the thread
         * alternates. Were kept connections always served first, nginx's
         * new ones (it opens them when its kept ones are all busy) would
         * wait in the listen queue as long as any kept one had a request:
         * a second at times under load, and for good once every thread
         * keeps as many as it may (the p99 of the bench's list, 870 ms,
         * with two page threads a process when this waited for room). */
        if (listen_ready && (ready < 0 || w->kept_last)) {
            int fd = accept4(w->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                w->kept_last = false;
                return fd;
            }
            /* EAGAIN: another thread won the race. Anything else (EMFILE,
             * ECONNABORTED) is transient; back off briefly rather than
             * spin. */
            if (errno != EAGAIN && errno != EINTR && ready < 0) {
                log_event(LOG_WARN, "accept_failed", "errno=%d", errno);
                usleep(ACCEPT_RETRY_US);
            }
        }
        if (ready >= 0) {
            w->kept_last = true;
            return ready;
        }
    }
}

static void serve_one(FCGX_Request *fcgi, struct arena *arena,
                      struct response *resp, struct slot *slot)
{
    struct request req;
    scoreboard_slot_begin(slot, "-");
    req_init(&req, arena, fcgi->envp, read_body, fcgi);
    req.on_route = note_route;
    req.on_route_arg = slot;
    resp_reset(resp);
    dispatch_request(&req, resp);
    /* Straight to the connection (server/fcgiout), not through libfcgi's
     * stream, and ended with the same write: FCGX_Finish_r then only frees
     * the request (or closes a connection that failed). */
    struct fcgiout out;
    log_flush(); /* the request's lines are out before its answer */
    fcgiout_init(&out, fcgi->ipcFd, fcgi->requestId);
    if (resp_send(resp, req.method == HTTP_HEAD, fcgiout_write, &out) == 0 &&
        fcgiout_end(&out) == 0)
        fcgiout_ended(fcgi);
    req_cleanup(&req);
    arena_reset(arena);
    scoreboard_slot_end(slot);
    log_flush(); /* any line logged after the answer: none waits for the next request */
}

static void *serve_thread(void *arg)
{
    int index = (int)(intptr_t)arg;
    struct slot *slot = scoreboard_slot(spec->seat, index);
    FCGX_Request fcgi;
    struct arena arena;
    struct response resp;
    struct waiter waiter;
    int conn;

    /* Threads past cfg->threads serve the slow lane (see worker.h). */
    int lane_fd = index >= spec->cfg->threads && spec->listen_slow_fd >= 0 ? spec->listen_slow_fd
                                                                         : spec->listen_fd;
    if (waiter_init(&waiter, lane_fd) < 0) {
        log_event(LOG_ERROR, "worker_thread_failed", "errno=%d", errno);
        return NULL;
    }
    FCGX_InitRequest(&fcgi, -1, 0);
    arena_init(&arena);
    resp_init(&resp);
    /* A page thread may wait on Cognito only when there is no slow lane. */
    dispatch_thread_init(lane_fd == spec->listen_slow_fd || spec->listen_slow_fd < 0);
    log_hold(true); /* written before each answer and after it (serve_one) */
    while ((conn = wait_for_connection(&waiter)) >= 0) {
        fcgi.ipcFd = conn;
        fcgi.keepConnection = 1;
        if (FCGX_Accept_r(&fcgi) < 0) {
            /* nginx closed the connection (or sent garbage): libfcgi has
             * closed it already, so it only leaves the set. */
            waiter_drop(&waiter, conn);
            fcgi.ipcFd = -1;
            continue;
        }
        serve_one(&fcgi, &arena, &resp, slot);
        FCGX_Finish_r(&fcgi);
        if (fcgi.ipcFd >= 0)
            waiter_keep(&waiter, fcgi.ipcFd); /* nginx asked to keep it */
        else
            waiter_drop(&waiter, conn); /* closed by libfcgi */
        long served = atomic_fetch_add(&requests_served, 1) + 1;
        /* Requests free what they allocate, but the allocator keeps freed
         * pages mapped; now and then one thread hands them back, so a
         * worker's resident memory follows what it holds, not its peaks. */
        if (served % WORKER_TRIM_EVERY == 0)
            malloc_trim(0);
        if (spec->cfg->max_requests && served == spec->cfg->max_requests)
            request_quit();
    }
    close(waiter.epfd);
    dispatch_thread_cleanup();
    resp_free(&resp);
    arena_free(&arena);
    log_hold(false);
    return NULL;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void worker_main(const struct worker_spec *worker_spec)
{
    spec = worker_spec;
    log_set_process("worker");
    if (pipe2(quit_pipe, O_CLOEXEC) < 0) {
        log_event(LOG_ERROR, "worker_start_failed", "errno=%d", errno);
        _exit(1);
    }
    install_signals();
    /* Every thread would otherwise get a malloc arena of its own; requests
     * allocate little outside their arena, and a few shared malloc arenas
     * keep a worker's resident memory small. */
    mallopt(M_ARENA_MAX, WORKER_MALLOC_ARENAS);
    FCGX_Init();
    dispatch_init_worker(spec->cfg, spec->templates);

    int nthreads = spec->cfg->threads + (spec->listen_slow_fd >= 0 ? spec->cfg->slow_threads : 0);
    pthread_t threads[SCOREBOARD_THREADS_MAX];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_THREAD_STACK);
    int started = 0;
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&threads[i], &attr, serve_thread, (void *)(intptr_t)i))
            break;
        started++;
    }
    pthread_attr_destroy(&attr);
    log_event(LOG_INFO, "worker_started", "seat=%d threads=%d", spec->seat, started);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    log_event(LOG_INFO, "worker_stopped", "seat=%d requests=%ld", spec->seat,
              atomic_load(&requests_served));
    dispatch_cleanup_worker();
    _exit(started == nthreads ? 0 : 1);
}
