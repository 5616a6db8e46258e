/* SPDX-License-Identifier: MIT */
/* sessions: browser sessions in gatehouse.sessions (see sessions.h).
 *
 * Identity: the cookie value is 32 random bytes in base64url. The table is
 * keyed by SHA-256 of those bytes, so a copy of the table (a backup, a
 * replica, a log of statements) lets nobody in. A cookie of the wrong shape
 * is "not found" before any database work: garbage costs nothing.
 *
 * Secrets: the refresh token (valid for days, and able to mint new access
 * tokens) and the id and access tokens (bearer tokens for an hour) are
 * sealed with AES-256-GCM under SESSION_KEY, with the id hash as associated
 * data so a ciphertext copied into another row does not open: a copy of the
 * table authenticates nowhere.
 *
 * Two loads: the page path (sess_load) reads only the small columns a page
 * shows or checks. The tokens are kilobytes each, which PostgreSQL stores
 * out of line (TOAST): fetching them would add an index probe, a decompression
 * and kilobytes of copying to every page view, for the few requests that use
 * them (a refresh, a password change, a logout). Those call sess_load_tokens,
 * which opens the id and access tokens into the arena; only
 * sess_refresh_token opens the refresh token, into the caller's buffer.
 * What the account page shows from the id token (the custom attributes) is
 * kept beside it, small, as `attributes`.
 *
 * The page path's cache: a live session is kept in the pool-wide shcache
 * (SHCACHE_SESSIONS, keyed by the id hash) for up to SESSION_TOUCH_S, so a
 * browser's pages in the same minute cost no query. Every statement that
 * ends or changes a session evicts it after it ran (by id hash, or by
 * "<tenant>/<sub>" for a user's sessions), before the caller answers: a
 * logout in one worker stops the cookie in every worker of the pool.
 *
 * Lifetimes: each row has an idle and an absolute deadline; sess_load checks
 * both in SQL and slides the idle one, but writes at most once per
 * SESSION_TOUCH_S (see sess_load). All times come from the caller's `now`,
 * which keeps the rules testable. Every statement is parameterised.
 *
 * Ownership: loaded strings and arrays are allocated from the caller's arena
 * and die with it; nothing here needs freeing. The worker's copy of the key
 * is set once by sess_init_worker before threads start and wiped at cleanup. */
#include "store/sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/shcache.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "store/pg.h"
#include "store/sealed.h"

#define HASH_HEX_LEN (2 * SEAL_SHA256_BYTES)
#define CSRF_HEX_LEN (2 * SESS_CSRF_SECRET_BYTES)
#define USER_AGENT_MAX 512   /* bytes of User-Agent kept for the account page */
#define CLIENT_ADDR_MAX 64   /* an IPv6 address with zone, or "unix:" */
#define SWEEP_BATCH 1000     /* rows per DELETE: keeps each statement short */
#define UTF8_CONTINUATION(c) (((unsigned char)(c) & 0xC0) == 0x80)

/* Seconds since the epoch of a timestamptz column, as text. */
#define EPOCH(col) "extract(epoch FROM " col ")::bigint"

/* ---- helpers ------------------------------------------------------------ */

static const char *arena_copy(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

/* Turns a cookie value into the table key. Anything but 43 canonical
 * base64url characters is refused, so one session has one spelling. */
static bool cookie_to_hash(const char *cookie, unsigned char hash[SEAL_SHA256_BYTES])
{
    unsigned char raw[SESS_ID_BYTES];
    size_t n = 0;
    bool ok;

    if (!cookie || strnlen(cookie, SESS_ID_LEN + 1) != SESS_ID_LEN)
        return false;
    ok = seal_b64url_decode(cookie, SESS_ID_LEN, raw, sizeof raw, &n) && n == sizeof raw;
    if (ok)
        seal_sha256(raw, sizeof raw, hash);
    seal_wipe(raw, sizeof raw);
    return ok;
}

/* A text field the database will take: clean text of at most
 * SESSION_FIELD_MAX bytes (pg_field_ok). NULL passes unless required. */
static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, SESSION_FIELD_MAX, required);
}

/* Request headers are whatever the client sent. Keep at most max bytes
 * (cut on a character boundary) of a clean value, and nothing of a value
 * that is not clean text: a strange User-Agent must never fail a login. */
static const char *clean_header(struct arena *a, const char *s, size_t max)
{
    size_t n;

    if (!s)
        return NULL;
    n = strnlen(s, max + 1);
    if (n > max) {
        n = max;
        while (n > 0 && UTF8_CONTINUATION(s[n]))
            n--;
    }
    if (!utf8_valid(s, n) || utf8_has_control(s, n))
        return NULL;
    return arena_strndup(a, s, n);
}

/* The groups as a JSON array of strings (the statements turn it into the
 * text[] column), or NULL when there are too many or one is not clean text.
 * JSON rather than an array literal: its quoting is json-c's problem, and
 * group names may hold commas, quotes and braces. The caller frees it. */
static char *groups_json(const char *const *groups, size_t n)
{
    struct json_object *arr;
    char *text = NULL;

    if (n > SESSION_GROUPS_MAX || (n && !groups))
        return NULL;
    arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        if (!field_ok(groups[i], true))
            goto out;
        json_object_array_add(arr, json_object_new_string(groups[i]));
    }
    text = xstrdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
out:
    json_object_put(arr);
    return text;
}

