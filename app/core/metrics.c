/* SPDX-License-Identifier: MIT */
/* metrics: shared counters and histograms (see metrics.h).
 *
 * Design: a fixed table of METRICS_SERIES_MAX series in one anonymous
 * MAP_SHARED mapping. A series is found by scanning the used entries for
 * its (family, label, label2); a new one is claimed under a process-shared
 * spin lock, which is taken only the first time a series is seen. Counts,
 * sums and buckets are then plain atomic adds, so the request path never
 * waits for another process. When the table is full, further series are
 * folded into one "other" series per family rather than lost.
 *
 * Histogram buckets are fixed (milliseconds, from 1 ms to 10 s), which suit
 * both page latencies and Cognito calls. Everything here is plain data: no
 * pointers in the shared area. */
#include "core/metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/buf.h"

#define METRICS_SERIES_MAX 512
#define FAMILY_MAX 16
#define LABEL_MAX 48
#define BUCKETS 12

static const double bucket_ms[BUCKETS - 1] = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 10000};

struct series {
    volatile int used; /* set last, after the names are written */
    char family[FAMILY_MAX];
    char label[LABEL_MAX];
    char label2[LABEL_MAX];
    uint64_t count;
    uint64_t sum_us;
    uint64_t buckets[BUCKETS];
};

struct area {
    volatile int lock;
    int nseries;
    struct series series[METRICS_SERIES_MAX];
};

static const struct family_info {
    const char *family, *metric, *help, *label, *label2;
    bool timed;
} families[] = {
    {"request", "gatehouse_requests", "Requests served, by route and status.", "route", "status", true},
    {"cognito", "gatehouse_cognito_calls", "Calls to Cognito, by operation and error.", "operation",
     "error", true},
    {"postgres_error", "gatehouse_postgres_errors", "PostgreSQL statements that failed, by class.",
     "class", NULL, false},
    {"worker_restart", "gatehouse_worker_restarts", "Workers replaced by the master, by reason.",
     "reason", NULL, false},
    {"slow_request", "gatehouse_slow_requests", "Requests slower than GATEHOUSE_SLOW_MS, by route.",
     "route", NULL, false},
    {"handoff", "gatehouse_lane_handoffs", "Pages a page thread passed to the slow lane unserved"
     " (counted again there, once, as requests), by route and reason.", "route", "reason", false},
    {"tenant_cache", "gatehouse_tenant_cache", "Tenant lookups of the workers' caches: hit, miss"
     " (read from PostgreSQL), evicted (a live record dropped for room).", "result", NULL, false},
};

static struct area *area;
static __thread int64_t phases[PHASE_COUNT];

int metrics_create(void)
{
    if (area)
        return 0;
    void *p = mmap(NULL, sizeof(struct area), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return -1;
    area = p;
    return 0;
}

int64_t metrics_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool same(const struct series *s, const char *family, const char *label,
                 const char *label2)
{
    return s->used && !strcmp(s->family, family) && !strncmp(s->label, label, LABEL_MAX - 1) &&
           !strncmp(s->label2, label2, LABEL_MAX - 1);
}

static struct series *find(const char *family, const char *label, const char *label2)
{
    int n = __atomic_load_n(&area->nseries, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++)
        if (same(&area->series[i], family, label, label2))
            return &area->series[i];
    while (__atomic_test_and_set(&area->lock, __ATOMIC_ACQUIRE))
        ;
    struct series *s = NULL;
    n = area->nseries;
    for (int i = 0; i < n && !s; i++)
        if (same(&area->series[i], family, label, label2))
            s = &area->series[i];
    if (!s && n < METRICS_SERIES_MAX) {
        s = &area->series[n];
        snprintf(s->family, FAMILY_MAX, "%s", family);
        snprintf(s->label, LABEL_MAX, "%s", label);
        snprintf(s->label2, LABEL_MAX, "%s", label2);
        __atomic_store_n(&s->used, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&area->nseries, n + 1, __ATOMIC_RELEASE);
    }
    __atomic_clear(&area->lock, __ATOMIC_RELEASE);
    return s;
}

void metrics_observe(const char *family, const char *label, const char *label2, int64_t us)
{
    if (!area)
        return;
    struct series *s = find(family, label ? label : "", label2 ? label2 : "");
    if (!s)
        s = find(family, "other", "");
    if (!s)
        return;
    __atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED);
    if (us < 0)
        return;
    __atomic_fetch_add(&s->sum_us, (uint64_t)us, __ATOMIC_RELAXED);
    int b = 0;
    while (b < BUCKETS - 1 && (double)us > bucket_ms[b] * 1000)
        b++;
    __atomic_fetch_add(&s->buckets[b], 1, __ATOMIC_RELAXED);
}

