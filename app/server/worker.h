/* SPDX-License-Identifier: MIT */
/* worker: one worker process of the pool — threads that accept FastCGI
 * connections on the listening socket the master opened and serve requests.
 *
 * Two lanes: the first cfg->threads threads accept on the pages socket,
 * the next cfg->slow_threads (when GATEHOUSE_LISTEN_SLOW is set) on the
 * slow lane's socket, where nginx sends the requests that wait on Cognito
 * (POSTs). However many logins are waiting on Cognito, the page threads
 * stay free for pages.
 *
 * The master forks and calls worker_main in the child; it never returns.
 * The process exits 0 when told to quit (SIGTERM/SIGQUIT) after its
 * in-flight requests finish, or when it has served max_requests. */
#ifndef GH_WORKER_H
#define GH_WORKER_H

struct config;
struct tmpl_set;

struct worker_spec {
    int listen_fd;                    /* shared listening socket (pages) */
    int listen_slow_fd;               /* the slow lane's socket, or -1 */
    int seat;                         /* scoreboard seat of this process */
    const struct config *cfg;         /* inherited from the master, read-only */
    const struct tmpl_set *templates; /* compiled by the master, read-only */
};

/* worker_main serves requests until told to stop, then exits the process. */
void worker_main(const struct worker_spec *spec) __attribute__((noreturn));

#endif
