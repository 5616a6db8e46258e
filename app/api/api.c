/* SPDX-License-Identifier: MIT */
/* api: shared pieces of the JSON API (see api.h).
 *
 * Every API error, whether it is bad input, a Cognito refusal or a missing
 * token, goes out in the one shape of http/answer.h, so clients parse only one.
 * Cognito's errors are never worded here: the catalogue (aws/cogerr.h)
 * gives the code, status, field and message, as it does for the pages.
 *
 * Input is read field by field into a struct api_check that keeps the first
 * problem only: a client fixes one thing at a time, and the answer names
 * the field. Only fields a handler asks for are read, so whatever else a
 * body carries is ignored and can never reach Cognito. Strings are borrowed
 * from req->json, which the request owns until it ends. */
#include "api/api.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/pwpolicy.h"

#define TIME_TEXT_MAX 32 /* "2026-01-02T03:04:05Z" and its NUL, with room */

/* ---- answers ------------------------------------------------------------ */

const char *api_password_refusal(struct request *req, char *buf, size_t len)
{
    struct tenant_password_policy p;
    pwpolicy_of(req->tenant, &p);
    return input_password_refusal(&p, buf, len);
}

const char *api_check_password(struct request *req, const char *password, char *buf,
                               size_t len)
{
    struct tenant_password_policy p;
    pwpolicy_of(req->tenant, &p);
    return input_check_password(password, &p, buf, len);
}

enum http_status api_message(struct response *resp, enum http_status status, const char *message)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "message", json_object_new_string(message));
    return answer_json(resp, status, obj);
}

enum http_status api_cognito_error(struct request *req, struct response *resp,
                                   const struct cog_result *r, enum cogerr_ctx what)
{
    const struct cogerr_info *info = cogerr_get(r->err, what);
    log_event(LOG_INFO, "cognito_refused", "id=%s route=%s type=%s code=%s", req->request_id,
              req->route_name, r->type[0] ? r->type : "-", info->code);
    if (info->status == HTTP_TOO_MANY_REQUESTS)
        resp_header(resp, "Retry-After", COGNITO_RETRY_AFTER_S);
    else if (info->status == HTTP_SERVICE_UNAVAILABLE)
        resp_header(resp, "Retry-After", COGNITO_DOWN_RETRY_AFTER_S);
    const char *message = info->message;
    char refusal[INPUT_PASSWORD_RULE_MAX];
    if (!strcmp(info->code, COGERR_CODE_INVALID_PASSWORD))
        message = api_password_refusal(req, refusal, sizeof(refusal));
    return answer_error(req, resp, info->status, info->code, message, info->field);
}

enum http_status api_tier_required(struct request *req, struct response *resp, const char *tier)
{
    struct json_object *obj =
        answer_error_object(req, "tier_required", "This feature needs the premium tier.", NULL);
    json_object_object_add(obj, "required_tier", json_object_new_string(tier));
    return answer_json(resp, HTTP_FORBIDDEN, obj);
}

/* ---- input -------------------------------------------------------------- */

static void problem(struct api_check *chk, int status, const char *code, const char *field,
                    const char *message)
{
    if (chk->code)
        return;
    chk->status = status;
    chk->code = code;
    chk->field = field;
    chk->message = message;
}

bool api_body(struct request *req, struct api_check *chk, bool required)
{
    /* The dispatcher has refused malformed JSON and unknown types already;
     * a form body is well-formed but not what this API speaks. */
    if (req->body_kind == BODY_FORM)
        problem(chk, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", NULL,
                "Send the request body as JSON (Content-Type: application/json).");
    else if (req->body_kind == BODY_NONE && required)
        problem(chk, HTTP_BAD_REQUEST, "invalid_body", NULL,
                "The request needs a JSON object body.");
    else if (req->body_kind == BODY_JSON && !json_object_is_type(req->json, json_type_object))
        problem(chk, HTTP_BAD_REQUEST, "invalid_body", NULL,
                "The request body must be a JSON object.");
    return chk->code == NULL;
}

