/* SPDX-License-Identifier: MIT */
/* svc: the domain floor's shared settings (see svc.h).
 *
 * The settings pointer is the worker's, set once after fork and read by
 * every thread; nothing here is written after svc_init_worker. */
#include "svc/svc.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/config.h"
#include "core/seal.h"
#include "store/sessions.h"
#include "store/tenants.h"

#define KEY_TEXT_MAX 512 /* kind, tenant and value, with separators */

_Static_assert(SVC_KEY_BYTES == SEAL_SHA256_BYTES, "a derived key is one HMAC-SHA-256");

static const struct config *config;

void svc_init_worker(const struct config *cfg)
{
    config = cfg;
    tenants_init_worker(cfg);
    sess_init_worker(cfg->session_key);
}

const struct config *svc_config(void)
{
    return config;
}

bool svc_is_admin(const char *const *groups, size_t ngroups)
{
    for (size_t i = 0; i < ngroups && config->admin_group; i++)
        if (!strcmp(groups[i], config->admin_group))
            return true;
    return false;
}

void svc_client(const struct tenant *t, struct cog_client *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = config->cognito_endpoint;
    c->region = t->region[0] ? t->region : config->aws_region;
    c->pool_id = t->user_pool_id;
    c->client_id = t->client_id;
    c->client_secret = t->client_secret;
    c->cred.access_key_id = config->aws_access_key_id;
    c->cred.secret_access_key = config->aws_secret_access_key;
    c->cred.session_token = config->aws_session_token;
}

void svc_wait_until_second(time_t second)
{
    struct timespec now;
    while (clock_gettime(CLOCK_REALTIME, &now) == 0 && now.tv_sec < second) {
        struct timespec rest = {.tv_sec = 0, .tv_nsec = 1000000000L - now.tv_nsec};
        nanosleep(&rest, NULL);
    }
}

bool svc_derive_key(const char *label, const char *kind, const char *tenant, const char *value,
                    unsigned char out[SVC_KEY_BYTES])
{
    unsigned char derived[SEAL_SHA256_BYTES];
    char text[KEY_TEXT_MAX];
    if (!config || !config->has_session_key || !tenant || !value)
        return false;
    int n = snprintf(text, sizeof(text), "%s\n%s\n%s", kind, tenant, value);
    if (n < 0 || (size_t)n >= sizeof(text))
        return false;
    for (char *p = text; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    seal_hmac_sha256(config->session_key, CONFIG_SESSION_KEY_BYTES, label, strlen(label), derived);
    seal_hmac_sha256(derived, sizeof(derived), text, (size_t)n, out);
    seal_wipe(derived, sizeof(derived));
    seal_wipe(text, sizeof(text));
    return true;
}
