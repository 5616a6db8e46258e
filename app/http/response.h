/* SPDX-License-Identifier: MIT */
/* response: status, headers and body of one answer, sent as a FastCGI
 * (CGI-style) response.
 *
 * A response belongs to a worker thread and is reused: resp_reset empties it
 * without freeing its buffers. Header values are checked for CR/LF so that no
 * caller can split the response. */
#ifndef GH_RESPONSE_H
#define GH_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

enum http_status {
    HTTP_OK = 200, HTTP_CREATED = 201, HTTP_NO_CONTENT = 204,
    HTTP_MOVED_PERMANENTLY = 301, HTTP_SEE_OTHER = 303,
    HTTP_BAD_REQUEST = 400, HTTP_UNAUTHORIZED = 401, HTTP_FORBIDDEN = 403,
    HTTP_NOT_FOUND = 404, HTTP_METHOD_NOT_ALLOWED = 405, HTTP_CONFLICT = 409,
    HTTP_PAYLOAD_TOO_LARGE = 413, HTTP_URI_TOO_LONG = 414,
    HTTP_UNSUPPORTED_MEDIA_TYPE = 415, HTTP_MISDIRECTED = 421, HTTP_UNPROCESSABLE = 422,
    HTTP_TOO_MANY_REQUESTS = 429, HTTP_INTERNAL_ERROR = 500,
    HTTP_BAD_GATEWAY = 502, HTTP_SERVICE_UNAVAILABLE = 503,
    HTTP_GATEWAY_TIMEOUT = 504,
};

struct response {
    int status;
    struct buf headers; /* "Name: value\r\n" lines */
    struct buf body;
};

typedef int (*resp_writer)(void *ctx, const char *data, size_t len);

void resp_init(struct response *resp);
void resp_reset(struct response *resp);
void resp_free(struct response *resp);
/* resp_reason returns the reason phrase of a status ("Not Found"). */
const char *resp_reason(int status);
/* resp_header adds a header; returns -1 (and adds nothing) if the name or
 * value contains CR, LF or NUL. */
int resp_header(struct response *resp, const char *name, const char *value);
/* resp_redirect answers status (301/303) with Location: location. */
void resp_redirect(struct response *resp, int status, const char *location);
/* resp_send writes status line, headers and (unless head_only) the body. */
int resp_send(struct response *resp, bool head_only, resp_writer write, void *ctx);

#endif
