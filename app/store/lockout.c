/* SPDX-License-Identifier: MIT */
/* lockout: counts of failed sign-ins (see lockout.h and
 * sql/tenant/005_login_failures.sql).
 *
 * The arithmetic of a lock is done by PostgreSQL, in the statement that
 * changes the count, with the database's clock: two workers (or two pools)
 * counting the same failure at once each add one under the row's lock, and
 * a lock ends at the same moment for every pool whatever their clocks say.
 * A count that reaches the rule's free failures locks for lock_first_s,
 * doubled per failure past that, up to lock_max_s; a count whose last
 * failure is older than reset_s starts over at one.
 *
 * lockout_check runs before every password sign-in, so it is one statement
 * outside any transaction, naming "t_<slug>".login_failures explicitly as
 * revoked_check does (no search_path to set first). For an
 * account without a count (nearly every sign-in) it reads and writes
 * nothing else. For an account with a count that is not locked, the same
 * statement counts the attempt as a failure before it is made (the claim),
 * under the row's lock: concurrent attempts at that account are then let
 * through one by one as its count allows, not all at once because each read
 * the count before any other had failed. A correct password clears the count
 * afterwards, so the claim costs a right guess nothing. Only the first
 * attempts at an account never counted before can pass together (as many as
 * the pools run at once); their failures lock it for long at once.
 *
 * Writes after the attempt run through pg_query_run_tenant. A failure also
 * deletes up to LOCKOUT_SWEEP_ROWS counts that have gone quiet, so the table holds
 * about as many rows as keys that failed within the reset period, with no
 * sweeper. */
#include "store/lockout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/limits.h"

#define CHECK_SQL_MAX 1536 /* the check with the schema named three times */
#define KEY_HEX_LEN (2 * LOCKOUT_KEY_BYTES)

enum check_col { COL_COUNTED, COL_KNOWN, COL_WAIT };

/* The count after one more failure of the row named alias ($reset: the
 * parameter holding reset_s). */
#define NEXT_COUNT(alias, reset)                                                          \
    "(CASE WHEN " alias ".last_failure < now() - make_interval(secs => " reset "::int)"   \
    " THEN 1 ELSE " alias ".failures + 1 END)"

/* When a count of n with free failures ends its lock: NULL while n is below
 * free; the exponent is capped so the doubling cannot overflow. */
#define LOCK_UNTIL(n, free, first, max)                                                   \
    "(CASE WHEN " n " >= " free " THEN now() + make_interval(secs => least(" max "::int,"  \
    " " first "::int * power(2, least(" n " - " free ", 30)))) END)"

/* $1 account key, $2 address key (hex), $3 account_free, $4 lock_first_s,
 * $5 lock_max_s, $6 reset_s. */
static const char check_sql[] =
    "WITH claim AS (UPDATE \"%s\".login_failures f SET"
    " failures = " NEXT_COUNT("f", "$6") ", last_failure = now(),"
    " locked_until = " LOCK_UNTIL(NEXT_COUNT("f", "$6"), "$3::int", "$4", "$5")
    " WHERE f.key = decode($1, 'hex') AND f.kind = 'account'"
    " AND (f.locked_until IS NULL OR f.locked_until <= now())"
    " AND NOT EXISTS (SELECT 1 FROM \"%s\".login_failures a"
    " WHERE a.key = decode($2, 'hex') AND a.locked_until > now())"
    " RETURNING 1)"
    " SELECT (SELECT count(*) FROM claim),"
    " count(*) FILTER (WHERE key = decode($1, 'hex')),"
    " ceil(extract(epoch FROM max(locked_until) FILTER (WHERE locked_until > now())"
    " - now()))::bigint"
    " FROM \"%s\".login_failures WHERE key IN (decode($1, 'hex'), decode($2, 'hex'))";

/* $1 account key (NULL: counted by the check already), $2 address key,
 * $3 account_free, $4 lock_first_s, $5 lock_max_s, $6 reset_s,
 * $7 address_free, $8 LOCKOUT_SWEEP_ROWS. */
static const char fail_sql[] =
    "WITH gone AS (DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures"
    " WHERE last_failure < now() - make_interval(secs => $6::int)"
    " AND key <> decode($2, 'hex') AND key IS DISTINCT FROM decode($1, 'hex')"
    " LIMIT $8::int))"
    " INSERT INTO login_failures AS f (key, kind, failures, last_failure, locked_until)"
    " SELECT decode(v.k, 'hex'), v.kind, 1, now(),"
    " " LOCK_UNTIL("1", "v.free", "$4", "$5")
    " FROM (VALUES ($1::text, 'account', $3::int), ($2::text, 'address', $7::int))"
    " AS v (k, kind, free) WHERE v.k IS NOT NULL"
    " ON CONFLICT (key) DO UPDATE SET"
    " failures = " NEXT_COUNT("f", "$6") ", last_failure = now(),"
    " locked_until = greatest(f.locked_until, "
    LOCK_UNTIL(NEXT_COUNT("f", "$6"), "(CASE f.kind WHEN 'account' THEN $3::int ELSE $7::int END)",
               "$4", "$5") ")";

