/* SPDX-License-Identifier: MIT */
/* pg: one libpq connection per worker thread, and struct pg_query (see pg.h).
 *
 * Connections: pg_init_worker only copies the conninfo, so nothing from libpq
 * exists before fork. Each thread connects on its first statement and keeps
 * the connection in a pthread key whose destructor closes it when the thread
 * ends. Before every statement the idle connection is probed without blocking
 * (a terminated or restarted backend leaves FATAL + EOF in the socket); a dead
 * one is replaced and the statement goes to the new one, which is safe because
 * nothing was sent. A statement that fails after sending is never retried: it
 * reports PG_ERR_UNAVAILABLE and the caller answers 503. Failed connects back
 * off per thread, so a server that is down is not hammered by every request.
 *
 * Tenancy: tenant tables are named unqualified and pg_query_run_tenant runs
 * the statement with search_path set to t_<slug> for its transaction only
 * (one round trip: see run_tenant). The path dies with that transaction, so
 * it cannot reach the next request on a reused connection (and it works
 * behind PgBouncer's transaction pooling, unlike a session SET). Outside it
 * the connection's search_path is empty: an unqualified table fails loudly
 * rather than reading some tenant's rows.
 *
 * Prepared statements: statements are prepared once per connection under
 * names gh_<n> (exec_cached, run_tenant), unless pg_init_worker was told
 * not to (DATABASE_PREPARED_STATEMENTS=off). A name lives in one server
 * session, and a transaction-pooling PgBouncer older than 1.21 does not
 * track them: the PREPARE and a later EXECUTE land on different server
 * connections ("prepared statement gh_0 does not exist"), or on one where
 * another worker gave gh_0 to another statement. Off, every statement goes
 * as the unnamed statement of an extended-protocol query, which any pooling
 * mode carries.
 *
 * Results: every store module answers an enum store_result (pg.h). The
 * helpers at the end are the ones they all need, kept here once: a failed
 * statement's result (pg_store_result, or pg_store_conflict where a unique
 * violation means "exists already"), numbers as text parameters
 * (pg_num_text) and the check of a text field before it is sent
 * (pg_field_ok, with each module's own length limit).
 *
 * Ownership: a pg_query owns its PGresult until pg_query_cleanup; strings from
 * pg_query_value live as long as that result. The thread owns its connection.
 */
#include "store/pg.h"

#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/metrics.h"
#include "core/utf8.h"
#include "core/xalloc.h"

#define CONNECT_TIMEOUT_S "2"       /* unless the conninfo sets one */
#define STATEMENT_TIMEOUT_MS "5000" /* unless the role or conninfo sets one */
#define PING_TIMEOUT_MS 2000        /* SELECT 1 for /readyz */
#define RECONNECT_MIN_MS 250        /* wait after a failed connect... */
#define RECONNECT_MAX_MS 5000       /* ...doubling up to this */
#define IDLE_DRAIN_ROUNDS 4         /* reads while probing an idle conn */
#define PARAMS_MAX 65535            /* the protocol's limit */
#define SLUG_MIN 3                  /* see sql/core/001_gatehouse.sql */
#define SLUG_MAX 40
#define SCHEMA_PREFIX "t_"
#define SETUP_SQL_MAX 128
#define PREPARED_MAX 64 /* statements prepared per connection; past it the least used goes */
#define PREPARED_NAME_MAX 16
/* A binary timestamp counts microseconds from 2000-01-01 UTC. */
#define PG_EPOCH_UNIX_US 946684800000000LL

/* Empty search_path: see the design comment. The statement timeout is only a
 * default: one set for the role or in the conninfo options is kept. */
#define SESSION_SETUP_SQL \
    "SELECT pg_catalog.set_config('search_path', '', false)," \
    " CASE WHEN pg_catalog.current_setting('statement_timeout') = '0'" \
    " THEN pg_catalog.set_config('statement_timeout', '" STATEMENT_TIMEOUT_MS "', false) END"

/* The setting a tenant statement runs under, local to its transaction: the
 * tenant's schema alone on the search_path ($1, a quoted identifier). */
#define TENANT_SETUP_NAME "gh_tenant" /* prepared on connecting, with named statements */
#define TENANT_SETUP_SQL "SELECT pg_catalog.set_config('search_path', $1, true)"

enum tx_state {
    TX_NONE, /* autocommit */
    TX_OPEN, /* pg_begin succeeded */
    TX_LOST, /* the connection died inside it: fail until pg_rollback */
};

/* A statement this connection has prepared (named gh_<its index>): its
 * text, or NULL for a free slot, and when it was last used. */
struct prepared {
    char *sql;
    unsigned hash;
    unsigned long used;
};

struct pg_thread {
    PGconn *conn;
    struct prepared prepared[PREPARED_MAX]; /* named gh_<index> on conn */
    int nprepared;                          /* slots used so far: gh_0 to gh_<nprepared - 1> */
    unsigned long use_clock;                /* counts uses, for prepared[].used */
    bool tenant_setup;                      /* TENANT_SETUP_NAME is prepared on conn */
    pid_t pid; /* process that made conn: a connection never crosses fork */
    enum tx_state tx;
    unsigned failures;      /* consecutive failed connects */
    long long retry_at_ms;  /* no connect attempt before this (monotonic) */
    unsigned long connects; /* attempts made, for tests and metrics */
    char last_error[PG_ERRMSG_MAX];
};

