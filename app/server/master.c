/* SPDX-License-Identifier: MIT */
/* master: supervision of the worker processes (see master.h).
 *
 * Signals only write their number to a self-pipe; everything else happens
 * in one loop that wakes on that pipe or on a heartbeat of
 * MASTER_HEARTBEAT_MS. The loop reaps children, respawns what is missing,
 * kills workers stuck past the request timeout (reading the scoreboard),
 * and drives one explicit state: RUNNING, or STOPPING after SIGTERM/SIGINT/
 * SIGQUIT, where the stronger state wins and stays. A reload (SIGHUP) is not
 * a state: it is done at once — new settings and templates are loaded and
 * checked first, and only if they are good is a new generation of workers
 * forked and the old generation asked to finish and exit; the listening
 * socket stays open throughout, so no connection is refused meanwhile.
 *
 * Ownership: the master owns one struct config and one tmpl_set at a time;
 * children get copies by fork. Old ones are freed after a successful reload
 * (the old workers keep their own copies). */
#include "server/master.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/awshttp.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/scoreboard.h"
#include "core/shcache.h"
#include "server/worker.h"
#include "store/pg.h"
#include "svc/provision.h"
#include "tmpl/tmpl.h"

#define MASTER_HEARTBEAT_MS 250
#define LISTEN_BACKLOG 1024
#define RESPAWN_BACKOFF_MIN_US 100000      /* first delay after a crash */
#define RESPAWN_BACKOFF_MAX_US 5000000     /* delays double up to this */
#define RESPAWN_BACKOFF_RESET_US 30000000  /* a calm period that resets it */
#define STOP_GRACE_EXTRA_S 5               /* on top of the request timeout */
/* Sockets are made 0660: the pool's user and the socket group only. */
#define LISTEN_UMASK 0117

enum master_state { MASTER_RUNNING, MASTER_STOPPING };

struct worker_proc {
    pid_t pid;       /* 0: the seat is free */
    int generation;
    bool quitting;   /* asked to finish and exit */
    bool timed_out;  /* killed by us for the request timeout */
};

static int signal_pipe[2] = {-1, -1};
static struct worker_proc procs[SCOREBOARD_SEATS_MAX];
static struct config cfg;
static struct tmpl_set *templates;
static const char *env_path;
static int listen_fd = -1, listen_slow_fd = -1;
static int generation;
static enum master_state state = MASTER_RUNNING;
static int64_t stop_deadline_us;
static int64_t next_spawn_us, backoff_us, last_crash_us;

/* ---- signals ------------------------------------------------------------ */

static void on_signal(int signo)
{
    int saved = errno;
    unsigned char b = (unsigned char)signo;
    ssize_t n = write(signal_pipe[1], &b, 1);
    (void)n;
    errno = saved;
}

static int install_signals(void)
{
    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    int sigs[] = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    return 0;
}

/* ---- settings and templates ------------------------------------------- */

/* check_app_client refuses settings under which an app client — the
 * settings' own or a tenant's — would let users write their own tier or
 * tenant (see svc/provision_check_clients). A client that could not be
 * checked (Cognito or PostgreSQL not answering) is only a warning: the
 * pool starts, and /readyz reports it. The HTTP handle and the PostgreSQL
 * connection used are released before any fork. */
static int check_app_client(const struct config *c)
{
    struct provision_checks found;
    char err[512];
    bool with_db = c->database_url && pg_init_worker(c->database_url, c->database_prepared, err, sizeof(err));
    if (c->database_url && !with_db)
        fprintf(stderr, "gatehouse: warning: could not check the tenants' app clients: %s\n", err);
    provision_check_clients(c, with_db, stderr, "gatehouse: refusing to start: ",
                            "gatehouse: warning: could not check the app client: ", &found);
    if (with_db)
        pg_cleanup_worker();
    awshttp_thread_cleanup();
    return found.unsafe ? -1 : 0;
}

/* load_generation reads settings and templates into the out-parameters;
 * on failure it explains why on stderr and returns -1, leaving nothing to
 * free. */