uint64_t metrics_total(const char *family)
{
    uint64_t total = 0;
    int n = area ? __atomic_load_n(&area->nseries, __ATOMIC_ACQUIRE) : 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(area->series[i].family, family))
            total += __atomic_load_n(&area->series[i].count, __ATOMIC_RELAXED);
    return total;
}

static void labels(struct buf *out, const struct family_info *f, const struct series *s,
                   const char *extra)
{
    buf_printf(out, "{%s=\"%s\"", f->label, s->label);
    if (f->label2)
        buf_printf(out, ",%s=\"%s\"", f->label2, s->label2);
    if (extra)
        buf_printf(out, ",%s", extra);
    buf_putc(out, '}');
}

void metrics_render(struct buf *out)
{
    if (!area)
        return;
    int n = __atomic_load_n(&area->nseries, __ATOMIC_ACQUIRE);
    for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
        const struct family_info *fi = &families[f];
        buf_printf(out, "# HELP %s_total %s\n# TYPE %s_total counter\n", fi->metric, fi->help,
                   fi->metric);
        for (int i = 0; i < n; i++) {
            const struct series *s = &area->series[i];
            if (!strcmp(s->family, fi->family)) {
                buf_printf(out, "%s_total", fi->metric);
                labels(out, fi, s, NULL);
                buf_printf(out, " %llu\n", (unsigned long long)__atomic_load_n(&s->count, __ATOMIC_RELAXED));
            }
        }
        if (!fi->timed)
            continue;
        buf_printf(out, "# HELP %s_seconds Latency of %s\n# TYPE %s_seconds histogram\n",
                   fi->metric, fi->help, fi->metric);
        for (int i = 0; i < n; i++) {
            const struct series *s = &area->series[i];
            if (strcmp(s->family, fi->family))
                continue;
            uint64_t cumulative = 0;
            char le[32];
            for (int b = 0; b < BUCKETS; b++) {
                cumulative += __atomic_load_n(&s->buckets[b], __ATOMIC_RELAXED);
                if (b < BUCKETS - 1)
                    snprintf(le, sizeof(le), "le=\"%g\"", bucket_ms[b] / 1000);
                else
                    snprintf(le, sizeof(le), "le=\"+Inf\"");
                buf_printf(out, "%s_seconds_bucket", fi->metric);
                labels(out, fi, s, le);
                buf_printf(out, " %llu\n", (unsigned long long)cumulative);
            }
            buf_printf(out, "%s_seconds_sum", fi->metric);
            labels(out, fi, s, NULL);
            buf_printf(out, " %.6f\n", (double)__atomic_load_n(&s->sum_us, __ATOMIC_RELAXED) / 1e6);
            buf_printf(out, "%s_seconds_count", fi->metric);
            labels(out, fi, s, NULL);
            buf_printf(out, " %llu\n", (unsigned long long)cumulative);
        }
    }
}

void metrics_phase_reset(void)
{
    memset(phases, 0, sizeof(phases));
}

void metrics_phase_add(enum metrics_phase phase, int64_t us)
{
    phases[phase] += us;
}

int64_t metrics_phase_get(enum metrics_phase phase)
{
    return phases[phase];
}
