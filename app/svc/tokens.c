/* SPDX-License-Identifier: MIT */
/* tokens: verification and claims of a tenant's tokens (see tokens.h).
 *
 * The issuer a tenant's tokens must carry is derived from the tenant's
 * pool and region; jwt_verify does the rest (RS256 by the pool's JWKS,
 * token_use, client id, expiry with skew). No token is ever logged: only
 * the reason it was refused. */
#include "svc/tokens.h"

#include <json-c/json.h>
#include <stdlib.h>

#include "aws/cognito.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/tenants.h"
#include "svc/svc.h"

enum jwt_status tokens_verify(const struct tenant *t, const char *token, enum jwt_use use,
                              struct json_object **claims)
{
    const struct config *cfg = svc_config();
    char issuer[ISSUER_MAX];
    *claims = NULL;
    if (jwt_issuer(issuer, sizeof(issuer), cfg->cognito_endpoint,
                   t->region[0] ? t->region : cfg->aws_region, t->user_pool_id) < 0)
        return JWT_WRONG_ISSUER;
    struct jwt_expect e = {.issuer = issuer, .client_id = t->client_id, .use = use};
    return jwt_verify(token, &e, time(NULL), claims);
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
