/* SPDX-License-Identifier: MIT */
/* upgrades: t_<slug>.upgrade_requests (see upgrades.h).
 *
 * One pending request per user is the database's rule, not a read before
 * the write: two asks at once meet the unique partial index, and the loser
 * hears STORE_CONFLICT. A decision is an UPDATE that only a still pending
 * row matches, so two admins deciding at once cannot both win: the second
 * hears STORE_NOT_FOUND and must not act on it.
 *
 * A user deleted since they asked (gone from the users mirror, or marked
 * deleted) has no one left to upgrade: the count and the list skip such
 * requests, and upgrades_close_orphans closes them, so a pending row always
 * names a live user when an admin acts on it. The pending rows are few and
 * have an index of their own; each is checked by the users' primary key.
 *
 * A user's last request (read on every /account) and a tenant's pending
 * count (on every admin page) are kept pool-wide in shared memory
 * (core/shcache, UPGRADES_CACHE_S): every write here empties that cache
 * (writes are rare), and so does upgrades_forget, which a caller deciding
 * inside its own transaction calls again once it has committed, so an entry
 * read before the commit does not outlive it.
 *
 * Every statement goes through pg_query_run_tenant: the tables resolve only
 * in the tenant's own schema. Row strings are copied into the caller's
 * arena; the PGresult is freed before returning. */
#include "store/upgrades.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/seal.h"
#include "core/shcache.h"
#include "store/pg.h"

#define UPGRADES_FIELD_MAX 2048 /* bytes of an identifier or an email */

#define UPGRADES_COLUMNS                                                          \
    "id, user_sub, user_email, note, state, reason, decided_by_sub,"             \
    " decided_by_email, extract(epoch FROM created_at)::bigint,"                 \
    " coalesce(extract(epoch FROM decided_at)::bigint, 0)"

/* A pending request whose user still lives in the mirror. */
#define UPGRADES_LIVE                                                             \
    "EXISTS (SELECT 1 FROM users u WHERE u.sub = r.user_sub AND u.deleted_at IS NULL)"

enum upgrades_col {
    COL_ID, COL_USER_SUB, COL_USER_EMAIL, COL_NOTE, COL_STATE, COL_REASON, COL_BY_SUB,
    COL_BY_EMAIL, COL_CREATED, COL_DECIDED,
};

static const char *text(const struct pg_query *q, int row, enum upgrades_col c,
                        struct arena *a)
{
    return pg_query_is_null(q, row, c) ? NULL : arena_strdup(a, pg_query_value(q, row, c));
}

static void take_row(const struct pg_query *q, int i, struct arena *a,
                     struct upgrades_request *r)
{
    r->id = strtoll(pg_query_value(q, i, COL_ID), NULL, 10);
    r->user_sub = text(q, i, COL_USER_SUB, a);
    r->user_email = text(q, i, COL_USER_EMAIL, a);
    r->note = text(q, i, COL_NOTE, a);
    r->state = text(q, i, COL_STATE, a);
    r->reason = text(q, i, COL_REASON, a);
    r->decided_by_sub = text(q, i, COL_BY_SUB, a);
    r->decided_by_email = text(q, i, COL_BY_EMAIL, a);
    r->created_at = (time_t)strtoll(pg_query_value(q, i, COL_CREATED), NULL, 10);
    r->decided_at = (time_t)strtoll(pg_query_value(q, i, COL_DECIDED), NULL, 10);
}

/* Runs sql (one row wanted) and copies the row into out. */
static enum store_result get_one(const char *tenant, const char *sql, int n,
                                 const char *const params[], struct arena *a,
                                 struct upgrades_request *out)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;
    memset(out, 0, sizeof(*out));
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant, sql, n, params))
        rc = pg_store_result(&q);
    else if (pg_query_rows(&q) == 0)
        rc = STORE_NOT_FOUND;
    else
        take_row(&q, 0, a, out);
    pg_query_cleanup(&q);
    return rc;
}

/* ---- the pool-wide cache ------------------------------------------------ */

#define CACHE_NONE "-" /* a cached "no request" */

/* cache_key: the SHA-256 of "<tenant>/<what>" (a sub, or "#pending"). */
static void cache_key(const char *tenant, const char *what, unsigned char key[SHCACHE_KEY_BYTES])
{
    char text[2 * UPGRADES_FIELD_MAX + 2];
    int n = snprintf(text, sizeof(text), "%s/%s", tenant, what);
    seal_sha256(text, n > 0 && (size_t)n < sizeof(text) ? (size_t)n : 0, key);
}

void upgrades_forget(void)
{
    shcache_forget_all(SHCACHE_UPGRADES);
}

