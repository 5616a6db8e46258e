/* SPDX-License-Identifier: MIT */
/* scratch_db: a throw-away PostgreSQL database for store tests.
 *
 * scratch_db_open connects to GH_TEST_DATABASE_URL (a role that may CREATE
 * DATABASE), creates gh_test_<name>_<pid>, migrates it with migrate_run,
 * adds and migrates a second tenant "other", and starts the worker's pg
 * layer on it; scratch_db_close drops it. Without the variable the test
 * says so and counts one failure: never a silent pass. scratch_db_create
 * stops after creating the database, empty (for the tests of the migrations
 * and the pg layer themselves). Include after test.h; GH_TEST_SQL_DIR
 * overrides the migrations dir ("sql"). */
#ifndef GH_SCRATCH_DB_H
#define GH_SCRATCH_DB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "store/migrate.h"
#include "store/pg.h"

#define SCRATCH_NAME_MAX 64
#define SCRATCH_CONNINFO_MAX 4096
#define SCRATCH_ERR_MAX 512

struct scratch_db {
    PGconn *admin;
    char name[SCRATCH_NAME_MAX];
};

static void scratch_ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* scratch_conninfo builds admin's conninfo for database dbname. */
static void scratch_conninfo(PGconn *admin, const char *dbname, char *out, size_t outlen)
{
    PQconninfoOption *opts = PQconninfo(admin);
    struct buf b;
    buf_init(&b);
    for (PQconninfoOption *o = opts; o && o->keyword; o++) {
        if (!o->val || !*o->val || strcmp(o->keyword, "dbname") == 0)
            continue;
        buf_printf(&b, "%s='", o->keyword);
        for (const char *c = o->val; *c; c++) {
            if (*c == '\'' || *c == '\\')
                buf_putc(&b, '\\');
            buf_putc(&b, *c);
        }
        buf_puts(&b, "' ");
    }
    buf_printf(&b, "dbname='%s'", dbname);
    snprintf(out, outlen, "%s", buf_cstr(&b));
    buf_free(&b);
    PQconninfoFree(opts);
}

static bool scratch_exec(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        printf("  %s: %s", sql, PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

/* scratch_db_create connects to GH_TEST_DATABASE_URL and creates the empty
 * database gh_test_<name>_<pid>, its conninfo written to conninfo: nothing
 * is migrated and the pg layer is not started, for a test of those (such as
 * test_pg). Call scratch_db_close whatever it returned. */
static bool scratch_db_create(struct scratch_db *db, const char *name, char *conninfo,
                              size_t conninfo_len)
{
    const char *url = getenv("GH_TEST_DATABASE_URL");
    char sql[SCRATCH_NAME_MAX + 64];
    memset(db, 0, sizeof(*db));
    if (!url || !*url) {
        printf("%s: GH_TEST_DATABASE_URL not set\n", name);
        test_cond("GH_TEST_DATABASE_URL set", false);
        return false;
    }
    db->admin = PQconnectdb(url);
    if (PQstatus(db->admin) != CONNECTION_OK) {
        printf("%s: cannot connect to GH_TEST_DATABASE_URL: %s", name, PQerrorMessage(db->admin));
        test_cond("connect to GH_TEST_DATABASE_URL", false);
        return false;
    }
    PQsetNoticeProcessor(db->admin, scratch_ignore_notice, NULL);
    snprintf(db->name, sizeof(db->name), "gh_test_%s_%ld", name, (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db->name);
    scratch_exec(db->admin, sql);
    snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", db->name);
    bool created = scratch_exec(db->admin, sql);
    test_cond("create the scratch database (the role needs CREATEDB)", created);
    if (!created)
        return false;
    scratch_conninfo(db->admin, db->name, conninfo, conninfo_len);
    return true;
}

/* scratch_db_open returns true with the pg layer ready on a fresh, migrated
 * database holding tenants "default" and "other". (Marked unused: a test
 * that wants the empty database calls scratch_db_create alone.) */
static __attribute__((unused)) bool scratch_db_open(struct scratch_db *db, const char *name)
{
    const char *sql_dir = getenv("GH_TEST_SQL_DIR") ? getenv("GH_TEST_SQL_DIR") : "sql";
    char conninfo[SCRATCH_CONNINFO_MAX], err[SCRATCH_ERR_MAX];
    if (!scratch_db_create(db, name, conninfo, sizeof(conninfo)))
        return false;
    int rc = migrate_run(conninfo, sql_dir, NULL, err, sizeof(err));
    test_cond("migrate_run", rc > 0);
    if (rc <= 0) {
        printf("  migrate_run: %s\n", err);
        return false;
    }
    PGconn *conn = PQconnectdb(conninfo);
    bool other = PQstatus(conn) == CONNECTION_OK &&
                 scratch_exec(conn, "INSERT INTO gatehouse.tenants (slug, name, status)"
                                    " VALUES ('other', 'Other', 'active')");
    PQfinish(conn);
    rc = other ? migrate_tenant(conninfo, sql_dir, "other", NULL, err, sizeof(err)) : -1;
    test_cond("a second tenant", rc > 0);
    bool ready = rc > 0 && pg_init_worker(conninfo, true, err, sizeof(err));
    test_cond("pg ready", ready);
    return ready;
}

static void scratch_db_close(struct scratch_db *db)
{
    char sql[SCRATCH_NAME_MAX + 64];
    pg_cleanup_worker();
    if (db->admin && db->name[0]) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", db->name);
        test_cond("drop the scratch database", scratch_exec(db->admin, sql));
    }
    PQfinish(db->admin);
    db->admin = NULL;
}

#endif
