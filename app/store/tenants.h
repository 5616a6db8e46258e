/* SPDX-License-Identifier: MIT */
/* tenants: gatehouse.tenants — lookups through a short-lived per-worker
 * cache, and the writes of provisioning and branding.
 *
 * A struct tenant is a fixed-size value (no pointers), so the cache hands out
 * copies and nothing needs freeing. The default tenant takes its Cognito pool
 * and client from the COGNITO_* settings when its row leaves them empty. The
 * client secret is stored sealed under SESSION_KEY and opened on lookup.
 * Functions answer an enum store_result (store/pg.h): STORE_OK,
 * STORE_NOT_FOUND, STORE_CONFLICT (the slug is taken) or STORE_UNAVAILABLE,
 * which here covers every failure: none answers STORE_ERROR. */
#ifndef GH_TENANTS_H
#define GH_TENANTS_H

#include <stdbool.h>
#include <stdio.h>

#include "store/pg.h"

struct config;

#define TENANT_SLUG_MAX 41
#define TENANT_TEXT_MAX 256
#define TENANT_DEFAULT "default"

struct tenant {
    long long id;
    char slug[TENANT_SLUG_MAX];
    char name[TENANT_TEXT_MAX];
    char status[16];             /* active, disabled, provisioning */
    bool active;
    char region[64];
    char user_pool_id[128];
    char client_id[128];
    char client_secret[TENANT_TEXT_MAX]; /* "" when the app client has none */
    char admin_email[TENANT_TEXT_MAX];
    char brand_color[8];         /* "#rrggbb" or "" */
    char logo_url[TENANT_TEXT_MAX];
    char provision_step[32];
};

void tenants_init_worker(const struct config *cfg);
/* tenants_find copies the tenant called slug into out, from the cache when
 * it was read less than GATEHOUSE_TENANT_CACHE_TTL seconds ago. */
enum store_result tenants_find(const char *slug, struct tenant *out);
/* tenants_forget drops every cached tenant (after a change, and in tests). */
void tenants_forget(void);
/* tenants_slug_problem says why slug cannot name a tenant, or NULL. */
const char *tenants_slug_problem(const char *slug);

/* ---- provisioning and administration (CLI and platform API) ---- */
/* tenants_begin inserts a 'provisioning' row, or finds the one a failed
 * run left (STORE_OK either way); STORE_CONFLICT when the slug belongs
 * to a tenant that is already set up. */
enum store_result tenants_begin(const char *slug, const char *name, const char *admin_email,
                                const char *region, struct tenant *out);
/* tenants_record stores what a provisioning step made (NULL: unchanged)
 * and the step reached. */
enum store_result tenants_record(const char *slug, const char *step, const char *pool_id,
                                 const char *client_id, const char *client_secret);
enum store_result tenants_set_status(const char *slug, const char *status);
/* tenants_set_branding changes name, colour and logo (NULL: unchanged). */
enum store_result tenants_set_branding(const char *slug, const char *name,
                                       const char *brand_color, const char *logo_url);
enum store_result tenants_delete_row(const char *slug);
/* tenants_drop_schema drops t_<slug> with everything in it; true when it
 * is gone (or never was). */
bool tenants_drop_schema(const char *slug);
/* tenants_each calls fn with every tenant (not cached), in slug order,
 * until fn returns false. */
enum store_result tenants_each(bool (*fn)(const struct tenant *t, void *ctx), void *ctx);
/* tenants_list writes one line per tenant to out. */
enum store_result tenants_list(FILE *out);


#endif
