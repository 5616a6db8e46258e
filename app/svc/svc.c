/* SPDX-License-Identifier: MIT */
/* svc: the domain floor's shared settings (see svc.h).
 *
 * The settings pointer is the worker's, set once after fork and read by
 * every thread; nothing here is written after svc_init_worker. */
#include "svc/svc.h"

#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/config.h"
#include "store/sessions.h"
#include "store/tenants.h"

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
