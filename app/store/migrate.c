/* SPDX-License-Identifier: MIT */
/* migrate: schema migrations for the shared schema and every tenant schema.
 *
 * A migration is a file NNN_name.sql of plain SQL (no BEGIN/COMMIT, nothing
 * that refuses a transaction such as CREATE INDEX CONCURRENTLY). Each file is
 * sent as one multi-statement query inside its own transaction together with
 * its row in gatehouse.schema_migrations (scope 'core' or 'tenant:<slug>'), so
 * a file is either wholly applied and recorded or not at all; the first
 * failure rolls back and stops with "file: message". Tenant files name their
 * tables unqualified: the same transaction creates t_<slug> if needed and sets
 * search_path to it with SET LOCAL. A session advisory lock keeps two
 * migrators apart; it is released with the connection.
 *
 * This runs from the CLI on its own short-lived connection, never in a worker,
 * so it uses libpq directly rather than the per-thread pg layer (it needs
 * multi-statement queries, which PQexecParams refuses). Ownership: everything
 * allocated here is freed before returning. */
#include "store/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "core/xalloc.h"
#include "store/pg.h"

#define MIGRATE_FILE_MAX (1024 * 1024) /* bytes of one migration file */
#define VERSION_DIGITS_MAX 9           /* keeps a version inside int */
#define MIGRATE_CONNECT_TIMEOUT_S "10" /* the CLI may wait longer */
#define CORE_DIR "core"
#define TENANT_DIR "tenant"
#define CORE_SCOPE "core"
#define TENANT_SCOPE_PREFIX "tenant:"
#define SCOPE_MAX (sizeof TENANT_SCOPE_PREFIX + PG_SCHEMA_MAX)
#define MIGRATE_SETUP_MAX 256
/* "gatehous" as a big-endian int64: the key of the migrators' advisory lock. */
#define LOCK_KEY "7449363237540164979"

struct migration {
    int version;
    char *file; /* "001_gatehouse.sql" */
};

struct migration_set {
    const char *dir; /* CORE_DIR or TENANT_DIR */
    struct migration *items;
    size_t count;
};

/* ---- files -------------------------------------------------------------- */

static void set_free(struct migration_set *set)
{
    for (size_t i = 0; set->items && i < set->count; i++)
        free(set->items[i].file);
    free(set->items);
    set->items = NULL;
    set->count = 0;
}

/* Parses "NNN_name.sql"; returns the version, or -1 when the name is not a
 * migration name. */
static int parse_version(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    size_t len = strlen(name);
    const char *ext = ".sql";

    if (digits == 0 || digits > VERSION_DIGITS_MAX || name[digits] != '_' ||
        len < digits + 1 + 1 + strlen(ext) ||
        strcmp(name + len - strlen(ext), ext) != 0)
        return -1;
    return atoi(name);
}

static int by_version(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Lists sql_dir/<set->dir>/NNN_*.sql sorted by version. Any other *.sql name,
 * or a version used twice, is an error: a misnamed file silently skipped would
 * be a migration that never runs. */
static bool list_migrations(const char *sql_dir, struct migration_set *set,
                            char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct dirent *de;
    size_t cap = 0;
    bool ok = false;
    DIR *d;

    snprintf(path, sizeof path, "%s/%s", sql_dir, set->dir);
    if (!(d = opendir(path))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    while ((de = readdir(d))) {
        int version;
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".sql"))
            continue;
        if ((version = parse_version(de->d_name)) < 0) {
            snprintf(err, errlen, "%s/%s: not named NNN_name.sql", set->dir,
                     de->d_name);
            goto out;
        }
        if (set->count == cap) {
            cap = cap ? cap * 2 : 16;
            set->items = xrealloc(set->items, cap * sizeof *set->items);
        }
        set->items[set->count].version = version;
        set->items[set->count].file = xstrdup(de->d_name);
        set->count++;
    }
    if (set->count)
        qsort(set->items, set->count, sizeof *set->items, by_version);
    for (size_t i = 1; i < set->count; i++) {
        if (set->items[i].version == set->items[i - 1].version) {
            snprintf(err, errlen, "%s/%s: version %d is also used by %s",
                     set->dir, set->items[i].file, set->items[i].version,
                     set->items[i - 1].file);
            goto out;
        }
    }
    ok = true;
out:
    closedir(d);
    return ok;
}

/* Reads a whole migration file into a NUL-terminated string the caller frees.
 */