static char *worker_conninfo;
static bool named_statements = true; /* see "Prepared statements" above */
/* This process's id, read once and again in a fork's child: every
 * statement checks that its connection was made here, and getpid is a
 * system call. */
static pid_t process_pid;
static pthread_key_t thread_key;
static pthread_once_t thread_key_once = PTHREAD_ONCE_INIT;
static int thread_key_status; /* pthread_key_create's answer */
static bool thread_key_ready; /* thread_key may be used */

/* ---- helpers ------------------------------------------------------------ */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies a libpq message as one line (runs of whitespace become one space):
 * log lines and JSON errors stay whole. */
static void copy_line(char *dst, size_t dstlen, const char *src)
{
    size_t n = 0;
    for (; src && *src && n + 1 < dstlen; src++) {
        bool space = *src == ' ' || *src == '\n' || *src == '\r' || *src == '\t';
        if (space && (n == 0 || dst[n - 1] == ' '))
            continue;
        dst[n++] = space ? ' ' : *src;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

static void set_error(struct pg_query *q, enum pg_err err, const char *sqlstate, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void set_error(struct pg_query *q, enum pg_err err, const char *sqlstate, const char *fmt,
                      ...)
{
    char line[PG_ERRMSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    copy_line(q->errmsg, sizeof q->errmsg, line);
    q->err = err;
    snprintf(q->sqlstate, sizeof q->sqlstate, "%s", sqlstate ? sqlstate : "");
}

static void ignore_notice(void *arg, const char *message)
{
    /* Notices ("... does not exist, skipping") are not errors, and libpq's
     * default would print them to stderr outside the structured log. */
    (void)arg;
    (void)message;
}

static void clear_result(struct pg_query *q)
{
    PQclear(q->result);
    q->result = NULL;
    q->err = PG_OK;
    q->sqlstate[0] = '\0';
    q->constraint[0] = '\0';
    q->errmsg[0] = '\0';
}

/* ---- the thread's connection -------------------------------------------- */

static void forget_prepared(struct pg_thread *st);

static void thread_free(void *p)
{
    struct pg_thread *st = p;
    if (st->conn && st->pid == process_pid)
        PQfinish(st->conn);
    forget_prepared(st);
    free(st);
}

static void refresh_pid(void)
{
    process_pid = getpid();
}

static void make_thread_key(void)
{
    refresh_pid();
    pthread_atfork(NULL, NULL, refresh_pid);
    thread_key_status = pthread_key_create(&thread_key, thread_free);
    thread_key_ready = thread_key_status == 0;
}

static void forget_prepared(struct pg_thread *st)
{
    for (int i = 0; i < st->nprepared; i++) {
        free(st->prepared[i].sql);
        st->prepared[i].sql = NULL;
    }
    st->nprepared = 0;
}

static void drop_conn(struct pg_thread *st)
{
    if (st->conn)
        PQfinish(st->conn);
    st->conn = NULL;
    forget_prepared(st);
    if (st->tx == TX_OPEN)
        st->tx = TX_LOST;
}

static struct pg_thread *thread_state(struct pg_query *q)
{
    struct pg_thread *st;

    if (!worker_conninfo) {
        set_error(q, PG_ERR_UNAVAILABLE, NULL, "pg_init_worker was not called");
        return NULL;
    }
    st = pthread_getspecific(thread_key);
    if (!st) {
        st = xcalloc(1, sizeof *st);
        if (pthread_setspecific(thread_key, st) != 0) {
            free(st);
            set_error(q, PG_ERR_UNAVAILABLE, NULL, "no thread-specific storage");
            return NULL;
        }
    }
    if (st->conn && st->pid != process_pid) {
        /* Inherited across fork: the parent still owns that socket, and
         * PQfinish would end the parent's session. Forget it (a small leak in
         * a path that only a misuse reaches) and connect afresh. */
        st->conn = NULL;
        st->tx = TX_NONE;
        forget_prepared(st);
    }
    return st;
}

/* A connection with no statement in flight should have nothing to read.
 * Anything there is a notice, or the FATAL + EOF of a terminated backend;
 * reading it lets libpq notice the EOF and mark the connection bad. */
static bool idle_conn_alive(PGconn *conn)
{
    if (PQstatus(conn) != CONNECTION_OK || PQsocket(conn) < 0)
        return false;
    for (int round = 0; round < IDLE_DRAIN_ROUNDS; round++) {
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        int n = poll(&p, 1, 0);
        if (n == 0)
            return true;
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0) {
            if (!PQconsumeInput(conn))
                return false;
            (void)PQisBusy(conn); /* parses what arrived */
        }
        if (PQstatus(conn) != CONNECTION_OK)
            return false;
    }
    return PQstatus(conn) == CONNECTION_OK;
}

static bool connect_thread(struct pg_thread *st, struct pg_query *q)
{
    static const char *const keys[] = {"connect_timeout", "fallback_application_name", "gssencmode",
                                       "dbname", NULL};
    /* Entries before the expanded dbname are defaults the conninfo (a URI or
     * key=value string) may override. GSS encryption is off unless asked
     * for: trying it costs every connection a Kerberos library start-up,
     * about a megabyte of each worker's memory, for a feature an application
     * database rarely uses (gssencmode=prefer in DATABASE_URL restores it). */
    const char *const values[] = {CONNECT_TIMEOUT_S, "gatehouse", "disable", worker_conninfo, NULL};
    long long now = now_ms();
    PGconn *conn = NULL;
    PGresult *res;

    if (now < st->retry_at_ms) {
        set_error(q, PG_ERR_UNAVAILABLE, NULL,
                  "database unavailable (next reconnect attempt in %lld ms): %s",
                  st->retry_at_ms - now, st->last_error);
        return false;
    }
    st->connects++;
    conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        copy_line(st->last_error, sizeof st->last_error, PQerrorMessage(conn));
        goto fail;
    }
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    res = PQexec(conn, SESSION_SETUP_SQL);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        copy_line(st->last_error, sizeof st->last_error, PQerrorMessage(conn));
        PQclear(res);
        goto fail;
    }
    PQclear(res);
    if (named_statements) {
        res = PQprepare(conn, TENANT_SETUP_NAME, TENANT_SETUP_SQL, 1, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            copy_line(st->last_error, sizeof st->last_error, PQerrorMessage(conn));
            PQclear(res);
            goto fail;
        }
        PQclear(res);
    }
    st->tenant_setup = named_statements;
    st->conn = conn;
    st->pid = process_pid;
    st->failures = 0;
    st->retry_at_ms = 0;
    return true;

fail:
    PQfinish(conn);
    {
        long long wait = RECONNECT_MIN_MS;
        for (unsigned i = 0; i < st->failures && wait < RECONNECT_MAX_MS; i++)
            wait *= 2;
        st->retry_at_ms = now + (wait < RECONNECT_MAX_MS ? wait : RECONNECT_MAX_MS);
    }
    st->failures++;
    set_error(q, PG_ERR_UNAVAILABLE, NULL, "database unavailable: %s", st->last_error);
    return false;
}

static void rollback_quietly(struct pg_thread *st)
{
    PGresult *res;

    if (!st->conn || PQtransactionStatus(st->conn) == PQTRANS_IDLE)
        return;
    res = PQexec(st->conn, "ROLLBACK");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        drop_conn(st); /* the server ends the transaction with the session */
    PQclear(res);
}

/* Returns the thread's connection, known alive and outside any transaction
 * the caller does not own, or NULL with q's error set. */
static PGconn *ready_conn(struct pg_query *q, struct pg_thread **stp)
{
    struct pg_thread *st = thread_state(q);

    if (!st)
        return NULL;
    if (st->tx == TX_LOST) {
        set_error(q, PG_ERR_UNAVAILABLE, NULL, "database connection lost inside a transaction");
        return NULL;
    }
    if (st->conn && st->tx == TX_NONE)
        rollback_quietly(st); /* a BEGIN sent as a plain statement */
    if (st->conn && !idle_conn_alive(st->conn)) {
        copy_line(st->last_error, sizeof st->last_error, PQerrorMessage(st->conn));
        drop_conn(st);
        if (st->tx == TX_LOST) {
            /* The work done so far in the transaction is gone: no retry. */
            set_error(q, PG_ERR_UNAVAILABLE, NULL,
                      "database connection lost inside a transaction: %s", st->last_error);
            return NULL;
        }
    }
    if (!st->conn && !connect_thread(st, q))
        return NULL;
    *stp = st;
    return st->conn;
}

/* ---- results ------------------------------------------------------------ */

static enum pg_err classify(const char *sqlstate, bool conn_bad)
{
    if (conn_bad)
        return PG_ERR_UNAVAILABLE;
    if (!sqlstate || !*sqlstate)
        return PG_ERR_QUERY; /* refused by libpq before sending */
    if (strcmp(sqlstate, "23505") == 0)
        return PG_ERR_CONSTRAINT;
    /* 08: connection exception; 53: insufficient resources (too many
     * connections, disk full); 57P0x: shutdown or cannot connect now;
     * 57014: statement timeout. All say "try again later". */
    if (strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0 ||
        strncmp(sqlstate, "57P", 3) == 0 || strcmp(sqlstate, "57014") == 0)
        return PG_ERR_UNAVAILABLE;
    return PG_ERR_QUERY;
}

/* describe_failure turns a failed PGresult into q's error and frees it.
 * Returns true when the connection cannot be used again (lost, or left
 * mid-way through the protocol); the caller drops it. */
static bool describe_failure(struct pg_query *q, struct pg_thread *st, PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);
    /* COPY and other states would leave the protocol mid-way: start over. */
    bool unusable = status != PGRES_FATAL_ERROR && status != PGRES_EMPTY_QUERY &&
                    status != PGRES_NONFATAL_ERROR;
    bool conn_bad = PQstatus(st->conn) != CONNECTION_OK;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;

    if (status == PGRES_EMPTY_QUERY)
        set_error(q, PG_ERR_QUERY, NULL, "empty statement");
    else if (unusable)
        set_error(q, PG_ERR_QUERY, NULL, "unexpected result %s", PQresStatus(status));
    else
        set_error(q, classify(state, conn_bad), state, "%s", msg ? msg : PQerrorMessage(st->conn));
    snprintf(q->constraint, sizeof q->constraint, "%s", constraint ? constraint : "");
    PQclear(res);
    return conn_bad || unusable;
}

