/* SPDX-License-Identifier: MIT */
/* userscmd: `gatehouse users sync [--tenant SLUG]`, the operator's command
 * that brings a tenant's users mirror in step with its Cognito pool. It
 * first settles the admins' tier changes a failure left pending
 * (svc/tierchange.c), so that each gets its audit row, then reconciles the
 * mirror (svc/usersync.c): the other way round, the reconciliation would
 * copy a half-done change's tier without a record. Both steps are
 * svc/syncjob's, the same as an admin's "Sync now", and the run is
 * recorded in store/syncs like one. It reads the settings, opens its own
 * PostgreSQL connection and libcurl handle, and releases both before it
 * returns; output goes to stdout, problems to stderr. */
#include "server/userscmd.h"

#include <stdio.h>
#include <string.h>

#include "aws/awshttp.h"
#include "aws/cognito.h"
#include "core/config.h"
#include "store/pg.h"
#include "store/syncs.h"
#include "store/tenants.h"
#include "svc/svc.h"
#include "svc/syncjob.h"
#include "svc/tierchange.h"
#include "svc/usersync.h"

#define ERR_MAX 512

static int usage(void)
{
    fprintf(stderr, "usage: gatehouse users sync [--tenant SLUG] [--env-file FILE]\n");
    return 2;
}

int userscmd_main(int argc, char **argv, const char *env_file)
{
    const char *slug = TENANT_DEFAULT;
    if (argc < 1 || strcmp(argv[0], "sync"))
        return usage();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
            slug = argv[++i];
        else
            return usage();
    }
    struct config cfg;
    struct tenant t;
    struct usersync_counts counts;
    char err[ERR_MAX];
    int status = 1;
    if (config_load(&cfg, env_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        return 1;
    }
    if (!cfg.database_url) {
        fprintf(stderr, "gatehouse: DATABASE_URL is not set\n");
        goto out;
    }
    if (awshttp_global_init() < 0 || !pg_init_worker(cfg.database_url, cfg.database_prepared, err, sizeof(err))) {
        fprintf(stderr, "gatehouse: cannot initialise libcurl or libpq\n");
        goto out;
    }
    svc_init_worker(&cfg);
    switch (tenants_find(slug, &t)) {
    case STORE_OK:
        break;
    case STORE_NOT_FOUND:
        fprintf(stderr, "gatehouse: no tenant \"%s\"\n", slug);
        goto out;
    case STORE_UNAVAILABLE:
    default:
        fprintf(stderr, "gatehouse: the database is unavailable\n");
        goto out;
    }
    /* The run is recorded like an admin's "Sync now" (store/syncs): the
     * list page shows when the mirror was last brought in step, and a sync
     * already under way for this tenant keeps this one out. */
    struct syncs_run run;
    struct tierchange_settled settled;
    switch (syncs_start_now(t.slug, SYNC_STALE_S, &run)) {
    case STORE_OK:
        break;
    case STORE_CONFLICT:
        fprintf(stderr, "gatehouse: a users sync of tenant %s is already under way\n", t.slug);
        goto out;
    default:
        fprintf(stderr, "gatehouse: the database is unavailable\n");
        goto out;
    }
    memset(&settled, 0, sizeof(settled));
    if (syncjob_tenant(&t, &run, stdout, NULL, &settled, &counts, err, sizeof(err)) < 0) {
        syncs_finish(&run, false, err);
        fprintf(stderr, "gatehouse: users sync of tenant %s failed: %s\n", t.slug, err);
        goto out;
    }
    syncs_finish(&run, true, NULL);
    printf("tier changes: tenant %s: %ld completed, %ld abandoned, %ld superseded, %ld left "
           "pending\n", t.slug, settled.completed, settled.abandoned, settled.superseded,
           settled.left);
    printf("users sync: tenant %s: %ld added, %ld changed, %ld deleted, %ld unchanged\n",
           t.slug, counts.added, counts.changed, counts.deleted, counts.unchanged);
    if (settled.left) {
        /* Not an error of the sync, but not done either: run it again. */
        fprintf(stderr, "gatehouse: %ld tier change%s of tenant %s could not be settled; run "
                "users sync again\n", settled.left, settled.left > 1 ? "s" : "", t.slug);
        goto out;
    }
    status = 0;
out:
    pg_cleanup_worker();
    awshttp_thread_cleanup();
    config_free(&cfg);
    return status;
}