static char *read_sql(const char *path, char *err, size_t errlen)
{
    struct stat sb;
    char *text = NULL;
    size_t got = 0;
    FILE *f = fopen(path, "r");

    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return NULL;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) ||
        sb.st_size > MIGRATE_FILE_MAX) {
        snprintf(err, errlen, "not a regular file of at most %d bytes",
                 MIGRATE_FILE_MAX);
        goto out;
    }
    text = xmalloc((size_t)sb.st_size + 1);
    got = fread(text, 1, (size_t)sb.st_size, f);
    text[got] = '\0';
    if (ferror(f) || strlen(text) != got) {
        /* A NUL byte would cut the query short without a word. */
        snprintf(err, errlen, "cannot be read whole (or contains a NUL byte)");
        free(text);
        text = NULL;
    }
out:
    fclose(f);
    return text;
}

/* ---- database ------------------------------------------------------------ */

static void drop_notice(void *arg, const char *message)
{
    (void)arg; /* "schema ... already exists, skipping" is expected */
    (void)message;
}

/* Copies the server's primary message (or libpq's) as one line. */
static void result_message(PGconn *conn, const PGresult *res, char *out,
                           size_t outlen)
{
    const char *msg =
        res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    size_t n = 0;

    for (msg = msg ? msg : PQerrorMessage(conn); *msg && n + 1 < outlen; msg++)
        out[n++] = (*msg == '\n' || *msg == '\t') ? ' ' : *msg;
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* Runs sql (no parameters); true when it succeeded. On failure fills msg. */
static bool exec_ok(PGconn *conn, const char *sql, char *msg, size_t msglen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

    if (!ok)
        result_message(conn, res, msg, msglen);
    PQclear(res);
    return ok;
}

/* Connects and takes the migrators' lock, waiting (and saying so) while
 * another migrator holds it. Returns the connection or NULL with err set. */
static PGconn *open_locked(const char *conninfo, FILE *report, char *err,
                           size_t errlen)
{
    static const char *const keys[] = {
        "connect_timeout", "fallback_application_name", "dbname", NULL};
    const char *const values[] = {MIGRATE_CONNECT_TIMEOUT_S,
                                  "gatehouse-migrate", conninfo, NULL};
    const char *const lock_params[] = {LOCK_KEY};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    PGresult *res = NULL;
    char msg[PG_ERRMSG_MAX];

    if (PQstatus(conn) != CONNECTION_OK) {
        result_message(conn, NULL, msg, sizeof msg);
        snprintf(err, errlen, "cannot connect to the database: %s", msg);
        goto fail;
    }
    PQsetNoticeProcessor(conn, drop_notice, NULL);
    res =
        PQexecParams(conn, "SELECT pg_catalog.pg_try_advisory_lock($1::bigint)",
                     1, NULL, lock_params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto lock_failed;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        if (report) {
            fprintf(report, "waiting for another migrator to finish\n");
            fflush(report);
        }
        PQclear(res);
        res =
            PQexecParams(conn, "SELECT pg_catalog.pg_advisory_lock($1::bigint)",
                         1, NULL, lock_params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK)
            goto lock_failed;
    }
    PQclear(res);
    return conn;

lock_failed:
    result_message(conn, res, msg, sizeof msg);
    snprintf(err, errlen, "cannot take the migration lock: %s", msg);
fail:
    PQclear(res);
    PQfinish(conn);
    return NULL;
}

/* Sets *present to whether gatehouse.schema_migrations exists yet (it is
 * created by core 001). */
static bool table_present(PGconn *conn, bool *present, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, "SELECT pg_catalog.to_regclass("
                                 "'gatehouse.schema_migrations') IS NOT NULL");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;

    if (ok) {
        *present = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    } else {
        char msg[PG_ERRMSG_MAX];
        result_message(conn, res, msg, sizeof msg);
        snprintf(err, errlen, "cannot read the migration state: %s", msg);
    }
    PQclear(res);
    return ok;
}

/* Loads the versions already applied in scope. *out (caller frees) is NULL
 * when there are none. */
