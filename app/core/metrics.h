/* SPDX-License-Identifier: MIT */
/* metrics: pool-wide counters and latency histograms in shared memory,
 * rendered in the Prometheus text format, and the per-request phase
 * timings (Cognito, PostgreSQL, render) that the slow-request log shows.
 *
 * The master maps the area before forking, so every worker adds to the same
 * series with atomic operations and any worker can render them all. */
#ifndef GH_METRICS_H
#define GH_METRICS_H

#include <stdint.h>

struct buf;

enum metrics_phase { PHASE_COGNITO, PHASE_POSTGRES, PHASE_RENDER, PHASE_COUNT };

/* metrics_create maps the shared area; the master calls it once. 0 or -1. */
int metrics_create(void);
/* metrics_observe counts one event of family{label, label2} that took us
 * microseconds (a histogram as well when the family is timed). Families:
 * "request" (route, status), "cognito" (operation, error), and the
 * untimed "postgres_error" (class), "worker_restart" (reason),
 * "slow_request" (route) and "tenant_cache" (hit, miss, evicted). */
void metrics_observe(const char *family, const char *label, const char *label2, int64_t us);
/* metrics_total sums the counts of every series of a family. */
uint64_t metrics_total(const char *family);
/* metrics_render appends every series in the Prometheus text format. */
void metrics_render(struct buf *out);

/* Phase timings of the calling thread's current request. */
void metrics_phase_reset(void);
void metrics_phase_add(enum metrics_phase phase, int64_t us);
int64_t metrics_phase_get(enum metrics_phase phase);
int64_t metrics_now_us(void);

#endif