static int load_generation(struct config *out_cfg, struct tmpl_set **out_tmpl)
{
    char err[512];
    struct tmpl_set *set = NULL;
    if (config_load(out_cfg, env_path, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        goto fail;
    }
    if (config_check(out_cfg, stderr) > 0) {
        fprintf(stderr, "gatehouse: the settings above need fixing\n");
        goto fail;
    }
    set = tmpl_set_new();
    if (tmpl_set_load_dir(set, out_cfg->templates_dir, err, sizeof(err)) < 0 ||
        tmpl_set_link(set, true, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: template error: %s\n", err);
        goto fail;
    }
    if (check_app_client(out_cfg) < 0)
        goto fail;
    *out_tmpl = set;
    /* Memory that start-up freed (file contents, the template compiler's
     * scratch, the Cognito check's buffers) goes back to the system before
     * workers are forked: each would otherwise start out holding a copy. */
    malloc_trim(0);
    return 0;
fail:
    if (set)
        tmpl_set_free(set);
    config_free(out_cfg);
    return -1;
}

/* ---- the listening socket ------------------------------------------------ */

/* open_listener makes the socket at path, mode 0660 from the moment it
 * exists, and hands it to group when has_group (nginx's workers run as
 * another user, one of that group). Whoever can connect talks FastCGI to
 * the pool directly and says what REMOTE_ADDR is, so that is nginx and the
 * pool's own user, never any local user. The group is changed only when it
 * is not already the socket's: production's pool runs in that group (a
 * systemd unit whose system-call filter refuses chown), the local stack's
 * runs as root and hands its sockets to nginx's group. */
static int open_listener(const char *path, bool has_group, gid_t group)
{
    struct sockaddr_un addr;
    struct stat st;
    int fd = -1, rc = -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr.sun_path)) {
        errno = ENAMETOOLONG;
        goto out;
    }
    strcpy(addr.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto out;
    unlink(path); /* a stale socket from a previous run */
    mode_t old = umask(LISTEN_UMASK);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
    umask(old);
    if (bound < 0)
        goto out;
    if (has_group && (lstat(path, &st) < 0 ||
                      (st.st_gid != group && lchown(path, (uid_t)-1, group) < 0)))
        goto out;
    if (listen(fd, LISTEN_BACKLOG) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0 && fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        fd = -1;
    }
    return fd;
}

/* ---- workers ------------------------------------------------------------ */

static int live_workers(int gen)
{
    int n = 0;
    for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
        if (procs[i].pid && procs[i].generation == gen && !procs[i].quitting)
            n++;
    return n;
}

static int spawn_worker(void)
{
    int seat = -1;
    for (int i = 0; i < SCOREBOARD_SEATS_MAX && seat < 0; i++)
        if (!procs[i].pid)
            seat = i;
    if (seat < 0) {
        log_event(LOG_ERROR, "no_free_seat", "limit=%d", SCOREBOARD_SEATS_MAX);
        return -1;
    }
    scoreboard_clear_seat(seat);
    /* Block signals across fork so the child cannot run our handlers
     * before it has installed its own. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        close(signal_pipe[0]);
        close(signal_pipe[1]);
        struct worker_spec spec = {
            .listen_fd = listen_fd, .listen_slow_fd = listen_slow_fd, .seat = seat,
            .cfg = &cfg, .templates = templates,
        };
        worker_main(&spec); /* unblocks signals itself */
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid < 0) {
        log_event(LOG_ERROR, "fork_failed", "errno=%d", errno);
        return -1;
    }
    procs[seat] = (struct worker_proc){.pid = pid, .generation = generation};
    scoreboard_seat_set(seat, pid, generation);
    log_event(LOG_INFO, "worker_spawned", "pid=%d seat=%d generation=%d", (int)pid,
              seat, generation);
    return 0;
}

static void ask_to_quit(struct worker_proc *p)
{
    if (p->pid && !p->quitting) {
        p->quitting = true;
        kill(p->pid, SIGTERM);
    }
}

static void respawn_missing(int64_t now)
{
    if (state != MASTER_RUNNING || now < next_spawn_us)
        return;
    while (live_workers(generation) < cfg.processes)
        if (spawn_worker() < 0)
            break;
}