static void put_request(const unsigned char key[SHCACHE_KEY_BYTES], uint64_t epoch,
                        const char *owner, const struct upgrades_request *r, bool found)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    char id[NUM_TEXT_MAX], created[NUM_TEXT_MAX], decided[NUM_TEXT_MAX];
    size_t at = 0;
    const char *fields[] = {found ? pg_num_text(id, r->id) : CACHE_NONE, r->user_sub,
                            r->user_email, r->note, r->state, r->reason, r->decided_by_sub,
                            r->decided_by_email, pg_num_text(created, r->created_at),
                            pg_num_text(decided, r->decided_at)};
    for (size_t i = 0; i < (found ? sizeof(fields) / sizeof(fields[0]) : 1); i++)
        if (!shcache_pack_string(packed, sizeof(packed), &at, fields[i] ? fields[i] : ""))
            return; /* too large to keep: read from the database each time */
    shcache_put(SHCACHE_UPGRADES, key, epoch, time(NULL), owner, packed, at);
}

/* get_request reads a cached request: STORE_OK, STORE_NOT_FOUND (cached as
 * none), or STORE_ERROR (not cached). */
static enum store_result get_request(const unsigned char key[SHCACHE_KEY_BYTES],
                                     struct arena *a, struct upgrades_request *out)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    size_t len = 0, at = 0;
    if (!shcache_get(SHCACHE_UPGRADES, key, time(NULL), UPGRADES_CACHE_S, packed,
                     sizeof(packed), &len))
        return STORE_ERROR;
    const char *f[10];
    for (size_t i = 0; i < 10; i++) {
        f[i] = shcache_unpack_string(packed, len, &at, a);
        if (!f[i])
            return i == 1 && !strcmp(f[0], CACHE_NONE) ? STORE_NOT_FOUND : STORE_ERROR;
    }
    *out = (struct upgrades_request){
        .id = strtoll(f[0], NULL, 10), .user_sub = f[1], .user_email = f[2],
        .note = *f[3] ? f[3] : NULL, .state = f[4], .reason = *f[5] ? f[5] : NULL,
        .decided_by_sub = *f[6] ? f[6] : NULL, .decided_by_email = *f[7] ? f[7] : NULL,
        .created_at = (time_t)strtoll(f[8], NULL, 10),
        .decided_at = (time_t)strtoll(f[9], NULL, 10)};
    return STORE_OK;
}

/* Records sub's ask (note: at most UPGRADE_NOTE_MAX bytes of clean text,
 * or NULL) and sets *id. Returns STORE_OK, STORE_CONFLICT when sub has a
 * pending request already, STORE_UNAVAILABLE, or STORE_ERROR for a field
 * that is not clean text. */
enum store_result upgrades_ask(const char *tenant, const char *sub, const char *email,
                               const char *note, long long *id)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *id = 0;
    if (!pg_field_ok(sub, UPGRADES_FIELD_MAX, true) ||
        !pg_field_ok(email, UPGRADES_FIELD_MAX, true) ||
        !pg_field_ok(note, UPGRADE_NOTE_MAX, false))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, email, note && *note ? note : NULL};
    if (!pg_query_run_tenant(&q, tenant,
                             "INSERT INTO upgrade_requests (user_sub, user_email, note)"
                             " VALUES ($1, $2, $3) RETURNING id",
                             3, params))
        rc = pg_store_conflict(&q);
    else
        *id = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    pg_query_cleanup(&q);
    upgrades_forget();
    return rc;
}

/* Fills *out with sub's newest request (from the pool's cache when it is
 * there). STORE_NOT_FOUND: none yet. */
enum store_result upgrades_latest(const char *tenant, const char *sub, struct arena *a,
                                  struct upgrades_request *out)
{
    unsigned char key[SHCACHE_KEY_BYTES];
    memset(out, 0, sizeof(*out));
    if (!pg_field_ok(sub, UPGRADES_FIELD_MAX, true) ||
        !pg_field_ok(tenant, UPGRADES_FIELD_MAX, true))
        return STORE_NOT_FOUND;
    cache_key(tenant, sub, key);
    enum store_result rc = get_request(key, a, out);
    if (rc != STORE_ERROR)
        return rc;
    uint64_t epoch = shcache_epoch(SHCACHE_UPGRADES);
    const char *const params[] = {sub};
    rc = get_one(tenant,
                 "SELECT " UPGRADES_COLUMNS " FROM upgrade_requests WHERE user_sub = $1"
                 " ORDER BY id DESC LIMIT 1",
                 1, params, a, out);
    if (rc == STORE_OK || rc == STORE_NOT_FOUND)
        put_request(key, epoch, tenant, out, rc == STORE_OK);
    return rc;
}