void api_only_members(struct request *req, struct api_check *chk, const char *const *names,
                      size_t n, const char *message)
{
    if (chk->code || !req->json || !json_object_is_type(req->json, json_type_object))
        return;
    json_object_object_foreach(req->json, key, value) {
        (void)value;
        size_t i = 0;
        while (i < n && strcmp(key, names[i]))
            i++;
        if (i == n) {
            /* The name outlives the body's object: the answer is written after. */
            api_invalid(chk, arena_strdup(req->arena, key), message);
            return;
        }
    }
}

void api_add_time(struct json_object *obj, const char *key, time_t at)
{
    char text[TIME_TEXT_MAX];
    struct tm tm;
    if (at <= 0 || !gmtime_r(&at, &tm))
        return;
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_object_add(obj, key, json_object_new_string(text));
}

/* member finds name in the body; NULL when absent, null, or no object.
 * present says whether the body names it at all (null included). */
static struct json_object *member(const struct request *req, const char *name, bool *present)
{
    struct json_object *v = NULL;
    *present = req->json && json_object_is_type(req->json, json_type_object) &&
               json_object_object_get_ex(req->json, name, &v);
    return *present ? v : NULL;
}

const char *api_text(struct request *req, struct api_check *chk, const char *name,
                     bool required)
{
    if (chk->code)
        return NULL;
    bool present;
    struct json_object *v = member(req, name, &present);
    /* null is no string: an optional field is either a string or left out
     * (a required one left null is missing, as the document says). */
    if ((v && !json_object_is_type(v, json_type_string)) || (present && !v && !required)) {
        problem(chk, HTTP_BAD_REQUEST, "invalid_type", name, "This field must be a string.");
        return NULL;
    }
    const char *text = v ? json_object_get_string(v) : NULL;
    size_t len = v ? (size_t)json_object_get_string_len(v) : 0;
    /* json-c keeps a "\u0000" inside the string; C code would silently
     * read a shorter one, so such a string is refused outright. */
    if (text && strlen(text) != len) {
        problem(chk, HTTP_BAD_REQUEST, "invalid_field", name,
                "This field contains characters that are not allowed.");
        return NULL;
    }
    if (!text || !*text) {
        if (required)
            problem(chk, HTTP_BAD_REQUEST, "missing_field", name, "This field is required.");
        return NULL;
    }
    return text;
}

bool api_flag(struct request *req, struct api_check *chk, const char *name)
{
    if (chk->code)
        return false;
    bool present;
    struct json_object *v = member(req, name, &present);
    if (v && !json_object_is_type(v, json_type_boolean)) {
        problem(chk, HTTP_BAD_REQUEST, "invalid_type", name, "This field must be true or false.");
        return false;
    }
    return v && json_object_get_boolean(v);
}

bool api_integer(struct request *req, struct api_check *chk, const char *name, long long *out)
{
    *out = 0;
    if (chk->code)
        return false;
    bool present;
    struct json_object *v = member(req, name, &present);
    if (!v) {
        problem(chk, HTTP_BAD_REQUEST, "missing_field", name, "This field is required.");
        return false;
    }
    if (!json_object_is_type(v, json_type_int)) {
        problem(chk, HTTP_BAD_REQUEST, "invalid_type", name, "This field must be a whole number.");
        return false;
    }
    *out = json_object_get_int64(v);
    return true;
}

void api_invalid(struct api_check *chk, const char *field, const char *message)
{
    if (message)
        problem(chk, HTTP_BAD_REQUEST, "invalid_field", field, message);
}

enum http_status api_refuse(struct request *req, struct response *resp,
                            const struct api_check *chk)
{
    return answer_error(req, resp, chk->status ? chk->status : HTTP_BAD_REQUEST,
                     chk->code ? chk->code : "bad_request",
                     chk->message ? chk->message : "The request could not be understood.",
                     chk->field);
}

static struct activity_origin origin_of(const struct request *req)
{
    return (struct activity_origin){.api = true, .client_addr = req->client_addr,
                                    .request_id = req->request_id};
}

void api_note(struct request *req, const char *sub, const char *kind)
{
    struct activity_origin o = origin_of(req);
    activity_note(req->tenant, sub, kind, &o);
}

void api_note_email(struct request *req, const char *email, const char *kind)
{
    struct activity_origin o = origin_of(req);
    activity_note_email(req->tenant, email, kind, &o);
}
