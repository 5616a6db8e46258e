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

/* The pattern of a code field: INPUT_CODE_DIGITS digits. */
#define CODE_STR(n) #n
#define CODE_PATTERN_OF(n) "[0-9]{" CODE_STR(n) "}"
#define CODE_PATTERN CODE_PATTERN_OF(INPUT_CODE_DIGITS)

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
    if (!strcmp(type, "password"))
        json_object_object_add(f, "is_password", json_object_new_boolean(1));
    if (autocomplete && !strcmp(autocomplete, "one-time-code")) {
        /* The code is digits only: the keypad on phones, the browser's own
         * check before a round trip, and the one field worth focusing. */
        struct json_object *attrs = json_object_new_object();
        json_object_object_add(attrs, "inputmode", json_object_new_string("numeric"));
        json_object_object_add(attrs, "pattern", json_object_new_string(CODE_PATTERN));
        json_object_object_add(attrs, "maxlength", json_object_new_int(INPUT_CODE_DIGITS));
        json_object_object_add(attrs, "autofocus", json_object_new_boolean(1));
        json_object_object_add(f, "attrs", attrs);
    }
    json_object_object_add(fields, name, f);
}

void fields_unfocus(struct json_object *fields, const char *name)
{
    struct json_object *f, *attrs;
    if (json_object_object_get_ex(fields, name, &f) &&
        json_object_object_get_ex(f, "attrs", &attrs))
        json_object_object_del(attrs, "autofocus");
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

/* add_rule appends one password rule to rules: key names the check the
 * page's script makes (static/js/feel.js), min the length rule's bound. */
static void add_rule(struct json_object *rules, const char *key, const char *text, int min)
{
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "key", json_object_new_string(key));
    json_object_object_add(r, "text", json_object_new_string(text));
    if (min > 0)
        json_object_object_add(r, "min", json_object_new_int(min));
    json_object_array_add(rules, r);
}

/* add_rules puts the tenant's policy, one rule a line, on the new password
 * field f; nothing when the policy is not known (Cognito then decides, and
 * the help says what it can). */
static void add_rules(struct request *req, struct json_object *f)
{
    struct tenant_password_policy p;
    pwpolicy_of(req->tenant, &p);
    if (!p.known)
        return;
    char len[64];
    snprintf(len, sizeof(len), "At least %d characters", p.min_length);
    struct json_object *rules = json_object_new_array();
    add_rule(rules, "length", len, p.min_length);
    if (p.upper)
        add_rule(rules, "upper", "An uppercase letter", 0);
    if (p.lower)
        add_rule(rules, "lower", "A lowercase letter", 0);
    if (p.digit)
        add_rule(rules, "digit", "A number", 0);
    if (p.symbol)
        add_rule(rules, "symbol", "A symbol such as ! - # or a space", 0);
    json_object_object_add(f, "rules", rules);
    json_object_object_add(f, "has_rules", json_object_new_boolean(1));
}

/* A field's anchor is its control's id: "f-" and its key in fields (the
 * tier's radio group has it on its fieldset). */
static void add_summary_line(struct json_object *errors, const char *key,
                             struct json_object *f, struct json_object *error)
{
    char id[INPUT_FIELD_ID_MAX];
    struct json_object *label, *line = json_object_new_object();
    snprintf(id, sizeof(id), "f-%s", key);
    json_object_object_add(line, "id", json_object_new_string(id));
    if (json_object_object_get_ex(f, "label", &label))
        json_object_object_add(line, "label", json_object_get(label));
    json_object_object_add(line, "message", json_object_get(error));
    json_object_array_add(errors, line);
}

void fields_dress(struct request *req, struct json_object *ctx)
{
    struct json_object *fields, *errors = NULL, *v;
    if (json_object_object_get_ex(ctx, "fields", &fields) &&
        json_object_is_type(fields, json_type_object)) {
        json_object_object_foreach(fields, key, f) {
            if (!json_object_is_type(f, json_type_object))
                continue;
            if (json_object_object_get_ex(f, "autocomplete", &v) &&
                !strcmp(json_object_get_string(v), "new-password")) {
                if (!strcmp(key, "password") &&
                    !json_object_object_get_ex(f, "has_rules", NULL))
                    add_rules(req, f);
                else if (!strcmp(key, "confirm_password"))
                    json_object_object_add(f, "match", json_object_new_string("f-password"));
            }
            if (json_object_object_get_ex(f, "error", &v)) {
                if (!errors)
                    errors = json_object_new_array();
                add_summary_line(errors, key, f, v);
            }
        }
    }
    if (errors) {
        json_object_object_add(ctx, "has_errors", json_object_new_boolean(1));
        json_object_object_add(ctx, "errors_many",
                               json_object_new_boolean(json_object_array_length(errors) > 1));
        json_object_object_add(ctx, "errors", errors);
    }
    if (errors || json_object_object_get_ex(ctx, "form_error", NULL))
        json_object_object_add(ctx, "error_state", json_object_new_boolean(1));
}