static bool keys_ok(const struct lockout_keys *k)
{
    return k && k->account && k->address;
}

/* Tells, for a password sign-in at tenant, whether the account or the
 * address of k is locked, and counts the attempt as a failure in advance
 * when the account has a count and neither is locked (see the design
 * comment). On STORE_OK: out->wait_s > 0 when locked (seconds left, the
 * later of the two locks); otherwise out->counted says whether the attempt
 * was counted, and out->known whether the account has a count to clear on
 * success. An account with a count that is not locked by the time its
 * claim runs, yet cannot be claimed, has just been locked by a concurrent
 * attempt: it answers locked for lock_first_s (the shortest lock it can
 * be). Otherwise *out is zeroed and the result is STORE_UNAVAILABLE, or
 * STORE_ERROR for an invalid or unmigrated tenant. */
enum store_result lockout_check(const char *tenant, const struct lockout_keys *k,
                                const struct lockout_rules *r, struct lockout_state *out)
{
    char schema[PG_SCHEMA_MAX], sql[CHECK_SQL_MAX];
    char account[KEY_HEX_LEN + 1], address[KEY_HEX_LEN + 1];
    char free_n[NUM_TEXT_MAX], first[NUM_TEXT_MAX], max[NUM_TEXT_MAX], reset[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    memset(out, 0, sizeof(*out));
    /* pg_tenant_schema admits only [a-z0-9-] after "t_": the quoted name is
     * safe in the statement's text. */
    if (!keys_ok(k) || !pg_tenant_schema(tenant, schema, sizeof(schema)))
        return STORE_ERROR;
    int n = snprintf(sql, sizeof(sql), check_sql, schema, schema, schema);
    if (n < 0 || (size_t)n >= sizeof(sql))
        return STORE_ERROR;
    const char *const params[] = {hex_encode(k->account, LOCKOUT_KEY_BYTES, account),
                                  hex_encode(k->address, LOCKOUT_KEY_BYTES, address),
                                  pg_num_text(free_n, r->account_free),
                                  pg_num_text(first, r->lock_first_s),
                                  pg_num_text(max, r->lock_max_s),
                                  pg_num_text(reset, r->reset_s)};
    pg_query_init(&q);
    if (!pg_query_run(&q, sql, 6, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1) {
        rc = STORE_ERROR;
        goto out;
    }
    out->counted = atoi(pg_query_value(&q, 0, COL_COUNTED)) > 0;
    out->known = atoi(pg_query_value(&q, 0, COL_KNOWN)) > 0;
    if (!pg_query_is_null(&q, 0, COL_WAIT))
        out->wait_s = strtoll(pg_query_value(&q, 0, COL_WAIT), NULL, 10);
    if (out->wait_s <= 0 && out->known && !out->counted)
        out->wait_s = r->lock_first_s;
    if (out->wait_s > 0)
        out->counted = false;
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* Counts one failed sign-in for the address of k and, unless the check
 * counted it already (account_counted), for its account; locks either whose
 * count reaches its rule. Returns STORE_OK, STORE_UNAVAILABLE or
 * STORE_ERROR (as for lockout_check). */
enum store_result lockout_fail(const char *tenant, const struct lockout_keys *k,
                               bool account_counted, const struct lockout_rules *r)
{
    char account[KEY_HEX_LEN + 1], address[KEY_HEX_LEN + 1];
    char free_n[NUM_TEXT_MAX], first[NUM_TEXT_MAX], max[NUM_TEXT_MAX], reset[NUM_TEXT_MAX];
    char address_free[NUM_TEXT_MAX], sweep[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (!keys_ok(k))
        return STORE_ERROR;
    const char *const params[] = {
        account_counted ? NULL : hex_encode(k->account, LOCKOUT_KEY_BYTES, account),
        hex_encode(k->address, LOCKOUT_KEY_BYTES, address),
        pg_num_text(free_n, r->account_free),
        pg_num_text(first, r->lock_first_s),
        pg_num_text(max, r->lock_max_s),
        pg_num_text(reset, r->reset_s),
        pg_num_text(address_free, r->address_free),
        pg_num_text(sweep, LOCKOUT_SWEEP_ROWS)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant, fail_sql, 8, params))
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}

/* Forgets the count of an account (its correct password was given).
 * Returns STORE_OK (done, or there was none), STORE_UNAVAILABLE or
 * STORE_ERROR. */
enum store_result lockout_clear(const char *tenant, const unsigned char *account)
{
    char hex[KEY_HEX_LEN + 1];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (!account)
        return STORE_ERROR;
    const char *const params[] = {hex_encode(account, LOCKOUT_KEY_BYTES, hex)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "DELETE FROM login_failures"
                             " WHERE key = decode($1, 'hex') AND kind = 'account'",
                             1, params))
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}
