/* SPDX-License-Identifier: MIT */
/* fields: form fields and their errors (see fields.h).
 *
 * Strings put in json-c objects are copied by json-c. The wording of a
 * Cognito refusal comes from the catalogue (aws/cogerr.h), never from
 * Cognito's own text. */
#include "pages/fields.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "svc/input.h"
#include "svc/pwpolicy.h"

#define FIELDS_MESSAGE_MAX 160 /* a message built here, with its number */

/* What a form says when Cognito cannot answer it for now: the person did
 * nothing wrong, and what they typed is still there. */
#define MSG_DOWN                                                                            \
    "Sign-in is briefly unavailable: our sign-in service is not answering. Your details are " \
    "still here; please try again in a minute."
#define MSG_BUSY                                                                          \
    "Sign-in is briefly unavailable because of heavy load. Your details are still here; " \
    "please try again in a moment."

void fields_add(struct json_object *fields, const char *name, const char *label,
                const char *type, const char *value, const char *autocomplete, bool required,
                const char *help)
{
    struct json_object *f = json_object_new_object();
    json_object_object_add(f, "name", json_object_new_string(name));
    json_object_object_add(f, "label", json_object_new_string(label));
    json_object_object_add(f, "type", json_object_new_string(type));
    if (value && *value && strcmp(type, "password"))
        json_object_object_add(f, "value", json_object_new_string(value));
    if (autocomplete)
        json_object_object_add(f, "autocomplete", json_object_new_string(autocomplete));
    if (required)
        json_object_object_add(f, "required", json_object_new_boolean(1));
    if (help)
        json_object_object_add(f, "help", json_object_new_string(help));
    json_object_object_add(fields, name, f);
}

bool fields_error(struct json_object *ctx, const char *field, const char *message)
{
    struct json_object *fields, *f;
    if (field && json_object_object_get_ex(ctx, "fields", &fields) &&
        json_object_object_get_ex(fields, field, &f)) {
        if (!json_object_object_get_ex(f, "error", NULL))
            json_object_object_add(f, "error", json_object_new_string(message));
    } else if (!json_object_object_get_ex(ctx, "form_error", NULL)) {
        json_object_object_add(ctx, "form_error", json_object_new_string(message));
    }
    return false;
}

bool fields_check(struct json_object *ctx, const char *field, const char *problem)
{
    return problem ? fields_error(ctx, field, problem) : true;
}

const char *fields_password_help(struct request *req)
{
    struct tenant_password_policy p;
    char help[INPUT_PASSWORD_RULE_MAX];
    pwpolicy_of(req->tenant, &p);
    return arena_strdup(req->arena, input_password_help(&p, help, sizeof(help)));
}

bool fields_check_new_password(struct request *req, struct json_object *ctx)
{
    const char *password = req_form(req, "password");
    struct tenant_password_policy p;
    char msg[INPUT_PASSWORD_RULE_MAX];
    pwpolicy_of(req->tenant, &p);
    bool ok = fields_check(ctx, "password", input_check_password(password, &p, msg, sizeof(msg)));
    const char *again = req_form(req, "confirm_password");
    if (!again || !password || strcmp(again, password))
        ok = fields_error(ctx, "confirm_password", "The two passwords do not match.");
    return ok;
}

const char *fields_query_email(struct request *req)
{
    const char *email = req_query(req, "email");
    return email && !input_check_email(email) ? email : NULL;
}

enum http_status fields_cognito_error(struct request *req, struct response *resp,
                                      const struct cog_result *r, enum cogerr_ctx what,
                                      const char *template, struct json_object *ctx)
{
    const struct cogerr_info *info = cogerr_get(r->err, what);
    log_event(LOG_INFO, "cognito_refused", "id=%s route=%s type=%s code=%s", req->request_id,
              req->route_name, r->type[0] ? r->type : "-", info->code);
    const char *message = info->message;
    /* Cognito down, slow or busy is no reason to lose the form: it comes
     * back with what was typed (never a password) and when to try again.
     * Only what the app cannot handle (a pool set up wrongly, an answer
     * nobody understands) is the error page. */
    if (info->status == HTTP_TOO_MANY_REQUESTS || info->status == HTTP_SERVICE_UNAVAILABLE) {
        resp_header(resp, "Retry-After", info->status == HTTP_TOO_MANY_REQUESTS
                                             ? COGNITO_RETRY_AFTER_S
                                             : COGNITO_DOWN_RETRY_AFTER_S);
        if (r->err == COGERR_THROTTLING || r->err == COGERR_TOO_MANY_REQUESTS)
            message = MSG_BUSY;
        else if (r->err == COGERR_UNAVAILABLE || r->err == COGERR_INTERNAL_ERROR)
            message = MSG_DOWN;
        json_object_object_add(ctx, "unavailable", json_object_new_boolean(1));
        fields_error(ctx, info->field, message);
        return render_page(req, resp, info->status, template, ctx);
    }
    if (info->status >= HTTP_INTERNAL_ERROR)
        return render_error(req, resp, info->status, info->message, false);
    char refusal[INPUT_PASSWORD_RULE_MAX];
    if (!strcmp(info->code, COGERR_CODE_INVALID_PASSWORD)) {
        struct tenant_password_policy p;
        pwpolicy_of(req->tenant, &p);
        message = input_password_refusal(&p, refusal, sizeof(refusal));
    }
    fields_error(ctx, info->field, message);
    return render_page(req, resp, info->status, template, ctx);
}

void fields_code_state(struct json_object *ctx, const char *expiry, long long wait_s)
{
    json_object_object_add(ctx, "code_expiry", json_object_new_string(expiry));
    if (wait_s > 0)
        json_object_object_add(ctx, "resend_wait_s", json_object_new_int64(wait_s));
}

enum http_status fields_resend_wait(struct request *req, struct response *resp,
                                    const char *template, struct json_object *ctx,
                                    long long wait_s)
{
    char wait[NUM_TEXT_MAX], message[FIELDS_MESSAGE_MAX];
    snprintf(wait, sizeof(wait), "%lld", wait_s);
    resp_header(resp, "Retry-After", wait);
    snprintf(message, sizeof(message),
             "A code was sent a moment ago. You can ask for a new one in %lld second%s.",
             wait_s, wait_s == 1 ? "" : "s");
    fields_error(ctx, NULL, message);
    return render_page(req, resp, HTTP_TOO_MANY_REQUESTS, template, ctx);
}
