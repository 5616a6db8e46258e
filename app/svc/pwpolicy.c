/* SPDX-License-Identifier: MIT */
/* pwpolicy: a pool's password policy, read and kept (see pwpolicy.h).
 *
 * The copy is a cache of Cognito's setting, never an authority: Cognito
 * checks every password itself, so a stale or missing copy can only make
 * the pages' advice wrong for a while, never let a weaker password in. That
 * is why an old copy is still used while a new one is being read, and why a
 * Cognito that does not answer leaves the old copy (or none) rather than
 * failing the page. Reading costs a worker one Cognito call per tenant per
 * PASSWORD_POLICY_MAX_AGE_S at most; the claim in PostgreSQL keeps every
 * other worker from making the same call meanwhile. */
#include "svc/pwpolicy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/tenants.h"
#include "svc/svc.h"

#define POLICY_PATH "UserPool.Policies.PasswordPolicy."

static bool flag(const struct cog_result *r, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), POLICY_PATH "%s", name);
    const char *v = cog_get(r, path);
    return v && !strcmp(v, "true");
}

/* parse reads DescribeUserPool's PasswordPolicy; false when it names no
 * MinimumLength Cognito could have set. */
static bool parse(const struct cog_result *r, struct tenant_password_policy *out)
{
    const char *length = cog_get(r, POLICY_PATH "MinimumLength");
    char *end = NULL;
    long n = length ? strtol(length, &end, 10) : 0;
    memset(out, 0, sizeof(*out));
    if (!length || *end || n < POOL_PASSWORD_LENGTH_LOW || n > POOL_PASSWORD_LENGTH_HIGH)
        return false;
    out->min_length = (int)n;
    out->upper = flag(r, "RequireUppercase");
    out->lower = flag(r, "RequireLowercase");
    out->digit = flag(r, "RequireNumbers");
    out->symbol = flag(r, "RequireSymbols");
    out->known = true;
    out->read_at = (long long)time(NULL);
    return true;
}

int pwpolicy_refresh(const struct cog_client *c, const char *slug,
                     struct tenant_password_policy *out, char *err, size_t errlen)
{
    struct cog_result r;
    int rc = -1;
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(c->pool_id));
    int called = cog_call(c, "DescribeUserPool", req, &r);
    json_object_put(req);
    if (called < 0) {
        snprintf(err, errlen, "DescribeUserPool for pool %s failed (%s)", c->pool_id,
                 r.type[0] ? r.type : r.error ? r.error->code : "no answer");
        goto out;
    }
    if (!parse(&r, out)) {
        snprintf(err, errlen, "DescribeUserPool for pool %s gave no password policy", c->pool_id);
        goto out;
    }
    if (tenants_set_password_policy(slug, c->pool_id, out) != STORE_OK) {
        snprintf(err, errlen, "keeping the password policy failed (PostgreSQL)");
        goto out;
    }
    rc = 0;
out:
    cog_result_free(&r);
    return rc;
}

void pwpolicy_of(const struct tenant *t, struct tenant_password_policy *out)
{
    *out = t->password;
    long long now = (long long)time(NULL);
    if ((out->known && now - out->read_at < PASSWORD_POLICY_MAX_AGE_S) || !t->user_pool_id[0])
        return;
    if (tenants_claim_policy_read(t->slug, t->user_pool_id, PASSWORD_POLICY_MAX_AGE_S,
                                  PASSWORD_POLICY_RETRY_S) != STORE_OK)
        return;
    struct cog_client c;
    struct tenant_password_policy fresh;
    char err[256], quoted[LOG_VALUE_MAX];
    svc_client(t, &c);
    if (pwpolicy_refresh(&c, t->slug, &fresh, err, sizeof(err)) < 0) {
        log_event(LOG_WARN, "password_policy_unread", "tenant=%s reason=%s", t->slug,
                  log_quote(quoted, sizeof(quoted), err));
        return;
    }
    log_event(LOG_INFO, "password_policy_read", "tenant=%s min_length=%d", t->slug,
              fresh.min_length);
    *out = fresh;
}
