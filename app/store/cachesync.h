/* SPDX-License-Identifier: MIT */
/* cachesync: keeps the pool-wide caches (core/shcache) right when the rows
 * behind them change outside this pool: another pool on the same database,
 * a `gatehouse users sync`, an operator's SQL. Triggers on those tables
 * (sql/core/004, sql/tenant/004) NOTIFY CACHESYNC_CHANNEL; one thread per
 * worker process listens and evicts. Contracts are in cachesync.c. */
#ifndef GH_CACHESYNC_H
#define GH_CACHESYNC_H

#include <stdbool.h>

#define CACHESYNC_CHANNEL "gatehouse_cache"

bool cachesync_start(const char *conninfo);
void cachesync_stop(void);
void cachesync_apply(const char *payload);

#endif