/* Fills s->groups from the JSON text of a text[] column. */
static bool parse_groups(struct arena *a, const char *json, struct sess_session *s)
{
    struct json_object *arr = json_tokener_parse(json);
    size_t n;
    bool ok = false;

    s->groups = NULL;
    s->ngroups = 0;
    if (!arr || !json_object_is_type(arr, json_type_array))
        goto out;
    n = json_object_array_length(arr);
    if (n > SESSION_GROUPS_MAX)
        goto out;
    s->groups = arena_alloc(a, (n ? n : 1) * sizeof *s->groups);
    for (size_t i = 0; i < n; i++) {
        struct json_object *g = json_object_array_get_idx(arr, i);
        if (!json_object_is_type(g, json_type_string))
            goto out;
        s->groups[s->ngroups++] = arena_strdup(a, json_object_get_string(g));
    }
    ok = true;
out:
    json_object_put(arr);
    return ok;
}

static void copy_groups(struct arena *a, struct sess_session *s,
                        const char *const *groups, size_t n)
{
    s->groups = arena_alloc(a, (n ? n : 1) * sizeof *s->groups);
    s->ngroups = n;
    for (size_t i = 0; i < n; i++)
        s->groups[i] = arena_strdup(a, groups[i]);
}

static bool tokens_ok(const struct sess_tokens *t)
{
    return field_ok(t->id_token, false) && field_ok(t->access_token, false) &&
           field_ok(t->refresh_token, false) && field_ok(t->attributes, false) &&
           t->access_expires_at >= 0;
}

/* tokens_given is true when t carries a token to seal. */
static bool tokens_given(const struct sess_tokens *t)
{
    return t->id_token || t->access_token || t->refresh_token;
}

/* ---- the cache ---------------------------------------------------------- */

/* A cached session: this header, then its strings, each NUL-terminated: sub,
 * email, name (if CACHED_NAME), tier, attributes (if CACHED_ATTRIBUTES), then
 * ngroups groups. */
struct cached_session {
    long long tenant_id;
    time_t access_expires_at, created_at, last_seen_at, idle_expires_at, absolute_expires_at;
    unsigned char csrf_secret[SESS_CSRF_SECRET_BYTES];
    unsigned ngroups;
    bool remember;
    unsigned char present; /* CACHED_NAME | CACHED_ATTRIBUTES */
};
#define CACHED_NAME 1
#define CACHED_ATTRIBUTES 2

static void owner_of(char out[SHCACHE_OWNER_MAX], long long tenant_id, const char *sub)
{
    snprintf(out, SHCACHE_OWNER_MAX, "%lld/%s", tenant_id, sub);
}

/* pack flattens s into out; 0 when it does not fit. */
static size_t pack(const struct sess_session *s, unsigned char *out, size_t cap)
{
    struct cached_session h = {
        .tenant_id = s->tenant_id, .access_expires_at = s->access_expires_at,
        .created_at = s->created_at, .last_seen_at = s->last_seen_at,
        .idle_expires_at = s->idle_expires_at, .absolute_expires_at = s->absolute_expires_at,
        .ngroups = (unsigned)s->ngroups, .remember = s->remember,
        .present = (s->name ? CACHED_NAME : 0) | (s->attributes ? CACHED_ATTRIBUTES : 0),
    };
    size_t at = sizeof h;
    if (cap < sizeof h)
        return 0;
    memcpy(h.csrf_secret, s->csrf_secret, sizeof h.csrf_secret);
    memcpy(out, &h, sizeof h);
    if (!shcache_pack_string(out, cap, &at, s->sub) ||
        !shcache_pack_string(out, cap, &at, s->email) ||
        (s->name && !shcache_pack_string(out, cap, &at, s->name)) ||
        !shcache_pack_string(out, cap, &at, s->tier) ||
        (s->attributes && !shcache_pack_string(out, cap, &at, s->attributes)))
        return 0;
    for (size_t i = 0; i < s->ngroups; i++)
        if (!shcache_pack_string(out, cap, &at, s->groups[i]))
            return 0;
    return at;
}

/* unpack fills s from a packed value; false when it is malformed. */
static bool unpack(const unsigned char *in, size_t len, struct arena *a, struct sess_session *s)
{
    struct cached_session h;
    size_t at = sizeof h;
    if (len < sizeof h)
        return false;
    memcpy(&h, in, sizeof h);
    if (h.ngroups > SESSION_GROUPS_MAX)
        return false;
    s->tenant_id = h.tenant_id;
    s->access_expires_at = h.access_expires_at;
    s->created_at = h.created_at;
    s->last_seen_at = h.last_seen_at;
    s->idle_expires_at = h.idle_expires_at;
    s->absolute_expires_at = h.absolute_expires_at;
    s->remember = h.remember;
    memcpy(s->csrf_secret, h.csrf_secret, sizeof s->csrf_secret);
    if (!(s->sub = shcache_unpack_string(in, len, &at, a)) ||
        !(s->email = shcache_unpack_string(in, len, &at, a)) ||
        ((h.present & CACHED_NAME) && !(s->name = shcache_unpack_string(in, len, &at, a))) ||
        !(s->tier = shcache_unpack_string(in, len, &at, a)) ||
        ((h.present & CACHED_ATTRIBUTES) &&
         !(s->attributes = shcache_unpack_string(in, len, &at, a))))
        return false;
    s->groups = arena_alloc(a, (h.ngroups ? h.ngroups : 1) * sizeof *s->groups);
    for (s->ngroups = 0; s->ngroups < h.ngroups; s->ngroups++)
        if (!(s->groups[s->ngroups] = shcache_unpack_string(in, len, &at, a)))
            return false;
    return true;
}

/* from_cache fills out from the cache when the session is there, of this
 * tenant, live at now and not due for its idle slide. */
static bool from_cache(const unsigned char hash[SEAL_SHA256_BYTES], long long tenant_id,
                       time_t now, struct arena *a, struct sess_session *out)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    size_t len = 0;
    if (!shcache_get(SHCACHE_SESSIONS, hash, now, SESSION_TOUCH_S, packed, sizeof packed, &len))
        return false;
    if (!unpack(packed, len, a, out) || out->tenant_id != tenant_id ||
        out->idle_expires_at <= now || out->absolute_expires_at <= now ||
        now - out->last_seen_at >= SESSION_TOUCH_S) {
        memset(out, 0, sizeof *out);
        return false;
    }
    return true;
}

