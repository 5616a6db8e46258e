/* SPDX-License-Identifier: MIT */
/* syncs: the runs of the users sync in gatehouse.user_syncs (see syncs.h).
 *
 * The table is the queue and the lock at once. "Sync now" inserts a queued
 * row; the partial unique index of sql/core/018 refuses a second queued or
 * running row of the same tenant, which is how two clicks, two admins or
 * the command line beside a worker never run two syncs of one tenant at
 * once. A worker's sync thread claims the oldest waiting row with FOR
 * UPDATE SKIP LOCKED (two threads never take the same row) and marks it
 * running; each page of the listing moves heartbeat_at. A row still marked
 * running whose heartbeat is stale belongs to a thread that is gone (its
 * worker was killed): it may be claimed again, and the sync, safe to run
 * twice, starts over. Each claim counts in attempts, and a run's writes
 * name the attempt they belong to, so a thread that lost its row to a
 * later claim can neither report progress for it nor end it; a row whose
 * attempts are used up fails rather than killing worker after worker.
 *
 * The list page reads the status on every view, so it is kept pool-wide
 * (core/shcache) for SYNCS_CACHE_S: every change of a run's state (queued,
 * claimed, ended, given back) empties that cache, and only the progress
 * counts of a run under way may be that much behind.
 *
 * Every statement names gatehouse.user_syncs in full: workers run with an
 * empty search_path. Ownership: results are copied into the caller's
 * struct; nothing is kept. */
#include "store/syncs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/seal.h"
#include "core/shcache.h"
#include "store/pg.h"

#define RUN_COLUMNS \
    "id, attempts, tenant_slug, state, extract(epoch FROM requested_at)::bigint," \
    " coalesce(extract(epoch FROM started_at)::bigint, 0)," \
    " coalesce(extract(epoch FROM heartbeat_at)::bigint, 0)," \
    " coalesce(extract(epoch FROM finished_at)::bigint, 0)," \
    " seen, added, changed, deleted, coalesce(error, '')"

static void copy_text(char *out, size_t cap, const char *s)
{
    snprintf(out, cap, "%s", s ? s : "");
}

/* read_run fills *out from row `row` of q, whose first columns (from col)
 * are RUN_COLUMNS. */
static void read_run(const struct pg_query *q, int row, int col, struct syncs_run *out)
{
    memset(out, 0, sizeof *out);
    out->id = strtoll(pg_query_value(q, row, col), NULL, 10);
    out->attempt = (int)strtol(pg_query_value(q, row, col + 1), NULL, 10);
    copy_text(out->slug, sizeof out->slug, pg_query_value(q, row, col + 2));
    copy_text(out->state, sizeof out->state, pg_query_value(q, row, col + 3));
    time_t *times[] = {&out->requested_at, &out->started_at, &out->heartbeat_at, &out->finished_at};
    for (int i = 0; i < 4; i++)
        *times[i] = (time_t)strtoll(pg_query_value(q, row, col + 4 + i), NULL, 10);
    long long *counts[] = {&out->seen, &out->added, &out->changed, &out->deleted};
    for (int i = 0; i < 4; i++)
        *counts[i] = strtoll(pg_query_value(q, row, col + 8 + i), NULL, 10);
    copy_text(out->error, sizeof out->error, pg_query_value(q, row, col + 12));
}

/* Queues a sync of tenant slug asked for by `by` (an admin's email) in
 * request request_id; *id gets the row's id. STORE_CONFLICT when one is
 * queued or running already; STORE_UNAVAILABLE; STORE_ERROR (no such
 * tenant, bad text). */
enum store_result syncs_request(const char *slug, const char *by, const char *request_id,
                                long long *id)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *id = 0;
    if (!pg_field_ok(slug, TENANT_SLUG_MAX, true) || !pg_field_ok(by, TENANT_TEXT_MAX, false) ||
        !pg_field_ok(request_id, TENANT_TEXT_MAX, false))
        return STORE_ERROR;
    const char *const params[] = {slug, by, request_id};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "INSERT INTO gatehouse.user_syncs (tenant_slug, state, requested_by,"
                      " request_id) VALUES ($1, 'queued', $2, $3) RETURNING id",
                      3, params))
        rc = pg_store_conflict(&q);
    else
        *id = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    shcache_forget_all(SHCACHE_SYNCS);
    return rc;
}

