/* SPDX-License-Identifier: MIT */
/* mfa: /api/v1/me/mfa (see mfa.h).
 *
 * Every call verifies the bearer token first (api/bearer.h); the Cognito
 * calls are made with that same access token, so they act for its user
 * only. A tenant whose setting is 'off' offers no enrolment (403), but a
 * user may still turn off what they have. Turning TOTP off needs the
 * password (api/bearer: bearer_password_proven), throttled like a login. */
#include "api/mfa.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/bearer.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/mfa.h"

static struct json_object *state(const struct request *req, bool on)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "enabled", json_object_new_boolean(on));
    json_object_object_add(obj, "setting", json_object_new_string(req->tenant->mfa));
    return obj;
}

static bool offered(const struct request *req)
{
    return strcmp(req->tenant->mfa, TENANT_MFA_OFF) != 0;
}

static enum http_status not_offered(struct request *req, struct response *resp)
{
    return answer_error(req, resp, HTTP_FORBIDDEN, "mfa_not_offered",
                        "Two-step verification is not offered here.", NULL);
}

enum http_status me_mfa_get(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    struct cog_result r;
    bool on = false;
    if (mfa_enabled(req->tenant, b.token, &on, &r) < 0)
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    else
        status = answer_json(resp, HTTP_OK, state(req, on));
    cog_result_free(&r);
    return status;
}

enum http_status me_mfa_begin(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    if (!offered(req))
        return not_offered(req, resp);
    struct mfa_secret secret;
    struct cog_result r;
    if (mfa_begin(req->tenant, b.token, b.email, req->arena, &secret, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    } else {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "secret", json_object_new_string(secret.secret));
        json_object_object_add(obj, "otpauth_uri", json_object_new_string(secret.uri));
        status = answer_json(resp, HTTP_OK, obj);
    }
    cog_result_free(&r);
    return status;
}

enum http_status me_mfa_verify(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    if (!offered(req))
        return not_offered(req, resp);
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *code = api_text(req, &chk, "code", true);
    const char *device = api_text(req, &chk, "device_name", false);
    api_invalid(&chk, "code", mfa_check_code(code));
    api_invalid(&chk, "device_name", input_check_text(device, MFA_DEVICE_NAME_MAX, false));
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct cog_result r;
    if (mfa_confirm(req->tenant, b.token, code, device, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE);
    } else {
        log_event(LOG_INFO, "mfa_enabled", "id=%s tenant=%s via=api", req->request_id,
                  req->tenant->slug);
        api_note(req, b.sub, SECEVENT_MFA_ON);
        mfa_note(req->tenant, b.sub, true);
        status = answer_json(resp, HTTP_OK, state(req, true));
    }
    cog_result_free(&r);
    return status;
}

enum http_status me_mfa_delete(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    api_body(req, &chk, true);
    if ((status = bearer_password_proven(req, resp, &b, &chk)))
        return status;
    struct cog_result r;
    if (mfa_disable(req->tenant, b.token, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    } else {
        log_event(LOG_INFO, "mfa_disabled", "id=%s tenant=%s via=api", req->request_id,
                  req->tenant->slug);
        api_note(req, b.sub, SECEVENT_MFA_OFF);
        mfa_note(req->tenant, b.sub, false);
        status = answer_json(resp, HTTP_OK, state(req, false));
    }
    cog_result_free(&r);
    return status;
}
