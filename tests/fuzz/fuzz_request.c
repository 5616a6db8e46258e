/* SPDX-License-Identifier: MIT */
/* fuzz_request: libFuzzer target for the request layer — the request target
 * (path and query) and the body, form or JSON, as FastCGI hands them over.
 *
 * The first input byte picks the content type (form, JSON, other, none),
 * the second and third whether Content-Length is given, right or wrong; the
 * rest up to the first NUL is the REQUEST_URI, and what follows is the body.
 * Invariants: a request either parses or carries a 4xx status (400, 413,
 * 414, 415) with a reason; a parsed JSON body is an object or value json-c
 * owns (none only for the JSON null); a parsed path starts with '/' and
 * holds no NUL. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/arena.h"
#include "core/limits.h"
#include "http/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond,         \
                    __FILE__, __LINE__);                                     \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define URI_MAX 8192

struct body {
    const uint8_t *data;
    size_t len, pos;
};

static int read_body(void *ctx, char *buf, int len)
{
    struct body *b = ctx;
    size_t n = b->len - b->pos;
    if (n > (size_t)len)
        n = (size_t)len;
    memcpy(buf, b->data + b->pos, n);
    b->pos += n;
    return (int)n;
}

/* is_null: text is the JSON null, whitespace aside. */
static bool is_null(const uint8_t *text, size_t len)
{
    static const char ws[] = " \t\r\n";
    size_t start = 0, end = len;
    while (start < end && text[start] && strchr(ws, text[start]))
        start++;
    while (end > start && text[end - 1] && strchr(ws, text[end - 1]))
        end--;
    return end - start == 4 && !memcmp(text + start, "null", 4);
}

static struct arena arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {
        "CONTENT_TYPE=application/x-www-form-urlencoded",
        "CONTENT_TYPE=application/json; charset=utf-8", "CONTENT_TYPE=text/plain", NULL};
    if (size < 3)
        return 0;
    const char *type = types[data[0] % 4];
    int length_mode = data[1] % 3; /* 0: none, 1: right, 2: off by data[2] */
    data += 3;
    size -= 3;
    const uint8_t *nul = memchr(data, 0, size);
    size_t uri_len = nul ? (size_t)(nul - data) : size;
    if (uri_len > URI_MAX)
        return 0;
    char uri[URI_MAX + 16] = "REQUEST_URI=";
    memcpy(uri + strlen("REQUEST_URI="), data, uri_len);
    uri[strlen("REQUEST_URI=") + uri_len] = '\0';
    struct body body = {nul ? nul + 1 : data + size, nul ? size - uri_len - 1 : 0, 0};
    char length[64];
    snprintf(length, sizeof(length), "CONTENT_LENGTH=%zu",
             length_mode == 2 ? body.len + data[-1] : body.len);

    char *envp[6];
    int n = 0;
    envp[n++] = "REQUEST_METHOD=POST";
    envp[n++] = uri;
    if (type)
        envp[n++] = (char *)type;
    if (length_mode)
        envp[n++] = length;
    envp[n] = NULL;

    struct request req;
    req_init(&req, &arena, envp, read_body, &body);
    int status = req.invalid_status ? req.invalid_status : req_read_body(&req);
    req_query(&req, "x");
    if (req.invalid_status) {
        CHECK(req.invalid_status >= 400 && req.invalid_status < 500);
        CHECK(req.invalid_reason != NULL);
    } else {
        CHECK(status == 0);
        CHECK(req.path[0] == '/');
        CHECK(req.body_kind != BODY_JSON || req.json != NULL || is_null(body.data, body.len));
    }
    req_cleanup(&req);
    arena_reset(&arena);
    return 0;
}
