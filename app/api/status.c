/* SPDX-License-Identifier: MIT */
/* status: pool status and metrics (see status.h).
 *
 * Both read shared memory that the master and every worker write: the
 * scoreboard (seats, and what each thread is doing now) and the metrics
 * area. They take a snapshot by copying the fields they show, without a
 * lock: a figure may be a request out of date, never torn in a way that
 * matters for an operator's view. */
#include "api/status.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/metrics.h"
#include "core/scoreboard.h"
#include "http/answer.h"

static const struct config *config;

void status_init_worker(const struct config *cfg)
{
    config = cfg;
}

struct pool_view {
    int processes, busy, idle;
};

static struct json_object *thread_view(const struct slot *s, int index, int64_t now,
                                       struct pool_view *pool)
{
    bool busy = __atomic_load_n(&s->stage, __ATOMIC_ACQUIRE) == SLOT_BUSY;
    struct json_object *t = json_object_new_object();
    json_object_object_add(t, "thread", json_object_new_int(index));
    json_object_object_add(t, "state", json_object_new_string(busy ? "busy" : "idle"));
    json_object_object_add(t, "requests", json_object_new_int64((int64_t)s->requests));
    if (busy) {
        char route[SCOREBOARD_ROUTE_MAX];
        snprintf(route, sizeof(route), "%s", s->route);
        json_object_object_add(t, "route", json_object_new_string(route));
        json_object_object_add(t, "request_ms", json_object_new_int64((now - s->started_us) / 1000));
    }
    pool->busy += busy;
    pool->idle += !busy;
    return t;
}

static struct json_object *snapshot(void)
{
    int64_t now = scoreboard_monotonic_us();
    struct pool_view pool = {0};
    struct json_object *workers = json_object_new_array();
    for (int seat = 0; seat < SCOREBOARD_SEATS_MAX; seat++) {
        const struct seat *st = scoreboard_seat(seat);
        int pid = __atomic_load_n(&st->pid, __ATOMIC_ACQUIRE);
        if (!pid)
            continue;
        pool.processes++;
        struct json_object *w = json_object_new_object(), *threads = json_object_new_array();
        json_object_object_add(w, "pid", json_object_new_int(pid));
        json_object_object_add(w, "generation", json_object_new_int(st->generation));
        json_object_object_add(w, "age_s", json_object_new_int64((now - st->started_us) / 1000000));
        int nthreads = config->threads + (config->listen_slow ? config->slow_threads : 0);
        for (int t = 0; t < nthreads && t < SCOREBOARD_THREADS_MAX; t++)
            json_object_array_add(threads, thread_view(scoreboard_slot(seat, t), t, now, &pool));
        json_object_object_add(w, "threads", threads);
        json_object_array_add(workers, w);
    }
    struct json_object *obj = json_object_new_object();
    time_t started = (time_t)scoreboard_started();
    char when[32];
    struct tm tm;
    gmtime_r(&started, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_object_add(obj, "start_time", json_object_new_string(when));
    json_object_object_add(obj, "uptime_s", json_object_new_int64((int64_t)time(NULL) - started));
    json_object_object_add(obj, "processes", json_object_new_int(pool.processes));
    json_object_object_add(obj, "threads_per_process",
                           json_object_new_int(config->threads +
                                               (config->listen_slow ? config->slow_threads : 0)));
    json_object_object_add(obj, "idle_threads", json_object_new_int(pool.idle));
    json_object_object_add(obj, "busy_threads", json_object_new_int(pool.busy));
    /* Counted since the pool started (the slots restart with their workers). */
    json_object_object_add(obj, "requests", json_object_new_int64((int64_t)metrics_total("request")));
    json_object_object_add(obj, "slow_requests",
                           json_object_new_int64((int64_t)metrics_total("slow_request")));
    json_object_object_add(obj, "worker_restarts",
                           json_object_new_int64((int64_t)metrics_total("worker_restart")));
    json_object_object_add(obj, "workers", workers);
    return obj;
}

static void text_line(struct buf *out, const char *name, struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (json_object_object_get_ex(obj, key, &v))
        buf_printf(out, "%-22s %s\n", name, json_object_get_string(v));
}

enum http_status status_page(struct request *req, struct response *resp)
{
    struct json_object *obj = snapshot();
    if (req_query(req, "json"))
        return answer_json(resp, HTTP_OK, obj);
    buf_reset(&resp->body);
    text_line(&resp->body, "start time:", obj, "start_time");
    text_line(&resp->body, "uptime (s):", obj, "uptime_s");
    text_line(&resp->body, "processes:", obj, "processes");
    text_line(&resp->body, "threads per process:", obj, "threads_per_process");
    text_line(&resp->body, "idle threads:", obj, "idle_threads");
    text_line(&resp->body, "busy threads:", obj, "busy_threads");
    text_line(&resp->body, "requests:", obj, "requests");
    text_line(&resp->body, "slow requests:", obj, "slow_requests");
    text_line(&resp->body, "worker restarts:", obj, "worker_restarts");
    struct json_object *workers;
    json_object_object_get_ex(obj, "workers", &workers);
    for (size_t i = 0; i < json_object_array_length(workers); i++) {
        struct json_object *w = json_object_array_get_idx(workers, i), *threads;
        buf_printf(&resp->body, "\nworker pid %s, generation %s, age %ss\n",
                   json_object_get_string(json_object_object_get(w, "pid")),
                   json_object_get_string(json_object_object_get(w, "generation")),
                   json_object_get_string(json_object_object_get(w, "age_s")));
        json_object_object_get_ex(w, "threads", &threads);
        for (size_t t = 0; t < json_object_array_length(threads); t++) {
            struct json_object *th = json_object_array_get_idx(threads, t), *route, *ms;
            buf_printf(&resp->body, "  thread %-3s %-5s requests %-8s",
                       json_object_get_string(json_object_object_get(th, "thread")),
                       json_object_get_string(json_object_object_get(th, "state")),
                       json_object_get_string(json_object_object_get(th, "requests")));
            if (json_object_object_get_ex(th, "route", &route) &&
                json_object_object_get_ex(th, "request_ms", &ms))
                buf_printf(&resp->body, " route %s for %s ms", json_object_get_string(route),
                           json_object_get_string(ms));
            buf_putc(&resp->body, '\n');
        }
    }
    json_object_put(obj);
    resp_header(resp, "Content-Type", "text/plain; charset=utf-8");
    resp_header(resp, "Cache-Control", "no-store");
    return HTTP_OK;
}

enum http_status status_metrics(struct request *req, struct response *resp)
{
    (void)req;
    buf_reset(&resp->body);
    metrics_render(&resp->body);
    resp_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    resp_header(resp, "Cache-Control", "no-store");
    return HTTP_OK;
}