/* Fills *out with request id. STORE_NOT_FOUND: no such request. */
enum store_result upgrades_get(const char *tenant, long long id, struct arena *a,
                               struct upgrades_request *out)
{
    char num[NUM_TEXT_MAX];
    if (id <= 0) {
        memset(out, 0, sizeof(*out));
        return STORE_NOT_FOUND;
    }
    const char *const params[] = {pg_num_text(num, id)};
    return get_one(tenant,
                   "SELECT " UPGRADES_COLUMNS " FROM upgrade_requests WHERE id = $1::bigint",
                   1, params, a, out);
}

/* Fills *out with at most limit pending requests of live users with an id
 * above after_id, oldest first (they wait longest). */
enum store_result upgrades_pending(const char *tenant, long long after_id, int limit,
                                   struct arena *a, struct upgrades_page *out)
{
    char after[NUM_TEXT_MAX], lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof(*out));
    if (limit <= 0 || after_id < 0)
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(after, after_id), pg_num_text(lim, limit)};
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT " UPGRADES_COLUMNS " FROM upgrade_requests r"
                             " WHERE state = 'pending' AND id > $1::bigint AND " UPGRADES_LIVE
                             " ORDER BY id LIMIT $2::bigint",
                             2, params)) {
        rc = pg_store_result(&q);
    } else {
        out->n = pg_query_rows(&q);
        out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
        for (int i = 0; i < out->n; i++)
            take_row(&q, i, a, &out->rows[i]);
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Sets *count to the number of pending requests of live users (the admin
 * navigation's badge): the pending rows' own index, and one primary-key
 * probe of users each. */
enum store_result upgrades_count_pending(const char *tenant, long long *count)
{
    unsigned char key[SHCACHE_KEY_BYTES], packed[SHCACHE_VALUE_MAX];
    struct pg_query q;
    size_t len = 0;
    enum store_result rc = STORE_OK;

    *count = 0;
    if (!pg_field_ok(tenant, UPGRADES_FIELD_MAX, true))
        return STORE_ERROR;
    cache_key(tenant, "#pending", key);
    if (shcache_get(SHCACHE_UPGRADES, key, time(NULL), UPGRADES_CACHE_S, packed,
                    sizeof(packed) - 1, &len)) {
        packed[len] = '\0';
        *count = strtoll((const char *)packed, NULL, 10);
        return STORE_OK;
    }
    uint64_t epoch = shcache_epoch(SHCACHE_UPGRADES);
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT count(*) FROM upgrade_requests r"
                             " WHERE state = 'pending' AND " UPGRADES_LIVE,
                             0, NULL)) {
        rc = pg_store_result(&q);
    } else {
        *count = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
        char text[NUM_TEXT_MAX];
        pg_num_text(text, *count);
        shcache_put(SHCACHE_UPGRADES, key, epoch, time(NULL), tenant, text, strlen(text));
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Moves pending request id to state (approved, declined or closed), by
 * by_sub (by_email and reason may be NULL), now. Joins the transaction open
 * on this thread, if any. Returns STORE_OK, STORE_NOT_FOUND when the
 * request is not pending (decided already, or no such request),
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result upgrades_decide(const char *tenant, long long id, const char *state,
                                  const char *by_sub, const char *by_email,
                                  const char *reason)
{
    char num[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (id <= 0 || (strcmp(state, UPGRADES_APPROVED) && strcmp(state, UPGRADES_DECLINED) &&
                    strcmp(state, UPGRADES_CLOSED)) ||
        !pg_field_ok(by_sub, UPGRADES_FIELD_MAX, true) ||
        !pg_field_ok(by_email, UPGRADES_FIELD_MAX, false) ||
        !pg_field_ok(reason, UPGRADE_REASON_MAX, false))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(num, id), state, by_sub, by_email,
                                  reason && *reason ? reason : NULL};
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE upgrade_requests SET state = $2, decided_by_sub = $3,"
                             " decided_by_email = $4, reason = $5, decided_at = now()"
                             " WHERE id = $1::bigint AND state = 'pending'",
                             5, params))
        rc = pg_store_result(&q);
    else if (pg_query_affected(&q) == 0)
        rc = STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    upgrades_forget();
    return rc;
}

/* Closes every pending request whose user is gone from the mirror (see the
 * head comment), as the system. Sets *closed to how many. */
enum store_result upgrades_close_orphans(const char *tenant, long long *closed)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *closed = 0;
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE upgrade_requests r SET state = 'closed',"
                             " decided_by_sub = 'system', decided_at = now()"
                             " WHERE state = 'pending' AND NOT " UPGRADES_LIVE,
                             0, NULL))
        rc = pg_store_result(&q);
    else
        *closed = pg_query_affected(&q);
    pg_query_cleanup(&q);
    if (*closed)
        upgrades_forget();
    return rc;
}