/* Starts a run of tenant slug at once, for the command line: a run whose
 * heartbeat is older than stale_s (its worker is gone) is marked failed
 * first, so an operator is not kept out by it. *out is the run.
 * STORE_CONFLICT while a live run is queued or under way. */
enum store_result syncs_start_now(const char *slug, int stale_s, struct syncs_run *out)
{
    char stale[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof *out);
    if (!pg_field_ok(slug, TENANT_SLUG_MAX, true))
        return STORE_ERROR;
    const char *const params[] = {slug, pg_num_text(stale, stale_s)};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "UPDATE gatehouse.user_syncs SET state = 'failed', finished_at = now(),"
                      " error = 'abandoned: its worker stopped' WHERE tenant_slug = $1"
                      " AND state = 'running'"
                      " AND heartbeat_at < now() - $2::integer * interval '1 second'",
                      2, params) ||
        !pg_query_run(&q,
                      "INSERT INTO gatehouse.user_syncs (tenant_slug, state, started_at,"
                      " heartbeat_at, attempts) VALUES ($1, 'running', now(), now(), 1)"
                      " RETURNING " RUN_COLUMNS,
                      1, params))
        rc = pg_store_conflict(&q);
    else
        read_run(&q, 0, 0, out);
    pg_query_cleanup(&q);
    shcache_forget_all(SHCACHE_SYNCS);
    return rc;
}

/* Claims the oldest sync waiting for a thread: a queued one, or a running
 * one whose heartbeat is older than stale_s; marks it running, counts the
 * attempt and fills *out. Runs that were claimed attempts_max times already
 * fail instead. STORE_NOT_FOUND when nothing waits. */
enum store_result syncs_claim(int stale_s, int attempts_max, struct syncs_run *out)
{
    char stale[NUM_TEXT_MAX], most[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof *out);
    const char *const params[] = {pg_num_text(stale, stale_s), pg_num_text(most, attempts_max)};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "UPDATE gatehouse.user_syncs SET state = 'failed', finished_at = now(),"
                      " error = 'stopped ' || attempts || ' times before it could end'"
                      " WHERE state = 'running' AND attempts >= $2::integer"
                      " AND heartbeat_at < now() - $1::integer * interval '1 second'",
                      2, params) ||
        !pg_query_run(&q,
                      "UPDATE gatehouse.user_syncs SET state = 'running', started_at = now(),"
                      " heartbeat_at = now(), attempts = attempts + 1, seen = 0, added = 0,"
                      " changed = 0, deleted = 0 WHERE id = (SELECT id FROM"
                      " gatehouse.user_syncs WHERE state = 'queued' OR (state = 'running'"
                      " AND heartbeat_at < now() - $1::integer * interval '1 second')"
                      " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " RUN_COLUMNS,
                      1, params)) {
        rc = pg_store_result(&q);
    } else if (pg_query_rows(&q) != 1) {
        rc = STORE_NOT_FOUND;
    } else {
        read_run(&q, 0, 0, out);
    }
    pg_query_cleanup(&q);
    if (rc == STORE_OK)
        shcache_forget_all(SHCACHE_SYNCS); /* a run is under way: its page says so */
    return rc;
}

/* run_own runs sql ($1 the id, $2 the attempt, then extra) on run's row
 * while this attempt owns it: STORE_NOT_FOUND when it no longer does. */
