/* SPDX-License-Identifier: MIT */
/* syncjob: the users sync of one tenant — the same steps for the operator's
 * `gatehouse users sync` and for an admin's "Sync now" — and the thread of
 * each worker process that runs the syncs admins ask for, outside any
 * request (store/syncs is its queue). */
#ifndef GH_SYNCJOB_H
#define GH_SYNCJOB_H

#include <stdbool.h>
#include <stdio.h>

#include "store/syncs.h"
#include "store/tenants.h"
#include "svc/tierchange.h"
#include "svc/usersync.h"

/* syncjob_tenant settles t's pending tier changes (so that each gets its
 * audit row), then reconciles t's mirror with its pool, recording progress
 * on run after every page; a line per change goes to report (may be NULL).
 * stop (may be NULL) is read after every page: true ends the sync there.
 * Returns 0, or -1 with err filled. */
int syncjob_tenant(const struct tenant *t, const struct syncs_run *run, FILE *report,
                   const volatile bool *stop, struct tierchange_settled *settled,
                   struct usersync_counts *counts, char *err, size_t errlen);

/* syncjob_start starts this worker process's sync thread; syncjob_stop asks
 * it to end (a run under way goes back to the queue at its next page) and
 * waits for it. Both do nothing when not needed. */
bool syncjob_start(void);
void syncjob_stop(void);

#endif