static bool load_applied(PGconn *conn, const char *scope, int **out,
                         size_t *count, char *err, size_t errlen)
{
    const char *const params[] = {scope};
    PGresult *res = NULL;
    bool present, ok = false;

    *out = NULL;
    *count = 0;
    if (!table_present(conn, &present, err, errlen))
        return false;
    if (!present)
        return true;
    res = PQexecParams(conn,
                       "SELECT version FROM gatehouse.schema_migrations"
                       " WHERE scope = $1",
                       1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char msg[PG_ERRMSG_MAX];
        result_message(conn, res, msg, sizeof msg);
        snprintf(err, errlen, "cannot read the migration state: %s", msg);
        goto out;
    }
    *count = (size_t)PQntuples(res);
    *out = *count ? xmalloc(*count * sizeof **out) : NULL;
    for (size_t i = 0; i < *count; i++)
        (*out)[i] = atoi(PQgetvalue(res, (int)i, 0));
    ok = true;
out:
    PQclear(res);
    return ok;
}

/* Turns the server's error position (characters into text, 1-based) into a
 * line number, or 0 when there is none. */
static int error_line(const PGresult *res, const char *text)
{
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    long chars = pos ? strtol(pos, NULL, 10) : 0;
    int line = 1;

    if (chars <= 0)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && chars > 1;
         p++) {
        if (*p == '\n')
            line++;
        if ((*p & 0xC0) != 0x80) /* count UTF-8 characters, not bytes */
            chars--;
    }
    return line;
}

/* Applies one file in one transaction with its schema_migrations row. schema
 * (quoted identifier) is NULL for core files. Returns false with err set to
 * "dir/file: message". */
static bool apply_one(PGconn *conn, const char *sql_dir, const char *dir,
                      const struct migration *m, const char *scope,
                      const char *schema, char *err, size_t errlen)
{
    char path[PATH_MAX], setup[MIGRATE_SETUP_MAX], version[16];
    char msg[PG_ERRMSG_MAX];
    const char *const params[] = {scope, version, m->file};
    PGresult *res = NULL;
    char *text = NULL;
    int line = 0;
    bool ok = false;

    msg[0] = '\0';
    snprintf(path, sizeof path, "%s/%s/%s", sql_dir, dir, m->file);
    snprintf(version, sizeof version, "%d", m->version);
    if (!(text = read_sql(path, msg, sizeof msg)))
        goto out;
    if (schema)
        snprintf(setup, sizeof setup,
                 "BEGIN; CREATE SCHEMA IF NOT EXISTS %s;"
                 " SET LOCAL search_path TO %s",
                 schema, schema);
    else
        snprintf(setup, sizeof setup, "BEGIN");
    if (!exec_ok(conn, setup, msg, sizeof msg))
        goto out;

    res = PQexec(conn, text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK &&
        PQresultStatus(res) != PGRES_EMPTY_QUERY) {
        result_message(conn, res, msg, sizeof msg);
        line = error_line(res, text);
        goto out;
    }
    PQclear(res);
    res = PQexecParams(conn,
                       "INSERT INTO gatehouse.schema_migrations"
                       " (scope, version, name) VALUES ($1, $2::int, $3)",
                       3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        result_message(conn, res, msg, sizeof msg);
        goto out;
    }
    ok = exec_ok(conn, "COMMIT", msg, sizeof msg);
out:
    PQclear(res);
    if (!ok) {
        char where[32] = "";
        if (line > 0)
            snprintf(where, sizeof where, " line %d:", line);
        if (schema)
            snprintf(err, errlen, "%s/%s (%s):%s %s", dir, m->file, scope,
                     where, msg);
        else
            snprintf(err, errlen, "%s/%s:%s %s", dir, m->file, where, msg);
        if (PQtransactionStatus(conn) != PQTRANS_IDLE)
            PQclear(PQexec(conn, "ROLLBACK"));
    }
    free(text);
    return ok;
}

/* Applies the files of set not yet recorded in scope. tenant_slug is NULL for
 * core. Returns the number applied, or -1 with err set. */
