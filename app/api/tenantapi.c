/* SPDX-License-Identifier: MIT */
/* tenantapi: the tenants API (see tenantapi.h).
 *
 * The lookups answer only what a client app needs to talk to Cognito
 * itself — pool id, client id, region, display name — and never the client
 * secret; a tenant that is still provisioning or disabled is "not found".
 * Creating a tenant needs the platform operator's token, compared by its
 * SHA-256 in constant time (so not even its length leaks); without PLATFORM_ADMIN_TOKEN set, the route refuses
 * everyone rather than accepting an empty token. Bodies are read and errors
 * answered as everywhere in the API (api/api.h). */
#include "api/tenantapi.h"

#include <json-c/json.h>
#include <string.h>

#include "api/api.h"
#include "core/config.h"
#include "core/log.h"
#include "core/seal.h"
#include "http/answer.h"
#include "store/tenants.h"
#include "svc/provision.h"

#define BEARER "Bearer "

static const struct config *config;

void tenantapi_init_worker(const struct config *cfg)
{
    config = cfg;
}

static struct json_object *public_fields(const struct tenant *t)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "tenant", json_object_new_string(t->slug));
    json_object_object_add(obj, "name", json_object_new_string(t->name));
    json_object_object_add(obj, "userPoolId", json_object_new_string(t->user_pool_id));
    json_object_object_add(obj, "clientId", json_object_new_string(t->client_id));
    json_object_object_add(obj, "region", json_object_new_string(t->region));
    return obj;
}

static enum http_status lookup(struct request *req, struct response *resp, const char *slug)
{
    struct tenant t;
    if (!slug || !*slug)
        return answer_error(req, resp, HTTP_BAD_REQUEST, "missing_field",
                            "Give the tenant's slug.", "tenant");
    enum store_result rc = STORE_NOT_FOUND;
    if (!strcmp(slug, TENANT_DEFAULT) || !tenants_slug_problem(slug))
        rc = tenants_find(slug, &t);
    if (rc == STORE_OK && t.active)
        return answer_json(resp, HTTP_OK, public_fields(&t));
    if (rc == STORE_OK || rc == STORE_NOT_FOUND)
        return answer_error(req, resp, HTTP_NOT_FOUND, "tenant_not_found",
                            "There is no such tenant.", NULL);
    return answer_status_error(req, resp, answer_status_of(rc), NULL);
}

enum http_status tenantapi_lookup_query(struct request *req, struct response *resp)
{
    return lookup(req, resp, req_query(req, "tenant"));
}

enum http_status tenantapi_lookup_path(struct request *req, struct response *resp)
{
    return lookup(req, resp, req->path_param);
}

static bool platform_token_ok(const struct request *req)
{
    const char *auth = req_env(req, "HTTP_AUTHORIZATION");
    const char *want = config ? config->platform_admin_token : NULL;
    if (!want || !*want || !auth || strncmp(auth, BEARER, strlen(BEARER)))
        return false;
    /* Digests of equal length are compared, in constant time: neither the
     * token's bytes nor its length show in how long a refusal takes. */
    const char *given = auth + strlen(BEARER);
    unsigned char given_hash[SEAL_SHA256_BYTES], want_hash[SEAL_SHA256_BYTES];
    seal_sha256(given, strlen(given), given_hash);
    seal_sha256(want, strlen(want), want_hash);
    return seal_equal(given_hash, want_hash, SEAL_SHA256_BYTES);
}

enum http_status tenantapi_create(struct request *req, struct response *resp)
{
    if (!platform_token_ok(req)) {
        resp_header(resp, "WWW-Authenticate", "Bearer");
        return answer_error(req, resp, HTTP_UNAUTHORIZED, "unauthorized",
                            "Creating tenants needs the platform operator's token.", NULL);
    }
    struct api_check chk = {0};
    api_body(req, &chk, true);
    struct provision_request r = {
        .slug = api_text(req, &chk, "slug", true),
        .name = api_text(req, &chk, "name", true),
        .admin_email = api_text(req, &chk, "admin_email", true),
        .with_secret = api_flag(req, &chk, "with_secret"),
    };
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct tenant t;
    char err[512], quoted[600];
    switch (provision_tenant(config, &r, NULL, &t, err, sizeof(err))) {
    case PROVISION_OK:
        log_event(LOG_INFO, "tenant_created", "id=%s slug=%s", req->request_id, t.slug);
        return answer_json(resp, HTTP_CREATED, public_fields(&t));
    case PROVISION_INVALID:
        return answer_error(req, resp, HTTP_BAD_REQUEST, "invalid_tenant", err,
                            strstr(err, "slug")    ? "slug"
                            : strstr(err, "email") ? "admin_email"
                                                   : "name");
    case PROVISION_EXISTS:
        return answer_error(req, resp, HTTP_CONFLICT, "tenant_exists",
                            "A tenant with this slug exists.", "slug");
    case PROVISION_FAILED:
    default:
        log_event(LOG_ERROR, "tenant_create_failed", "id=%s slug=%s error=%s", req->request_id,
                  r.slug, log_quote(quoted, sizeof(quoted), err));
        return answer_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "provisioning_incomplete",
                            "The tenant could not be completed; send the same request again to "
                            "resume.",
                            NULL);
    }
}
