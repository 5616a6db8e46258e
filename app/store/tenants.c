/* SPDX-License-Identifier: MIT */
/* tenants: tenant records with a per-worker cache (see tenants.h).
 *
 * Every request needs its tenant, and tenants change rarely, so a worker
 * keeps the ones it has seen for TENANT_CACHE_TTL_S seconds: a page does not
 * pay an extra query, and a disabled tenant stops being served within that
 * time. The cache is a small array under a mutex; entries are copied out,
 * so no reader ever holds a pointer into it. A tenant that does not exist
 * is not cached: an unknown slug costs a query each time, which the route's
 * rate limits bound. */
#include "store/tenants.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "store/pg.h"

#define TENANT_CACHE_TTL_S 30
#define TENANT_CACHE_SLOTS 64
#define DEFAULT_SLUG "default"

struct cache_entry {
    struct tenant tenant;
    time_t fetched_at;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_entry cache[TENANT_CACHE_SLOTS];
static int cache_used;
static const struct config *config;

void tenants_init_worker(const struct config *cfg)
{
    config = cfg;
    tenants_forget();
}

void tenants_forget(void)
{
    pthread_mutex_lock(&cache_lock);
    cache_used = 0;
    pthread_mutex_unlock(&cache_lock);
}

static bool cache_get(const char *slug, time_t now, struct tenant *out)
{
    bool found = false;
    pthread_mutex_lock(&cache_lock);
    for (int i = 0; i < cache_used && !found; i++) {
        if (!strcmp(cache[i].tenant.slug, slug) &&
            now - cache[i].fetched_at < TENANT_CACHE_TTL_S) {
            *out = cache[i].tenant;
            found = true;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return found;
}

static void cache_put(const struct tenant *t, time_t now)
{
    pthread_mutex_lock(&cache_lock);
    int slot = -1;
    for (int i = 0; i < cache_used && slot < 0; i++)
        if (!strcmp(cache[i].tenant.slug, t->slug))
            slot = i;
    if (slot < 0)
        slot = cache_used < TENANT_CACHE_SLOTS ? cache_used++ : (int)(now % TENANT_CACHE_SLOTS);
    cache[slot].tenant = *t;
    cache[slot].fetched_at = now;
    pthread_mutex_unlock(&cache_lock);
}

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* apply_settings fills what the default tenant's row leaves empty from the
 * COGNITO_* settings, which is how single-tenant use needs no set-up. */
static void apply_settings(struct tenant *t)
{
    if (!config || strcmp(t->slug, DEFAULT_SLUG))
        return;
    if (!t->user_pool_id[0])
        copy_text(t->user_pool_id, sizeof(t->user_pool_id), config->cognito_user_pool_id);
    if (!t->client_id[0]) {
        copy_text(t->client_id, sizeof(t->client_id), config->cognito_client_id);
        copy_text(t->client_secret, sizeof(t->client_secret), config->cognito_client_secret);
    }
    if (!t->region[0])
        copy_text(t->region, sizeof(t->region), config->aws_region);
    copy_text(t->name, sizeof(t->name), config->site_name);
}

enum tenants_result tenants_find(const char *slug, struct tenant *out)
{
    static const char sql[] =
        "SELECT id, slug, name, status, coalesce(region, ''),"
        " coalesce(user_pool_id, ''), coalesce(client_id, '')"
        " FROM gatehouse.tenants WHERE slug = $1";
    time_t now = time(NULL);
    if (cache_get(slug, now, out))
        return TENANTS_OK;

    struct pg_query q;
    enum tenants_result rc = TENANTS_UNAVAILABLE;
    const char *params[] = {slug};
    pg_query_init(&q);
    if (!pg_query_run(&q, sql, 1, params))
        goto out;
    if (pg_query_rows(&q) != 1) {
        rc = TENANTS_NOT_FOUND;
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->id = strtoll(pg_query_value(&q, 0, 0), NULL, 10);
    copy_text(out->slug, sizeof(out->slug), pg_query_value(&q, 0, 1));
    copy_text(out->name, sizeof(out->name), pg_query_value(&q, 0, 2));
    out->active = !strcmp(pg_query_value(&q, 0, 3), "active");
    copy_text(out->region, sizeof(out->region), pg_query_value(&q, 0, 4));
    copy_text(out->user_pool_id, sizeof(out->user_pool_id), pg_query_value(&q, 0, 5));
    copy_text(out->client_id, sizeof(out->client_id), pg_query_value(&q, 0, 6));
    apply_settings(out);
    cache_put(out, now);
    rc = TENANTS_OK;
out:
    pg_query_cleanup(&q);
    return rc;
}
