/* SPDX-License-Identifier: MIT */
/* selfapi: a bearer's own account (see selfapi.h).
 *
 * Every call verifies the token (bearer_authenticate) and acts for its sub
 * only. PATCH /api/v1/me takes exactly the four editable fields: any other
 * member (tier, tenant...) is refused with 400 naming it, so a client
 * learns at once that it cannot write it, and nothing is changed. The
 * email change and the deletion carry the password in the body: the API
 * has no session to hold a re-authentication, so the call is its own.
 * Devices are named "<kind>-<handle>" (browser or api), as listed. */
#include "api/selfapi.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/api.h"
#include "api/auth.h"
#include "api/bearer.h"
#include "core/limits.h"
#include "http/answer.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/devices.h"
#include "svc/input.h"
#include "svc/selfservice.h"
#include "svc/signin.h"

#define KIND_BROWSER "browser-"
#define KIND_API "api-"

static const char *const profile_members[] = {"name", "company", "department", "role"};
#define PROFILE_MEMBERS (sizeof profile_members / sizeof *profile_members)

static struct selfservice_who who_of(const struct bearer *b)
{
    return (struct selfservice_who){.sub = b->sub, .email = b->email, .access_token = b->token};
}

static enum http_status outcome_error(struct request *req, struct response *resp,
                                      enum devices_outcome rc)
{
    return answer_status_error(req, resp,
                               rc == DEVICES_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                         : HTTP_INTERNAL_ERROR,
                               NULL);
}

/* profile_member reads one member of a PATCH: NULL when it is left out (it
 * stays as it is), "" when it is null or "" (a work detail is removed, as in
 * a JSON merge patch; the name cannot be: a 400), or its text. */
static const char *profile_member(struct request *req, struct api_check *chk, const char *name,
                                  bool removable)
{
    struct json_object *v = NULL;
    if (chk->code || !json_object_object_get_ex(req->json, name, &v))
        return NULL;
    bool empty = !v || (json_object_is_type(v, json_type_string) && !json_object_get_string_len(v));
    if (!empty)
        return api_text(req, chk, name, false);
    if (!removable) {
        api_invalid(chk, name, "A name cannot be removed: send the new name instead.");
        return NULL;
    }
    return "";
}

enum http_status selfapi_profile(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    if (api_body(req, &chk, true))
        api_only_members(req, &chk, profile_members, PROFILE_MEMBERS,
                         "Only name, company, department and role can be changed here.");
    struct selfservice_profile p = {.name = profile_member(req, &chk, "name", false),
                                    .company = profile_member(req, &chk, "company", true),
                                    .department = profile_member(req, &chk, "department", true),
                                    .role = profile_member(req, &chk, "role", true)};
    const char *problem = NULL, *field = chk.code ? NULL : selfservice_check_profile(&p, &problem);
    if (field)
        api_invalid(&chk, field, problem);
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct selfservice_who who = who_of(&b);
    struct cog_result r;
    if (selfservice_profile(req->tenant, &who, &p, req->request_id, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "sub", json_object_new_string(b.sub));
    json_object_object_add(obj, "email", json_object_new_string(b.email));
    for (size_t i = 0; i < PROFILE_MEMBERS; i++) {
        const char *v = i == 0 ? p.name : i == 1 ? p.company : i == 2 ? p.department : p.role;
        if (v && *v)
            json_object_object_add(obj, profile_members[i], json_object_new_string(v));
    }
    json_object_object_add(obj, "tier", json_object_new_string(b.tier));
    return answer_json(resp, HTTP_OK, obj);
}

enum http_status selfapi_sessions(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    struct devices_item *items = NULL;
    size_t n = 0;
    enum devices_outcome rc = devices_list(req->tenant, b.sub, NULL, b.jti, req->arena, &items, &n);
    if (rc != DEVICES_OK)
        return outcome_error(req, resp, rc);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        char id[sizeof KIND_BROWSER + DEVICE_HANDLE_LEN];
        bool api = items[i].kind == DEVICES_API;
        snprintf(id, sizeof id, "%s%s", api ? KIND_API : KIND_BROWSER, items[i].handle);
        struct json_object *d = json_object_new_object();
        json_object_object_add(d, "id", json_object_new_string(id));
        json_object_object_add(d, "kind", json_object_new_string(api ? "api" : "browser"));
        json_object_object_add(d, "description", json_object_new_string(items[i].description));
        json_object_object_add(d, "client_addr", items[i].client_addr
                                                     ? json_object_new_string(items[i].client_addr)
                                                     : NULL);
        api_add_time(d, "signed_in_at", items[i].signed_in_at);
        api_add_time(d, "last_seen_at", items[i].last_seen_at);
        json_object_object_add(d, "remember", json_object_new_boolean(items[i].remember));
        json_object_object_add(d, "current", json_object_new_boolean(items[i].current));
        json_object_array_add(list, d);
    }
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "sessions", list);
    return answer_json(resp, HTTP_OK, obj);
}

