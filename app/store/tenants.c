/* SPDX-License-Identifier: MIT */
/* tenants: tenant records with a per-worker cache (see tenants.h).
 *
 * Every request needs its tenant, and tenants change rarely, so a worker
 * process keeps the ones it has seen for GATEHOUSE_TENANT_CACHE_TTL seconds
 * (30 by default): a page does not pay an extra query, and a disabled or
 * changed tenant is seen within that time. An installation has hundreds or
 * thousands of tenants (one user pool each), and a page of any of them must
 * cost the same, so the cache holds up to TENANT_CACHE_MAX of them: a hash
 * table by slug (chained, over a fixed array of entries), under one mutex
 * per process. Past that many, CLOCK picks the entry to replace: an expired
 * one, or one not read since the hand last passed. A record is kept packed
 * (pack_tenant: its unused text squeezed out), so a thousand tenants cost a
 * worker a few hundred kilobytes, not 1.7 MB; readers get a copy, never a
 * pointer into the cache. Only tenants that exist are cached, and only
 * operators make them, so the slugs that fill the table are not an
 * attacker's to choose; an unknown slug costs a query each time, which the
 * routes' rate limits bound. Hits, misses and evictions of live records are
 * counted in /metrics (gatehouse_tenant_cache_total).
 *
 * Client secrets are sealed (AES-256-GCM under SESSION_KEY) with the slug as
 * associated data, so a sealed secret copied to another tenant's row does
 * not open. bytea travels as "\x<hex>" text, as pg.h requires. */
#include "store/tenants.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/metrics.h"
#include "core/seal.h"
#include "store/pg.h"

/* Twice the entries, a power of two: chains stay about one entry long. */
#define CACHE_BUCKETS (2 * TENANT_CACHE_MAX)
/* Zero bytes fewer than this stay inside a packed literal run: a run costs
 * a 4-byte header, so a packed record is never longer than the struct plus
 * a few headers (PACK_MAX). */
#define PACK_ZERO_RUN_MIN 4
#define PACK_MAX (sizeof(struct tenant) + 16)
#define SLUG_MIN 3
#define SLUG_MAX 40
#define TENANT_COLUMNS                                                                  \
    "id, slug, name, status, coalesce(region, ''), coalesce(user_pool_id, ''),"         \
    " coalesce(client_id, ''), coalesce(encode(client_secret_enc, 'hex'), ''),"          \
    " coalesce(admin_email, ''), coalesce(brand_color, ''), coalesce(logo_url, ''),"     \
    " coalesce(provision_step, ''), coalesce(password_min_length, 0),"                  \
    " coalesce(password_require_upper, false), coalesce(password_require_lower, false),"  \
    " coalesce(password_require_digit, false), coalesce(password_require_symbol, false),"\
    " coalesce(password_policy_pool, ''),"                                                \
    " coalesce(extract(epoch FROM password_policy_read_at)::bigint, 0),"                 \
    " account_enumeration, mfa, coalesce(terms_url, ''), coalesce(privacy_url, '')"

_Static_assert(sizeof(struct tenant) < 65536, "a packed run length is 16 bits");
_Static_assert((CACHE_BUCKETS & (CACHE_BUCKETS - 1)) == 0, "CACHE_BUCKETS is a power of two");

/* Links are 1 + an index into entries, so that 0 (a zeroed table) is "none". */
struct cache_entry {
    char slug[TENANT_SLUG_MAX];
    bool referenced;       /* read since the CLOCK hand last passed */
    uint32_t hash;
    int next;              /* the next entry of the same bucket */
    time_t fetched_at;
    unsigned char *packed; /* the record (pack_tenant), malloc'd */
    size_t packed_len;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static int buckets[CACHE_BUCKETS];
static struct cache_entry entries[TENANT_CACHE_MAX];
static int entries_used; /* entries[0, entries_used) are in the table */
static int clock_hand;
static const struct config *config;
static int cache_ttl_s = 30;

/* Words a slug may not be: they name routes, hosts or schemas of our own. */
static const char *const reserved[] = {
    "default", "admin", "api", "auth", "www", "static", "public", "gatehouse", "login",
    "signup", "account", "files", "status", "metrics", "healthz", "readyz", "mail", "t",
};

void tenants_init_worker(const struct config *cfg)
{
    config = cfg;
    cache_ttl_s = cfg->tenant_cache_ttl_s;
    tenants_forget();
}

void tenants_forget(void)
{
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < entries_used; i++) {
        /* The opened client secret is in the record. */
        explicit_bzero(entries[i].packed, entries[i].packed_len);
        free(entries[i].packed);
    }
    memset(entries, 0, (size_t)entries_used * sizeof(entries[0]));
    memset(buckets, 0, sizeof(buckets));
    entries_used = 0;
    clock_hand = 0;
    pthread_mutex_unlock(&cache_lock);
}