static void to_cache(const struct sess_session *s, uint64_t epoch, time_t now)
{
    unsigned char packed[SHCACHE_VALUE_MAX];
    char owner[SHCACHE_OWNER_MAX];
    size_t len = pack(s, packed, sizeof packed);
    if (!len)
        return;
    owner_of(owner, s->tenant_id, s->sub);
    shcache_put(SHCACHE_SESSIONS, s->id_hash, epoch, now, owner, packed, len);
}

static void forget_user(long long tenant_id, const char *sub)
{
    char owner[SHCACHE_OWNER_MAX];
    owner_of(owner, tenant_id, sub);
    shcache_forget_owner(SHCACHE_SESSIONS, owner);
}

/* ---- life cycle --------------------------------------------------------- */

/* Keeps a copy of SESSION_KEY for sealing and opening tokens (store/sealed).
 * Call it once per process before the threads start. Until it is called
 * every function that needs the key answers STORE_ERROR. */
void sess_init_worker(const unsigned char key[SEAL_KEY_BYTES])
{
    sealed_init_worker(key);
}

/* Wipes the key copy; the functions needing it then fail again. */
void sess_cleanup_worker(void)
{
    sealed_cleanup_worker();
}

/* ---- create, load ------------------------------------------------------- */

static const char create_sql[] =
    "INSERT INTO gatehouse.sessions (id_hash, tenant_id, user_sub, email, name,"
    " groups, tier, id_token_enc, access_token_enc, access_expires_at, refresh_token_enc,"
    " csrf_secret, remember, user_agent, client_addr, created_at, last_seen_at,"
    " idle_expires_at, absolute_expires_at, attributes)"
    " VALUES (decode($1, 'hex'), $2::bigint, $3, $4, $5,"
    " ARRAY(SELECT json_array_elements_text($6::json)), $7, decode($8, 'hex'),"
    " decode($9, 'hex'),"
    " to_timestamp($10::bigint), decode($11, 'hex'), decode($12, 'hex'),"
    " $13::boolean, $14, $15, to_timestamp($16::bigint), to_timestamp($16::bigint),"
    " to_timestamp($17::bigint), to_timestamp($18::bigint), $19)";

#define DEFAULT_TIER "standard"

/* Starts a session for a user who just signed in to tenant in->tenant_id:
 * a fresh id (a new one at every login, so an id planted before login is
 * worthless), a fresh CSRF secret, the refresh token sealed, the deadlines
 * from now (SESSION_ABSOLUTE_S and SESSION_IDLE_S, or their remember-me
 * forms). On STORE_OK, id holds the cookie value (43 characters and a NUL;
 * a secret: never log it) and *out the session, its strings in a. Otherwise
 * id is "" and *out zeroed: STORE_ERROR for a missing sub or email, a field
 * that is not clean text or is over SESSION_FIELD_MAX, more than
 * SESSION_GROUPS_MAX groups, a tier the table refuses, a refresh token with
 * no key (sess_init_worker) or a random-source failure; STORE_UNAVAILABLE
 * when PostgreSQL cannot be reached. */
enum store_result sess_create(const struct sess_new *in, time_t now, struct arena *a,
                              char id[SESS_ID_LEN + 1], struct sess_session *out)
{
    unsigned char raw_id[SESS_ID_BYTES], hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], csrf_hex[CSRF_HEX_LEN + 1];
    char tenant[NUM_TEXT_MAX], access_exp[NUM_TEXT_MAX], created[NUM_TEXT_MAX];
    char idle[NUM_TEXT_MAX], absolute[NUM_TEXT_MAX];
    char *groups = NULL, *refresh_hex = NULL, *id_hex = NULL, *access_hex = NULL;
    bool seal_failed = false;
    const char *tier = in->tier ? in->tier : DEFAULT_TIER;
    time_t absolute_at, idle_at;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    pg_query_init(&q);
    memset(out, 0, sizeof *out);
    id[0] = '\0';
    if (in->tenant_id <= 0 || now <= 0 || !field_ok(in->sub, true) ||
        !field_ok(in->email, true) || !field_ok(in->name, false) || !field_ok(tier, true) ||
        !tokens_ok(&in->tokens) || (tokens_given(&in->tokens) && !sealed_ready()) ||
        !(groups = groups_json(in->groups, in->ngroups)))
        goto out;
    if (seal_random(raw_id, sizeof raw_id) != 0 ||
        seal_random(out->csrf_secret, sizeof out->csrf_secret) != 0)
        goto out;
    seal_sha256(raw_id, sizeof raw_id, hash);
    refresh_hex = sealed_hex(in->tokens.refresh_token, hash, a, &out->refresh_sealed,
                             &out->refresh_sealed_len, &seal_failed);
    id_hex = sealed_hex(in->tokens.id_token, hash, a, NULL, NULL, &seal_failed);
    access_hex = sealed_hex(in->tokens.access_token, hash, a, NULL, NULL, &seal_failed);
    if (seal_failed)
        goto out;

    absolute_at = now + (in->remember ? SESSION_REMEMBER_S : SESSION_ABSOLUTE_S);
    idle_at = now + (in->remember ? SESSION_REMEMBER_IDLE_S : SESSION_IDLE_S);
    if (idle_at > absolute_at)
        idle_at = absolute_at;
    {
        const char *user_agent = clean_header(a, in->user_agent, USER_AGENT_MAX);
        const char *client_addr = clean_header(a, in->client_addr, CLIENT_ADDR_MAX);
        const char *const params[] = {
            hex_encode(hash, sizeof hash, hash_hex),
            pg_num_text(tenant, in->tenant_id),
            in->sub,
            in->email,
            in->name,
            groups,
            tier,
            id_hex,
            access_hex,
            in->tokens.access_expires_at ? pg_num_text(access_exp, in->tokens.access_expires_at)
                                            : NULL,
            refresh_hex,
            hex_encode(out->csrf_secret, sizeof out->csrf_secret, csrf_hex),
            in->remember ? "true" : "false",
            user_agent,
            client_addr,
            pg_num_text(created, now),
            pg_num_text(idle, idle_at),
            pg_num_text(absolute, absolute_at),
            in->tokens.attributes,
        };
        if (!pg_query_run(&q, create_sql, sizeof params / sizeof params[0], params)) {
            /* A duplicate id hash would mean a broken random source. */
            rc = pg_store_result(&q);
            goto out;
        }
    }
    seal_b64url_encode(raw_id, sizeof raw_id, id, SESS_ID_LEN + 1);
    out->tenant_id = in->tenant_id;
    out->sub = arena_strdup(a, in->sub);
    out->email = arena_strdup(a, in->email);
    out->name = arena_copy(a, in->name);
    out->tier = arena_strdup(a, tier);
    copy_groups(a, out, in->groups, in->ngroups);
    out->attributes = arena_copy(a, in->tokens.attributes);
    out->id_token = arena_copy(a, in->tokens.id_token);
    out->access_token = arena_copy(a, in->tokens.access_token);
    out->access_expires_at = in->tokens.access_expires_at;
    out->remember = in->remember;
    out->created_at = out->last_seen_at = now;
    out->idle_expires_at = idle_at;
    out->absolute_expires_at = absolute_at;
    memcpy(out->id_hash, hash, sizeof hash);
    rc = STORE_OK;
