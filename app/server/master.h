/* SPDX-License-Identifier: MIT */
/* master: the supervising process of the pool, php-fpm in miniature.
 *
 * It owns the listening socket, the configuration and the compiled
 * templates; forks the workers; replaces the ones that die (with back-off),
 * that exit after max_requests, or that it kills for running past the
 * request timeout; reloads on SIGHUP and stops gracefully on SIGTERM. It
 * never serves a request itself. */
#ifndef GH_MASTER_H
#define GH_MASTER_H

/* master_run loads the settings (env_file may be NULL) and templates, runs
 * the pool until it is told to stop, and returns the process exit status:
 * 0 after a graceful stop, 1 when start-up failed (the reason is on stderr). */
int master_run(const char *env_file);

#endif