/* fail_result is describe_failure, dropping the connection when it must go.
 * Always false. */
static bool fail_result(struct pg_query *q, struct pg_thread *st, PGresult *res)
{
    if (describe_failure(q, st, res)) {
        copy_line(st->last_error, sizeof st->last_error, q->errmsg);
        drop_conn(st);
    }
    return false;
}

static bool take_result(struct pg_query *q, struct pg_thread *st, PGresult *res)
{
    ExecStatusType status = PQresultStatus(res);

    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        q->result = res;
        q->err = PG_OK;
        return true;
    }
    return fail_result(q, st, res);
}

/* Runs a parameterless utility statement (BEGIN, SET, COMMIT). */
static bool exec_command(struct pg_query *q, struct pg_thread *st, const char *sql)
{
    PGresult *res = PQexec(st->conn, sql);

    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        return true;
    }
    return fail_result(q, st, res);
}

static bool check_args(struct pg_query *q, const char *sql, int nparams, const char *const params[])
{
    if (!sql || nparams < 0 || nparams > PARAMS_MAX || (nparams > 0 && !params)) {
        set_error(q, PG_ERR_QUERY, NULL, "bad statement arguments");
        return false;
    }
    return true;
}

/* ---- listeners ---------------------------------------------------------- */

struct pg_listener {
    PGconn *conn;
};

