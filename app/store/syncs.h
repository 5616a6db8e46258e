/* SPDX-License-Identifier: MIT */
/* syncs: gatehouse.user_syncs, the runs of a tenant's users sync — the
 * admin's "Sync now" waiting for a worker's sync thread, the run under way
 * with its progress, and the record of the last ones (sql/core/018). At
 * most one run per tenant is queued or running at a time. Functions answer
 * an enum store_result (core/result.h). */
#ifndef GH_SYNCS_H
#define GH_SYNCS_H

#include <stdbool.h>
#include <time.h>

#include "store/pg.h"
#include "store/tenants.h"

#define SYNCS_ERROR_MAX 256

struct syncs_run {
    long long id;
    int attempt; /* which claim of the row this is: a run's writes name it */
    char slug[TENANT_SLUG_MAX];
    char state[12]; /* queued, running, done or failed */
    time_t requested_at, started_at, heartbeat_at, finished_at;
    long long seen, added, changed, deleted;
    char error[SYNCS_ERROR_MAX]; /* "" unless failed */
};

/* What the list page shows: the run queued or under way (active.id 0:
 * none) and the last one that ended (last.id 0: none yet). */
struct syncs_status {
    struct syncs_run active, last;
};

enum store_result syncs_request(const char *slug, const char *by, const char *request_id,
                                long long *id);
enum store_result syncs_start_now(const char *slug, int stale_s, struct syncs_run *out);
enum store_result syncs_claim(int stale_s, int attempts_max, struct syncs_run *out);
enum store_result syncs_progress(const struct syncs_run *run, long long seen, long long added,
                                 long long changed, long long deleted);
enum store_result syncs_finish(const struct syncs_run *run, bool ok, const char *error);
enum store_result syncs_give_back(const struct syncs_run *run);
enum store_result syncs_status(const char *slug, struct syncs_status *out);

#endif
