/* SPDX-License-Identifier: MIT */
/* tokens: verification and claims of a tenant's tokens (see tokens.h).
 *
 * The issuer a tenant's tokens must carry and the URL of its keys are the
 * settings' templates (COGNITO_ISSUER, COGNITO_JWKS_URL) filled in with the
 * tenant's region and pool, never the endpoint its API is reached at: real
 * Cognito names itself https://cognito-idp.<region>.amazonaws.com/<pool>
 * through a VPC or FIPS endpoint too. jwt_verify does the rest (RS256 by
 * those keys, token_use, client id, expiry with skew). No token is ever
 * logged: only the reason it was refused and, for a wrong issuer, the
 * issuer expected and the one received, so that a mismatch of the settings
 * and the pool is plain from the log. */
#include "svc/tokens.h"

#include <json-c/json.h>
#include <stdlib.h>

#include "aws/awshttp.h"
#include "aws/cognito.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/tenants.h"
#include "svc/svc.h"

/* pool_urls fills in the issuer and JWKS URL of the pool of region and
 * pool_id; 0, or -1 when either cannot be (a pool id or region no real one
 * is like). */
static int pool_urls(const struct config *cfg, const char *region, const char *pool_id,
                     char issuer[ISSUER_MAX], char jwks[ISSUER_MAX])
{
    return jwt_pool_url(issuer, ISSUER_MAX, cfg->cognito_issuer, region, pool_id) < 0 ||
                   jwt_pool_url(jwks, ISSUER_MAX, cfg->cognito_jwks_url, region, pool_id) < 0
               ? -1
               : 0;
}

static const char *region_of(const struct config *cfg, const struct tenant *t)
{
    return t->region[0] ? t->region : cfg->aws_region;
}

/* log_wrong_issuer names the issuer tenant t expects and the one token
 * carries. The token's signature verified with the keys of the expected
 * issuer (that comes first in jwt_verify), so the value logged is not an
 * anonymous caller's text, and it is quoted all the same. */
static void log_wrong_issuer(const struct tenant *t, const char *expected, const char *token)
{
    struct json_object *claims = jwt_stored_claims(token);
    const char *received = claims ? tokens_claim(claims, "iss") : NULL;
    char qs[LOG_VALUE_MAX], qe[LOG_VALUE_MAX], qr[LOG_VALUE_MAX];
    log_event(LOG_WARN, "token_wrong_issuer",
              "tenant=%s expected=%s received=%s hint=\"COGNITO_ISSUER must name the issuer the "
              "pool's tokens carry\"",
              log_quote(qs, sizeof(qs), t->slug), log_quote(qe, sizeof(qe), expected),
              log_quote(qr, sizeof(qr), received ? received : "(none)"));
    json_object_put(claims);
}

enum jwt_status tokens_verify(const struct tenant *t, const char *token, enum jwt_use use,
                              struct json_object **claims)
{
    const struct config *cfg = svc_config();
    char issuer[ISSUER_MAX], jwks[ISSUER_MAX], qs[LOG_VALUE_MAX], qp[LOG_VALUE_MAX];
    *claims = NULL;
    if (pool_urls(cfg, region_of(cfg, t), t->user_pool_id, issuer, jwks) < 0) {
        log_event(LOG_ERROR, "token_issuer_unusable", "tenant=%s pool=%s",
                  log_quote(qs, sizeof(qs), t->slug), log_quote(qp, sizeof(qp), t->user_pool_id));
        return JWT_WRONG_ISSUER;
    }
    struct jwt_expect e = {
        .issuer = issuer, .client_id = t->client_id, .use = use, .jwks_url = jwks};
    enum jwt_status st = jwt_verify(token, &e, time(NULL), claims);
    if (st == JWT_WRONG_ISSUER)
        log_wrong_issuer(t, issuer, token);
    return st;
}

/* ---- check-config --------------------------------------------------------- */

struct jwks_run {
    const struct config *cfg;
    struct tokens_jwks_check *check;
};

/* check_pool fetches the JWKS of one pool and says what it found: on
 * check->info when it holds keys, else on check->report as a problem (an
 * answer without keys: the URL or the pool is wrong) or a warning (no
 * answer: perhaps only for now). what names the pool's owner; one that
 * serves nobody (a disabled tenant) has only warnings, as its app client
 * has (svc/provision.c). */
