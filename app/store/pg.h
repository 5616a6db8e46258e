/* SPDX-License-Identifier: MIT */
/* pg: PostgreSQL for the workers. Each thread gets its own libpq connection,
 * made on first use and remade after failures. A struct pg_query runs one
 * statement with text parameters (a NULL parameter is SQL NULL) and owns its
 * result until pg_query_cleanup. Handlers never see PGconn and never build SQL
 * text. Also the store's one result type (enum store_result, core/result.h)
 * and the helpers every store module shares (pg_store_result and
 * pg_store_conflict, pg_num_text, pg_field_ok). The design notes are in pg.c. */
#ifndef GH_PG_H
#define GH_PG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/limits.h"
#include "core/result.h"

/* What every store function (sessions, users, tenants, audit, revoked,
 * files) answers is enum store_result, of core/result.h. */

#define PG_ERRMSG_MAX 256
#define PG_NAME_MAX 64   /* NAMEDATALEN: a constraint or schema name */
#define PG_SCHEMA_MAX 48 /* "t_" + the longest slug (40) + NUL, rounded up */

enum pg_err {
    PG_OK = 0,
    PG_ERR_UNAVAILABLE, /* connection refused or lost, timeout, shutdown: 503 */
    PG_ERR_CONSTRAINT,  /* unique violation, SQLSTATE 23505: 409 */
    PG_ERR_QUERY,       /* any other failure (a bug or bad data): 500 */
};

struct pg_result; /* libpq's PGresult */

struct pg_query {
    /* Set by the caller before a run: plan the statement with this run's
     * values rather than reuse a plan cached for its text (a search, whose
     * best plan depends on the term). */
    bool plan_per_run;
    /* Set by the caller before a run: the result's columns come in
     * PostgreSQL's binary form, so that the server formats none as text (a
     * timestamp's text costs it more than reading the row). Text columns
     * read the same with pg_query_value; booleans with pg_query_bool;
     * timestamps with pg_query_time_us. */
    bool binary_results;
    struct pg_result *result;     /* set by a successful run */
    enum pg_err err;              /* PG_OK unless the last call failed */
    char sqlstate[6];             /* "" when the server sent no SQLSTATE */
    char constraint[PG_NAME_MAX]; /* the violated constraint, when known */
    char errmsg[PG_ERRMSG_MAX];   /* one line; never contains parameters */
};

/* Process and request life cycle (worker side, after fork). */
bool pg_init_worker(const char *conninfo, bool prepare, char *err, size_t errlen);
void pg_cleanup_worker(void);
void pg_end_request(void);
bool pg_ping(char *err, size_t errlen);
bool pg_tenant_schema(const char *slug, char *out, size_t outlen);

/* One statement: init -> run -> accessors -> cleanup. */
void pg_query_init(struct pg_query *q);
bool pg_query_run(struct pg_query *q, const char *sql, int nparams, const char *const params[]);
bool pg_query_run_tenant(struct pg_query *q, const char *tenant_slug, const char *sql, int nparams,
                         const char *const params[]);
int pg_query_rows(const struct pg_query *q);
const char *pg_query_value(const struct pg_query *q, int row, int col);
size_t pg_query_len(const struct pg_query *q, int row, int col);
bool pg_query_is_null(const struct pg_query *q, int row, int col);
/* A boolean column, in either form (false for NULL); a timestamptz column
 * of a binary result as microseconds since the Unix epoch (0 for NULL, or
 * for a text result). */
bool pg_query_bool(const struct pg_query *q, int row, int col);
long long pg_query_time_us(const struct pg_query *q, int row, int col);
long long pg_query_affected(const struct pg_query *q);
void pg_query_cleanup(struct pg_query *q);

/* A connection of its own that waits for NOTIFY on one channel (a cache
 * listener): pg_listen connects (to conninfo, or NULL: the workers' one)
 * and LISTENs, or returns NULL with err set;
 * pg_listen_fd is the socket to poll; pg_listen_next copies the next payload
 * received into payload (cap bytes; a longer one is cut) and returns 1, 0
 * when none is waiting, -1 when the connection is lost (close it). */
struct pg_listener;
struct pg_listener *pg_listen(const char *conninfo, const char *channel, char *err, size_t errlen);
int pg_listen_fd(const struct pg_listener *l);
int pg_listen_next(struct pg_listener *l, char *payload, size_t cap);
void pg_listen_close(struct pg_listener *l);

/* A transaction on this thread's connection (no nesting). */
bool pg_begin(struct pg_query *q);
bool pg_commit(struct pg_query *q);
void pg_rollback(void);

/* ---- for the store modules ---------------------------------------------- */

/* The store_result of a failed statement: STORE_UNAVAILABLE when PostgreSQL
 * could not be reached, otherwise STORE_ERROR (a unique violation included:
 * for statements where one is a bug or a race the caller does not tell
 * apart). pg_store_conflict is the same except that a unique violation is
 * STORE_CONFLICT (the row exists already). */
enum store_result pg_store_result(const struct pg_query *q);
enum store_result pg_store_conflict(const struct pg_query *q);
/* Writes v in decimal to out, for a text parameter, and returns out. */
char *pg_num_text(char out[NUM_TEXT_MAX], long long v);
/* A text field the database will take: valid UTF-8 without control
 * characters, at most max bytes. NULL passes unless required; "" never does
 * when required. */
bool pg_field_ok(const char *s, size_t max, bool required);

#endif
