/* SPDX-License-Identifier: MIT */
/* codesends: when a code was last sent to a key (see codesends.h and
 * sql/tenant/018_code_sends.sql).
 *
 * The claim is one statement: it records a send unless the last one is
 * younger than the wait, under the row's lock, so two requests racing for
 * the same email cannot both send (the second finds the first's row and
 * is told to wait). It also deletes up to CODE_SENDS_SWEEP_ROWS rows older
 * than the wait, so the table holds about as many rows as emails sent a
 * code within the last wait, with no sweeper. */
#include "store/codesends.h"

#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/limits.h"

#define KEY_HEX_LEN (2 * CODESENDS_KEY_BYTES)

/* $1 key (hex), $2 wait_s, $3 sweep rows. Columns: whether this send was
 * recorded (1) or not (0), and the seconds the last send leaves to wait. */
static const char claim_sql[] =
    "WITH gone AS (DELETE FROM code_sends WHERE key IN (SELECT key FROM code_sends"
    " WHERE sent_at < now() - make_interval(secs => $2::int) AND key <> decode($1, 'hex')"
    " LIMIT $3::int)),"
    " sent AS (INSERT INTO code_sends AS c (key, sent_at) VALUES (decode($1, 'hex'), now())"
    " ON CONFLICT (key) DO UPDATE SET sent_at = now()"
    " WHERE c.sent_at <= now() - make_interval(secs => $2::int) RETURNING 1)"
    " SELECT (SELECT count(*) FROM sent),"
    " (SELECT ceil(extract(epoch FROM sent_at + make_interval(secs => $2::int) - now()))::bigint"
    " FROM code_sends WHERE key = decode($1, 'hex'))";

static const char left_sql[] =
    "SELECT ceil(extract(epoch FROM sent_at + make_interval(secs => $2::int) - now()))::bigint"
    " FROM code_sends WHERE key = decode($1, 'hex')"
    " AND sent_at > now() - make_interval(secs => $2::int)";

static const char release_sql[] = "DELETE FROM code_sends WHERE key = decode($1, 'hex')";

/* run runs sql at tenant with the key and up to two numbers; the caller
 * cleans q up. */
static enum store_result run(struct pg_query *q, const char *tenant, const char *sql,
                             const unsigned char *key, int nparams, long long a, long long b)
{
    char hex[KEY_HEX_LEN + 1], first[NUM_TEXT_MAX], second[NUM_TEXT_MAX];
    if (!key)
        return STORE_ERROR;
    const char *const params[] = {hex_encode(key, CODESENDS_KEY_BYTES, hex),
                                  pg_num_text(first, a), pg_num_text(second, b)};
    if (!pg_query_run_tenant(q, tenant, sql, nparams, params))
        return pg_store_result(q);
    return STORE_OK;
}

/* Records a send to key unless the last one is younger than wait_s. On
 * STORE_OK *left_s is 0 when the send is recorded (go ahead), else the
 * seconds left to wait (at least 1). STORE_UNAVAILABLE or STORE_ERROR
 * otherwise (*left_s 0). */
enum store_result codesends_claim(const char *tenant, const unsigned char *key, int wait_s,
                                  long long *left_s)
{
    struct pg_query q;
    *left_s = 0;
    pg_query_init(&q);
    enum store_result rc = run(&q, tenant, claim_sql, key, 3, wait_s, CODE_SENDS_SWEEP_ROWS);
    if (rc != STORE_OK)
        goto out;
    if (pg_query_rows(&q) != 1) {
        rc = STORE_ERROR;
        goto out;
    }
    if (atoi(pg_query_value(&q, 0, 0)) > 0)
        goto out;
    /* Not recorded: a send within the wait exists (possibly one a racing
     * request wrote after this statement's snapshot, which then reads no
     * row: the whole wait is left). */
    *left_s = pg_query_is_null(&q, 0, 1) ? wait_s : strtoll(pg_query_value(&q, 0, 1), NULL, 10);
    if (*left_s < 1)
        *left_s = 1;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* The seconds left to wait before a send to key would be recorded (0: none
 * to wait), without recording anything: what a page shows. */
enum store_result codesends_left(const char *tenant, const unsigned char *key, int wait_s,
                                 long long *left_s)
{
    struct pg_query q;
    *left_s = 0;
    pg_query_init(&q);
    enum store_result rc = run(&q, tenant, left_sql, key, 2, wait_s, 0);
    if (rc == STORE_OK && pg_query_rows(&q) == 1 && !pg_query_is_null(&q, 0, 0))
        *left_s = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    if (*left_s < 0)
        *left_s = 0;
    pg_query_cleanup(&q);
    return rc;
}

/* Forgets the send to key (a claimed send that Cognito did not make). */
enum store_result codesends_release(const char *tenant, const unsigned char *key)
{
    struct pg_query q;
    pg_query_init(&q);
    enum store_result rc = run(&q, tenant, release_sql, key, 1, 0, 0);
    pg_query_cleanup(&q);
    return rc;
}