static void note_exit(struct worker_proc *p, int status, int64_t now)
{
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (WIFSIGNALED(status))
        log_event(p->timed_out ? LOG_WARN : LOG_ERROR, "worker_exited",
                  "pid=%d signal=%d timed_out=%d", (int)p->pid, WTERMSIG(status),
                  p->timed_out);
    else
        log_event(clean ? LOG_INFO : LOG_ERROR, "worker_exited", "pid=%d status=%d",
                  (int)p->pid, WEXITSTATUS(status));
    /* A crash of a current worker delays its replacement, doubling each time,
     * so a worker that dies at start-up cannot make the master spin. */
    if (!clean && !p->timed_out && !p->quitting && p->generation == generation) {
        if (now - last_crash_us > RESPAWN_BACKOFF_RESET_US)
            backoff_us = 0;
        backoff_us = backoff_us ? backoff_us * 2 : RESPAWN_BACKOFF_MIN_US;
        if (backoff_us > RESPAWN_BACKOFF_MAX_US)
            backoff_us = RESPAWN_BACKOFF_MAX_US;
        last_crash_us = now;
        next_spawn_us = now + backoff_us;
    }
    const char *reason = p->timed_out ? "timeout"
                         : p->quitting || p->generation != generation ? NULL
                         : clean ? "recycled" : "crashed";
    if (reason)
        metrics_observe("worker_restart", reason, NULL, -1);
    scoreboard_seat_clear((int)(p - procs));
    memset(p, 0, sizeof(*p));
}

static void reap_children(int64_t now)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
            if (procs[i].pid == pid)
                note_exit(&procs[i], status, now);
    }
}

/* kill_stuck_workers ends any worker with a request older than the timeout.
 * The whole process goes, as in php-fpm: a thread cannot be cancelled
 * safely in the middle of libpq or libcurl. */
static void kill_stuck_workers(int64_t now)
{
    int64_t limit = (int64_t)cfg.request_timeout_s * 1000000;
    for (int seat = 0; seat < SCOREBOARD_SEATS_MAX; seat++) {
        struct worker_proc *p = &procs[seat];
        if (!p->pid || p->timed_out)
            continue;
        for (int t = 0; t < SCOREBOARD_THREADS_MAX; t++) {
            struct slot *s = scoreboard_slot(seat, t);
            if (__atomic_load_n(&s->stage, __ATOMIC_ACQUIRE) != SLOT_BUSY ||
                now - s->started_us < limit)
                continue;
            char route[SCOREBOARD_ROUTE_MAX + 8];
            log_event(LOG_ERROR, "request_timeout", "pid=%d thread=%d route=%s seconds=%d",
                      (int)p->pid, t, log_quote(route, sizeof(route), s->route),
                      cfg.request_timeout_s);
            p->timed_out = true;
            kill(p->pid, SIGKILL);
            break;
        }
    }
}

/* ---- reload and stop ----------------------------------------------------- */

static void reload(void)
{
    struct config next_cfg;
    struct tmpl_set *next_tmpl;
    log_event(LOG_INFO, "reload_started", NULL);
    if (load_generation(&next_cfg, &next_tmpl) < 0) {
        log_event(LOG_ERROR, "reload_refused", "reason=\"bad settings or templates; "
                                               "the running pool is unchanged\"");
        return;
    }
    if (strcmp(next_cfg.listen, cfg.listen) ||
        !next_cfg.listen_slow != !cfg.listen_slow ||
        (cfg.listen_slow && strcmp(next_cfg.listen_slow, cfg.listen_slow)) ||
        !next_cfg.socket_group != !cfg.socket_group ||
        (cfg.socket_group && strcmp(next_cfg.socket_group, cfg.socket_group)))
        log_event(LOG_WARN, "listen_unchanged",
                  "reason=\"a new socket or socket group needs a restart\"");
    /* The sockets stay those the pool opened. */
    free(next_cfg.listen);
    free(next_cfg.listen_slow);
    next_cfg.listen = cfg.listen;
    next_cfg.listen_slow = cfg.listen_slow;
    cfg.listen = NULL;
    cfg.listen_slow = NULL;
    config_free(&cfg);
    tmpl_set_free(templates);
    cfg = next_cfg;
    templates = next_tmpl;

    int old_generation = generation++;
    next_spawn_us = 0;
    respawn_missing(scoreboard_monotonic_us());
    for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
        if (procs[i].pid && procs[i].generation == old_generation)
            ask_to_quit(&procs[i]);
    log_event(LOG_INFO, "reload_done", "generation=%d", generation);
}