out:
    if (rc != STORE_OK)
        memset(out, 0, sizeof *out);
    seal_wipe(raw_id, sizeof raw_id);
    pg_query_cleanup(&q);
    free(groups);
    free(refresh_hex);
    free(id_hex);
    free(access_hex);
    return rc;
}

/* The page path: one statement, one round trip, one primary-key probe to
 * find the row (hit) and, only when it was last touched SESSION_TOUCH_S or
 * more ago, a second to slide it (slid). Sliding on every request would turn
 * every page view into a write: WAL, a dead tuple for vacuum, new entries in
 * the idle-expiry index (so not even a HOT update), and row-lock waits
 * between a user's parallel requests. Writing at most once a minute keeps
 * nearly every page read-only; the price is an idle deadline up to a minute
 * early, nothing against a 30-minute timeout. The UPDATE makes this a
 * writing statement: it must run on the primary, never a read replica. */
/* The lookup every signed-in page makes: one row by primary key, checked
 * against the tenant and both deadlines, read-only so that it can run as a
 * prepared plan with nothing to lock. */
static const char load_sql[] =
    "SELECT user_sub, email, name, tier, array_to_json(groups)::text, attributes,"
    " " EPOCH("access_expires_at") ", encode(csrf_secret, 'hex'),"
    " remember, " EPOCH("created_at") ", " EPOCH("last_seen_at") ","
    " " EPOCH("idle_expires_at") ", " EPOCH("absolute_expires_at")
    " FROM gatehouse.sessions"
    " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint"
    "  AND idle_expires_at > to_timestamp($3::bigint)"
    "  AND absolute_expires_at > to_timestamp($3::bigint)";

/* Sliding the idle deadline, at most once per SESSION_TOUCH_S for a
 * session: a write on every page would cost a row version, WAL and vacuum
 * for a deadline that moves by seconds. The deadline is therefore up to
 * SESSION_TOUCH_S early, which is the price of the saving. */
static const char touch_sql[] =
    "UPDATE gatehouse.sessions SET last_seen_at = to_timestamp($3::bigint),"
    " idle_expires_at = least(to_timestamp($3::bigint + CASE WHEN remember"
    "  THEN $5::bigint ELSE $4::bigint END), absolute_expires_at)"
    " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint"
    " RETURNING " EPOCH("last_seen_at") ", " EPOCH("idle_expires_at");

enum load_col {
    COL_SUB, COL_EMAIL, COL_NAME, COL_TIER, COL_GROUPS, COL_ATTRIBUTES, COL_ACCESS_EXPIRES,
    COL_CSRF, COL_REMEMBER, COL_CREATED, COL_LAST_SEEN, COL_IDLE_EXPIRES,
    COL_ABSOLUTE_EXPIRES,
};

static const char *text_col(const struct pg_query *q, struct arena *a, int c)
{
    return pg_query_is_null(q, 0, c) ? NULL : arena_strdup(a, pg_query_value(q, 0, c));
}

static time_t time_col(const struct pg_query *q, enum load_col c)
{
    return pg_query_is_null(q, 0, c) ? 0 : (time_t)strtoll(pg_query_value(q, 0, c), NULL, 10);
}

/* Fills s from load_sql's row. False when a stored value is malformed. */
static bool read_row(const struct pg_query *q, struct arena *a, struct sess_session *s)
{
    s->sub = text_col(q, a, COL_SUB);
    s->email = text_col(q, a, COL_EMAIL);
    s->name = text_col(q, a, COL_NAME);
    s->tier = text_col(q, a, COL_TIER);
    s->attributes = text_col(q, a, COL_ATTRIBUTES);
    s->access_expires_at = time_col(q, COL_ACCESS_EXPIRES);
    s->remember = pg_query_bool(q, 0, COL_REMEMBER);
    s->created_at = time_col(q, COL_CREATED);
    s->last_seen_at = time_col(q, COL_LAST_SEEN);
    s->idle_expires_at = time_col(q, COL_IDLE_EXPIRES);
    s->absolute_expires_at = time_col(q, COL_ABSOLUTE_EXPIRES);
    if (!parse_groups(a, pg_query_value(q, 0, COL_GROUPS), s) ||
        !hex_decode(pg_query_value(q, 0, COL_CSRF), pg_query_len(q, 0, COL_CSRF),
                    s->csrf_secret, sizeof s->csrf_secret))
        return false;
    return true;
}

