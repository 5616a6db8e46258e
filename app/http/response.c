/* SPDX-License-Identifier: MIT */
/* response: building and sending one answer (see response.h).
 *
 * Headers are kept as ready-to-send text in one buffer: a response has a
 * handful of them and never needs to look one up again, so a list would
 * only cost allocations. Content-Length is computed at send time. */
#include "http/response.h"

#include <stdio.h>
#include <string.h>

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"}, {201, "Created"}, {204, "No Content"},
    {301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"},
    {304, "Not Modified"}, {400, "Bad Request"}, {401, "Unauthorized"},
    {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
    {409, "Conflict"}, {413, "Content Too Large"}, {414, "URI Too Long"},
    {415, "Unsupported Media Type"}, {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {429, "Too Many Requests"}, {500, "Internal Server Error"},
    {502, "Bad Gateway"}, {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

const char *resp_reason(int status)
{
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

void resp_init(struct response *resp)
{
    resp->status = HTTP_OK;
    buf_init(&resp->headers);
    buf_init(&resp->body);
}

void resp_reset(struct response *resp)
{
    resp->status = HTTP_OK;
    buf_reset(&resp->headers);
    buf_reset(&resp->body);
}

void resp_free(struct response *resp)
{
    buf_free(&resp->headers);
    buf_free(&resp->body);
}

static bool header_safe(const char *s)
{
    return !strpbrk(s, "\r\n");
}

int resp_header(struct response *resp, const char *name, const char *value)
{
    if (!header_safe(name) || !header_safe(value) || strchr(name, ':'))
        return -1;
    buf_puts(&resp->headers, name);
    buf_append(&resp->headers, ": ", 2);
    buf_puts(&resp->headers, value);
    buf_append(&resp->headers, "\r\n", 2);
    return 0;
}

void resp_redirect(struct response *resp, int status, const char *location)
{
    resp->status = status;
    if (resp_header(resp, "Location", location) < 0)
        resp_header(resp, "Location", "/");
    buf_reset(&resp->body);
}

int resp_send(struct response *resp, bool head_only, resp_writer write, void *ctx)
{
    char head[128];
    int n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Length: %zu\r\n",
                     resp->status, resp_reason(resp->status), resp->body.len);
    if (write(ctx, head, (size_t)n) < 0 ||
        write(ctx, resp->headers.data ? resp->headers.data : "", resp->headers.len) < 0 ||
        write(ctx, "\r\n", 2) < 0)
        return -1;
    if (!head_only && resp->body.len && write(ctx, resp->body.data, resp->body.len) < 0)
        return -1;
    return 0;
}
