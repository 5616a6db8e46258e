/* SPDX-License-Identifier: MIT */
/* test_pg: the PostgreSQL layer and the migrations.
 *
 * The first part needs no server (slug rules, error classes, rate-limited
 * reconnects against a closed port). The rest needs one: set
 * GH_TEST_DATABASE_URL to a libpq conninfo or URI whose role may CREATE
 * DATABASE. The test makes its own scratch database (gh_test_pg_<pid>, left
 * empty: scratch_db_create of scratch_db.h), runs everything there and drops
 * it, so it never touches the database it was given. Without the variable it
 * counts one failure, unless GH_TEST_PG_OPTIONAL=1. GH_TEST_SQL_DIR overrides
 * the migrations dir ("sql").
 */
#include "store/pg.c"
#include "store/migrate.c"

#include <sys/stat.h>
#include <sys/wait.h>

#include "core/buf.h"
#include "test.h"
#include "scratch_db.h"

#define ERR_MAX 512
#define TERMINATE_WAIT_MS "5000" /* pg_terminate_backend waits for the exit */

static const char *sql_dir;
static PGconn *admin; /* a raw connection to the given database */

/* ---- helpers ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int count_sql(const char *sub)
{
    char path[PATH_MAX];
    struct dirent *de;
    int n = 0;
    DIR *d;

    snprintf(path, sizeof path, "%s/%s", sql_dir, sub);
    if (!(d = opendir(path)))
        return -1;
    while ((de = readdir(d)))
        n += has_suffix(de->d_name, ".sql") && de->d_name[0] != '.';
    closedir(d);
    return n;
}

static bool admin_exec(const char *sql, int n, const char *const params[])
{
    PGresult *res = PQexecParams(admin, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK ||
              (st == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
               strcmp(PQgetvalue(res, 0, 0), "t") == 0);
    if (!ok)
        printf("  admin: %s", PQerrorMessage(admin));
    PQclear(res);
    return ok;
}

/* Runs sql and returns the first field as a number (-1 on failure). */
static long long query_number(const char *sql)
{
    struct pg_query q;
    long long v = -1;

    pg_query_init(&q);
    if (pg_query_run(&q, sql, 0, NULL) && pg_query_rows(&q) == 1)
        v = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    else
        printf("  query_number(%s): %s\n", sql, q.errmsg);
    pg_query_cleanup(&q);
    return v;
}

static long long tenant_count(const char *slug, const char *sql)
{
    struct pg_query q;
    long long v = -1;

    pg_query_init(&q);
    if (pg_query_run_tenant(&q, slug, sql, 0, NULL) && pg_query_rows(&q) == 1)
        v = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    return v;
}

static bool terminate(long long pid)
{
    char text[32];
    const char *const params[] = {text, TERMINATE_WAIT_MS};

    snprintf(text, sizeof text, "%lld", pid);
    return admin_exec("SELECT pg_terminate_backend($1::int, $2::bigint)", 2,
                      params);
}

static bool ping_ok(void)
{
    char err[ERR_MAX];
    bool ok = pg_ping(err, sizeof err);
    if (!ok)
        printf("  ping: %s\n", err);
    return ok;
}

static struct pg_thread *current_thread(void)
{
    return pthread_getspecific(thread_key);
}

/* ---- without a server --------------------------------------------------- */

static void test_tenant_schema(void)
{
    static const char *const good[] = {
        "default", "abc", "acme-corp", "a1b",
        "0123456789012345678901234567890123456789"};
    static const char *const bad[] = {
        NULL,
        "",
        "ab",
        "-ab",
        "ab-",
        "Acme",
        "a_b",
        "a b",
        "a\"b",
        "a;b",
        "t_x,public",
        "ab\n",
        "01234567890123456789012345678901234567890"};
    char out[PG_SCHEMA_MAX];

    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        test_cond("valid slug accepted",
                  pg_tenant_schema(good[i], out, sizeof out) &&
                      strncmp(out, "t_", 2) == 0 &&
                      strcmp(out + 2, good[i]) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(out, "untouched");
        test_cond("invalid slug refused",
                  !pg_tenant_schema(bad[i], out, sizeof out) &&
                      strcmp(out, "untouched") == 0);
    }
    test_cond("schema buffer too small refused",
              !pg_tenant_schema("acme", out, 6));
}

static void test_classify(void)
{
    test_cond("23505 is a constraint error",
              classify("23505", false) == PG_ERR_CONSTRAINT);
    test_cond("23503 is a query error",
              classify("23503", false) == PG_ERR_QUERY);
    test_cond("42601 is a query error",
              classify("42601", false) == PG_ERR_QUERY);
    test_cond("57P01 is unavailable",
              classify("57P01", false) == PG_ERR_UNAVAILABLE);
    test_cond("08006 is unavailable",
              classify("08006", false) == PG_ERR_UNAVAILABLE);
    test_cond("53300 is unavailable",
              classify("53300", false) == PG_ERR_UNAVAILABLE);
    test_cond("57014 is unavailable",
              classify("57014", false) == PG_ERR_UNAVAILABLE);
    test_cond("a bad connection wins",
              classify("23505", true) == PG_ERR_UNAVAILABLE);
    test_cond("no sqlstate is a query error",
              classify(NULL, false) == PG_ERR_QUERY);
}

