/* SPDX-License-Identifier: MIT */
/* users: t_<slug>.users, the tenant's mirror of its Cognito pool (see
 * users.h). Every statement goes through pg_query_run_tenant, so table names
 * are unqualified and resolve only in the tenant's own schema: a slug picks
 * the schema, and no statement here can name another tenant's table.
 *
 * Emails are compared lower-cased. Only ASCII letters are folded, in C, the
 * same way on every path: PostgreSQL's lower() would follow the database
 * collation, and an email stored under one rule and looked up under another
 * would silently miss. Cognito enforces one user per email in a pool (email
 * is the username), so an upsert whose email still sits on another sub's row
 * means that user was deleted and re-created: the stale row gives way, in
 * the same transaction.
 *
 * One upsert serves both writers: a sign-in knows part of a user and merges
 * it into the row (USERS_MERGE); `users sync` and the admin panel know all
 * of Cognito's record and replace the row with it (USERS_REPLACE). Only what
 * an existing row keeps differs, so only the ON CONFLICT clause does.
 *
 * Every write that can change what a bearer call reads of a user (email,
 * name, tier, the row itself) drops the answers cached for that user
 * (revoked_forget_user) once it has committed.
 *
 * Ownership: strings handed back are copies in the caller's arena; inputs
 * stay the caller's. Everything else is freed before returning. */
#include "store/users.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "store/pg.h"
#include "store/revoked.h"

#define USERS_FIELD_MAX 2048 /* bytes of a sub, email, name, tier or status */
#define DEFAULT_TIER "standard"

/* Seconds since the epoch of a timestamptz column, as text, rounded as
 * extract(epoch) would be; date_part's double costs a fraction of
 * extract's numeric, read for every row of a list. */
#define EPOCH(col) "round(date_part('epoch', " col "))::bigint"

#define USER_COLUMNS \
    "sub, email, name, tier, status, enabled, " EPOCH("created_at") ", " EPOCH( \
        "updated_at") ", " EPOCH("synced_at") ", " EPOCH("last_login_at")

enum user_col {
    COL_SUB,
    COL_EMAIL,
    COL_NAME,
    COL_TIER,
    COL_STATUS,
    COL_ENABLED,
    COL_CREATED,
    COL_UPDATED,
    COL_SYNCED,
    COL_LAST_LOGIN,
};

/* ---- helpers ------------------------------------------------------------ */

/* Clean text of at most USERS_FIELD_MAX bytes (pg_field_ok); NULL passes
 * unless required, "" never does when required. */
static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, USERS_FIELD_MAX, required);
}

/* A copy of email with ASCII letters lower-cased; the caller frees it. */
static char *fold_email(const char *email)
{
    char *folded = xstrdup(email);
    for (char *c = folded; *c; c++) {
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    }
    return folded;
}

static const char *text_col(const struct pg_query *q, struct arena *a, enum user_col c)
{
    return pg_query_is_null(q, 0, c) ? NULL : arena_strdup(a, pg_query_value(q, 0, c));
}

static time_t time_col(const struct pg_query *q, enum user_col c)
{
    return pg_query_is_null(q, 0, c) ? 0 : (time_t)strtoll(pg_query_value(q, 0, c), NULL, 10);
}

/* Runs a SELECT of USER_COLUMNS with one parameter and fills *out from the
 * single row it finds. */
static enum store_result get_one(const char *tenant, const char *sql, const char *param,
                                 struct arena *a, struct users_user *out)
{
    const char *const params[] = {param};
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;