/* pg_listen opens a connection like the threads' (same defaults; the same
 * conninfo unless another is given: LISTEN needs a real session, so behind
 * a transaction-pooling PgBouncer it must go to PostgreSQL itself) that
 * does nothing but LISTEN on channel, a fixed identifier of
 * the caller's (never user input: it is part of the statement's text). */
struct pg_listener *pg_listen(const char *conninfo, const char *channel, char *err, size_t errlen)
{
    static const char *const keys[] = {"connect_timeout", "fallback_application_name", "gssencmode",
                                       "dbname", NULL};
    const char *const values[] = {CONNECT_TIMEOUT_S, "gatehouse", "disable",
                                  conninfo          ? conninfo
                                  : worker_conninfo ? worker_conninfo
                                                    : "",
                                  NULL};
    char sql[PG_NAME_MAX + 16];
    struct pg_listener *l = NULL;
    PGresult *res = NULL;

    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK)
        goto fail;
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    snprintf(sql, sizeof sql, "LISTEN %s", channel);
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK || PQsetnonblocking(conn, 1) != 0)
        goto fail;
    PQclear(res);
    l = xcalloc(1, sizeof *l);
    l->conn = conn;
    return l;
fail:
    copy_line(err, errlen, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    return NULL;
}

int pg_listen_fd(const struct pg_listener *l)
{
    return PQsocket(l->conn);
}

int pg_listen_next(struct pg_listener *l, char *payload, size_t cap)
{
    PGnotify *n = PQnotifies(l->conn);
    if (!n) {
        /* Read what the socket holds, then look again. */
        if (!PQconsumeInput(l->conn) || PQstatus(l->conn) != CONNECTION_OK)
            return -1;
        n = PQnotifies(l->conn);
    }
    if (!n)
        return 0;
    snprintf(payload, cap, "%s", n->extra);
    PQfreemem(n);
    return 1;
}

void pg_listen_close(struct pg_listener *l)
{
    if (l) {
        PQfinish(l->conn);
        free(l);
    }
}

/* ---- public API --------------------------------------------------------- */

/* Remembers conninfo (a libpq key=value string or URI; a copy is kept) for
 * the threads of this process, and whether they may prepare named statements
 * (prepare: DATABASE_PREPARED_STATEMENTS). It connects nothing, so it is safe
 * before or after fork; call it before the threads start. Returns false with
 * err filled when libpq is not thread-safe or no thread key is left. */
bool pg_init_worker(const char *conninfo, bool prepare, char *err, size_t errlen)
{
    if (!PQisthreadsafe()) {
        snprintf(err, errlen, "libpq was built without thread safety");
        return false;
    }
    pthread_once(&thread_key_once, make_thread_key);
    if (!thread_key_ready) {
        snprintf(err, errlen, "pthread_key_create: %s", strerror(thread_key_status));
        return false;
    }
    free(worker_conninfo);
    worker_conninfo = xstrdup(conninfo ? conninfo : "");
    named_statements = prepare;
    return true;
}

/* Closes the calling thread's connection and forgets the conninfo. Other
 * threads close theirs when they exit; call this after they have. */
