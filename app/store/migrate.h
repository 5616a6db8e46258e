/* SPDX-License-Identifier: MIT */
/* migrate: applies the numbered SQL files under sql_dir once each:
 * core/NNN_*.sql to the shared schema, then tenant/NNN_*.sql to every tenant
 * schema t_<slug>, recording each in gatehouse.schema_migrations. Used by the
 * CLI (its own connection; never inside a worker). Design notes in migrate.c.
 */
#ifndef GH_MIGRATE_H
#define GH_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

/* Both return the number of files applied (0 when all were already), or -1
 * with "file: message" in err. report (may be NULL) gets one line per file. */
int migrate_run(const char *conninfo, const char *sql_dir, FILE *report,
                char *err, size_t errlen);
int migrate_tenant(const char *conninfo, const char *sql_dir,
                   const char *tenant_slug, FILE *report, char *err,
                   size_t errlen);

#endif