static void check_pool(struct jwks_run *run, const char *what, const char *region,
                       const char *pool_id, bool serves)
{
    struct tokens_jwks_check *c = run->check;
    char issuer[ISSUER_MAX], jwks[ISSUER_MAX], err[AWSHTTP_ERROR_MAX + 64];
    const char *problem = serves ? c->problem : c->warning;
    int *count = serves ? &c->problems : &c->warnings;
    if (pool_urls(run->cfg, region, pool_id, issuer, jwks) < 0) {
        char qp[LOG_VALUE_MAX], qr[LOG_VALUE_MAX];
        (*count)++;
        fprintf(c->report,
                "%s%s: the issuer and JWKS URL of pool %s (region %s) cannot be filled in: "
                "not a pool id or region\n",
                problem, what, log_quote(qp, sizeof(qp), pool_id),
                log_quote(qr, sizeof(qr), region ? region : ""));
        return;
    }
    int keys = jwt_jwks_probe(jwks, err, sizeof(err));
    if (keys > 0) {
        c->fetched++;
        fprintf(c->info, "%s%s: JWKS %s: %d signing key%s; tokens must carry iss %s\n", c->prefix,
                what, jwks, keys, keys > 1 ? "s" : "", issuer);
    } else if (keys == 0) {
        (*count)++;
        fprintf(c->report, "%s%s: JWKS %s %s (set COGNITO_JWKS_URL to where the pool's keys are)\n",
                problem, what, jwks, err);
    } else {
        c->warnings++;
        fprintf(c->report, "%s%s: JWKS %s could not be fetched: %s\n", c->warning, what, jwks, err);
    }
}

static bool check_tenant_jwks(const struct tenant *t, void *ctx)
{
    struct jwks_run *run = ctx;
    char what[TENANT_SLUG_MAX + 16];
    if (!t->user_pool_id[0]) /* still being made */
        return true;
    snprintf(what, sizeof(what), "tenant %s", t->slug);
    check_pool(run, what, region_of(run->cfg, t), t->user_pool_id, t->active);
    return true;
}

void tokens_check_jwks(const struct config *cfg, bool with_tenants, struct tokens_jwks_check *check)
{
    struct jwks_run run = {cfg, check};
    char issuer[ISSUER_MAX], jwks[ISSUER_MAX];
    check->fetched = check->problems = check->warnings = 0;
    /* Templates that cannot be filled in even for a plain pool id were
     * reported by config_check: not again for every tenant. */
    if (pool_urls(cfg, "us-east-1", "us-east-1_Example", issuer, jwks) < 0) {
        fprintf(check->report,
                "%sthe JWKS are not checked: COGNITO_ISSUER or COGNITO_JWKS_URL is unusable\n",
                check->warning);
        return;
    }
    if (!with_tenants) {
        if (cfg->cognito_user_pool_id)
            check_pool(&run, "the settings' COGNITO_USER_POOL_ID", cfg->aws_region,
                       cfg->cognito_user_pool_id, true);
        return;
    }
    tenants_init_worker(cfg); /* the default tenant's row reads the settings */
    if (tenants_each(check_tenant_jwks, &run) != STORE_OK) {
        check->warnings++;
        fprintf(check->report, "%sthe tenants' JWKS: PostgreSQL is unavailable\n", check->warning);
    }
}

struct json_object *tokens_verify_result(const struct tenant *t, const struct cog_result *r,
                                         const char *request_id)
{
    const char *id_token = cog_get(r, "AuthenticationResult.IdToken");
    const char *access_token = cog_get(r, "AuthenticationResult.AccessToken");
    struct json_object *claims = NULL, *access_claims = NULL;
    enum jwt_status st = JWT_MALFORMED;
    if (id_token && access_token) {
        st = tokens_verify(t, id_token, JWT_USE_ID, &claims);
        if (st == JWT_OK)
            st = tokens_verify(t, access_token, JWT_USE_ACCESS, &access_claims);
    }
    json_object_put(access_claims);
    if (st != JWT_OK) {
        log_event(LOG_WARN, "token_refused", "id=%s reason=%s", request_id,
                  jwt_status_name(st));
        json_object_put(claims);
        return NULL;
    }
    return claims;
}

const char *tokens_claim(struct json_object *claims, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

time_t tokens_claim_time(struct json_object *claims, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_int))
        return 0;
    return (time_t)json_object_get_int64(v);
}

size_t tokens_claim_groups(struct json_object *claims, const char **groups, size_t max)
{
    struct json_object *v;
    size_t n = 0;
    if (!json_object_object_get_ex(claims, "cognito:groups", &v) ||
        !json_object_is_type(v, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(v) && n < max; i++) {
        struct json_object *g = json_object_array_get_idx(v, i);
        if (json_object_is_type(g, json_type_string))
            groups[n++] = json_object_get_string(g);
    }
    return n;
}

long tokens_expires_in(const struct cog_result *r)
{
    const char *text = cog_get(r, "AuthenticationResult.ExpiresIn");
    long n = text ? strtol(text, NULL, 10) : 0;
    return n > 0 ? n : EXPIRES_IN_DEFAULT_S;
}