void pg_cleanup_worker(void)
{
    if (thread_key_ready) {
        struct pg_thread *st = pthread_getspecific(thread_key);
        if (st) {
            pthread_setspecific(thread_key, NULL);
            thread_free(st);
        }
    }
    free(worker_conninfo);
    worker_conninfo = NULL;
}

/* The worker calls this after every request: it rolls back a transaction a
 * handler left open, so no lock, row or search_path reaches the next one. */
void pg_end_request(void)
{
    pg_rollback();
}

/* Checks that PostgreSQL answers SELECT 1 within PING_TIMEOUT_MS on this
 * thread's connection (connecting if needed, within connect_timeout). Returns
 * true, or false with a one-line reason in err. */
bool pg_ping(char *err, size_t errlen)
{
    struct pg_query q;
    struct pg_thread *st;
    PGconn *conn;
    PGresult *res;
    long long deadline;
    bool ok = false;

    pg_query_init(&q);
    if (!(conn = ready_conn(&q, &st)))
        goto out;
    if (!PQsendQuery(conn, "SELECT 1")) {
        set_error(&q, PG_ERR_UNAVAILABLE, NULL, "%s", PQerrorMessage(conn));
        drop_conn(st);
        goto out;
    }
    deadline = now_ms() + PING_TIMEOUT_MS;
    while (PQisBusy(conn)) {
        long long left = deadline - now_ms();
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        int n = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (n == 0) {
            /* The reply may still come; the connection cannot be reused. */
            set_error(&q, PG_ERR_UNAVAILABLE, NULL, "database did not answer within %d ms",
                      PING_TIMEOUT_MS);
            drop_conn(st);
            goto out;
        }
        if ((n < 0 && errno != EINTR) || (n > 0 && !PQconsumeInput(conn))) {
            set_error(&q, PG_ERR_UNAVAILABLE, NULL, "%s", PQerrorMessage(conn));
            drop_conn(st);
            goto out;
        }
    }
    res = PQgetResult(conn);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        PQclear(res);
        ok = true;
    } else {
        fail_result(&q, st, res);
    }
    while (st->conn && (res = PQgetResult(st->conn)))
        PQclear(res);
out:
    if (!ok)
        snprintf(err, errlen, "%s", q.errmsg);
    pg_query_cleanup(&q);
    return ok;
}

/* Validates a tenant slug (3-40 of a-z, 0-9 and '-', starting and ending with
 * a letter or digit) and writes its schema name "t_<slug>" to out. Returns
 * false, leaving out untouched, when the slug is invalid or out too small. */
bool pg_tenant_schema(const char *slug, char *out, size_t outlen)
{
    size_t n = slug ? strlen(slug) : 0;

    if (n < SLUG_MIN || n > SLUG_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = slug[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool edge = i == 0 || i == n - 1;
        if (!alnum && (edge || c != '-'))
            return false;
    }
    if (strlen(SCHEMA_PREFIX) + n + 1 > outlen)
        return false;
    snprintf(out, outlen, SCHEMA_PREFIX "%s", slug);
    return true;
}

/* Prepares q for its first run. Never fails. */
void pg_query_init(struct pg_query *q)
{
    memset(q, 0, sizeof *q);
}

static unsigned text_hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* prepared_slot answers where sql is prepared on this connection, or is
 * to be (*is_new): its slot, a free one, or, when all PREPARED_MAX are
 * taken, the one used least recently, whose statement is deallocated here
 * (a round trip, only then: a connection that has seen many statements,
 * such as the list's filter combinations, keeps preparing the ones in use
 * rather than running every later one unprepared). -1: run it unprepared
 * (named statements are off, or the DEALLOCATE failed). */
static int prepared_slot(struct pg_thread *st, const char *sql, bool *is_new)
{
    *is_new = false;
    if (!named_statements)
        return -1;
    unsigned hash = text_hash(sql);
    int free_slot = st->nprepared < PREPARED_MAX ? st->nprepared : -1, oldest = -1;
    for (int i = 0; i < st->nprepared; i++) {
        struct prepared *p = &st->prepared[i];
        if (!p->sql) {
            free_slot = i;
        } else if (p->hash == hash && !strcmp(p->sql, sql)) {
            p->used = ++st->use_clock;
            return i;
        } else if (oldest < 0 || p->used < st->prepared[oldest].used) {
            oldest = i;
        }
    }
    *is_new = true;
    if (free_slot >= 0)
        return free_slot;
    char drop[PREPARED_NAME_MAX + 16];
    snprintf(drop, sizeof drop, "DEALLOCATE gh_%d", oldest);
    PGresult *res = PQexec(st->conn, drop);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        *is_new = false;
        return -1;
    }
    free(st->prepared[oldest].sql);
    st->prepared[oldest].sql = NULL;
    return oldest;
}

static void remember_prepared(struct pg_thread *st, int slot, const char *sql)
{
    st->prepared[slot].sql = xstrdup(sql);
    st->prepared[slot].hash = text_hash(sql);
    st->prepared[slot].used = ++st->use_clock;
    if (slot == st->nprepared)
        st->nprepared++;
}

/* libpq's result format: 0 text, 1 binary (pg_query.binary_results). */
static int result_format(const struct pg_query *q)
{
    return q->binary_results ? 1 : 0;
}