static enum store_result run_own(const struct syncs_run *run, const char *sql, int nextra,
                                 const char *const *extra)
{
    char id[NUM_TEXT_MAX], attempt[NUM_TEXT_MAX];
    const char *params[8];
    struct pg_query q;
    enum store_result rc;

    params[0] = pg_num_text(id, run->id);
    params[1] = pg_num_text(attempt, run->attempt);
    for (int i = 0; i < nextra && i < 6; i++)
        params[2 + i] = extra[i];
    pg_query_init(&q);
    if (!pg_query_run(&q, sql, 2 + nextra, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

#define OWN " WHERE id = $1::bigint AND attempts = $2::integer AND state = 'running'"

/* Records how far run has got, and that it is alive. STORE_NOT_FOUND: the
 * run is no longer this attempt's (stop). */
enum store_result syncs_progress(const struct syncs_run *run, long long seen, long long added,
                                 long long changed, long long deleted)
{
    char n[4][NUM_TEXT_MAX];
    const char *const extra[] = {pg_num_text(n[0], seen), pg_num_text(n[1], added),
                                 pg_num_text(n[2], changed), pg_num_text(n[3], deleted)};
    return run_own(run,
                   "UPDATE gatehouse.user_syncs SET heartbeat_at = now(), seen = $3::bigint,"
                   " added = $4::bigint, changed = $5::bigint, deleted = $6::bigint" OWN,
                   4, extra);
}

/* Ends run: done, or failed with error (cut to SYNCS_ERROR_MAX). */
enum store_result syncs_finish(const struct syncs_run *run, bool ok, const char *error)
{
    char cut[SYNCS_ERROR_MAX];
    copy_text(cut, sizeof cut, error);
    const char *const extra[] = {ok ? NULL : cut};
    enum store_result rc = run_own(
        run,
        ok ? "UPDATE gatehouse.user_syncs SET state = 'done', finished_at = now(),"
             " heartbeat_at = now(), error = $3" OWN
           : "UPDATE gatehouse.user_syncs SET state = 'failed', finished_at = now(),"
             " heartbeat_at = now(), error = $3" OWN,
        1, extra);
    shcache_forget_all(SHCACHE_SYNCS);
    return rc;
}

/* Puts run back in the queue (its thread is stopping): another worker's
 * thread takes it up at once rather than after a stale heartbeat. */
enum store_result syncs_give_back(const struct syncs_run *run)
{
    enum store_result rc = run_own(run,
                                   "UPDATE gatehouse.user_syncs SET state = 'queued',"
                                   " started_at = NULL, heartbeat_at = NULL" OWN,
                                   0, NULL);
    shcache_forget_all(SHCACHE_SYNCS);
    return rc;
}

/* Fills *out with the run of tenant slug queued or under way and the last
 * one that ended (either id 0 when there is none). STORE_OK,
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result syncs_status(const char *slug, struct syncs_status *out)
{
    unsigned char key[SHCACHE_KEY_BYTES];
    struct pg_query q;
    size_t len = 0;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof *out);
    if (!pg_field_ok(slug, TENANT_SLUG_MAX, true))
        return STORE_ERROR;
    seal_sha256(slug, strlen(slug), key);
    if (shcache_get(SHCACHE_SYNCS, key, time(NULL), SYNCS_CACHE_S, out, sizeof *out, &len) &&
        len == sizeof *out)
        return STORE_OK;
    memset(out, 0, sizeof *out);
    uint64_t epoch = shcache_epoch(SHCACHE_SYNCS);
    const char *const params[] = {slug};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "(SELECT 'active', " RUN_COLUMNS " FROM gatehouse.user_syncs"
                      " WHERE tenant_slug = $1 AND state IN ('queued', 'running') LIMIT 1)"
                      " UNION ALL (SELECT 'last', " RUN_COLUMNS " FROM gatehouse.user_syncs"
                      " WHERE tenant_slug = $1 AND state IN ('done', 'failed')"
                      " ORDER BY id DESC LIMIT 1)",
                      1, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    for (int i = 0; i < pg_query_rows(&q); i++)
        read_run(&q, i, 1, strcmp(pg_query_value(&q, i, 0), "active") ? &out->last : &out->active);
    shcache_put(SHCACHE_SYNCS, key, epoch, time(NULL), slug, out, sizeof *out);
out:
    pg_query_cleanup(&q);
    return rc;
}