    pg_query_init(&q);
    memset(out, 0, sizeof *out);
    if (!pg_query_run_tenant(&q, tenant, sql, 1, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1)
        goto out;
    out->sub = text_col(&q, a, COL_SUB);
    out->email = text_col(&q, a, COL_EMAIL);
    out->name = text_col(&q, a, COL_NAME);
    out->tier = text_col(&q, a, COL_TIER);
    out->status = text_col(&q, a, COL_STATUS);
    out->enabled = pg_query_bool(&q, 0, COL_ENABLED);
    out->created_at = time_col(&q, COL_CREATED);
    out->updated_at = time_col(&q, COL_UPDATED);
    out->synced_at = time_col(&q, COL_SYNCED);
    out->last_login_at = time_col(&q, COL_LAST_LOGIN);
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* ---- writes ------------------------------------------------------------- */

/* users_upsert's statement, which differs between the two ways of writing
 * only in what a row already there keeps: $1 sub, $2 email, $3 name, $4
 * tier (NULL: DEFAULT_TIER for a new row), $5 status, $6 enabled, $7 now,
 * $8 created_at for a new row. */
#define UPSERT_SQL(on_conflict) \
    "INSERT INTO users (sub, email, name, tier, status, enabled, created_at," \
    " updated_at, synced_at)" \
    " VALUES ($1, $2, $3, coalesce($4, '" DEFAULT_TIER "'), $5, $6::boolean," \
    " to_timestamp($8::bigint), to_timestamp($7::bigint)," \
    " to_timestamp($7::bigint))" \
    " ON CONFLICT (sub) DO UPDATE SET email = excluded.email," \
    " enabled = excluded.enabled, updated_at = excluded.updated_at," \
    " synced_at = excluded.synced_at, " on_conflict

static const char *const upsert_sql[] = {
    [USERS_MERGE] = UPSERT_SQL("name = coalesce($3, users.name),"
                               " tier = coalesce($4, users.tier),"
                               " status = coalesce($5, users.status)"),
    [USERS_REPLACE] = UPSERT_SQL("name = excluded.name, tier = excluded.tier,"
                                 " status = excluded.status,"
                                 " created_at = excluded.created_at"),
};

/* Inserts or refreshes the mirror row of user u->sub in tenant (a slug) at
 * time now, as `how` says (see enum users_write): USERS_MERGE from what a
 * sign-in knows, USERS_REPLACE from Cognito's full record. sub and email are
 * required (the email is stored lower-cased); enabled is always written. A
 * row of another sub holding the same email is deleted first (see the design
 * comment), in the same transaction. Returns STORE_OK, STORE_UNAVAILABLE, or
 * STORE_ERROR for a field that is not clean text or is too long, a tier the
 * table refuses, an unknown how, or an invalid or unmigrated tenant. */
enum store_result users_upsert(const char *tenant, const struct users_user *u, time_t now,
                               enum users_write how)
{
    char at[NUM_TEXT_MAX], created[NUM_TEXT_MAX], *email = NULL;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    pg_query_init(&q);
    if ((how != USERS_MERGE && how != USERS_REPLACE) || !field_ok(u->sub, true) ||
        !field_ok(u->email, true) || !field_ok(u->name, false) || !field_ok(u->tier, false) ||
        !field_ok(u->status, false))
        goto out;
    email = fold_email(u->email);
    time_t created_at = how == USERS_REPLACE && u->created_at ? u->created_at : now;
    const char *const stale[] = {email, u->sub};
    const char *const params[] = {u->sub,
                                  email,
                                  u->name,
                                  u->tier,
                                  u->status,
                                  u->enabled ? "true" : "false",
                                  pg_num_text(at, now),
                                  pg_num_text(created, created_at)};
    if (!pg_begin(&q) ||
        !pg_query_run_tenant(&q, tenant,
                             "DELETE FROM users WHERE email = $1 AND sub <> $2"
                             " AND deleted_at IS NULL",
                             2, stale) ||
        !pg_query_run_tenant(&q, tenant, upsert_sql[how], 8, params) || !pg_commit(&q)) {
        rc = pg_store_result(&q);
        pg_rollback(); /* a no-op when the transaction is already over */
        goto out;
    }
    revoked_forget_user(tenant, u->sub);
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    free(email);
    return rc;
}

/* Sets the tier of user sub in tenant to tier at time now. On STORE_OK,
 * *old_tier (when old_tier is not NULL) gets the tier it replaced, copied
 * into a, for the audit record: read and replaced under one row lock, so two
 * admins changing the same user each see what they really replaced.
 * STORE_NOT_FOUND: no such user; STORE_UNAVAILABLE; STORE_ERROR for a tier
 * the table refuses or a bad argument. */
enum store_result users_set_tier(const char *tenant, const char *sub, const char *tier, time_t now,
                                 struct arena *a, const char **old_tier)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    if (old_tier)
        *old_tier = NULL;
    if (!field_ok(sub, true) || !field_ok(tier, true))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, tier, pg_num_text(at, now)};
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE users u SET tier = $2, updated_at = to_timestamp($3::bigint)"
                             " FROM (SELECT sub, tier FROM users WHERE sub = $1 FOR UPDATE) old"
                             " WHERE u.sub = old.sub RETURNING old.tier",
                             3, params)) {
        rc = pg_store_result(&q);
    } else if (pg_query_rows(&q) != 1) {
        rc = STORE_NOT_FOUND;
    } else {
        if (old_tier)
            *old_tier = arena_strdup(a, pg_query_value(&q, 0, 0));
        revoked_forget_user(tenant, sub);
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* run_for_sub runs sql, whose parameters are $1 the sub and $2 a time in
 * seconds, on tenant's users and tells whether it touched that user's row:
 * STORE_OK, STORE_NOT_FOUND, STORE_UNAVAILABLE or STORE_ERROR. */
static enum store_result run_for_sub(const char *tenant, const char *sql, const char *sub, time_t t)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(sub, true))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {sub, pg_num_text(at, t)};
    if (!pg_query_run_tenant(&q, tenant, sql, 2, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Records that user sub of tenant signed in at now. Returns STORE_OK,
 * STORE_NOT_FOUND (no mirror row yet: upsert first), STORE_UNAVAILABLE or
 * STORE_ERROR. */
enum store_result users_touch_login(const char *tenant, const char *sub, time_t now)
{
    return run_for_sub(tenant,
                       "UPDATE users SET last_login_at = to_timestamp($2::bigint) WHERE sub = $1",
                       sub, now);
}

/* ---- reads -------------------------------------------------------------- */

/* Fills *out with user sub of tenant (strings in a). Returns STORE_OK,
 * STORE_NOT_FOUND, STORE_UNAVAILABLE or STORE_ERROR; *out is zeroed unless
 * STORE_OK. */
enum store_result users_get(const char *tenant, const char *sub, struct arena *a,
                            struct users_user *out)
{
    if (!field_ok(sub, true)) {
        memset(out, 0, sizeof *out);
        return STORE_NOT_FOUND;
    }
    return get_one(tenant, "SELECT " USER_COLUMNS " FROM users WHERE sub = $1", sub, a, out);
}

/* Like users_get, by email; the lookup ignores the case of ASCII letters. */
enum store_result users_get_by_email(const char *tenant, const char *email, struct arena *a,
                                     struct users_user *out)
{
    enum store_result rc;
    char *folded;

    if (!field_ok(email, true)) {
        memset(out, 0, sizeof *out);
        return STORE_NOT_FOUND;
    }
    folded = fold_email(email);
    rc = get_one(tenant,
                 "SELECT " USER_COLUMNS " FROM users WHERE email = $1 AND deleted_at IS NULL",
                 folded, a, out);
    free(folded);
    return rc;
}

/* ---- the admin panel and `users sync` ------------------------------------- */

#define SECONDS_PER_DAY 86400
#define STATUS_CONFIRMED "CONFIRMED"
#define STATUS_UNCONFIRMED "UNCONFIRMED"

/* One statement, one round trip over the tallies the triggers of
 * sql/tenant/022 keep (a few dozen rows, however large the mirror): live
 * users per tier and per status, and sign-ups per day, each as (kind, key,
 * count). Day keys are offsets from the UTC day of $1, the first day shown. */
#define FIRST_DAY_SQL "(to_timestamp($1::bigint) AT TIME ZONE 'UTC')::date"
#define STATISTICS_SQL \
    "SELECT 'tier', tier, sum(users) FROM user_tallies WHERE NOT deleted GROUP BY tier" \
    " UNION ALL SELECT 'status', status, sum(users) FROM user_tallies WHERE NOT deleted" \
    " GROUP BY status" \
    " UNION ALL SELECT 'day', (day - " FIRST_DAY_SQL ")::text, users FROM user_signups" \
    " WHERE day >= " FIRST_DAY_SQL

/* Fills *out with the statistics of tenant's mirror as of now: live users
 * (not deleted) per tier, confirmed (CONFIRMED), unconfirmed (UNCONFIRMED)
 * and other statuses, and sign-ups (by the mirror's created_at, deleted
 * users too) per UTC day for the USERS_STATS_DAYS days ending today.
 * Returns STORE_OK, STORE_UNAVAILABLE or STORE_ERROR; *out is zeroed first. */
enum store_result users_statistics(const char *tenant, time_t now, struct users_stats *out)
{
    char first[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    memset(out, 0, sizeof *out);
    out->first_day = now - now % SECONDS_PER_DAY - (USERS_STATS_DAYS - 1) * SECONDS_PER_DAY;
    pg_query_init(&q);
    const char *const params[] = {pg_num_text(first, (long long)out->first_day)};
    if (!pg_query_run_tenant(&q, tenant, STATISTICS_SQL, 1, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    for (int i = 0; i < pg_query_rows(&q); i++) {
        const char *kind = pg_query_value(&q, i, 0), *key = pg_query_value(&q, i, 1);
        long long n = strtoll(pg_query_value(&q, i, 2), NULL, 10);
        if (!strcmp(kind, "tier")) {
            out->total += n;
            if (!strcmp(key, "premium"))
                out->premium += n;
            else
                out->standard += n; /* the table allows no third tier */
        } else if (!strcmp(kind, "status")) {
            if (!strcmp(key, STATUS_CONFIRMED))
                out->confirmed += n;
            else if (!strcmp(key, STATUS_UNCONFIRMED))
                out->unconfirmed += n;
            else
                out->other_status += n;
        } else {
            long long day = strtoll(key, NULL, 10);
            if (day >= 0 && day < USERS_STATS_DAYS)
                out->signups[day] += n; /* a clock ahead of ours: not shown */
        }
    }
out:
    pg_query_cleanup(&q);
    return rc;
}

static const char *given_or_null(const char *s)
{
    return s && *s ? s : NULL;
}

static const char *text_or_null(const struct pg_query *q, int row, int col, struct arena *a)
{
    return pg_query_is_null(q, row, col) ? NULL : arena_strdup(a, pg_query_value(q, row, col));
}

static time_t time_or_zero(const struct pg_query *q, int row, int col)
{
    return pg_query_is_null(q, row, col) ? 0
                                         : (time_t)strtoll(pg_query_value(q, row, col), NULL, 10);
}

static void fill_row(const struct pg_query *q, int row, struct arena *a, struct users_user *u)
{
    static const enum user_col texts[] = {COL_SUB, COL_EMAIL, COL_NAME, COL_TIER, COL_STATUS};
    const char **fields[] = {&u->sub, &u->email, &u->name, &u->tier, &u->status};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        *fields[i] = text_or_null(q, row, texts[i], a);
    u->enabled = pg_query_bool(q, row, COL_ENABLED);
    static const enum user_col times[] = {COL_CREATED, COL_UPDATED, COL_SYNCED, COL_LAST_LOGIN};
    time_t *stamps[] = {&u->created_at, &u->updated_at, &u->synced_at, &u->last_login_at};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        *stamps[i] = time_or_zero(q, row, times[i]);
}

/* ---- the admin's user list ------------------------------------------------- */

/* Each sort's key, exactly as sql/tenant/014 indexes it. A link carries a
 * row's key as text (row_key): times as whole microseconds since the
 * epoch, which a timestamptz holds exactly and a bigint carries back
 * without loss. A link's key becomes a value of the key's type between
 * from_before and from_after (the parameter goes between them). */
static const struct {
    const char *expr, *from_before, *from_after;
} sorts[USERS_SORTS] = {
    [USERS_SORT_EMAIL] = {"email", "", "::text"},
    [USERS_SORT_NAME] = {"coalesce(name, '')", "", "::text"},
    [USERS_SORT_TIER] = {"tier", "", "::text"},
    [USERS_SORT_STATUS] = {"coalesce(status, '')", "", "::text"},
    [USERS_SORT_CREATED] = {"created_at", "(timestamptz 'epoch' + ",
                            "::bigint * interval '1 microsecond')"},
    [USERS_SORT_LAST_LOGIN] = {"coalesce(last_login_at, 'epoch'::timestamptz)",
                               "(timestamptz 'epoch' + ", "::bigint * interval '1 microsecond')"},
};

bool users_sort_is_time(enum users_sort sort)
{
    return sort == USERS_SORT_CREATED || sort == USERS_SORT_LAST_LOGIN;
}

/* A list row: only what the list and its CSV show (every column costs
 * PostgreSQL per row), read in binary form (binary_results): the server
 * formats no timestamp as text, and the times come exact to the
 * microsecond, from which the row's sort key is made here (row_key). */
#define FIND_COLUMNS \
    "sub, email, name, tier, status, enabled, created_at, last_login_at, mfa," \
    " deleted_at IS NOT NULL"
enum find_col {
    FIND_SUB,
    FIND_EMAIL,
    FIND_NAME,
    FIND_TIER,
    FIND_STATUS,
    FIND_ENABLED,
    FIND_CREATED,
    FIND_LAST_LOGIN,
    FIND_MFA,
    FIND_DELETED
};

#define US_PER_S 1000000LL

/* seconds_of rounds microseconds since the epoch to the nearest second. */
static time_t seconds_of(long long us)
{
    return (time_t)((us >= 0 ? us + US_PER_S / 2 : us - US_PER_S / 2) / US_PER_S);
}

/* row_key is row's key in sort, as a link carries it (see sorts). */
static const char *row_key(const struct pg_query *q, int row, enum users_sort sort,
                           const struct users_user *u, struct arena *a)
{
    char us[NUM_TEXT_MAX];
    switch (sort) {
    case USERS_SORT_EMAIL:
        return u->email ? u->email : "";
    case USERS_SORT_NAME:
        return u->name ? u->name : "";
    case USERS_SORT_TIER:
        return u->tier ? u->tier : "";
    case USERS_SORT_STATUS:
        return u->status ? u->status : "";
    case USERS_SORT_CREATED:
        return arena_strdup(a, pg_num_text(us, pg_query_time_us(q, row, FIND_CREATED)));
    case USERS_SORT_LAST_LOGIN: /* never signed in: the epoch, as the index has it */
        return arena_strdup(a, pg_num_text(us, pg_query_time_us(q, row, FIND_LAST_LOGIN)));
    default:
        return "";
    }
}

static void fill_list_row(const struct pg_query *q, int row, struct arena *a, struct users_user *u)
{
    u->sub = text_or_null(q, row, FIND_SUB, a);
    u->email = text_or_null(q, row, FIND_EMAIL, a);
    u->name = text_or_null(q, row, FIND_NAME, a);
    u->tier = text_or_null(q, row, FIND_TIER, a);
    u->status = text_or_null(q, row, FIND_STATUS, a);
    u->enabled = pg_query_bool(q, row, FIND_ENABLED);
    u->created_at = seconds_of(pg_query_time_us(q, row, FIND_CREATED));
    u->last_login_at = seconds_of(pg_query_time_us(q, row, FIND_LAST_LOGIN));
    u->mfa = pg_query_bool(q, row, FIND_MFA);
    u->deleted = pg_query_bool(q, row, FIND_DELETED);
}
#define FIND_PARAMS_MAX 3 /* the search, and a link's key and sub */

/* Appends s with LIKE's wildcards and escape character escaped, between
 * two '%': a pattern matching s anywhere. */
static void like_anywhere(struct buf *out, const char *s)
{
    buf_putc(out, '%');
    for (const char *c = s; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            buf_putc(out, '\\');
        buf_putc(out, *c);
    }
    buf_putc(out, '%');
}

/* A statement under construction and its text parameters. */
struct find_sql {
    struct buf text, pattern; /* pattern: the search's LIKE pattern */
    const char *params[FIND_PARAMS_MAX];
    int n;
};

/* param adds value as the next parameter and returns its number. */
static int param(struct find_sql *f, const char *value)
{
    f->params[f->n] = value;
    return ++f->n;
}

/* A tier or a status, written into a statement as a literal: one of a
 * closed set of plain words (the pages check them against it), so the
 * check here is only that nothing but letters and underscores gets in. */
#define FIND_WORD_MAX 32

static bool plain_word(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    return n > 0 && n <= FIND_WORD_MAX && s[n] == '\0';
}

/* find_where appends "FROM users WHERE ..." with only the conditions qy
 * asks for; with tallied, "FROM user_tallies WHERE ..." with the same
 * conditions on the tallies' columns of the same names (qy has no search:
 * the tallies know nothing of emails and names). The tier and the status
 * are written in as literals: each combination of them is its own
 * statement, whose cached plan knows how many rows the value matches (a
 * rare status takes another index than a common tier). A search's term is
 * a parameter and is planned with its value (plan_per_run). The condition
 * on deleted_at is literal so that the partial indexes of sql/tenant/014
 * serve. False for a filter that is not clean text or not a plain word. */
static bool find_where(struct find_sql *f, const struct users_query *qy, bool tallied,
                       bool *plan_per_run)
{
    const char *q = given_or_null(qy->q), *tier = given_or_null(qy->tier),
               *status = given_or_null(qy->status);
    if (!field_ok(q, false) || (tier && !plain_word(tier)) || (status && !plain_word(status)) ||
        (q && tallied))
        return false;
    bool deleted = status && !strcmp(status, USERS_STATUS_DELETED);
    if (tallied)
        buf_printf(&f->text, " FROM user_tallies WHERE %sdeleted", deleted ? "" : "NOT ");
    else
        buf_printf(&f->text, " FROM users WHERE deleted_at IS %sNULL", deleted ? "NOT " : "");
    if (q) {
        like_anywhere(&f->pattern, q);
        int n = param(f, buf_cstr(&f->pattern));
        buf_printf(&f->text, " AND (email ILIKE $%d ESCAPE '\\' OR name ILIKE $%d ESCAPE '\\')", n,
                   n);
    }
    *plan_per_run = q != NULL;
    if (tier)
        buf_printf(&f->text, " AND tier = '%s'", tier);
    if (status && !deleted)
        buf_printf(&f->text, " AND status = '%s'", status);
    if (qy->mfa >= 0)
        buf_printf(&f->text, " AND %smfa", qy->mfa ? "" : "NOT ");
    if (qy->enabled >= 0)
        buf_printf(&f->text, " AND %senabled", qy->enabled ? "" : "NOT ");
    return true;
}

static void find_init(struct find_sql *f)
{
    memset(f, 0, sizeof *f);
    buf_init(&f->text);
    buf_init(&f->pattern);
}

static void find_free(struct find_sql *f)
{
    buf_free(&f->text);
    buf_free(&f->pattern);
}

/* Fills *out with at most limit users of tenant's mirror matching qy, in
 * qy's order, starting after (or, backward, before) qy's from row; out->more
 * tells whether more rows follow in the direction read. The rows come back
 * in qy's order either way. The page is read from an index whatever its
 * depth (no OFFSET). Returns STORE_OK, STORE_UNAVAILABLE, or STORE_ERROR for
 * a bad argument (an unknown sort, a filter that is not clean text, a key
 * that the sort cannot read: the caller checks keys first). */
enum store_result users_find(const char *tenant, const struct users_query *qy, int limit,
                             struct arena *a, struct users_keyset *out)
{
    struct find_sql f;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    memset(out, 0, sizeof *out);
    find_init(&f);
    pg_query_init(&q);
    bool from = qy->from_key && qy->from_sub;
    if ((unsigned)qy->sort >= USERS_SORTS || limit <= 0 || limit >= INT_MAX ||
        (from && !field_ok(qy->from_key, false)) /* "" is a key: no name */ ||
        (from && !field_ok(qy->from_sub, true)))
        goto out;
    buf_puts(&f.text, "SELECT " FIND_COLUMNS);
    q.binary_results = true;
    if (!find_where(&f, qy, false, &q.plan_per_run))
        goto out;
    /* Reading backward walks the index the other way and flips the rows. */
    bool down = qy->desc != (from && qy->backward);
    const char *key = sorts[qy->sort].expr;
    if (from) {
        int k = param(&f, qy->from_key), sub = param(&f, qy->from_sub);
        buf_printf(&f.text, " AND (%s, sub) %c (%s$%d%s, $%d)", key, down ? '<' : '>',
                   sorts[qy->sort].from_before, k, sorts[qy->sort].from_after, sub);
    }
    /* The limit is written out: a generic plan guesses a parameter's. One
     * more row than the page tells whether there is a next. */
    buf_printf(&f.text, " ORDER BY %s %s, sub %s LIMIT %d", key, down ? "DESC" : "ASC",
               down ? "DESC" : "ASC", limit + 1);
    if (!pg_query_run_tenant(&q, tenant, buf_cstr(&f.text), f.n, f.params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    int n = pg_query_rows(&q);
    out->more = n > limit;
    out->n = n > limit ? limit : n;
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    out->keys = arena_alloc(a, sizeof(*out->keys) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++) {
        int at = from && qy->backward ? out->n - 1 - i : i;
        fill_list_row(&q, i, a, &out->rows[at]);
        out->keys[at] = row_key(&q, i, qy->sort, &out->rows[at], a);
    }
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    find_free(&f);
    return rc;
}

/* Sets *total to the number of users of tenant's mirror matching qy's
 * filters (its sort and from row play no part): without a search, summed
 * from the tallies (a few rows, exact); with one, counted from the trigram
 * indexes. STORE_OK, STORE_UNAVAILABLE or STORE_ERROR (a filter that is not
 * clean text). */
enum store_result users_count(const char *tenant, const struct users_query *qy, long long *total)
{
    struct find_sql f;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    *total = 0;
    find_init(&f);
    pg_query_init(&q);
    bool tallied = given_or_null(qy->q) == NULL;
    buf_puts(&f.text, tallied ? "SELECT coalesce(sum(users), 0)" : "SELECT count(*)");
    if (!find_where(&f, qy, tallied, &q.plan_per_run))
        goto out;
    if (!pg_query_run_tenant(&q, tenant, buf_cstr(&f.text), f.n, f.params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    *total = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    find_free(&f);
    return rc;
}

/* Records whether user sub of tenant has TOTP on, as the enrolment, its
 * removal or a look at Cognito's GetUser just learnt. STORE_OK,
 * STORE_NOT_FOUND (no mirror row), STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_set_mfa(const char *tenant, const char *sub, bool on)
{
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(sub, true))
        return STORE_ERROR;
    const char *const params[] = {sub, on ? "true" : "false"};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant, "UPDATE users SET mfa = $2::boolean WHERE sub = $1", 2,
                             params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Fills *out with at most limit rows of tenant's mirror (deleted or not)
 * whose sub sorts after after_sub (NULL: from the first), in sub order: the
 * way `users sync` reads the whole mirror, each batch from the primary key
 * whatever its depth. out->total is not counted (0). STORE_OK,
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_batch_by_sub(const char *tenant, const char *after_sub, int limit,
                                     struct arena *a, struct users_page *out)
{
    char lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    memset(out, 0, sizeof *out);
    pg_query_init(&q);
    if (limit <= 0 || !field_ok(after_sub, false))
        goto out;
    /* Two texts, so that each one's cached plan walks the primary key. */
    const char *const first[] = {pg_num_text(lim, limit)};
    const char *const next[] = {after_sub, lim};
    if (!(after_sub ? pg_query_run_tenant(&q, tenant,
                                          "SELECT " USER_COLUMNS " FROM users WHERE sub > $1"
                                          " ORDER BY sub LIMIT $2::bigint",
                                          2, next)
                    : pg_query_run_tenant(&q, tenant,
                                          "SELECT " USER_COLUMNS " FROM users"
                                          " ORDER BY sub LIMIT $1::bigint",
                                          1, first))) {
        rc = pg_store_result(&q);
        goto out;
    }
    out->n = pg_query_rows(&q);
    out->rows = arena_alloc(a, sizeof(*out->rows) * (size_t)(out->n ? out->n : 1));
    for (int i = 0; i < out->n; i++)
        fill_row(&q, i, a, &out->rows[i]);
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* Deletes the mirror row of sub in tenant, for a user Cognito no longer
 * has, unless the row was written at or after before (the start of the
 * listing that missed it: a user who signed up meanwhile stays). Returns
 * STORE_OK when it deleted the row, STORE_NOT_FOUND when there was none to
 * delete, STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_delete_unseen(const char *tenant, const char *sub, time_t before)
{
    enum store_result rc = run_for_sub(
        tenant, "DELETE FROM users WHERE sub = $1 AND updated_at < to_timestamp($2::bigint)", sub,
        before);
    if (rc == STORE_OK)
        revoked_forget_user(tenant, sub);
    return rc;
}

/* Marks user sub's mirror row deleted at now (the person deleted their
 * account): the row stays, for the admins and the audit, but no longer
 * holds its email against a new sign-up (sql/tenant/012). STORE_OK,
 * STORE_NOT_FOUND (no row), STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_mark_deleted(const char *tenant, const char *sub, time_t now)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(sub, true))
        return STORE_ERROR;
    const char *const params[] = {sub, pg_num_text(at, now)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE users SET deleted_at = to_timestamp($2::bigint),"
                             " enabled = false, status = 'DELETED',"
                             " updated_at = to_timestamp($2::bigint) WHERE sub = $1",
                             2, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    revoked_forget_user(tenant, sub);
    return rc;
}

/* Sets user sub's enabled flag, and its status unless status is NULL, as
 * an admin's action left them at Cognito (a deleted row is left alone: it
 * is no account any more). STORE_OK, STORE_NOT_FOUND (no live row: the
 * next sync or sign-in writes it), STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_set_account(const char *tenant, const char *sub, bool enabled,
                                    const char *status, time_t now)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(sub, true) || !field_ok(status, false))
        return STORE_ERROR;
    const char *const params[] = {sub, enabled ? "true" : "false", status, pg_num_text(at, now)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE users SET enabled = $2::boolean,"
                             " status = coalesce($3, status),"
                             " updated_at = to_timestamp($4::bigint)"
                             " WHERE sub = $1 AND deleted_at IS NULL",
                             4, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Sets user sub's name at now; a single statement, so it joins the
 * caller's transaction. STORE_OK, STORE_NOT_FOUND (no live row),
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result users_set_name(const char *tenant, const char *sub, const char *name, time_t now)
{
    char at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!field_ok(sub, true) || !field_ok(name, true))
        return STORE_ERROR;
    const char *const params[] = {sub, name, pg_num_text(at, now)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "UPDATE users SET name = $2, updated_at = to_timestamp($3::bigint)"
                             " WHERE sub = $1 AND deleted_at IS NULL",
                             3, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}