/* Finds the live session whose cookie value is `cookie` in tenant tenant_id
 * at time now, and slides its idle deadline when due (see touch_sql). Returns STORE_OK
 * with *out filled (strings in a); STORE_NOT_FOUND when the cookie is
 * malformed (no database work is done), unknown, of another tenant, or past
 * either deadline; STORE_UNAVAILABLE when PostgreSQL cannot be reached (the
 * caller answers 503 rather than treating the user as signed out); STORE_ERROR
 * for a stored row that cannot be read. *out is zeroed unless STORE_OK. */
enum store_result sess_load(const char *cookie, long long tenant_id, time_t now,
                            struct arena *a, struct sess_session *out)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX];
    char idle[NUM_TEXT_MAX], remember_idle[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;

    pg_query_init(&q);
    memset(out, 0, sizeof *out);
    if (tenant_id <= 0 || !cookie_to_hash(cookie, hash))
        goto out;
    if (from_cache(hash, tenant_id, now, a, out)) {
        memcpy(out->id_hash, hash, sizeof hash);
        rc = STORE_OK;
        goto out;
    }
    uint64_t epoch = shcache_epoch(SHCACHE_SESSIONS);
    const char *const params[] = {
        hex_encode(hash, sizeof hash, hash_hex), pg_num_text(tenant, tenant_id),
        pg_num_text(at, now), pg_num_text(idle, SESSION_IDLE_S),
        pg_num_text(remember_idle, SESSION_REMEMBER_IDLE_S),
    };
    if (!pg_query_run(&q, load_sql, 3, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1)
        goto out;
    if (!read_row(&q, a, out)) {
        rc = STORE_ERROR;
        goto out;
    }
    if (now - out->last_seen_at >= SESSION_TOUCH_S) {
        /* A failed slide is not a failed page: the session is valid now,
         * and the next page tries again. */
        pg_query_cleanup(&q);
        pg_query_init(&q);
        if (pg_query_run(&q, touch_sql, sizeof params / sizeof params[0], params) &&
            pg_query_rows(&q) == 1) {
            out->last_seen_at = (time_t)strtoll(pg_query_value(&q, 0, 0), NULL, 10);
            out->idle_expires_at = (time_t)strtoll(pg_query_value(&q, 0, 1), NULL, 10);
        }
    }
    out->tenant_id = tenant_id;
    memcpy(out->id_hash, hash, sizeof hash);
    to_cache(out, epoch, now);
    rc = STORE_OK;
out:
    if (rc != STORE_OK)
        memset(out, 0, sizeof *out);
    pg_query_cleanup(&q);
    return rc;
}

static const char load_tokens_sql[] =
    "SELECT encode(id_token_enc, 'hex'), encode(access_token_enc, 'hex'),"
    " encode(refresh_token_enc, 'hex')"
    " FROM gatehouse.sessions WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint";

/* Adds the stored tokens to s, a session from sess_load: the id and access
 * tokens (strings in a) and the sealed refresh token for sess_refresh_token.
 * Returns STORE_OK, STORE_NOT_FOUND when the row is gone (a logout in another
 * tab), STORE_UNAVAILABLE, or STORE_ERROR for a stored value that cannot be
 * read. s is left as it was unless STORE_OK. */
enum store_result sess_load_tokens(struct sess_session *s, struct arena *a)
{
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;
    unsigned char *sealed = NULL;
    size_t sealed_len = 0;

    pg_query_init(&q);
    const char *const params[] = {hex_encode(s->id_hash, sizeof s->id_hash, hash_hex),
                                  pg_num_text(tenant, s->tenant_id)};
    if (!pg_query_run(&q, load_tokens_sql, 2, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    if (pg_query_rows(&q) != 1)
        goto out;
    if (!pg_query_is_null(&q, 0, 2)) {
        size_t hex_len = pg_query_len(&q, 0, 2);
        sealed_len = hex_len / 2;
        sealed = arena_alloc(a, sealed_len + 1);
        if (!hex_decode(pg_query_value(&q, 0, 2), hex_len, sealed, sealed_len)) {
            rc = STORE_ERROR;
            goto out;
        }
    }
    const char *id_token, *access_token;
    if (!sealed_open_column(&q, 0, s->id_hash, a, &id_token) ||
        !sealed_open_column(&q, 1, s->id_hash, a, &access_token)) {
        rc = STORE_ERROR;
        goto out;
    }
    s->id_token = id_token;
    s->access_token = access_token;
    s->refresh_sealed = sealed;
    s->refresh_sealed_len = sealed_len;
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* ---- updates ------------------------------------------------------------ */

static const char update_tokens_sql[] =
    "UPDATE gatehouse.sessions SET id_token_enc = coalesce(decode($3, 'hex'), id_token_enc),"
    " access_token_enc = coalesce(decode($4, 'hex'), access_token_enc),"
    " access_expires_at = CASE WHEN $4 IS NULL THEN access_expires_at"
    "  ELSE to_timestamp($5::bigint) END,"
    " refresh_token_enc = coalesce(decode($6, 'hex'), refresh_token_enc),"
    " attributes = coalesce($7, attributes)"
    " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint";

/* Stores the tokens of a refresh (REFRESH_TOKEN_AUTH) in session s: each
 * token that is not NULL replaces the stored one (the access expiry goes with
 * the access token); a new refresh token, when Cognito rotates it, is sealed
 * like the first. On STORE_OK s is updated too, its strings copied into a.
 * STORE_NOT_FOUND: the session was deleted meanwhile (say, a logout in another
 * tab); STORE_UNAVAILABLE; STORE_ERROR for a field that is not clean text or a
 * refresh token with no key. */
enum store_result sess_update_tokens(struct sess_session *s, struct arena *a,
                                     const struct sess_tokens *t)
{
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], access_exp[NUM_TEXT_MAX];
    struct sess_session sealed_into = {0};
    char *refresh_hex = NULL, *id_hex = NULL, *access_hex = NULL;
    bool seal_failed = false;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    pg_query_init(&q);
    if (!tokens_ok(t) || (tokens_given(t) && !sealed_ready()))
        goto out;
    refresh_hex = sealed_hex(t->refresh_token, s->id_hash, a, &sealed_into.refresh_sealed,
                             &sealed_into.refresh_sealed_len, &seal_failed);
    id_hex = sealed_hex(t->id_token, s->id_hash, a, NULL, NULL, &seal_failed);
    access_hex = sealed_hex(t->access_token, s->id_hash, a, NULL, NULL, &seal_failed);
    if (seal_failed)
        goto out;
    const char *const params[] = {
        hex_encode(s->id_hash, sizeof s->id_hash, hash_hex),
        pg_num_text(tenant, s->tenant_id),
        id_hex,
        access_hex,
        t->access_expires_at ? pg_num_text(access_exp, t->access_expires_at) : NULL,
        refresh_hex,
        t->attributes,
    };
    if (!pg_query_run(&q, update_tokens_sql, sizeof params / sizeof params[0], params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    shcache_forget(SHCACHE_SESSIONS, s->id_hash);
    if (pg_query_affected(&q) != 1) {
        rc = STORE_NOT_FOUND;
        goto out;
    }
    if (t->id_token)
        s->id_token = arena_strdup(a, t->id_token);
    if (t->attributes)
        s->attributes = arena_strdup(a, t->attributes);
    if (t->access_token) {
        s->access_token = arena_strdup(a, t->access_token);
        s->access_expires_at = t->access_expires_at;
    }
    if (refresh_hex) {
        s->refresh_sealed = sealed_into.refresh_sealed;
        s->refresh_sealed_len = sealed_into.refresh_sealed_len;
    }
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    free(refresh_hex);
    free(id_hex);
    free(access_hex);
    return rc;
}

static const char update_profile_sql[] =
    "UPDATE gatehouse.sessions SET name = coalesce($3, name), tier = coalesce($4, tier),"
    " groups = CASE WHEN $5::json IS NULL THEN groups"
    "  ELSE ARRAY(SELECT json_array_elements_text($5::json)) END,"
    " email = coalesce($6, email)"
    " WHERE tenant_id = $1::bigint AND user_sub = $2";

/* Applies a profile change (a new tier after an admin's decision, new
 * groups, a new name) to every session of user sub in tenant_id, so their
 * next page shows it without signing in again. Fields of p that are NULL,
 * and the groups unless p->set_groups, stay as they are. Returns STORE_OK
 * (also when the user has no session), STORE_UNAVAILABLE, or STORE_ERROR for
 * a field that is not clean text, too many groups, or a tier the table
 * refuses. Loaded copies in memory are the caller's to update. */
enum store_result sess_update_profile(long long tenant_id, const char *sub,
                                      const struct sess_profile *p)
{
    char tenant[NUM_TEXT_MAX], *groups = NULL;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    pg_query_init(&q);
    if (tenant_id <= 0 || !field_ok(sub, true) || !field_ok(p->name, false) ||
        !field_ok(p->tier, false) || !field_ok(p->email, false) ||
        (p->set_groups && !(groups = groups_json(p->groups, p->ngroups))))
        goto out;
    const char *const params[] = {pg_num_text(tenant, tenant_id), sub, p->name, p->tier,
                                  groups, p->email};
    rc = pg_query_run(&q, update_profile_sql, sizeof params / sizeof params[0], params)
             ? STORE_OK
             : pg_store_result(&q);
    forget_user(tenant_id, sub);
out:
    pg_query_cleanup(&q);
    free(groups);
    return rc;
}

/* ---- the refresh token -------------------------------------------------- */

/* Opens s's sealed refresh token (loaded by sess_load_tokens) into out
 * (outlen bytes, NUL-terminated).
 * Returns STORE_OK; STORE_NOT_FOUND when the session has none; STORE_ERROR when
 * it does not fit, there is no key, or it fails to open (another key, a row
 * tampered with, a ciphertext moved from another session). No database work.
 *
 * The caller must seal_wipe(out, outlen) as soon as the Cognito call that
 * needs it is made. The token is good for days and mints new access tokens,
 * while a worker's memory can outlive the request: a reused stack or arena,
 * a core dump, swap. Here the plaintext exists only in out: it is decrypted
 * in place in a scratch buf that is wiped before returning. */
enum store_result sess_refresh_token(const struct sess_session *s, char *out,
                                     size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    if (!s->refresh_sealed)
        return STORE_NOT_FOUND;
    return sealed_open(s->refresh_sealed, s->refresh_sealed_len, s->id_hash, out, outlen)
               ? STORE_OK
               : STORE_ERROR;
}

/* ---- deletion ----------------------------------------------------------- */

/* Ends the session whose cookie value is `cookie` in tenant_id (logout).
 * Returns STORE_OK when a row was deleted, STORE_NOT_FOUND when there was none
 * (or the cookie is malformed: no database work), STORE_UNAVAILABLE or
 * STORE_ERROR. An expired row is deleted too: logout must always work. */
enum store_result sess_delete(const char *cookie, long long tenant_id)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;

    pg_query_init(&q);
    if (tenant_id <= 0 || !cookie_to_hash(cookie, hash))
        goto out;
    const char *const params[] = {hex_encode(hash, sizeof hash, hash_hex),
                                  pg_num_text(tenant, tenant_id)};
    if (!pg_query_run(&q,
                      "DELETE FROM gatehouse.sessions"
                      " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint",
                      2, params))
        rc = pg_store_result(&q);
    else if (pg_query_affected(&q) == 1)
        rc = STORE_OK;
    shcache_forget(SHCACHE_SESSIONS, hash);
out:
    pg_query_cleanup(&q);
    return rc;
}

/* Ends every session of user sub in tenant_id except keep (may be NULL):
 * after a password change (keep = the session that changed it), or when an
 * admin disables the user (keep = NULL). *deleted (may be NULL) gets the
 * number of rows deleted. Returns STORE_OK, STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result sess_delete_user(long long tenant_id, const char *sub,
                                   const struct sess_session *keep, long long *deleted)
{
    char tenant[NUM_TEXT_MAX], keep_hex[HASH_HEX_LEN + 1];
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    if (deleted)
        *deleted = 0;
    if (tenant_id <= 0 || !field_ok(sub, true))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {
        pg_num_text(tenant, tenant_id), sub,
        keep ? hex_encode(keep->id_hash, sizeof keep->id_hash, keep_hex) : NULL};
    if (pg_query_run(&q,
                     "DELETE FROM gatehouse.sessions WHERE tenant_id = $1::bigint"
                     " AND user_sub = $2 AND ($3::text IS NULL OR id_hash <> decode($3, 'hex'))",
                     3, params)) {
        if (deleted)
            *deleted = pg_query_affected(&q);
        rc = STORE_OK;
    } else {
        rc = pg_store_result(&q);
    }
    forget_user(tenant_id, sub);
    pg_query_cleanup(&q);
    return rc;
}

/* Deletes every session past either deadline at now, in batches of
 * SWEEP_BATCH rows so no statement runs long or holds many locks. Meant for
 * a periodic job; sess_load never returns such rows anyway. *deleted (may be
 * NULL) gets the total. Returns STORE_OK, STORE_UNAVAILABLE or STORE_ERROR
 * (the batches already committed stay deleted). */
enum store_result sess_sweep(time_t now, long long *deleted)
{
    char at[NUM_TEXT_MAX], batch[NUM_TEXT_MAX];
    const char *const params[] = {pg_num_text(at, now), pg_num_text(batch, SWEEP_BATCH)};
    struct pg_query q;
    long long total = 0, n = 0;
    enum store_result rc = STORE_OK;

    pg_query_init(&q);
    do {
        if (!pg_query_run(&q,
                          "DELETE FROM gatehouse.sessions WHERE id_hash IN"
                          " (SELECT id_hash FROM gatehouse.sessions"
                          "  WHERE idle_expires_at <= to_timestamp($1::bigint)"
                          "  OR absolute_expires_at <= to_timestamp($1::bigint)"
                          "  LIMIT $2::int)",
                          2, params)) {
            rc = pg_store_result(&q);
            break;
        }
        n = pg_query_affected(&q);
        total += n;
    } while (n == SWEEP_BATCH);
    pg_query_cleanup(&q);
    if (deleted)
        *deleted = total;
    return rc;
}

/* ---- a user's devices and re-authentication ------------------------------ */

/* A session is named on "Your devices" by a handle derived from its id
 * hash (SHA-256 again, cut to DEVICE_HANDLE_LEN hex characters), never by
 * the id hash itself: the handle goes into forms and logs, and neither it
 * nor the hash lets anyone in, but the hash is the table's key and stays
 * there. Every statement below also names the tenant and the user, so a
 * handle of another person's session matches nothing. */
#define HANDLE_SQL "encode(substring(sha256(id_hash) FROM 1 FOR 16), 'hex')"

static bool handle_ok(const char *handle)
{
    if (!handle || strlen(handle) != DEVICE_HANDLE_LEN)
        return false;
    for (const char *c = handle; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return true;
}

/* Lists the live sessions of user sub in tenant_id, newest first, at most
 * DEVICES_MAX, into *out (an array in a) and *n; current (may be NULL)
 * marks the session asking. STORE_OK (also for none), STORE_UNAVAILABLE or
 * STORE_ERROR. */
enum store_result sess_list_user(long long tenant_id, const char *sub,
                                 const struct sess_session *current, time_t now,
                                 struct arena *a, struct sess_device **out, size_t *n)
{
    char tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX], limit[NUM_TEXT_MAX];
    char current_hex[HASH_HEX_LEN + 1];
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    *out = NULL;
    *n = 0;
    if (tenant_id <= 0 || !field_ok(sub, true))
        return STORE_ERROR;
    pg_query_init(&q);
    const char *const params[] = {
        pg_num_text(tenant, tenant_id), sub, pg_num_text(at, now),
        pg_num_text(limit, DEVICES_MAX),
        current ? hex_encode(current->id_hash, sizeof current->id_hash, current_hex) : NULL};
    if (!pg_query_run(&q,
                      "SELECT " HANDLE_SQL ", user_agent, client_addr, " EPOCH("created_at")
                      ", " EPOCH("last_seen_at") ", remember,"
                      " ($5::text IS NOT NULL AND id_hash = decode($5, 'hex'))"
                      " FROM gatehouse.sessions WHERE tenant_id = $1::bigint AND user_sub = $2"
                      " AND idle_expires_at > to_timestamp($3::bigint)"
                      " AND absolute_expires_at > to_timestamp($3::bigint)"
                      " ORDER BY last_seen_at DESC LIMIT $4::int",
                      5, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    int rows = pg_query_rows(&q);
    struct sess_device *d = arena_alloc(a, sizeof(*d) * (size_t)(rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        d[i].user_agent = pg_query_is_null(&q, i, 1) ? NULL
                                                     : arena_strdup(a, pg_query_value(&q, i, 1));
        d[i].client_addr = pg_query_is_null(&q, i, 2)
                               ? NULL
                               : arena_strdup(a, pg_query_value(&q, i, 2));
        d[i].handle = arena_strdup(a, pg_query_value(&q, i, 0));
        d[i].created_at = (time_t)strtoll(pg_query_value(&q, i, 3), NULL, 10);
        d[i].last_seen_at = (time_t)strtoll(pg_query_value(&q, i, 4), NULL, 10);
        d[i].remember = pg_query_value(&q, i, 5)[0] == 't';
        d[i].current = pg_query_value(&q, i, 6)[0] == 't';
    }
    *out = d;
    *n = (size_t)rows;
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* fill_gone makes *gone a session of which only the id hash and the sealed
 * refresh token are known (both hex, from a RETURNING clause), enough for
 * sess_refresh_token. False when they do not decode. */
static bool fill_gone(const struct pg_query *q, int row, long long tenant_id, struct arena *a,
                      struct sess_session *gone)
{
    memset(gone, 0, sizeof *gone);
    gone->tenant_id = tenant_id;
    if (!hex_decode(pg_query_value(q, row, 0), pg_query_len(q, row, 0), gone->id_hash,
                    sizeof gone->id_hash))
        return false;
    if (pg_query_is_null(q, row, 1))
        return true;
    size_t hex_len = pg_query_len(q, row, 1);
    unsigned char *sealed = arena_alloc(a, hex_len / 2 + 1);
    if (!hex_decode(pg_query_value(q, row, 1), hex_len, sealed, hex_len / 2))
        return false;
    gone->refresh_sealed = sealed;
    gone->refresh_sealed_len = hex_len / 2;
    return true;
}

/* Ends user sub's sessions in tenant_id: the one named handle, or, with
 * handle NULL, every one but keep (NULL: every one, for a device that is
 * not a browser session: an API sign-in signing out its others). Each ended
 * session is returned in (*gone)[0..*n) with its sealed refresh token, for
 * revoking at Cognito. STORE_OK (at least one ended), STORE_NOT_FOUND
 * (none: a malformed handle, another person's, already ended),
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result sess_end_devices(long long tenant_id, const char *sub, const char *handle,
                                   const struct sess_session *keep, struct arena *a,
                                   struct sess_session **gone, size_t *n)
{
    char tenant[NUM_TEXT_MAX], keep_hex[HASH_HEX_LEN + 1];
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;

    *gone = NULL;
    *n = 0;
    if (tenant_id <= 0 || !field_ok(sub, true))
        return STORE_ERROR;
    if (handle && !handle_ok(handle))
        return STORE_NOT_FOUND;
    pg_query_init(&q);
    const char *const params[] = {
        pg_num_text(tenant, tenant_id), sub, handle,
        keep ? hex_encode(keep->id_hash, sizeof keep->id_hash, keep_hex) : NULL};
    if (!pg_query_run(&q,
                      "DELETE FROM gatehouse.sessions WHERE tenant_id = $1::bigint"
                      " AND user_sub = $2"
                      " AND ($3::text IS NULL OR " HANDLE_SQL " = $3)"
                      " AND ($4::text IS NULL OR id_hash <> decode($4, 'hex'))"
                      " RETURNING encode(id_hash, 'hex'), encode(refresh_token_enc, 'hex')",
                      4, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    int rows = pg_query_rows(&q);
    struct sess_session *g = arena_alloc(a, sizeof(*g) * (size_t)(rows ? rows : 1));
    size_t kept = 0;
    for (int i = 0; i < rows; i++) {
        if (fill_gone(&q, i, tenant_id, a, &g[kept]))
            shcache_forget(SHCACHE_SESSIONS, g[kept++].id_hash);
    }
    forget_user(tenant_id, sub);
    *gone = g;
    *n = kept;
    rc = rows > 0 ? STORE_OK : STORE_NOT_FOUND;
out:
    pg_query_cleanup(&q);
    return rc;
}

/* Notes on session s that its user proved their password at `at`.
 * STORE_OK, STORE_NOT_FOUND (the session is gone), STORE_UNAVAILABLE or
 * STORE_ERROR. */
enum store_result sess_set_reauth(const struct sess_session *s, time_t at)
{
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], when[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    pg_query_init(&q);
    const char *const params[] = {hex_encode(s->id_hash, sizeof s->id_hash, hash_hex),
                                  pg_num_text(tenant, s->tenant_id), pg_num_text(when, at)};
    if (!pg_query_run(&q,
                      "UPDATE gatehouse.sessions SET reauth_at = to_timestamp($3::bigint)"
                      " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint",
                      3, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Reads when s's user last proved their password on this session into
 * *at (0: never). Read from the row, not the cache, as it guards the
 * sensitive steps. STORE_OK, STORE_NOT_FOUND, STORE_UNAVAILABLE. */
enum store_result sess_reauth_at(const struct sess_session *s, time_t *at)
{
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_NOT_FOUND;

    *at = 0;
    pg_query_init(&q);
    const char *const params[] = {hex_encode(s->id_hash, sizeof s->id_hash, hash_hex),
                                  pg_num_text(tenant, s->tenant_id)};
    if (!pg_query_run(&q,
                      "SELECT coalesce(" EPOCH("reauth_at") ", 0) FROM gatehouse.sessions"
                      " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint",
                      2, params))
        rc = pg_store_result(&q);
    else if (pg_query_rows(&q) == 1) {
        *at = (time_t)strtoll(pg_query_value(&q, 0, 0), NULL, 10);
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}