/* exec_cached runs a shared-schema statement prepared once per connection:
 * the server parses and plans it the first time only, which is most of the
 * cost of a short indexed lookup such as loading a session (tenant
 * statements are prepared the same way, in their pipeline: run_tenant).
 * When preparing fails, or the DEALLOCATE that would make room for it,
 * the statement simply runs unprepared; with named statements off (see the
 * design comment) it always does. */
static PGresult *exec_cached(struct pg_thread *st, PGconn *conn, const char *sql, int nparams,
                             const char *const params[], bool plan_per_run, int format)
{
    char name[PREPARED_NAME_MAX];
    bool is_new = false;
    int slot = plan_per_run ? -1 : prepared_slot(st, sql, &is_new);
    if (slot < 0)
        return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, format);
    snprintf(name, sizeof name, "gh_%d", slot);
    if (is_new) {
        PGresult *res = PQprepare(conn, name, sql, nparams, NULL);
        bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (!ok)
            return PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, format);
        remember_prepared(st, slot, sql);
    }
    return PQexecPrepared(conn, name, nparams, params, NULL, NULL, format);
}

/* account adds a statement's time to the request's PostgreSQL phase and
 * counts its failure by class; it returns ok. */
static bool account(const struct pg_query *q, int64_t start, bool ok)
{
    static const char *const classes[] = {
        [PG_OK] = "ok",
        [PG_ERR_UNAVAILABLE] = "unavailable",
        [PG_ERR_CONSTRAINT] = "constraint",
        [PG_ERR_QUERY] = "query",
    };
    metrics_phase_add(PHASE_POSTGRES, metrics_now_us() - start);
    if (!ok)
        metrics_observe("postgres_error", classes[q->err], NULL, -1);
    return ok;
}

/* Runs one statement with text parameters $1..$nparams on this thread's
 * connection (params[i] NULL = SQL NULL; the caller keeps them). Outside
 * pg_begin it commits at once. A previous result in q is freed first.
 * Returns true with q->result set, or false with q->err, q->sqlstate and
 * q->errmsg set. A statement found impossible to send because the connection
 * was dead goes to a fresh connection; one that fails after sending is not
 * retried (PG_ERR_UNAVAILABLE). */
bool pg_query_run(struct pg_query *q, const char *sql, int nparams, const char *const params[])
{
    struct pg_thread *st;
    PGconn *conn;
    int64_t start = metrics_now_us();

    clear_result(q);
    if (!check_args(q, sql, nparams, params) || !(conn = ready_conn(q, &st)))
        return account(q, start, false);
    PGresult *res = exec_cached(st, conn, sql, nparams, params, q->plan_per_run, result_format(q));
    return account(q, start, take_result(q, st, res));
}

/* Like pg_query_run, with unqualified table names resolved only in the
 * schema of tenant_slug (t_<slug>). An invalid slug is PG_ERR_QUERY and
 * nothing is sent. How it is sent is in run_tenant's comment. */
static bool run_tenant(struct pg_query *q, const char *tenant_slug, const char *sql, int nparams,
                       const char *const params[]);

bool pg_query_run_tenant(struct pg_query *q, const char *tenant_slug, const char *sql, int nparams,
                         const char *const params[])
{
    int64_t start = metrics_now_us();
    return account(q, start, run_tenant(q, tenant_slug, sql, nparams, params));
}

/* The parts of one tenant pipeline, in the order their results come. */
enum tenant_step {
    STEP_SETUP,
    STEP_PREPARE,
    STEP_STATEMENT,
    STEPS
};

/* tenant_send queues the pipeline: the settings, the statement's PREPARE when
 * it is new to this connection (preparing), the statement, and the Sync that
 * ends it. False when libpq could not queue or send it. */
static bool tenant_send(struct pg_thread *st, const char *path, int slot, bool preparing,
                        const char *sql, int nparams, const char *const params[], int format)
{
    char name[PREPARED_NAME_MAX];
    const char *const setup_params[] = {path};
    PGconn *conn = st->conn;

    if (!PQenterPipelineMode(conn))
        return false;
    if (st->tenant_setup
            ? !PQsendQueryPrepared(conn, TENANT_SETUP_NAME, 1, setup_params, NULL, NULL, 0)
            : !PQsendQueryParams(conn, TENANT_SETUP_SQL, 1, NULL, setup_params, NULL, NULL, 0))
        return false;
    if (slot < 0)
        return PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, format) &&
               PQpipelineSync(conn);
    snprintf(name, sizeof name, "gh_%d", slot);
    return (!preparing || PQsendPrepare(conn, name, sql, nparams, NULL)) &&
           PQsendQueryPrepared(conn, name, nparams, params, NULL, NULL, format) &&
           PQpipelineSync(conn);
}

/* tenant_collect reads the pipeline's results up to its Sync: the
 * statement's result goes to q, the first failure to q's error. Returns
 * true when every part succeeded; *prepared is set when the PREPARE did
 * (the name exists on the server even if the statement then failed), *drop
 * when the connection cannot be used again (lost, or the protocol left
 * mid-way). */