static int apply_set(PGconn *conn, const char *sql_dir,
                     const struct migration_set *set, const char *tenant_slug,
                     FILE *report, char *err, size_t errlen)
{
    char scope[SCOPE_MAX], schema[PG_SCHEMA_MAX];
    char *quoted = NULL;
    int *applied = NULL;
    size_t napplied = 0;
    int count = -1, done = 0;

    if (tenant_slug) {
        if (!pg_tenant_schema(tenant_slug, schema, sizeof schema)) {
            snprintf(err, errlen, "invalid tenant slug \"%s\"", tenant_slug);
            return -1;
        }
        snprintf(scope, sizeof scope, TENANT_SCOPE_PREFIX "%s", tenant_slug);
        quoted = PQescapeIdentifier(conn, schema, strlen(schema));
        if (!quoted) {
            snprintf(err, errlen, "%s: %s", schema, PQerrorMessage(conn));
            return -1;
        }
    } else {
        snprintf(scope, sizeof scope, CORE_SCOPE);
    }
    if (!load_applied(conn, scope, &applied, &napplied, err, errlen))
        goto out;
    for (size_t i = 0; i < set->count; i++) {
        const struct migration *m = &set->items[i];
        bool seen = false;
        for (size_t j = 0; j < napplied && !seen; j++)
            seen = applied[j] == m->version;
        if (seen)
            continue;
        if (!apply_one(conn, sql_dir, set->dir, m, scope, quoted, err, errlen))
            goto out;
        done++;
        if (report) {
            if (tenant_slug)
                fprintf(report, "applied %s/%s to %s\n", set->dir, m->file,
                        schema);
            else
                fprintf(report, "applied %s/%s\n", set->dir, m->file);
        }
    }
    count = done;
out:
    free(applied);
    PQfreemem(quoted);
    return count;
}

/* ---- public API ------------------------------------------------------------
 */

/* Applies sql_dir/core/NNN_*.sql in version order, then
 * sql_dir/tenant/NNN_*.sql to the schema of every tenant in gatehouse.tenants,
 * skipping versions already recorded. Connects with conninfo for the duration
 * of the call and holds the migrators' advisory lock meanwhile. Returns the
 * number of files applied (0 when the database was up to date), or -1 with err
 * set; files applied before a failure stay applied. */
int migrate_run(const char *conninfo, const char *sql_dir, FILE *report,
                char *err, size_t errlen)
{
    struct migration_set core = {.dir = CORE_DIR}, tenant = {.dir = TENANT_DIR};
    PGresult *tenants = NULL;
    PGconn *conn = NULL;
    int total = 0, n, rc = -1;

    if (!list_migrations(sql_dir, &core, err, errlen) ||
        !list_migrations(sql_dir, &tenant, err, errlen))
        goto out;
    if (!(conn = open_locked(conninfo, report, err, errlen)))
        goto out;
    if ((n = apply_set(conn, sql_dir, &core, NULL, report, err, errlen)) < 0)
        goto out;
    total += n;

    tenants = PQexec(conn, "SELECT slug FROM gatehouse.tenants ORDER BY id");
    if (PQresultStatus(tenants) != PGRES_TUPLES_OK) {
        char msg[PG_ERRMSG_MAX];
        result_message(conn, tenants, msg, sizeof msg);
        snprintf(err, errlen, "cannot list the tenants: %s", msg);
        goto out;
    }
    for (int i = 0; i < PQntuples(tenants); i++) {
        n = apply_set(conn, sql_dir, &tenant, PQgetvalue(tenants, i, 0), report,
                      err, errlen);
        if (n < 0)
            goto out;
        total += n;
    }
    rc = total;
out:
    PQclear(tenants);
    PQfinish(conn); /* also releases the advisory lock */
    set_free(&core);
    set_free(&tenant);
    return rc;
}

/* Applies sql_dir/tenant/NNN_*.sql to the schema of tenant_slug (creating
 * t_<slug> if needed), for the tenant-create command. The tenant row need not
 * exist yet, but the core migrations must have been applied. Returns the
 * number of files applied or -1 with err set. */
int migrate_tenant(const char *conninfo, const char *sql_dir,
                   const char *tenant_slug, FILE *report, char *err,
                   size_t errlen)
{
    struct migration_set tenant = {.dir = TENANT_DIR};
    char schema[PG_SCHEMA_MAX];
    PGconn *conn = NULL;
    bool present;
    int rc = -1;

    if (!pg_tenant_schema(tenant_slug, schema, sizeof schema)) {
        snprintf(err, errlen, "invalid tenant slug");
        goto out;
    }
    if (!list_migrations(sql_dir, &tenant, err, errlen))
        goto out;
    if (!(conn = open_locked(conninfo, report, err, errlen)))
        goto out;
    if (!table_present(conn, &present, err, errlen))
        goto out;
    if (!present) {
        snprintf(err, errlen, "the core migrations have not been applied yet");
        goto out;
    }
    rc = apply_set(conn, sql_dir, &tenant, tenant_slug, report, err, errlen);
out:
    PQfinish(conn);
    set_free(&tenant);
    return rc;
}
