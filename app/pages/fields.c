/* SPDX-License-Identifier: MIT */
/* fields: form fields and their errors (see fields.h).
 *
 * Strings put in json-c objects are copied by json-c. The wording of a
 * Cognito refusal comes from the catalogue (aws/cogerr.h), never from
 * Cognito's own text. */
#include "pages/fields.h"

#include <json-c/json.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "svc/input.h"
#include "svc/pwpolicy.h"

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
    if (info->status == HTTP_TOO_MANY_REQUESTS || info->status >= HTTP_INTERNAL_ERROR) {
        if (info->status == HTTP_TOO_MANY_REQUESTS)
            resp_header(resp, "Retry-After", COGNITO_RETRY_AFTER_S);
        return render_error(req, resp, info->status, info->message, false);
    }
    const char *message = info->message;
    char refusal[INPUT_PASSWORD_RULE_MAX];
    if (!strcmp(info->code, COGERR_CODE_INVALID_PASSWORD)) {
        struct tenant_password_policy p;
        pwpolicy_of(req->tenant, &p);
        message = input_password_refusal(&p, refusal, sizeof(refusal));
    }
    fields_error(ctx, info->field, message);
    return render_page(req, resp, info->status, template, ctx);
}