static void test_without_server(void)
{
    char err[ERR_MAX];
    struct pg_query q;
    struct pg_thread *st;
    unsigned long attempts;

    pg_query_init(&q);
    test_cond("run before init is unavailable",
              !pg_query_run(&q, "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_UNAVAILABLE);
    test_cond("accessors on a failed query are safe",
              pg_query_rows(&q) == 0 &&
                  strcmp(pg_query_value(&q, 0, 0), "") == 0 &&
                  pg_query_is_null(&q, 0, 0) && pg_query_len(&q, 0, 0) == 0 &&
                  pg_query_affected(&q) == 0);
    pg_query_cleanup(&q);
    pg_query_cleanup(&q);
    test_cond("cleanup is idempotent", q.result == NULL && q.err == PG_OK);

    /* Port 1 on loopback refuses at once. */
    test_cond("init", pg_init_worker("host=127.0.0.1 port=1 dbname=x user=x", true,
                                     err, sizeof err));
    test_cond("first query tries to connect and fails",
              !pg_query_run(&q, "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_UNAVAILABLE &&
                  strstr(q.errmsg, "database unavailable") != NULL);
    st = current_thread();
    attempts = st ? st->connects : 0;
    test_cond("one connect attempt made", attempts == 1);
    test_cond("second query is refused without an attempt",
              !pg_query_run(&q, "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_UNAVAILABLE && st &&
                  st->connects == attempts &&
                  strstr(q.errmsg, "next reconnect") != NULL);
    test_cond("ping reports the outage",
              !pg_ping(err, sizeof err) && err[0] != '\0');
    sleep_ms(RECONNECT_MIN_MS + 50);
    test_cond("after the back-off one more attempt is made",
              !pg_query_run(&q, "SELECT 1", 0, NULL) && st &&
                  st->connects == attempts + 1);
    test_cond("the back-off grows",
              st && st->retry_at_ms - now_ms() > RECONNECT_MIN_MS);
    test_cond("bad arguments are a query error",
              !pg_query_run(&q, NULL, 0, NULL) && q.err == PG_ERR_QUERY &&
                  !pg_query_run(&q, "SELECT $1", 1, NULL) &&
                  q.err == PG_ERR_QUERY);
    test_cond("invalid slug is refused before connecting",
              !pg_query_run_tenant(&q, "x\"; DROP", "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_QUERY && st && st->connects == attempts + 1);
    pg_query_cleanup(&q);
    pg_end_request();
    pg_cleanup_worker();
    test_cond("cleanup forgets the thread state", current_thread() == NULL);
}

/* ---- migrations --------------------------------------------------------- */

static void test_migrations(const char *conninfo)
{
    char err[ERR_MAX] = "", *text = NULL;
    size_t len = 0;
    struct pg_query q;
    int ncore = count_sql("core"), ntenant = count_sql("tenant"), rc;
    FILE *report = open_memstream(&text, &len);

    rc = migrate_run(conninfo, sql_dir, report, err, sizeof err);
    fclose(report);
    if (rc < 0)
        printf("  migrate_run: %s\n", err);
    test_cond("first run applies every core file and the default tenant's",
              ncore > 0 && ntenant > 0 && rc == ncore + ntenant);
    test_cond("report names the core file",
              text && strstr(text, "applied core/001_gatehouse.sql\n") != NULL);
    test_cond(
        "report names the tenant file and schema",
        text && strstr(text, "applied tenant/001_tenant.sql to t_default\n") !=
                    NULL);
    free(text);

    text = NULL;
    report = open_memstream(&text, &len);
    rc = migrate_run(conninfo, sql_dir, report, err, sizeof err);
    fclose(report);
    test_cond("second run applies nothing", rc == 0 && len == 0);
    free(text);

    pg_query_init(&q);
    test_cond("schema_migrations readable",
              pg_query_run(
                  &q,
                  "SELECT scope, version, name, applied_at IS NOT NULL"
                  " FROM gatehouse.schema_migrations ORDER BY scope, version",
                  0, NULL));
    test_cond("one row per applied file", pg_query_rows(&q) == ncore + ntenant);
    test_cond("core 001 recorded",
              strcmp(pg_query_value(&q, 0, 0), "core") == 0 &&
                  strcmp(pg_query_value(&q, 0, 1), "1") == 0 &&
                  strcmp(pg_query_value(&q, 0, 2), "001_gatehouse.sql") == 0 &&
                  strcmp(pg_query_value(&q, 0, 3), "t") == 0);
    test_cond("tenant 001 recorded for default",
              strcmp(pg_query_value(&q, ncore, 0), "tenant:default") == 0 &&
                  strcmp(pg_query_value(&q, ncore, 2), "001_tenant.sql") == 0);
    test_cond("default tenant row is active",
              pg_query_run(&q,
                           "SELECT status, user_pool_id FROM gatehouse.tenants"
                           " WHERE slug = 'default'",
                           0, NULL) &&
                  pg_query_rows(&q) == 1 &&
                  strcmp(pg_query_value(&q, 0, 0), "active") == 0 &&
                  pg_query_is_null(&q, 0, 1));
    test_cond("tenant slug check enforced",
              !pg_query_run(&q,
                            "INSERT INTO gatehouse.tenants (slug, name)"
                            " VALUES ('Bad_Slug', 'x')",
                            0, NULL) &&
                  strcmp(q.sqlstate, "23514") == 0);
    pg_query_cleanup(&q);
    test_cond(
        "default tenant schema has its tables",
        tenant_count("default", "SELECT count(*) FROM users") == 0 &&
            tenant_count("default", "SELECT count(*) FROM tier_changes") == 0 &&
            tenant_count("default", "SELECT count(*) FROM files") == 0);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f)
        ok = fclose(f) == 0 && ok;
    return ok;
}

static void test_failing_migration(const char *conninfo)
{
    char dir[] = "/tmp/gh_test_mig.XXXXXX", path[PATH_MAX], real[PATH_MAX];
    char err[ERR_MAX] = "";
    int rc;

    test_cond("temp dir", mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/core", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/tenant", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/core/001_gatehouse.sql", sql_dir);
    test_cond("realpath core", realpath(path, real) != NULL);
    snprintf(path, sizeof path, "%s/core/001_gatehouse.sql", dir);
    test_cond("link core", symlink(real, path) == 0);
    snprintf(path, sizeof path, "%s/core/999_broken.sql", dir);
    test_cond("write broken file",
              write_file(path, "CREATE TABLE gatehouse.half_done (id int);\n"
                               "SELECT 1;\nSELEC 'oops';\n"));

    rc = migrate_run(conninfo, dir, NULL, err, sizeof err);
    test_cond("failing file stops the run", rc == -1);
    test_cond("error names file and line",
              strncmp(err, "core/999_broken.sql: line 3: ", 29) == 0 &&
                  strstr(err, "syntax error") != NULL);
    test_cond("failing file rolled back",
              query_number("SELECT count(*) FROM pg_catalog.pg_class"
                           " WHERE relname = 'half_done'") == 0);
    test_cond("failing file not recorded",
              query_number("SELECT count(*) FROM gatehouse.schema_migrations"
                           " WHERE scope = 'core' AND version = 999") == 0);

    snprintf(path, sizeof path, "%s/core/999_broken.sql", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/core/3-misnamed.sql", dir);
    test_cond("write misnamed file", write_file(path, "SELECT 1;\n"));
    rc = migrate_run(conninfo, dir, NULL, err, sizeof err);
    test_cond("misnamed file is an error",
              rc == -1 && strstr(err, "3-misnamed.sql") != NULL);
    unlink(path);

    snprintf(path, sizeof path, "%s/core/01_dup.sql", dir);
    test_cond("write duplicate version", write_file(path, "SELECT 1;\n"));
    rc = migrate_run(conninfo, dir, NULL, err, sizeof err);
    test_cond("duplicate version is an error",
              rc == -1 && strstr(err, "version 1") != NULL);
    unlink(path);

    rc = migrate_run(conninfo, "/nonexistent/gh", NULL, err, sizeof err);
    test_cond("missing sql dir is an error",
              rc == -1 && strstr(err, "/nonexistent/gh") != NULL);

    snprintf(path, sizeof path, "%s/core/001_gatehouse.sql", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/core", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/tenant", dir);
    rmdir(path);
    rmdir(dir);
}

struct locked_run {
    const char *conninfo;
    volatile int done;
    int rc;
    char *report;
    size_t len;
};

static void *run_migrator(void *arg)
{
    struct locked_run *r = arg;
    char err[ERR_MAX];
    FILE *f = open_memstream(&r->report, &r->len);

    r->rc = migrate_run(r->conninfo, sql_dir, f, err, sizeof err);
    fclose(f);
    __atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static bool lock_exec(PGconn *conn, const char *sql)
{
    const char *const key[] = {LOCK_KEY};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, key, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    return ok;
}

static void test_migration_lock(const char *conninfo)
{
    /* Advisory locks belong to one database: hold it in the scratch one. */
    PGconn *holder = PQconnectdb(conninfo);
    struct locked_run r = {.conninfo = conninfo};
    pthread_t t;

    test_cond("hold the migrators' lock",
              lock_exec(holder, "SELECT pg_advisory_lock($1::bigint)"));
    test_cond("start a migrator",
              pthread_create(&t, NULL, run_migrator, &r) == 0);
    sleep_ms(400);
    test_cond("migrator waits for the lock",
              __atomic_load_n(&r.done, __ATOMIC_SEQ_CST) == 0);
    test_cond("release the lock",
              lock_exec(holder, "SELECT pg_advisory_unlock($1::bigint)"));
    pthread_join(t, NULL);
    test_cond("migrator then finishes with nothing to do", r.done && r.rc == 0);
    test_cond("migrator said it was waiting",
              r.report &&
                  strstr(r.report, "waiting for another migrator") != NULL);
    free(r.report);
    PQfinish(holder);
}

/* ---- statements --------------------------------------------------------- */

static void test_hostile_params(void)
{
    static const char *const hostile[] = {
        "O'Brien",
        "'; DROP TABLE gatehouse.tenants; --",
        "back\\slash\\' \\\\",
        "\"double\" ''quotes''",
        "$1 $2 %s %n",
        "E'\\x41'",
        "ünïcødé ✓ 𝄞",
        "",
        "line\nbreak\ttab",
        "\\x00\\000",
    };
    struct pg_query q;
    bool all_round_trip = true, all_stored = true;

    pg_query_init(&q);
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        const char *const one[] = {hostile[i]};
        char sub[32];
        const char *const row[] = {sub, hostile[i]};

        if (!pg_query_run(&q, "SELECT $1::text, length($1)", 1, one) ||
            strcmp(pg_query_value(&q, 0, 0), hostile[i]) != 0 ||
            pg_query_len(&q, 0, 0) != strlen(hostile[i]))
            all_round_trip = false;
        snprintf(sub, sizeof sub, "hostile-%zu", i);
        if (!pg_query_run_tenant(&q, "default",
                                 "INSERT INTO users (sub, email, name)"
                                 " VALUES ($1, $1 || '@example.com', $2)",
                                 2, row) ||
            pg_query_affected(&q) != 1)
            all_stored = false;
        if (!pg_query_run_tenant(&q, "default",
                                 "SELECT name FROM users WHERE sub = $1", 1,
                                 row) ||
            pg_query_rows(&q) != 1 ||
            strcmp(pg_query_value(&q, 0, 0), hostile[i]) != 0)
            all_stored = false;
    }
    test_cond("hostile parameters round-trip unchanged", all_round_trip);
    test_cond("hostile parameters stored and read back", all_stored);
    test_cond("tenants table survived",
              query_number("SELECT count(*) FROM gatehouse.tenants") >= 1);

    {
        const char *const nul[] = {NULL};
        test_cond(
            "NULL parameter is SQL NULL",
            pg_query_run(&q, "SELECT $1::text IS NULL, $1::text", 1, nul) &&
                strcmp(pg_query_value(&q, 0, 0), "t") == 0 &&
                pg_query_is_null(&q, 0, 1) && !pg_query_is_null(&q, 0, 0));
    }
    test_cond("out-of-range field reads as NULL",
              pg_query_is_null(&q, 5, 0) &&
                  strcmp(pg_query_value(&q, 0, 9), "") == 0);
    test_cond("a query can be reused and cleaned",
              pg_query_run(&q, "SELECT 42", 0, NULL) &&
                  strcmp(pg_query_value(&q, 0, 0), "42") == 0);
    pg_query_cleanup(&q);
    test_cond("ping", ping_ok());
}

static void test_errors(void)
{
    const char *const first[] = {"dup-1", "dup@example.com"};
    const char *const second[] = {"dup-2", "dup@example.com"};
    const char *const gold[] = {"gold-1", "gold@example.com"};
    struct pg_query q;

    pg_query_init(&q);
    test_cond("insert a user",
              pg_query_run_tenant(
                  &q, "default",
                  "INSERT INTO users (sub, email) VALUES ($1, $2)", 2, first) &&
                  pg_query_affected(&q) == 1);
    test_cond(
        "unique violation is PG_ERR_CONSTRAINT",
        !pg_query_run_tenant(&q, "default",
                             "INSERT INTO users (sub, email) VALUES ($1, $2)",
                             2, second) &&
            q.err == PG_ERR_CONSTRAINT && strcmp(q.sqlstate, "23505") == 0 &&
            strcmp(q.constraint, "users_email_live_idx") == 0 && q.result == NULL);
    test_cond("error message is one line",
              strchr(q.errmsg, '\n') == NULL && q.errmsg[0]);
    test_cond("the insert did not happen",
              tenant_count("default",
                           "SELECT count(*) FROM users WHERE sub = 'dup-2'") ==
                  0);
    test_cond(
        "check violation is PG_ERR_QUERY",
        !pg_query_run_tenant(
            &q, "default",
            "INSERT INTO users (sub, email, tier) VALUES ($1, $2, 'gold')", 2,
            gold) &&
            q.err == PG_ERR_QUERY && strcmp(q.sqlstate, "23514") == 0);
    test_cond("syntax error is PG_ERR_QUERY",
              !pg_query_run(&q, "SELEC 1", 0, NULL) && q.err == PG_ERR_QUERY &&
                  strcmp(q.sqlstate, "42601") == 0);
    test_cond("two statements in one run are refused",
              !pg_query_run(&q, "SELECT 1; SELECT 2", 0, NULL) &&
                  q.err == PG_ERR_QUERY);
    test_cond("empty statement is an error",
              !pg_query_run(&q, "", 0, NULL) && q.err == PG_ERR_QUERY);
    test_cond("statement timeout default applied",
              pg_query_run(&q, "SHOW statement_timeout", 0, NULL) &&
                  strcmp(pg_query_value(&q, 0, 0), "5s") == 0);
    test_cond("unqualified names resolve nowhere outside a tenant",
              !pg_query_run(&q, "SELECT count(*) FROM users", 0, NULL) &&
                  strcmp(q.sqlstate, "42P01") == 0);
    test_cond("the connection still works after errors",
              pg_query_run(&q, "SELECT 1", 0, NULL));
    pg_query_cleanup(&q);
}

static void test_transactions(void)
{
    const char *const one[] = {"tx-1", "tx-1@example.com"};
    const char *const two[] = {"tx-2", "tx-2@example.com"};
    struct pg_query q;

    pg_query_init(&q);
    test_cond("begin", pg_begin(&q));
    test_cond("no nesting", !pg_begin(&q) && q.err == PG_ERR_QUERY);
    test_cond("insert in tx",
              pg_query_run_tenant(
                  &q, "default",
                  "INSERT INTO users (sub, email) VALUES ($1, $2)", 2, one));
    pg_rollback();
    test_cond("rollback discards",
              tenant_count("default",
                           "SELECT count(*) FROM users WHERE sub = 'tx-1'") ==
                  0);

    test_cond("begin again", pg_begin(&q));
    test_cond("insert in tx 2",
              pg_query_run_tenant(
                  &q, "default",
                  "INSERT INTO users (sub, email) VALUES ($1, $2)", 2, two));
    test_cond("commit", pg_commit(&q));
    test_cond("commit keeps",
              tenant_count("default",
                           "SELECT count(*) FROM users WHERE sub = 'tx-2'") ==
                  1);
    test_cond("commit without begin fails",
              !pg_commit(&q) && q.err == PG_ERR_QUERY);

    test_cond("begin 3", pg_begin(&q));
    test_cond("failing statement in tx",
              !pg_query_run(&q, "SELECT 1/0", 0, NULL));
    test_cond("commit after a failure reports it",
              !pg_commit(&q) && q.err == PG_ERR_QUERY &&
                  strstr(q.errmsg, "rolled back"));
    test_cond("a plain statement works afterwards",
              pg_query_run(&q, "SELECT 1", 0, NULL));

    /* A BEGIN smuggled through a plain statement does not survive it. */
    test_cond("raw BEGIN accepted", pg_query_run(&q, "BEGIN", 0, NULL));
    test_cond(
        "next statement runs outside it",
        pg_query_run(&q, "SELECT now() = statement_timestamp()", 0, NULL) &&
            PQtransactionStatus(current_thread()->conn) == PQTRANS_IDLE);
    pg_query_cleanup(&q);
}

/* ---- reconnects --------------------------------------------------------- */

struct killer {
    long long pid;
    long delay_ms;
    bool ok;
};

static void *kill_later(void *arg)
{
    struct killer *k = arg;
    sleep_ms(k->delay_ms);
    k->ok = terminate(k->pid); /* admin is only used here meanwhile */
    return NULL;
}

static void test_reconnect(void)
{
    struct pg_query q;
    struct pg_thread *st = current_thread();
    long long pid1, pid2, started;
    unsigned long connects = st ? st->connects : 0;

    pg_query_init(&q);
    pid1 = query_number("SELECT pg_backend_pid()");
    test_cond("terminate the thread's backend", pid1 > 0 && terminate(pid1));
    test_cond("next query succeeds after an automatic reconnect",
              pg_query_run(&q, "SELECT pg_backend_pid()", 0, NULL));
    pid2 = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    test_cond("on a new backend", pid2 > 0 && pid2 != pid1);
    test_cond("with exactly one new connection",
              st && st->connects == connects + 1);
    test_cond(
        "the new connection has the session set-up",
        pg_query_run(&q, "SELECT current_setting('search_path')", 0, NULL) &&
            strcmp(pg_query_value(&q, 0, 0), "") == 0);

    /* Lost inside a transaction: no silent retry on a fresh connection. */
    test_cond("begin before the loss", pg_begin(&q));
    pid1 = query_number("SELECT pg_backend_pid()");
    test_cond("terminate inside the transaction", terminate(pid1));
    test_cond("statement after the loss is unavailable",
              !pg_query_run(&q, "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_UNAVAILABLE);
    test_cond("and stays so until the transaction ends",
              !pg_query_run(&q, "SELECT 1", 0, NULL) &&
                  q.err == PG_ERR_UNAVAILABLE);
    test_cond("commit reports the loss",
              !pg_commit(&q) && q.err == PG_ERR_UNAVAILABLE);
    test_cond("then queries work again", pg_query_run(&q, "SELECT 1", 0, NULL));

    test_cond("begin before another loss", pg_begin(&q));
    test_cond("terminate again",
              terminate(query_number("SELECT pg_backend_pid()")));
    test_cond("lost", !pg_query_run(&q, "SELECT 1", 0, NULL));
    pg_rollback();
    test_cond("rollback clears the loss",
              pg_query_run(&q, "SELECT 1", 0, NULL));

    /* Lost while the statement runs: it may have executed, so no retry. */
    {
        struct killer k = {.pid = query_number("SELECT pg_backend_pid()"),
                           .delay_ms = 300};
        pthread_t t;
        test_cond("start the killer",
                  pthread_create(&t, NULL, kill_later, &k) == 0);
        started = now_ms();
        test_cond("statement killed mid-way is unavailable",
                  !pg_query_run(&q, "SELECT pg_sleep(3)", 0, NULL) &&
                      q.err == PG_ERR_UNAVAILABLE);
        test_cond("and was not retried", now_ms() - started < 2500);
        pthread_join(t, NULL);
        test_cond("killer worked", k.ok);
    }
    test_cond("the next statement reconnects",
              pg_query_run(&q, "SELECT 1", 0, NULL));
    test_cond("ping after reconnects", ping_ok());
    pg_query_cleanup(&q);
}

/* ---- tenants ------------------------------------------------------------ */

static bool emails_are(const char *slug, const char *expect)
{
    struct pg_query q;
    struct buf got;
    bool ok;

    buf_init(&got);
    pg_query_init(&q);
    ok = pg_query_run_tenant(&q, slug,
                             "SELECT email FROM users WHERE sub LIKE 'iso-%'"
                             " ORDER BY email",
                             0, NULL);
    for (int i = 0; ok && i < pg_query_rows(&q); i++)
        buf_printf(&got, "%s%s", i ? "," : "", pg_query_value(&q, i, 0));
    ok = ok && strcmp(buf_cstr(&got), expect) == 0;
    if (!ok)
        printf("  %s: got [%s] want [%s] %s\n", slug, buf_cstr(&got), expect,
               q.errmsg);
    pg_query_cleanup(&q);
    buf_free(&got);
    return ok;
}

static bool add_user(const char *slug, const char *sub, const char *email)
{
    const char *const params[] = {sub, email};
    struct pg_query q;
    bool ok;

    pg_query_init(&q);
    ok = pg_query_run_tenant(
        &q, slug, "INSERT INTO users (sub, email) VALUES ($1, $2)", 2, params);
    pg_query_cleanup(&q);
    return ok;
}

static long long prepared_count(const char *statement);

static void test_tenant_isolation(const char *conninfo)
{
    static const char *const hostile_slugs[] = {
        "alpha\"; DROP SCHEMA t_beta CASCADE; --",
        "t_alpha",
        "ALPHA",
        "-ab",
        "a",
        "alpha,beta",
        "beta public",
        "alpha\\",
        "",
    };
    const char *const alpha[] = {"alpha", "Alpha Inc"};
    const char *const beta[] = {"beta", "Beta Ltd"};
    char err[ERR_MAX] = "", *text = NULL;
    size_t len = 0;
    int ntenant = count_sql("tenant"), rc;
    long long pid_before, pid_after;
    struct pg_query q;
    FILE *report;
    bool refused = true;

    pg_query_init(&q);
    test_cond(
        "add tenants alpha and beta",
        pg_query_run(
            &q, "INSERT INTO gatehouse.tenants (slug, name) VALUES ($1, $2)", 2,
            alpha) &&
            pg_query_run(
                &q,
                "INSERT INTO gatehouse.tenants (slug, name) VALUES ($1, $2)", 2,
                beta));
    test_cond("duplicate tenant slug is a constraint error",
              !pg_query_run(
                  &q,
                  "INSERT INTO gatehouse.tenants (slug, name) VALUES ($1, $2)",
                  2, alpha) &&
                  q.err == PG_ERR_CONSTRAINT);
    report = open_memstream(&text, &len);
    rc = migrate_run(conninfo, sql_dir, report, err, sizeof err);
    fclose(report);
    test_cond("migrate_run migrates every new tenant", rc == 2 * ntenant);
    test_cond("report names both schemas",
              text && strstr(text, "to t_alpha\n") &&
                  strstr(text, "to t_beta\n") && !strstr(text, "t_default"));
    free(text);
    test_cond("migrate_tenant creates a schema",
              migrate_tenant(conninfo, sql_dir, "gamma", NULL, err,
                             sizeof err) == ntenant);
    test_cond(
        "migrate_tenant is idempotent",
        migrate_tenant(conninfo, sql_dir, "gamma", NULL, err, sizeof err) == 0);
    test_cond("migrate_tenant refuses a bad slug",
              migrate_tenant(conninfo, sql_dir, "Bad Slug", NULL, err,
                             sizeof err) == -1);
    test_cond("gamma recorded",
              query_number("SELECT count(*) FROM gatehouse.schema_migrations"
                           " WHERE scope = 'tenant:gamma'") == ntenant);

    /* Same table, same primary key in three schemas. */
    test_cond("fill alpha",
              add_user("alpha", "iso-same", "a1@alpha.example") &&
                  add_user("alpha", "iso-a2", "a2@alpha.example"));
    test_cond("fill beta", add_user("beta", "iso-same", "b1@beta.example"));
    test_cond("same email in another tenant is fine",
              add_user("gamma", "iso-g1", "a1@alpha.example"));

    pid_before = query_number("SELECT pg_backend_pid()");
    for (int round = 0; round < 3; round++) {
        test_cond("alpha sees only alpha",
                  emails_are("alpha", "a1@alpha.example,a2@alpha.example"));
        test_cond("beta sees only beta", emails_are("beta", "b1@beta.example"));
        test_cond("gamma sees only gamma",
                  emails_are("gamma", "a1@alpha.example"));
        test_cond("unqualified names still resolve nowhere",
                  !pg_query_run(&q, "SELECT count(*) FROM users", 0, NULL) &&
                      strcmp(q.sqlstate, "42P01") == 0);
    }
    pid_after = query_number("SELECT pg_backend_pid()");
    test_cond("all on one reused connection",
              pid_before > 0 && pid_before == pid_after);
    /* One prepared statement served all three schemas above: the server
     * parses it again whenever the search_path changes. */
    test_cond("a tenant statement is prepared once for every tenant",
              prepared_count("SELECT email FROM users WHERE sub LIKE 'iso-%'"
                             " ORDER BY email") == 1);
    /* A statement whose first run is prepared and then refused: the name
     * exists on the server, so the next run must not prepare it again. */
    static const char insert_probe[] = "INSERT INTO users (sub, email) VALUES ($1, $2) -- probe";
    const char *const duplicate[] = {"iso-same", "dup@beta.example"};
    const char *const fresh[] = {"iso-b2", "b2@beta.example"};
    test_cond("a new tenant statement refused on its first run...",
              !pg_query_run_tenant(&q, "beta", insert_probe, 2, duplicate) &&
                  q.err == PG_ERR_CONSTRAINT);
    test_cond("...is refused the same way again, not as a second PREPARE",
              !pg_query_run_tenant(&q, "beta", insert_probe, 2, duplicate) &&
                  q.err == PG_ERR_CONSTRAINT);
    test_cond("...and then runs", pg_query_run_tenant(&q, "beta", insert_probe, 2, fresh) &&
                                      pg_query_affected(&q) == 1 &&
                                      prepared_count(insert_probe) == 1);
    test_cond("delete it again", pg_query_run_tenant(&q, "beta", "DELETE FROM users WHERE sub = $1",
                                                     1, fresh));
    static const char searched[] = "SELECT count(*) FROM users WHERE email LIKE $1";
    q.plan_per_run = true;
    test_cond("plan_per_run: the statement is planned with its values, never prepared",
              pg_query_run_tenant(&q, "alpha", searched, 1, (const char *const[]){"a%"}) &&
                  strcmp(pg_query_value(&q, 0, 0), "2") == 0 &&
                  pg_query_run_tenant(&q, "beta", searched, 1, (const char *const[]){"b%"}) &&
                  strcmp(pg_query_value(&q, 0, 0), "1") == 0 && prepared_count(searched) == 0);
    q.plan_per_run = false;

    /* A request that leaves its transaction open... */
    test_cond("begin for alpha", pg_begin(&q));
    test_cond("alpha in tx",
              emails_are("alpha", "a1@alpha.example,a2@alpha.example"));
    test_cond("path holds inside the transaction",
              pg_query_run(&q, "SELECT count(*) FROM users", 0, NULL) &&
                  strcmp(pg_query_value(&q, 0, 0), "2") == 0);
    test_cond("another tenant inside it replaces the path",
              emails_are("beta", "b1@beta.example"));
    test_cond("write in alpha inside tx",
              add_user("alpha", "iso-a3", "a3@alpha.example"));
    pg_end_request();
    /* ...leaves nothing to the next one. */
    test_cond("next request for beta sees only beta",
              emails_are("beta", "b1@beta.example"));
    test_cond("no path left behind",
              !pg_query_run(&q, "SELECT count(*) FROM users", 0, NULL) &&
                  strcmp(q.sqlstate, "42P01") == 0);
    test_cond("the abandoned write was rolled back",
              emails_are("alpha", "a1@alpha.example,a2@alpha.example"));
    test_cond("a failing tenant statement leaves no transaction open",
              !pg_query_run_tenant(
                  &q, "alpha", "SELECT no_such_column FROM users", 0, NULL) &&
                  PQtransactionStatus(current_thread()->conn) == PQTRANS_IDLE);
    test_cond("a tenant whose schema is missing sees nothing",
              !pg_query_run_tenant(&q, "nosuch", "SELECT count(*) FROM users",
                                   0, NULL) &&
                  strcmp(q.sqlstate, "42P01") == 0);

    for (size_t i = 0; i < sizeof hostile_slugs / sizeof *hostile_slugs; i++)
        if (pg_query_run_tenant(&q, hostile_slugs[i], "SELECT 1", 0, NULL) ||
            q.err != PG_ERR_QUERY)
            refused = false;
    test_cond("hostile slugs refused", refused);
    test_cond("beta schema intact", emails_are("beta", "b1@beta.example"));
    pg_query_cleanup(&q);
}

/* Past PREPARED_MAX statements on one connection the least recently used
 * is deallocated and its name reused: later statements are still
 * prepared, and an evicted one runs (and is prepared again) when it comes
 * back. */
static void test_prepared_eviction(void)
{
    char sql[64];
    bool all_ran = true;

    for (int i = 0; i < PREPARED_MAX + 10; i++) {
        snprintf(sql, sizeof sql, "SELECT %d AS gh_lru_probe", i);
        all_ran &= query_number(sql) == i;
    }
    test_cond("eviction: every statement ran", all_ran);
    test_cond("eviction: at most PREPARED_MAX are prepared",
              query_number("SELECT count(*) FROM pg_catalog.pg_prepared_statements"
                           " WHERE name LIKE 'gh\\_%' AND name <> '" TENANT_SETUP_NAME "'") ==
                  PREPARED_MAX);
    snprintf(sql, sizeof sql, "SELECT %d AS gh_lru_probe", PREPARED_MAX + 9);
    test_cond("eviction: the newest is prepared", prepared_count(sql) == 1);
    test_cond("eviction: the oldest is not", prepared_count("SELECT 0 AS gh_lru_probe") == 0);
    test_cond("eviction: an evicted statement comes back",
              query_number("SELECT 0 AS gh_lru_probe") == 0 &&
                  prepared_count("SELECT 0 AS gh_lru_probe") == 1);
    test_cond("eviction: a tenant statement is prepared too",
              tenant_count("default", "SELECT count(*) * 0 FROM users") == 0 &&
                  prepared_count("SELECT count(*) * 0 FROM users") == 1);
}

/* ---- threads ------------------------------------------------------------ */

struct thread_pid {
    long long pid;
    bool isolated;
};

static void *thread_query(void *arg)
{
    struct thread_pid *t = arg;
    t->pid = query_number("SELECT pg_backend_pid()");
    t->isolated = emails_are("beta", "b1@beta.example");
    return NULL;
}

/* DATABASE_PREPARED_STATEMENTS: on, a statement on the shared schema is
 * prepared under a name on the connection; off (for a transaction-pooling
 * PgBouncer, where a name would not follow the client), none is. */
static long long prepared_count(const char *statement)
{
    struct pg_query q;
    const char *const params[] = {statement};
    long long v = -1;

    pg_query_init(&q);
    if (pg_query_run(&q, "SELECT count(*) FROM pg_catalog.pg_prepared_statements"
                         " WHERE statement = $1", 1, params) && pg_query_rows(&q) == 1)
        v = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    return v;
}

static void test_named_statements(const char *conninfo)
{
    static const char named[] = "SELECT 1 AS gh_named_probe";
    static const char unnamed[] = "SELECT 2 AS gh_unnamed_probe";
    char err[ERR_MAX];

    test_cond("named: on by default", query_number(named) == 1 && query_number(named) == 1);
    test_cond("named: prepared on the connection", prepared_count(named) == 1);
    test_cond("named: off", pg_init_worker(conninfo, false, err, sizeof err));
    test_cond("named: off still answers",
              query_number(unnamed) == 2 && query_number(unnamed) == 2);
    test_cond("named: off prepares nothing", prepared_count(unnamed) == 0);
    test_cond("named: off, a tenant statement runs unprepared",
              tenant_count("default", "SELECT count(*) + 0 FROM users") >= 0 &&
                  prepared_count("SELECT count(*) + 0 FROM users") == 0);
    test_cond("named: on again", pg_init_worker(conninfo, true, err, sizeof err));
}

static void test_threads(void)
{
    struct thread_pid a = {0}, b = {0};
    pthread_t ta, tb;
    long long mine = query_number("SELECT pg_backend_pid()"), left = -1;

    pthread_create(&ta, NULL, thread_query, &a);
    pthread_create(&tb, NULL, thread_query, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    test_cond("each thread has its own connection",
              a.pid > 0 && b.pid > 0 && a.pid != b.pid && a.pid != mine &&
                  b.pid != mine);
    test_cond("threads query tenants too", a.isolated && b.isolated);
    /* The key destructor closed them; the backends exit shortly after. */
    for (int i = 0; i < 40 && left != 0; i++) {
        char pa[32], pb[32];
        const char *const params[] = {pa, pb};
        PGresult *res;
        snprintf(pa, sizeof pa, "%lld", a.pid);
        snprintf(pb, sizeof pb, "%lld", b.pid);
        res = PQexecParams(admin,
                           "SELECT count(*) FROM pg_stat_activity"
                           " WHERE pid IN ($1::int, $2::int)",
                           2, NULL, params, NULL, NULL, 0);
        left = PQresultStatus(res) == PGRES_TUPLES_OK
                   ? atoll(PQgetvalue(res, 0, 0))
                   : -1;
        PQclear(res);
        if (left != 0)
            sleep_ms(50);
    }
    test_cond("thread connections closed at thread exit", left == 0);
}

/* A connection made before fork stays the parent's: the child makes its own
 * and must not close the parent's session on the way. */
static void test_fork(void)
{
    long long parent_pid = query_number("SELECT pg_backend_pid()"), after;
    int status = -1;
    pid_t child;

    fflush(stdout);
    child = fork();
    if (child == 0) {
        long long pid = query_number("SELECT pg_backend_pid()");
        _exit(pid > 0 && pid != parent_pid ? 0 : 1);
    }
    test_cond("fork", child > 0 && waitpid(child, &status, 0) == child);
    test_cond("child used a connection of its own",
              WIFEXITED(status) && WEXITSTATUS(status) == 0);
    after = query_number("SELECT pg_backend_pid()");
    test_cond("parent's connection survived the child", after == parent_pid);
}

/* ---- main --------------------------------------------------------------- */

/* binary_results: the accessors read PostgreSQL's binary forms (a
 * timestamp exact to the microsecond, before and after 2000, the epoch
 * itself; booleans; NULLs) and text columns as before, in a shared and a
 * tenant statement; a text result's booleans read too, its times do not. */
static void test_binary_results(void)
{
    static const char sql[] =
        "SELECT timestamptz '2024-02-29 12:34:56.789012+00', timestamptz '1999-12-31 23:59:59.5+00',"
        " timestamptz 'epoch', NULL::timestamptz, true, false, NULL::boolean, 'text é'::text, $1";
    struct pg_query q;
    pg_query_init(&q);
    q.binary_results = true;
    bool ran = pg_query_run(&q, sql, 1, (const char *const[]){"param"});
    test_cond("binary: a timestamp is microseconds since 1970",
              ran && pg_query_time_us(&q, 0, 0) == 1709210096789012LL);
    test_cond("binary: before 2000, and the epoch",
              ran && pg_query_time_us(&q, 0, 1) == 946684799500000LL &&
                  pg_query_time_us(&q, 0, 2) == 0);
    test_cond("binary: NULL times are 0", ran && pg_query_time_us(&q, 0, 3) == 0);
    test_cond("binary: booleans", ran && pg_query_bool(&q, 0, 4) && !pg_query_bool(&q, 0, 5) &&
                                      !pg_query_bool(&q, 0, 6));
    test_cond("binary: text reads as text", ran && !strcmp(pg_query_value(&q, 0, 7), "text é") &&
                                                !strcmp(pg_query_value(&q, 0, 8), "param"));
    test_cond("binary, a tenant statement",
              pg_query_run_tenant(&q, "alpha", "SELECT created_at IS NOT NULL, email, created_at"
                                               " FROM users WHERE email = $1",
                                  1, (const char *const[]){"a1@alpha.example"}) &&
                  pg_query_rows(&q) == 1 && pg_query_bool(&q, 0, 0) &&
                  !strcmp(pg_query_value(&q, 0, 1), "a1@alpha.example") &&
                  pg_query_time_us(&q, 0, 2) > 0);
    q.binary_results = false;
    ran = pg_query_run(&q, sql, 1, (const char *const[]){"param"});
    test_cond("text: booleans read, times do not",
              ran && pg_query_bool(&q, 0, 4) && !pg_query_bool(&q, 0, 5) &&
                  pg_query_time_us(&q, 0, 0) == 0 && !strcmp(pg_query_value(&q, 0, 7), "text é"));
    pg_query_cleanup(&q);
}

static void with_server(void)
{
    struct scratch_db db;
    char conninfo[SCRATCH_CONNINFO_MAX], err[ERR_MAX];

    /* An empty database: test_migrations is the first to migrate it. */
    if (scratch_db_create(&db, "pg", conninfo, sizeof conninfo)) {
        admin = db.admin;
        test_cond("init worker", pg_init_worker(conninfo, true, err, sizeof err));
        test_migrations(conninfo);
        test_failing_migration(conninfo);
        test_migration_lock(conninfo);
        test_hostile_params();
        test_errors();
        test_transactions();
        test_reconnect();
        test_tenant_isolation(conninfo);
        test_binary_results();
        test_named_statements(conninfo);
        test_prepared_eviction();
        test_threads();
        test_fork();
    }
    scratch_db_close(&db); /* the worker's connection, then the database */
    admin = NULL;
}

int main(void)
{
    const char *url = getenv("GH_TEST_DATABASE_URL");
    const char *optional = getenv("GH_TEST_PG_OPTIONAL");
    struct stat sb;

    sql_dir = getenv("GH_TEST_SQL_DIR") ? getenv("GH_TEST_SQL_DIR") : "sql";
    test_tenant_schema();
    test_classify();
    test_without_server();

    if (!url || !*url) {
        printf("test_pg: GH_TEST_DATABASE_URL not set\n");
        if (!optional || strcmp(optional, "1") != 0)
            test_cond("GH_TEST_DATABASE_URL set (or GH_TEST_PG_OPTIONAL=1)",
                      false);
        return test_report();
    }
    if (stat(sql_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        printf(
            "test_pg: migrations dir %s not found (run from the repo root)\n",
            sql_dir);
        test_cond("migrations dir present", false);
        return test_report();
    }
    with_server();
    return test_report();
}
