/* SPDX-License-Identifier: MIT */
/* api: what every JSON API handler shares — Cognito errors and tier
 * refusals told in the one error shape (http/answer.h), and typed reading
 * of a JSON object body that stops at the first problem.
 *
 * Strings returned from a body borrow from req->json and live as long as the
 * request. Functions that answer return the HTTP status they set. */
#ifndef GH_API_H
#define GH_API_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/cognito.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

/* api_cognito_error answers a failed Cognito call as the catalogue says for
 * what (status, code, field, message; Retry-After on 429); a password
 * Cognito refuses is told with the tenant's policy. */
enum http_status api_cognito_error(struct request *req, struct response *resp,
                                   const struct cog_result *r, enum cogerr_ctx what);
/* api_check_password checks a new password against the tenant's policy
 * (svc/input.h); api_password_refusal is the sentence refusing one. Both
 * may write their sentence into buf (INPUT_PASSWORD_RULE_MAX bytes). */
const char *api_check_password(struct request *req, const char *password, char *buf,
                               size_t len);
const char *api_password_refusal(struct request *req, char *buf, size_t len);
/* api_tier_required answers 403 {"error":"tier_required"} to a user whose
 * tier is below tier. */
enum http_status api_tier_required(struct request *req, struct response *resp, const char *tier);
/* api_message answers {"message": message} with status. */
enum http_status api_message(struct response *resp, enum http_status status, const char *message);

/* api_add_time adds key to obj as the UTC time at in ISO 8601
 * (2026-01-02T03:04:05Z); nothing for at <= 0 (never). */
void api_add_time(struct json_object *obj, const char *key, time_t at);

/* The first problem found in a request's input; zeroed: none yet. */
struct api_check {
    int status;          /* 400, or 415 for a body that is not JSON */
    const char *code;    /* "missing_field", "invalid_type", "invalid_field", ... */
    const char *field;   /* NULL: the body as a whole */
    const char *message;
};

/* api_body checks that the request carries a JSON object (when required;
 * else no body at all is fine too). False records why in chk. */
bool api_body(struct request *req, struct api_check *chk, bool required);
/* api_only_members records the first member of the body that is not one of
 * names (n of them) as invalid with message: a member the handler would
 * ignore is refused rather than silently dropped. */
void api_only_members(struct request *req, struct api_check *chk, const char *const *names,
                      size_t n, const char *message);
/* api_text returns body field name when it is a string; NULL when it is
 * absent, null or empty (a problem if required) or of another type (always
 * a problem, and so is null for a field that is not required). Nothing is
 * read once chk holds a problem. */
const char *api_text(struct request *req, struct api_check *chk, const char *name,
                     bool required);
/* api_flag reads a boolean field (absent: false); api_integer an integer. */
bool api_flag(struct request *req, struct api_check *chk, const char *name);
bool api_integer(struct request *req, struct api_check *chk, const char *name, long long *out);
/* api_invalid records field as invalid with message, unless message is NULL
 * (a validator's "fine") or a problem is already recorded. */
void api_invalid(struct api_check *chk, const char *field, const char *message);
/* api_refuse answers the recorded problem. */
enum http_status api_refuse(struct request *req, struct response *resp,
                            const struct api_check *chk);

/* api_note and api_note_email record a security event of a user (by sub,
 * or by email when the users mirror knows one) as made through the API, from
 * the request's address (svc/activity; best effort). */
void api_note(struct request *req, const char *sub, const char *kind);
void api_note_email(struct request *req, const char *email, const char *kind);

#endif
