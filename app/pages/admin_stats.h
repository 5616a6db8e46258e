/* SPDX-License-Identifier: MIT */
/* admin_stats: the tier statistics of the admin overview — counted from the
 * users mirror, cached a few seconds per worker process, and laid out as
 * bar charts for the template. */
#ifndef GH_ADMIN_STATS_H
#define GH_ADMIN_STATS_H

#include <time.h>

#include "store/users.h"

struct json_object;

/* admin_stats_add adds "stats" to ctx for tenant as of now: totals, users
 * per tier, confirmed vs. unconfirmed, sign-ups per day over the last
 * USERS_STATS_DAYS days, each chart's layout, and when it was counted.
 * Returns STORE_OK, or STORE_UNAVAILABLE / STORE_ERROR with nothing added
 * (when there are no earlier figures to serve instead). */
enum store_result admin_stats_add(struct json_object *ctx, const char *tenant, time_t now);
/* admin_stats_changed drops this worker's cached figures of tenant, after a
 * change it made itself (other workers catch up within the cache's TTL). */
void admin_stats_changed(const char *tenant);

#endif