enum http_status selfapi_session_end(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    const char *id = req->path_param ? req->path_param : "";
    enum devices_kind kind;
    const char *handle;
    if (!strncmp(id, KIND_API, strlen(KIND_API))) {
        kind = DEVICES_API;
        handle = id + strlen(KIND_API);
    } else if (!strncmp(id, KIND_BROWSER, strlen(KIND_BROWSER))) {
        kind = DEVICES_BROWSER;
        handle = id + strlen(KIND_BROWSER);
    } else {
        return answer_error(req, resp, HTTP_NOT_FOUND, "not_found",
                            "There is no such session of yours.", NULL);
    }
    enum devices_outcome rc = devices_end(req->tenant, b.sub, kind, handle, NULL, req->request_id);
    if (rc == DEVICES_NOT_FOUND)
        return answer_error(req, resp, HTTP_NOT_FOUND, "not_found",
                            "There is no such session of yours.", NULL);
    if (rc != DEVICES_OK)
        return outcome_error(req, resp, rc);
    api_note(req, b.sub, SECEVENT_SESSIONS_ENDED);
    resp->status = HTTP_NO_CONTENT;
    return HTTP_NO_CONTENT;
}

enum http_status selfapi_sessions_end_others(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    struct signin renewed;
    long long ended = 0;
    enum devices_outcome rc =
        devices_end_others_of_api(req->tenant, b.sub, b.jti, req->request_id, &renewed, &ended);
    struct json_object *tokens =
        renewed.outcome == SIGNIN_TOKENS ? auth_renewed_tokens(req, &renewed.result) : NULL;
    signin_free(&renewed);
    if (rc != DEVICES_OK) {
        json_object_put(tokens);
        return outcome_error(req, resp, rc);
    }
    api_note(req, b.sub, SECEVENT_SESSIONS_ENDED);
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "signed_out", json_object_new_int64(ended));
    /* Every bearer token issued until now is refused, this device's too: it
     * goes on with the tokens below, or signs in again when there are none
     * (its sign-in could not be told apart from the others). */
    json_object_object_add(obj, "tokens", tokens);
    return answer_json(resp, HTTP_OK, obj);
}

enum http_status selfapi_email(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    if (!chk.code)
        api_invalid(&chk, "email", input_check_email(email));
    if (!chk.code && !strcasecmp(email, b.email))
        api_invalid(&chk, "email", "That is already your email address.");
    if (chk.code)
        return api_refuse(req, resp, &chk);
    if ((status = bearer_password_proven(req, resp, &b, &chk)))
        return status;
    struct selfservice_who who = who_of(&b);
    struct cog_result r;
    if (selfservice_email_start(req->tenant, &who, email, req->request_id, &r) < 0)
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    else
        status = api_message(resp, HTTP_OK,
                             "We emailed a code to the new address. Until it is verified, the "
                             "current email stays the sign-in address.");
    cog_result_free(&r);
    return status;
}

enum http_status selfapi_email_verify(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *code = api_text(req, &chk, "code", true);
    if (!chk.code)
        api_invalid(&chk, "code", input_check_code(code));
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct selfservice_who who = who_of(&b);
    struct cog_result r;
    const char *email = NULL;
    if (selfservice_email_verify(req->tenant, &who, code, req->arena, req->request_id, &r,
                                 &email) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE);
    } else {
        api_note(req, b.sub, SECEVENT_EMAIL_CHANGED);
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "email", json_object_new_string(email ? email : b.email));
        status = answer_json(resp, HTTP_OK, obj);
    }
    cog_result_free(&r);
    return status;
}

enum http_status selfapi_delete(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    api_body(req, &chk, true);
    if ((status = bearer_password_proven(req, resp, &b, &chk)))
        return status;
    struct selfservice_who who = who_of(&b);
    struct cog_result r;
    if (selfservice_delete(req->tenant, &who, req->request_id, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    } else {
        resp->status = HTTP_NO_CONTENT;
        status = HTTP_NO_CONTENT;
    }
    cog_result_free(&r);
    return status;
}