static bool tenant_collect(struct pg_query *q, struct pg_thread *st, bool preparing, bool *prepared,
                           bool *drop)
{
    PGconn *conn = st->conn;
    enum tenant_step step = STEP_SETUP;
    bool failed = false;

    *drop = *prepared = false;
    /* Each part answers one result then NULL; the Sync answers its own. A
     * lost connection answers NULL at once, so the reads are bounded. */
    for (int reads = 0; reads < 2 * STEPS + 1; reads++) {
        PGresult *res = PQgetResult(conn);
        ExecStatusType status = PQresultStatus(res);
        if (!res) {
            if (PQstatus(conn) != CONNECTION_OK)
                break;
            step = step == STEP_SETUP && !preparing ? STEP_STATEMENT : step + 1;
            continue;
        }
        if (status == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            *drop = !PQexitPipelineMode(conn);
            return !failed && !*drop;
        }
        if (status == PGRES_PIPELINE_ABORTED) { /* after the failure already kept */
            PQclear(res);
            continue;
        }
        bool ok = status == PGRES_TUPLES_OK || (status == PGRES_COMMAND_OK && step != STEP_SETUP);
        if (ok && step == STEP_PREPARE)
            *prepared = true;
        if (ok && step == STEP_STATEMENT && !failed) {
            q->result = res;
            continue;
        }
        if (!ok && !failed) {
            failed = true;
            *drop = describe_failure(q, st, res); /* frees res */
            continue;
        }
        PQclear(res);
    }
    if (!failed)
        set_error(q, PG_ERR_UNAVAILABLE, NULL, "database connection lost: %s",
                  PQerrorMessage(conn));
    *drop = true;
    return false;
}

/* A tenant statement is one round trip: a pipeline of the settings above,
 * set for the transaction only, then the statement, then a Sync. Outside
 * pg_begin the Sync ends the implicit transaction the pipeline ran in (and
 * with it the settings), so nothing reaches the next request on a reused
 * connection, and it works behind PgBouncer's transaction pooling, unlike
 * a session SET. Inside pg_begin the settings hold until that transaction
 * ends (a later call for another tenant replaces them).
 *
 * The statement is prepared once per connection, like the shared ones
 * (exec_cached), and for every tenant at once: a prepared statement is
 * parsed again by the server whenever the search_path differs from the one
 * it was parsed under (PREPARE's documented behaviour since PostgreSQL
 * 9.3), so it always reads the schema of the tenant it runs for. Its plan
 * may then be the server's generic one, made once for any values: a
 * statement must not hide a choice of index in its values (write only the
 * conditions that apply, not "($1 IS NULL OR tier = $1)"), or ask for
 * plan_per_run. */
static bool run_tenant(struct pg_query *q, const char *tenant_slug, const char *sql, int nparams,
                       const char *const params[])
{
    char schema[PG_SCHEMA_MAX];
    struct pg_thread *st;
    PGconn *conn;
    char *path;
    bool ok, drop, prepared = false;

    clear_result(q);
    if (!pg_tenant_schema(tenant_slug, schema, sizeof schema)) {
        set_error(q, PG_ERR_QUERY, NULL, "invalid tenant slug");
        return false;
    }
    if (!check_args(q, sql, nparams, params) || !(conn = ready_conn(q, &st)))
        return false;
    path = PQescapeIdentifier(conn, schema, strlen(schema));
    if (!path) {
        set_error(q, PG_ERR_QUERY, NULL, "%s", PQerrorMessage(conn));
        return false;
    }
    bool preparing = false;
    int slot = q->plan_per_run ? -1 : prepared_slot(st, sql, &preparing);
    if (!tenant_send(st, path, slot, preparing, sql, nparams, params, result_format(q))) {
        set_error(q, PG_ERR_UNAVAILABLE, NULL, "database connection lost: %s",
                  PQerrorMessage(conn));
        ok = false;
        drop = true;
    } else {
        ok = tenant_collect(q, st, preparing, &prepared, &drop);
    }
    PQfreemem(path);
    if (prepared)
        remember_prepared(st, slot, sql);
    if (!ok) {
        PQclear(q->result); /* rolled back with the rest: the rows never were */
        q->result = NULL;
    }
    if (drop) {
        copy_line(st->last_error, sizeof st->last_error, q->errmsg);
        drop_conn(st);
    }
    return ok;
}

/* Returns the number of rows of the last successful run (0 otherwise). */
int pg_query_rows(const struct pg_query *q)
{
    return q->result ? PQntuples(q->result) : 0;
}

static bool in_range(const struct pg_query *q, int row, int col)
{
    const PGresult *res = q->result;
    return res && row >= 0 && row < PQntuples(res) && col >= 0 && col < PQnfields(res);
}

/* Returns the text of a field; "" for NULL or out of range, never NULL. The
 * string belongs to q and lives until its next run or cleanup. */
const char *pg_query_value(const struct pg_query *q, int row, int col)
{
    if (!in_range(q, row, col))
        return "";
    return PQgetvalue(q->result, row, col);
}