static void begin_stop(int signo)
{
    if (state == MASTER_STOPPING)
        return;
    state = MASTER_STOPPING;
    stop_deadline_us = scoreboard_monotonic_us() +
                       (int64_t)(cfg.request_timeout_s + STOP_GRACE_EXTRA_S) * 1000000;
    log_event(LOG_INFO, "stop_started", "signal=%d", signo);
    for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
        ask_to_quit(&procs[i]);
}

static bool any_worker(void)
{
    for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
        if (procs[i].pid)
            return true;
    return false;
}

static void handle_signals(void)
{
    unsigned char sigs[64];
    ssize_t n;
    while ((n = read(signal_pipe[0], sigs, sizeof(sigs))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            switch (sigs[i]) {
            case SIGHUP:
                if (state == MASTER_RUNNING)
                    reload();
                break;
            case SIGTERM:
            case SIGINT:
            case SIGQUIT:
                begin_stop(sigs[i]);
                break;
            case SIGCHLD:
                break; /* reaped below on every pass */
            default:
                log_event(LOG_WARN, "unexpected_signal", "signal=%d", sigs[i]);
                break;
            }
        }
    }
}

static void write_pid_file(void)
{
    if (!cfg.pid_file)
        return;
    FILE *fp = fopen(cfg.pid_file, "w");
    if (!fp) {
        log_event(LOG_WARN, "pid_file_failed", "errno=%d", errno);
        return;
    }
    fprintf(fp, "%d\n", (int)getpid());
    fclose(fp);
}

int master_run(const char *env_file)
{
    int rc = 1;
    env_path = env_file;
    log_set_process("master");
    if (load_generation(&cfg, &templates) < 0)
        return 1;
    if (scoreboard_create() < 0 || metrics_create() < 0 || shcache_create() < 0 ||
        install_signals() < 0) {
        fprintf(stderr, "gatehouse: cannot set up the master: %s\n", strerror(errno));
        goto out;
    }
    gid_t socket_gid = 0;
    bool has_group = config_socket_group(&cfg, &socket_gid) > 0; /* checked at load */
    listen_fd = open_listener(cfg.listen, has_group, socket_gid);
    if (listen_fd < 0) {
        fprintf(stderr, "gatehouse: cannot listen on %s: %s\n", cfg.listen,
                strerror(errno));
        goto out;
    }
    if (cfg.listen_slow) {
        listen_slow_fd = open_listener(cfg.listen_slow, has_group, socket_gid);
        if (listen_slow_fd < 0) {
            fprintf(stderr, "gatehouse: cannot listen on %s: %s\n", cfg.listen_slow,
                    strerror(errno));
            goto out;
        }
    }
    write_pid_file();
    scoreboard_set_started((int64_t)time(NULL));
    log_event(LOG_INFO, "pool_started", "processes=%d threads=%d max_requests=%d",
              cfg.processes, cfg.threads, cfg.max_requests);
    respawn_missing(scoreboard_monotonic_us());

    while (state == MASTER_RUNNING || any_worker()) {
        struct pollfd pfd = {.fd = signal_pipe[0], .events = POLLIN};
        poll(&pfd, 1, MASTER_HEARTBEAT_MS);
        handle_signals();
        int64_t now = scoreboard_monotonic_us();
        reap_children(now);
        kill_stuck_workers(now);
        respawn_missing(now);
        if (state == MASTER_STOPPING && now > stop_deadline_us) {
            for (int i = 0; i < SCOREBOARD_SEATS_MAX; i++)
                if (procs[i].pid)
                    kill(procs[i].pid, SIGKILL);
        }
    }
    log_event(LOG_INFO, "pool_stopped", NULL);
    rc = 0;
out:
    if (listen_fd >= 0) {
        close(listen_fd);
        unlink(cfg.listen);
    }
    if (listen_slow_fd >= 0) {
        close(listen_slow_fd);
        unlink(cfg.listen_slow);
    }
    if (cfg.pid_file)
        unlink(cfg.pid_file);
    tmpl_set_free(templates);
    config_free(&cfg);
    return rc;
}
