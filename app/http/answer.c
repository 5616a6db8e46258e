/* SPDX-License-Identifier: MIT */
/* answer: JSON answers (see answer.h).
 *
 * JSON is written straight into the response buffer, which the thread
 * reuses from one request to the next. The table of standard wordings is
 * the one place a status's explanation lives, for error pages and JSON
 * alike: callers pass a message only when they have a more precise one. */
#include "http/answer.h"

#include <json-c/json.h>

static const struct {
    enum http_status status;
    const char *code;    /* JSON "error" value */
    const char *message; /* what a person is told */
} status_texts[] = {
    {HTTP_BAD_REQUEST, "bad_request", "The request could not be understood."},
    {HTTP_UNAUTHORIZED, "unauthorized", "You need to sign in first."},
    {HTTP_FORBIDDEN, "forbidden", "You do not have access to this page."},
    {HTTP_NOT_FOUND, "not_found", "There is no page at this address."},
    {HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", "This page cannot be used that way."},
    {HTTP_CONFLICT, "conflict", "That conflicts with something that already exists."},
    {HTTP_PAYLOAD_TOO_LARGE, "payload_too_large",
     "The request is larger than this site accepts."},
    {HTTP_URI_TOO_LONG, "uri_too_long", "The address of the page is too long."},
    {HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
     "This kind of content is not accepted here."},
    {HTTP_MISDIRECTED, "misdirected_request", "This site does not answer to that host name."},
    {HTTP_TOO_MANY_REQUESTS, "too_many_requests",
     "Too many attempts. Please wait a moment and try again."},
    {HTTP_INTERNAL_ERROR, "internal_error", "Something went wrong on our side. Please try again."},
    {HTTP_BAD_GATEWAY, "bad_gateway", "A service we depend on answered badly. Please try again."},
    {HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
     "The service is briefly unavailable. Please try again shortly."},
    {HTTP_GATEWAY_TIMEOUT, "gateway_timeout",
     "A service we depend on took too long. Please try again."},
};

void answer_status_text(enum http_status status, const char **code, const char **message)
{
    *code = "error";
    *message = resp_reason((int)status);
    for (size_t i = 0; i < sizeof(status_texts) / sizeof(status_texts[0]); i++) {
        if (status_texts[i].status == status) {
            *code = status_texts[i].code;
            *message = status_texts[i].message;
        }
    }
}

enum http_status answer_json(struct response *resp, enum http_status status,
                             struct json_object *obj)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    buf_reset(&resp->body);
    buf_append(&resp->body, text, len);
    buf_putc(&resp->body, '\n');
    json_object_put(obj);
    resp->status = (int)status;
    resp_header(resp, "Content-Type", "application/json");
    resp_header(resp, "Cache-Control", "no-store");
    return status;
}

struct json_object *answer_error_object(const struct request *req, const char *code,
                                        const char *message, const char *field)
{
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "error", json_object_new_string(code));
    json_object_object_add(obj, "message", json_object_new_string(message));
    json_object_object_add(obj, "field", field ? json_object_new_string(field) : NULL);
    json_object_object_add(obj, "request_id", json_object_new_string(req->request_id));
    return obj;
}

enum http_status answer_error(const struct request *req, struct response *resp,
                              enum http_status status, const char *code, const char *message,
                              const char *field)
{
    return answer_json(resp, status, answer_error_object(req, code, message, field));
}

enum http_status answer_status_error(const struct request *req, struct response *resp,
                                     enum http_status status, const char *message)
{
    const char *code, *standard;
    answer_status_text(status, &code, &standard);
    return answer_error(req, resp, status, code, message ? message : standard, NULL);
}

enum http_status answer_status_of(enum store_result r)
{
    switch (r) {
    case STORE_OK:
        return HTTP_OK;
    case STORE_NOT_FOUND:
        return HTTP_NOT_FOUND;
    case STORE_CONFLICT:
        return HTTP_CONFLICT;
    case STORE_UNAVAILABLE:
        return HTTP_SERVICE_UNAVAILABLE;
    case STORE_ERROR:
    default:
        return HTTP_INTERNAL_ERROR;
    }
}
