/* SPDX-License-Identifier: MIT */
/* tenants: gatehouse.tenants, read through a short-lived per-worker cache.
 *
 * A struct tenant is a fixed-size value (no pointers), so the cache hands out
 * copies and nothing needs freeing. The default tenant takes its Cognito pool
 * and client from the COGNITO_* settings when its row leaves them empty. */
#ifndef GH_TENANTS_H
#define GH_TENANTS_H

#include <stdbool.h>

struct config;

#define TENANT_SLUG_MAX 41
#define TENANT_TEXT_MAX 256

struct tenant {
    long long id;
    char slug[TENANT_SLUG_MAX];
    char name[TENANT_TEXT_MAX];
    bool active;
    char region[64];
    char user_pool_id[128];
    char client_id[128];
    char client_secret[TENANT_TEXT_MAX]; /* "" when the app client has none */
};

enum tenants_result { TENANTS_OK, TENANTS_NOT_FOUND, TENANTS_UNAVAILABLE };

void tenants_init_worker(const struct config *cfg);
/* tenants_find copies the tenant called slug into out, from the cache when
 * it was read less than TENANT_CACHE_TTL_S ago. */
enum tenants_result tenants_find(const char *slug, struct tenant *out);
/* tenants_forget drops every cached tenant (after a change, and in tests). */
void tenants_forget(void);

#endif
