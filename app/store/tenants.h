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

/* The password policy of a tenant's pool, as last read from Cognito
 * (svc/pwpolicy.c). known is false until it has been read for the pool the
 * tenant uses now: then Cognito's own check is the only one. */
struct tenant_password_policy {
    bool known;
    int min_length;              /* characters */
    bool upper, lower, digit, symbol; /* one of each class is required */
    long long read_at;           /* unix seconds; 0: never */
};

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
    struct tenant_password_policy password;
    /* account_enumeration 'reveal': sign-up and confirmation may tell that
     * an email has an account; false ('hide', the default): they answer
     * alike (svc/registration.h). */
    bool reveal_accounts;
    /* mfa: TENANT_MFA_OFF, _OPTIONAL (the default) or _REQUIRED (svc/mfa.h). */
    char mfa[12];
    /* Where the sign-up form links its terms and privacy policy: an https://
     * URL or a path on this site, "" for none. */
    char terms_url[TENANT_TEXT_MAX];
    char privacy_url[TENANT_TEXT_MAX];
};

#define TENANT_MFA_OFF "off"
#define TENANT_MFA_OPTIONAL "optional"
#define TENANT_MFA_REQUIRED "required"

#define TENANT_ENUMERATION_HIDE "hide"
#define TENANT_ENUMERATION_REVEAL "reveal"

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
/* tenants_set_links changes the terms and privacy links (NULL: unchanged,
 * "": none). */
enum store_result tenants_set_links(const char *slug, const char *terms_url,
                                    const char *privacy_url);
/* tenants_set_enumeration sets account_enumeration to TENANT_ENUMERATION_HIDE
 * or TENANT_ENUMERATION_REVEAL (the table's check refuses anything else). */
enum store_result tenants_set_enumeration(const char *slug, const char *setting);
/* tenants_set_mfa sets mfa to one of TENANT_MFA_* (the table's check
 * refuses anything else). */
enum store_result tenants_set_mfa(const char *slug, const char *setting);
enum store_result tenants_delete_row(const char *slug);
/* tenants_set_password_policy keeps p, read from pool_id, with the tenant. */
enum store_result tenants_set_password_policy(const char *slug, const char *pool_id,
                                              const struct tenant_password_policy *p);
/* tenants_claim_policy_read answers STORE_OK to the one caller that should
 * read the tenant's policy from Cognito now: none is kept for pool_id, or it
 * is older than max_age_s, and nobody set out to read it in the last
 * retry_s seconds. STORE_NOT_FOUND: leave it (or no such tenant). */
enum store_result tenants_claim_policy_read(const char *slug, const char *pool_id,
                                            int max_age_s, int retry_s);
/* tenants_drop_schema drops t_<slug> with everything in it, and the record
 * of its migrations; true when both are gone (or never were). */
bool tenants_drop_schema(const char *slug);
/* tenants_schema_ready is true when slug's schema has the tables requests read. */
bool tenants_schema_ready(const char *slug);
/* tenants_each calls fn with every tenant (not cached), in slug order,
 * until fn returns false. */
enum store_result tenants_each(bool (*fn)(const struct tenant *t, void *ctx), void *ctx);
/* tenants_list writes one line per tenant to out. */
enum store_result tenants_list(FILE *out);


#endif