/* Returns the byte length of a field's text (0 for NULL or out of range). */
size_t pg_query_len(const struct pg_query *q, int row, int col)
{
    if (!in_range(q, row, col))
        return 0;
    return (size_t)PQgetlength(q->result, row, col);
}

/* Binary values are big-endian (PostgreSQL's send functions). */
static uint64_t big_endian(const unsigned char *b, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}

bool pg_query_bool(const struct pg_query *q, int row, int col)
{
    if (!in_range(q, row, col) || PQgetisnull(q->result, row, col))
        return false;
    const char *v = PQgetvalue(q->result, row, col);
    if (PQfformat(q->result, col) == 0)
        return !strcmp(v, "t");
    return PQgetlength(q->result, row, col) == 1 && v[0] != 0;
}

long long pg_query_time_us(const struct pg_query *q, int row, int col)
{
    if (!in_range(q, row, col) || PQgetisnull(q->result, row, col) ||
        PQfformat(q->result, col) != 1 || PQgetlength(q->result, row, col) != 8)
        return 0;
    uint64_t raw = big_endian((const unsigned char *)PQgetvalue(q->result, row, col), 8);
    return (long long)(int64_t)raw + PG_EPOCH_UNIX_US;
}

/* Returns true when the field is SQL NULL or out of range. */
bool pg_query_is_null(const struct pg_query *q, int row, int col)
{
    if (!in_range(q, row, col))
        return true;
    return PQgetisnull(q->result, row, col) != 0;
}

/* Returns the rows an INSERT, UPDATE or DELETE touched (0 for others). */
long long pg_query_affected(const struct pg_query *q)
{
    if (!q->result)
        return 0;
    return strtoll(PQcmdTuples(q->result), NULL, 10);
}

/* Frees q's result and zeroes q; safe on a zeroed or already cleaned q. */
void pg_query_cleanup(struct pg_query *q)
{
    clear_result(q);
}

/* Starts a transaction on this thread's connection: every statement until
 * pg_commit or pg_rollback joins it. Returns false with q's error set when
 * the database is unavailable or a transaction is already open (no nesting).
 * If the connection dies inside it, every later statement fails until
 * pg_rollback: work is never silently split across connections. */
bool pg_begin(struct pg_query *q)
{
    struct pg_thread *st;

    clear_result(q);
    st = thread_state(q);
    if (!st)
        return false;
    if (st->tx != TX_NONE) {
        set_error(q, PG_ERR_QUERY, NULL, "a transaction is already open");
        return false;
    }
    if (!ready_conn(q, &st) || !exec_command(q, st, "BEGIN"))
        return false;
    st->tx = TX_OPEN;
    return true;
}

/* Commits the open transaction. Returns true when it committed. Returns false
 * with q's error set otherwise; the transaction is over either way (rolled
 * back, or of unknown outcome when PG_ERR_UNAVAILABLE). A transaction in which
 * a statement failed is rolled back and reported as PG_ERR_QUERY. */
bool pg_commit(struct pg_query *q)
{
    struct pg_thread *st;

    clear_result(q);
    st = thread_state(q);
    if (!st)
        return false;
    if (st->tx == TX_LOST) {
        st->tx = TX_NONE;
        set_error(q, PG_ERR_UNAVAILABLE, NULL, "database connection lost inside the transaction");
        return false;
    }
    if (st->tx != TX_OPEN || !st->conn) {
        set_error(q, PG_ERR_QUERY, NULL, "no transaction is open");
        return false;
    }
    st->tx = TX_NONE;
    if (PQtransactionStatus(st->conn) == PQTRANS_INERROR) {
        /* COMMIT would answer "ROLLBACK" with success: say it plainly. */
        rollback_quietly(st);
        set_error(q, PG_ERR_QUERY, NULL, "transaction aborted by an earlier error; rolled back");
        return false;
    }
    return exec_command(q, st, "COMMIT");
}

/* Ends the open transaction, if any, discarding its work. Never fails: when
 * ROLLBACK cannot be sent the connection is closed, which the server treats
 * as a rollback. */
void pg_rollback(void)
{
    struct pg_thread *st;

    if (!thread_key_ready)
        return;
    st = pthread_getspecific(thread_key);
    if (!st)
        return;
    st->tx = TX_NONE;
    if (st->conn && st->pid == process_pid)
        rollback_quietly(st);
}

/* ---- for the store modules ---------------------------------------------- */

enum store_result pg_store_result(const struct pg_query *q)
{
    return q->err == PG_ERR_UNAVAILABLE ? STORE_UNAVAILABLE : STORE_ERROR;
}

enum store_result pg_store_conflict(const struct pg_query *q)
{
    return q->err == PG_ERR_CONSTRAINT ? STORE_CONFLICT : pg_store_result(q);
}

char *pg_num_text(char out[NUM_TEXT_MAX], long long v)
{
    snprintf(out, NUM_TEXT_MAX, "%lld", v);
    return out;
}

bool pg_field_ok(const char *s, size_t max, bool required)
{
    if (!s)
        return !required;
    size_t n = strnlen(s, max + 1);
    return n <= max && (!required || n > 0) && utf8_valid(s, n) && !utf8_has_control(s, n);
}
