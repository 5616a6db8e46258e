/* SPDX-License-Identifier: MIT */
/* tenants API (see tenants.h).
 *
 * The lookups answer only what a client app needs to talk to Cognito
 * itself — pool id, client id, region, display name — and never the client
 * secret; a tenant that is still provisioning or disabled is "not found".
 * Creating a tenant needs the platform operator's token, compared in
 * constant time; without PLATFORM_ADMIN_TOKEN set, the route refuses
 * everyone rather than accepting an empty token. */
#include "api/tenantapi.h"

#include <json-c/json.h>
#include <string.h>

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

static int json_error(struct response *resp, int status, const char *code, const char *message,
                      const char *field)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "error", json_object_new_string(code));
    json_object_object_add(obj, "message", json_object_new_string(message));
    if (field)
        json_object_object_add(obj, "field", json_object_new_string(field));
    return answer_json(resp, status, obj);
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

static int lookup(struct response *resp, const char *slug)
{
    struct tenant t;
    if (!slug || !*slug)
        return json_error(resp, HTTP_BAD_REQUEST, "missing_field", "Give the tenant's slug.",
                          "tenant");
    if (strcmp(slug, TENANT_DEFAULT) && tenants_slug_problem(slug))
        return json_error(resp, HTTP_NOT_FOUND, "tenant_not_found", "There is no such tenant.", NULL);
    switch (tenants_find(slug, &t)) {
    case STORE_OK:
        if (!t.active)
            return json_error(resp, HTTP_NOT_FOUND, "tenant_not_found", "There is no such tenant.",
                              NULL);
        return answer_json(resp, HTTP_OK, public_fields(&t));
    case STORE_NOT_FOUND:
        return json_error(resp, HTTP_NOT_FOUND, "tenant_not_found", "There is no such tenant.", NULL);
    case STORE_UNAVAILABLE:
    case STORE_CONFLICT:
    default:
        return json_error(resp, HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
                          "The service is briefly unavailable.", NULL);
    }
}

enum http_status tenantapi_lookup_query(struct request *req, struct response *resp)
{
    return lookup(resp, req_query(req, "tenant"));
}

enum http_status tenantapi_lookup_path(struct request *req, struct response *resp)
{
    return lookup(resp, req->path_param);
}

static bool platform_token_ok(const struct request *req)
{
    const char *auth = req_env(req, "HTTP_AUTHORIZATION");
    const char *want = config ? config->platform_admin_token : NULL;
    if (!want || !*want || !auth || strncmp(auth, BEARER, strlen(BEARER)))
        return false;
    const char *given = auth + strlen(BEARER);
    return strlen(given) == strlen(want) && seal_equal(given, want, strlen(want));
}

static const char *string_field(struct json_object *body, const char *name, bool *wrong_type)
{
    struct json_object *v;
    if (!json_object_object_get_ex(body, name, &v))
        return NULL;
    if (!json_object_is_type(v, json_type_string)) {
        *wrong_type = true;
        return NULL;
    }
    return json_object_get_string(v);
}

enum http_status tenantapi_create(struct request *req, struct response *resp)
{
    if (!platform_token_ok(req)) {
        resp_header(resp, "WWW-Authenticate", "Bearer");
        return json_error(resp, HTTP_UNAUTHORIZED, "unauthorized",
                          "Creating tenants needs the platform operator's token.", NULL);
    }
    if (!req->json || !json_object_is_type(req->json, json_type_object))
        return json_error(resp, HTTP_BAD_REQUEST, "invalid_body",
                          "Send a JSON object with slug, name and admin_email.", NULL);
    static const char *const fields[] = {"slug", "name", "admin_email"};
    const char *values[3];
    for (int i = 0; i < 3; i++) {
        bool wrong = false;
        values[i] = string_field(req->json, fields[i], &wrong);
        if (!values[i] || wrong)
            return json_error(resp, HTTP_BAD_REQUEST, wrong ? "invalid_type" : "missing_field",
                              wrong ? "This field must be a string." : "This field is required.",
                              fields[i]);
    }
    struct json_object *secret;
    bool with_secret = json_object_object_get_ex(req->json, "with_secret", &secret) &&
                       json_object_get_boolean(secret);
    struct provision_request r = {values[0], values[1], values[2], with_secret};
    struct tenant t;
    char err[512], quoted[600];
    switch (provision_tenant(config, &r, NULL, &t, err, sizeof(err))) {
    case PROVISION_OK:
        log_event(LOG_INFO, "tenant_created", "id=%s slug=%s", req->request_id, t.slug);
        return answer_json(resp, HTTP_CREATED, public_fields(&t));
    case PROVISION_INVALID:
        return json_error(resp, HTTP_BAD_REQUEST, "invalid_tenant", err,
                          strstr(err, "slug") ? "slug" : strstr(err, "email") ? "admin_email" : "name");
    case PROVISION_EXISTS:
        return json_error(resp, HTTP_CONFLICT, "tenant_exists", "A tenant with this slug exists.",
                          "slug");
    case PROVISION_FAILED:
    default:
        log_event(LOG_ERROR, "tenant_create_failed", "id=%s slug=%s error=%s", req->request_id,
                  r.slug, log_quote(quoted, sizeof(quoted), err));
        return json_error(resp, HTTP_SERVICE_UNAVAILABLE, "provisioning_incomplete",
                          "The tenant could not be completed; send the same request again to "
                          "resume.", NULL);
    }
}