const char *tenants_slug_problem(const char *slug)
{
    size_t len = slug ? strlen(slug) : 0;
    if (len < SLUG_MIN || len > SLUG_MAX)
        return "a slug has 3 to 40 characters";
    for (size_t i = 0; i < len; i++) {
        char c = slug[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return "a slug has only lowercase letters, digits and hyphens";
    }
    if (slug[0] == '-' || slug[len - 1] == '-')
        return "a slug starts and ends with a letter or digit";
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (!strcmp(slug, reserved[i]))
            return "that slug is reserved";
    return NULL;
}

/* ---- the cache ------------------------------------------------------------ */

static uint32_t slug_hash(const char *slug)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)slug; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

static void put16(unsigned char *p, size_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static size_t get16(const unsigned char *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* pack_tenant writes t to out (PACK_MAX bytes) with its runs of zero bytes
 * squeezed out, and answers the length: a struct tenant is mostly the NUL
 * tails of its text fields. Pairs of 16-bit lengths (zeros, then literal
 * bytes) follow each other, each with its literal bytes, to the struct's
 * end. Working on the bytes, not the fields, keeps a field added to the
 * struct from being left out. */
static size_t pack_tenant(const struct tenant *t, unsigned char *out)
{
    const unsigned char *src = (const unsigned char *)t;
    size_t n = sizeof(*t), at = 0, len = 0;
    while (at < n) {
        size_t zeros = 0;
        while (at + zeros < n && !src[at + zeros])
            zeros++;
        size_t first = at + zeros, end = first;
        while (end < n) {
            size_t z = 0;
            while (end + z < n && !src[end + z] && z < PACK_ZERO_RUN_MIN)
                z++;
            if (z == PACK_ZERO_RUN_MIN || end + z == n)
                break;
            end += z ? z : 1;
        }
        if (len + 4 + (end - first) > PACK_MAX)
            return 0; /* cannot happen (see PACK_ZERO_RUN_MIN); not cached */
        put16(out + len, zeros);
        put16(out + len + 2, end - first);
        memcpy(out + len + 4, src + first, end - first);
        len += 4 + (end - first);
        at = end;
    }
    return len;
}

static bool unpack_tenant(const unsigned char *in, size_t len, struct tenant *out)
{
    unsigned char *dst = (unsigned char *)out;
    size_t at = 0, i = 0;
    while (i + 4 <= len) {
        size_t zeros = get16(in + i), literal = get16(in + i + 2);
        i += 4;
        if (at + zeros + literal > sizeof(*out) || i + literal > len)
            return false;
        memset(dst + at, 0, zeros);
        memcpy(dst + at + zeros, in + i, literal);
        at += zeros + literal;
        i += literal;
    }
    return at == sizeof(*out) && i == len;
}

/* find_locked answers the index of slug's entry, or -1. */
static int find_locked(const char *slug, uint32_t hash)
{
    for (int link = buckets[hash & (CACHE_BUCKETS - 1)]; link; link = entries[link - 1].next) {
        const struct cache_entry *e = &entries[link - 1];
        if (e->hash == hash && !strcmp(e->slug, slug))
            return link - 1;
    }
    return -1;
}

static void unlink_locked(int index)
{
    int *link = &buckets[entries[index].hash & (CACHE_BUCKETS - 1)];
    while (*link && *link - 1 != index)
        link = &entries[*link - 1].next;
    if (*link)
        *link = entries[index].next;
}

/* take_entry_locked answers a free entry, or the one CLOCK gives up (out of
 * its bucket; its record in *old for the caller to free, and *live when it
 * had not expired yet). The hand clears what it passes, so it stops within
 * one turn and one step. */
static int take_entry_locked(time_t now, unsigned char **old, size_t *old_len, bool *live)
{
    *old = NULL;
    *live = false;
    if (entries_used < TENANT_CACHE_MAX)
        return entries_used++;
    for (;;) {
        int index = clock_hand;
        struct cache_entry *e = &entries[index];
        clock_hand = (clock_hand + 1) % TENANT_CACHE_MAX;
        bool expired = now - e->fetched_at >= cache_ttl_s;
        if (expired || !e->referenced) {
            unlink_locked(index);
            *old = e->packed;
            *old_len = e->packed_len;
            *live = !expired;
            e->packed = NULL;
            return index;
        }
        e->referenced = false;
    }
}

static bool cache_get(const char *slug, time_t now, struct tenant *out)
{
    uint32_t hash = slug_hash(slug);
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    int index = find_locked(slug, hash);
    if (index >= 0 && now - entries[index].fetched_at < cache_ttl_s &&
        unpack_tenant(entries[index].packed, entries[index].packed_len, out)) {
        entries[index].referenced = true;
        found = true;
    }
    pthread_mutex_unlock(&cache_lock);
    metrics_observe("tenant_cache", found ? "hit" : "miss", NULL, -1);
    return found;
}

static void cache_put(const struct tenant *t, time_t now)
{
    unsigned char packed[PACK_MAX], *copy, *old = NULL;
    size_t len = pack_tenant(t, packed), old_len = 0;
    bool live = false;
    if (cache_ttl_s <= 0 || !len || !(copy = malloc(len)))
        return;
    memcpy(copy, packed, len);
    explicit_bzero(packed, sizeof(packed));
    uint32_t hash = slug_hash(t->slug);
    pthread_mutex_lock(&cache_lock);
    int index = find_locked(t->slug, hash);
    if (index >= 0) {
        old = entries[index].packed;
        old_len = entries[index].packed_len;
    } else {
        index = take_entry_locked(now, &old, &old_len, &live);
        struct cache_entry *e = &entries[index];
        snprintf(e->slug, sizeof(e->slug), "%s", t->slug);
        e->hash = hash;
        e->referenced = false;
        e->next = buckets[hash & (CACHE_BUCKETS - 1)];
        buckets[hash & (CACHE_BUCKETS - 1)] = index + 1;
    }
    entries[index].packed = copy;
    entries[index].packed_len = len;
    entries[index].fetched_at = now;
    pthread_mutex_unlock(&cache_lock);
    if (old) {
        explicit_bzero(old, old_len);
        free(old);
    }
    if (live)
        metrics_observe("tenant_cache", "evicted", NULL, -1);
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* apply_settings fills what the default tenant's row leaves empty from the
 * settings, which is how single-tenant use needs no set-up. */
static void apply_settings(struct tenant *t)
{
    if (!config || strcmp(t->slug, TENANT_DEFAULT))
        return;
    if (!t->user_pool_id[0])
        copy_text(t->user_pool_id, sizeof(t->user_pool_id), config->cognito_user_pool_id);
    if (!t->client_id[0]) {
        copy_text(t->client_id, sizeof(t->client_id), config->cognito_client_id);
        copy_text(t->client_secret, sizeof(t->client_secret), config->cognito_client_secret);
    }
    copy_text(t->name, sizeof(t->name), config->site_name);
}

/* open_secret decrypts the hex of a sealed client secret into t. */
static void open_secret(struct tenant *t, const char *hex)
{
    size_t n = strlen(hex) / 2;
    if (!n || !config || !config->has_session_key)
        return;
    unsigned char *sealed = malloc(n);
    struct buf plain;
    buf_init(&plain);
    bool ok = sealed != NULL && hex_decode(hex, 2 * n, sealed, n);
    if (ok && seal_decrypt_ad(config->session_key, sealed, n, t->slug, strlen(t->slug), &plain) == 0 &&
        plain.len < sizeof(t->client_secret))
        copy_text(t->client_secret, sizeof(t->client_secret), buf_cstr(&plain));
    seal_wipe_buf(&plain);
    buf_free(&plain);
    free(sealed);
}

static bool is_true(const char *v)
{
    return v && !strcmp(v, "t");
}

/* read_policy reads the kept password policy, which counts only when it
 * was read from the pool the tenant uses now (after apply_settings). */
static void read_policy(const struct pg_query *q, int row, struct tenant *t)
{
    struct tenant_password_policy *p = &t->password;
    p->min_length = atoi(pg_query_value(q, row, 12));
    p->upper = is_true(pg_query_value(q, row, 13));
    p->lower = is_true(pg_query_value(q, row, 14));
    p->digit = is_true(pg_query_value(q, row, 15));
    p->symbol = is_true(pg_query_value(q, row, 16));
    p->read_at = strtoll(pg_query_value(q, row, 18), NULL, 10);
    p->known = p->min_length > 0 && t->user_pool_id[0] &&
               !strcmp(pg_query_value(q, row, 17), t->user_pool_id);
    if (!p->known)
        memset(p, 0, sizeof(*p));
}

static void read_row(const struct pg_query *q, int row, struct tenant *t)
{
    memset(t, 0, sizeof(*t));
    t->id = strtoll(pg_query_value(q, row, 0), NULL, 10);
    copy_text(t->slug, sizeof(t->slug), pg_query_value(q, row, 1));
    copy_text(t->name, sizeof(t->name), pg_query_value(q, row, 2));
    copy_text(t->status, sizeof(t->status), pg_query_value(q, row, 3));
    t->active = !strcmp(t->status, "active");
    copy_text(t->region, sizeof(t->region), pg_query_value(q, row, 4));
    copy_text(t->user_pool_id, sizeof(t->user_pool_id), pg_query_value(q, row, 5));
    copy_text(t->client_id, sizeof(t->client_id), pg_query_value(q, row, 6));
    open_secret(t, pg_query_value(q, row, 7));
    copy_text(t->admin_email, sizeof(t->admin_email), pg_query_value(q, row, 8));
    copy_text(t->brand_color, sizeof(t->brand_color), pg_query_value(q, row, 9));
    copy_text(t->logo_url, sizeof(t->logo_url), pg_query_value(q, row, 10));
    copy_text(t->provision_step, sizeof(t->provision_step), pg_query_value(q, row, 11));
    if (!t->region[0] && config)
        copy_text(t->region, sizeof(t->region), config->aws_region);
    apply_settings(t);
    read_policy(q, row, t);
    t->reveal_accounts = !strcmp(pg_query_value(q, row, 19), TENANT_ENUMERATION_REVEAL);
    copy_text(t->mfa, sizeof(t->mfa), pg_query_value(q, row, 20));
    copy_text(t->terms_url, sizeof(t->terms_url), pg_query_value(q, row, 21));
    copy_text(t->privacy_url, sizeof(t->privacy_url), pg_query_value(q, row, 22));
}

static enum store_result query_one(const char *sql, const char *slug, struct tenant *out)
{
    struct pg_query q;
    enum store_result rc = STORE_UNAVAILABLE;
    const char *params[] = {slug};
    pg_query_init(&q);
    if (!pg_query_run(&q, sql, 1, params))
        goto out;
    if (pg_query_rows(&q) != 1) {
        rc = STORE_NOT_FOUND;
        goto out;
    }
    read_row(&q, 0, out);
    rc = STORE_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}

enum store_result tenants_find(const char *slug, struct tenant *out)
{
    time_t now = time(NULL);
    if (cache_get(slug, now, out))
        return STORE_OK;
    enum store_result rc = query_one(
        "SELECT " TENANT_COLUMNS " FROM gatehouse.tenants WHERE slug = $1", slug, out);
    if (rc == STORE_OK)
        cache_put(out, now);
    return rc;
}

/* ---- writes ---------------------------------------------------------------- */

/* run runs one statement; STORE_NOT_FOUND when it touched no row,
 * STORE_CONFLICT on a unique violation, STORE_UNAVAILABLE on any other
 * failure (tenants never answer STORE_ERROR). */
static enum store_result run(const char *sql, int n, const char *const *params)
{
    struct pg_query q;
    pg_query_init(&q);
    enum store_result rc = STORE_OK;
    if (!pg_query_run(&q, sql, n, params))
        rc = q.err == PG_ERR_CONSTRAINT ? STORE_CONFLICT : STORE_UNAVAILABLE;
    else if (pg_query_affected(&q) == 0)
        rc = STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    tenants_forget();
    return rc;
}

enum store_result tenants_begin(const char *slug, const char *name, const char *admin_email,
                                const char *region, struct tenant *out)
{
    const char *params[] = {slug, name, admin_email, region};
    enum store_result rc = run(
        "INSERT INTO gatehouse.tenants (slug, name, admin_email, region, status, provision_step)"
        " VALUES ($1, $2, $3, $4, 'provisioning', 'row') ON CONFLICT (slug) DO NOTHING",
        4, params);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        return rc;
    rc = query_one("SELECT " TENANT_COLUMNS " FROM gatehouse.tenants WHERE slug = $1", slug, out);
    if (rc == STORE_OK && strcmp(out->status, "provisioning"))
        return STORE_CONFLICT;
    return rc;
}

enum store_result tenants_record(const char *slug, const char *step, const char *pool_id,
                                 const char *client_id, const char *client_secret)
{
    char *sealed_hex = NULL;
    if (client_secret && *client_secret) {
        struct buf sealed;
        buf_init(&sealed);
        if (!config || !config->has_session_key ||
            seal_encrypt_ad(config->session_key, client_secret, strlen(client_secret), slug,
                            strlen(slug), &sealed) < 0) {
            buf_free(&sealed);
            return STORE_UNAVAILABLE;
        }
        sealed_hex = malloc(sealed.len * 2 + 3);
        strcpy(sealed_hex, "\\x");
        for (size_t i = 0; i < sealed.len; i++)
            sprintf(sealed_hex + 2 + 2 * i, "%02x", (unsigned char)sealed.data[i]);
        buf_free(&sealed);
    }
    const char *params[] = {slug, step, pool_id, client_id, sealed_hex};
    enum store_result rc = run(
        "UPDATE gatehouse.tenants SET provision_step = $2,"
        " user_pool_id = coalesce($3, user_pool_id), client_id = coalesce($4, client_id),"
        " client_secret_enc = coalesce($5::bytea, client_secret_enc), updated_at = now()"
        " WHERE slug = $1", 5, params);
    free(sealed_hex);
    return rc;
}

enum store_result tenants_set_status(const char *slug, const char *status)
{
    const char *params[] = {slug, status};
    return run("UPDATE gatehouse.tenants SET status = $2, updated_at = now() WHERE slug = $1",
               2, params);
}

enum store_result tenants_set_branding(const char *slug, const char *name,
                                       const char *brand_color, const char *logo_url)
{
    const char *params[] = {slug, name, brand_color, logo_url};
    /* NULL keeps a value, "" clears it. */
    return run("UPDATE gatehouse.tenants SET name = coalesce($2, name),"
               " brand_color = CASE WHEN $3::text IS NULL THEN brand_color ELSE nullif($3, '') END,"
               " logo_url = CASE WHEN $4::text IS NULL THEN logo_url ELSE nullif($4, '') END,"
               " updated_at = now() WHERE slug = $1", 4, params);
}

enum store_result tenants_set_links(const char *slug, const char *terms_url,
                                    const char *privacy_url)
{
    const char *params[] = {slug, terms_url, privacy_url};
    /* NULL keeps a value, "" clears it. */
    return run("UPDATE gatehouse.tenants SET"
               " terms_url = CASE WHEN $2::text IS NULL THEN terms_url ELSE nullif($2, '') END,"
               " privacy_url = CASE WHEN $3::text IS NULL THEN privacy_url ELSE nullif($3, '') END,"
               " updated_at = now() WHERE slug = $1", 3, params);
}

enum store_result tenants_set_password_policy(const char *slug, const char *pool_id,
                                              const struct tenant_password_policy *p)
{
    char length[16];
    snprintf(length, sizeof(length), "%d", p->min_length);
    const char *params[] = {slug,  pool_id, length, p->upper ? "t" : "f", p->lower ? "t" : "f",
                            p->digit ? "t" : "f", p->symbol ? "t" : "f"};
    return run("UPDATE gatehouse.tenants SET password_policy_pool = $2,"
               " password_min_length = $3::smallint, password_require_upper = $4::boolean,"
               " password_require_lower = $5::boolean, password_require_digit = $6::boolean,"
               " password_require_symbol = $7::boolean, password_policy_read_at = now(),"
               " password_policy_tried_at = now() WHERE slug = $1", 7, params);
}

enum store_result tenants_claim_policy_read(const char *slug, const char *pool_id,
                                            int max_age_s, int retry_s)
{
    char age[16], retry[16];
    snprintf(age, sizeof(age), "%d", max_age_s);
    snprintf(retry, sizeof(retry), "%d", retry_s);
    const char *params[] = {slug, pool_id, age, retry};
    struct pg_query q;
    pg_query_init(&q);
    enum store_result rc = STORE_OK;
    /* One statement decides, so two workers never both win; the others
     * keep the copy they have (or none) until the winner has written. */
    if (!pg_query_run(&q,
                      "UPDATE gatehouse.tenants SET password_policy_tried_at = now()"
                      " WHERE slug = $1"
                      " AND (password_policy_tried_at IS NULL"
                      "      OR password_policy_tried_at < now() - make_interval(secs => $4::int))"
                      " AND (password_policy_read_at IS NULL"
                      "      OR password_policy_pool IS DISTINCT FROM $2"
                      "      OR password_policy_read_at < now() - make_interval(secs => $3::int))",
                      4, params))
        rc = STORE_UNAVAILABLE;
    else if (pg_query_affected(&q) == 0)
        rc = STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

enum store_result tenants_set_enumeration(const char *slug, const char *setting)
{
    const char *params[] = {slug, setting};
    return run("UPDATE gatehouse.tenants SET account_enumeration = $2, updated_at = now()"
               " WHERE slug = $1", 2, params);
}

enum store_result tenants_set_mfa(const char *slug, const char *setting)
{
    const char *params[] = {slug, setting};
    return run("UPDATE gatehouse.tenants SET mfa = $2, updated_at = now()"
               " WHERE slug = $1", 2, params);
}

enum store_result tenants_delete_row(const char *slug)
{
    const char *params[] = {slug};
    return run("DELETE FROM gatehouse.tenants WHERE slug = $1", 1, params);
}

bool tenants_drop_schema(const char *slug)
{
    char schema[PG_SCHEMA_MAX], sql[PG_SCHEMA_MAX + 64], scope[PG_SCHEMA_MAX + 16];
    /* pg_tenant_schema admits only [a-z0-9-], so the quoted name is safe. */
    if (!pg_tenant_schema(slug, schema, sizeof(schema)))
        return false;
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    snprintf(scope, sizeof(scope), "tenant:%s", slug);
    /* The schema and the record of its migrations go together: a tenant
     * made again with this slug gets its tables made again. */
    const char *const params[] = {scope};
    struct pg_query q;
    pg_query_init(&q);
    bool ok = pg_begin(&q) && pg_query_run(&q, sql, 0, NULL) &&
              pg_query_run(&q, "DELETE FROM gatehouse.schema_migrations WHERE scope = $1", 1,
                           params) &&
              pg_commit(&q);
    if (!ok)
        pg_rollback();
    pg_query_cleanup(&q);
    return ok;
}

bool tenants_schema_ready(const char *slug)
{
    char schema[PG_SCHEMA_MAX];
    if (!pg_tenant_schema(slug, schema, sizeof(schema)))
        return false;
    /* The tables every request of the tenant reads. */
    const char *const params[] = {schema};
    struct pg_query q;
    pg_query_init(&q);
    bool ok = pg_query_run(&q,
                           "SELECT count(*) FROM pg_catalog.pg_tables"
                           " WHERE schemaname = $1 AND tablename IN ('users', 'revoked_tokens')",
                           1, params) &&
              pg_query_rows(&q) == 1 && !strcmp(pg_query_value(&q, 0, 0), "2");
    pg_query_cleanup(&q);
    return ok;
}

enum store_result tenants_each(bool (*fn)(const struct tenant *t, void *ctx), void *ctx)
{
    struct pg_query q;
    struct tenant t;
    pg_query_init(&q);
    if (!pg_query_run(&q, "SELECT " TENANT_COLUMNS " FROM gatehouse.tenants ORDER BY slug", 0,
                      NULL)) {
        pg_query_cleanup(&q);
        return STORE_UNAVAILABLE;
    }
    for (int i = 0; i < pg_query_rows(&q); i++) {
        read_row(&q, i, &t);
        if (!fn(&t, ctx))
            break;
    }
    memset(&t, 0, sizeof(t)); /* the opened client secret */
    pg_query_cleanup(&q);
    return STORE_OK;
}

enum store_result tenants_list(FILE *out)
{
    struct pg_query q;
    pg_query_init(&q);
    if (!pg_query_run(&q, "SELECT slug, status, name, coalesce(user_pool_id, '-'),"
                          " coalesce(admin_email, '-') FROM gatehouse.tenants ORDER BY slug",
                      0, NULL)) {
        pg_query_cleanup(&q);
        return STORE_UNAVAILABLE;
    }
    fprintf(out, "%-24s %-13s %-26s %-24s %s\n", "SLUG", "STATUS", "NAME", "USER POOL", "ADMIN");
    for (int i = 0; i < pg_query_rows(&q); i++)
        fprintf(out, "%-24s %-13s %-26s %-24s %s\n", pg_query_value(&q, i, 0),
                pg_query_value(&q, i, 1), pg_query_value(&q, i, 2), pg_query_value(&q, i, 3),
                pg_query_value(&q, i, 4));
    pg_query_cleanup(&q);
    return STORE_OK;
}
