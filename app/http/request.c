/* SPDX-License-Identifier: MIT */
/* request: FastCGI parameters and body → a validated request (see request.h).
 *
 * The path comes from REQUEST_URI as the client sent it, and is decoded
 * here strictly (bad escapes, NUL, invalid UTF-8 and encoded slashes are a
 * 400) rather than trusting nginx's normalised $uri: a worker never trusts
 * nginx alone. Everything else is parsed on first use and cached behind the
 * REQ_PARSED_* bits. The body is read at most once, never beyond
 * REQ_BODY_MAX, whatever Content-Length claims. */
#include "http/request.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/utf8.h"

enum {
    REQ_PARSED_QUERY = 1 << 0,
    REQ_PARSED_COOKIES = 1 << 1,
    REQ_PARSED_BODY = 1 << 2,
};

#define REQUEST_ID_GENERATED_LEN 16

static const struct {
    const char *name;
    enum http_method method;
} methods[] = {
    {"GET", HTTP_GET},       {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},
    {"PUT", HTTP_PUT},       {"DELETE", HTTP_DELETE}, {"PATCH", HTTP_PATCH},
    {"OPTIONS", HTTP_OPTIONS},
};

const char *req_env(const struct request *req, const char *name)
{
    size_t n = strlen(name);
    for (char **e = req->envp; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static void set_invalid(struct request *req, int status, const char *reason)
{
    if (!req->invalid_status) {
        req->invalid_status = status;
        req->invalid_reason = reason;
    }
}

static const char *generate_request_id(struct arena *a)
{
    static const char hex[] = "0123456789abcdef";
    static __thread unsigned long long counter;
    static __thread unsigned long long seed;
    if (!seed)
        seed = ((unsigned long long)random() << 32) ^ (unsigned long long)(size_t)&counter;
    unsigned long long v = seed + ++counter * 0x9E3779B97F4A7C15ULL;
    char *id = arena_alloc(a, REQUEST_ID_GENERATED_LEN + 1);
    for (int i = 0; i < REQUEST_ID_GENERATED_LEN; i++, v >>= 4)
        id[i] = hex[v & 15];
    id[REQUEST_ID_GENERATED_LEN] = '\0';
    return id;
}

/* parse_target splits REQUEST_URI into the decoded path and raw query. */
static void parse_target(struct request *req, const char *uri)
{
    const char *q = strchr(uri, '?');
    size_t raw_len = q ? (size_t)(q - uri) : strlen(uri);
    req->query_string = q ? q + 1 : "";
    req->path = "/";
    if (raw_len == 0 || uri[0] != '/') {
        set_invalid(req, 400, "The address of the page is malformed.");
        return;
    }
    if (raw_len > REQ_PATH_MAX || strlen(req->query_string) > REQ_QUERY_MAX) {
        set_invalid(req, 414, "The address of the page is too long.");
        return;
    }
    char *path = arena_alloc(req->arena, raw_len + 1);
    size_t len;
    bool encoded_slash = false;
    if (form_percent_decode(path, uri, raw_len, &len, &encoded_slash) < 0 ||
        encoded_slash) {
        set_invalid(req, 400, "The address of the page contains invalid characters.");
        return;
    }
    req->path = path;
}

void req_init(struct request *req, struct arena *arena, char **envp,
              req_reader read, void *read_ctx)
{
    memset(req, 0, sizeof(*req));
    req->arena = arena;
    req->envp = envp;
    req->read = read;
    req->read_ctx = read_ctx;
    req->base = "";
    req->route_name = "-";

    req->method_name = req_env(req, "REQUEST_METHOD");
    if (!req->method_name)
        req->method_name = "GET";
    req->method = HTTP_OTHER;
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (!strcmp(req->method_name, methods[i].name))
            req->method = methods[i].method;

    const char *id = req_env(req, "REQUEST_ID");
    req->request_id = id && *id ? id : generate_request_id(arena);
    req->client_addr = req_env(req, "REMOTE_ADDR");
    if (!req->client_addr)
        req->client_addr = "-";

    const char *uri = req_env(req, "REQUEST_URI");
    parse_target(req, uri ? uri : "/");
}

const char *req_query(struct request *req, const char *name)
{
    if (!(req->parsed & REQ_PARSED_QUERY)) {
        req->parsed |= REQ_PARSED_QUERY;
        enum form_status st = form_parse(&req->query, req->arena, req->query_string,
                                         strlen(req->query_string));
        if (st != FORM_OK)
            set_invalid(req, 400, "The address contains a malformed query string.");
    }
    return form_get(&req->query, name);
}

const char *req_cookie(struct request *req, const char *name)
{
    if (!(req->parsed & REQ_PARSED_COOKIES)) {
        req->parsed |= REQ_PARSED_COOKIES;
        const char *header = req_env(req, "HTTP_COOKIE");
        /* An oversized Cookie header is ignored rather than refused: the
         * visitor could not fix it from our error page. */
        if (header)
            cookie_parse(&req->cookies, req->arena, header, strlen(header));
    }
    return cookie_get(&req->cookies, name);
}

/* media_type_is compares the type before any ";" parameters. */
static bool media_type_is(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    if (strncasecmp(content_type, type, n))
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

/* read_all reads up to max bytes; it returns the length, or -1 when more
 * than max bytes arrive. */
static long read_all(struct request *req, char *buf, size_t max)
{
    size_t len = 0;
    for (;;) {
        size_t room = max + 1 - len;
        int n = req->read(req->read_ctx, buf + len, (int)room);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len > max)
            return -1;
    }
    return (long)len;
}

/* members_in_text counts the members of every object in a JSON text that
 * has parsed: each one is the only place a ':' stands outside a string. */
static size_t members_in_text(const char *text, size_t len)
{
    size_t members = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (in_string && text[i] == '\\')
            i++; /* the escaped character, '"' or '\\' included */
        else if (text[i] == '"')
            in_string = !in_string;
        else if (!in_string && text[i] == ':')
            members++;
    }
    return members;
}

/* members_in_tree counts the members of every object in a parsed value.
 * The recursion is bounded by REQ_JSON_DEPTH_MAX, which the parse enforced. */
static size_t members_in_tree(struct json_object *v)
{
    size_t members = 0;
    if (json_object_is_type(v, json_type_object)) {
        json_object_object_foreach(v, key, member) {
            (void)key;
            members += 1 + members_in_tree(member);
        }
    } else if (json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v); i++)
            members += members_in_tree(json_object_array_get_idx(v, i));
    }
    return members;
}

/* parse_json_body parses body (len bytes, NUL-terminated) into req->json;
 * any JSON value is accepted here (null leaves req->json NULL), and the API
 * refuses what is not an object. It returns NULL, or why the body is
 * refused: malformed JSON, or an object that names a member twice. json-c
 * keeps the last of two silently, which would let
 * {"password":"x","password":"y"} mean one thing here and another to
 * whatever read the text before us (a WAF, a log). A member lost that way
 * is a member the tree has fewer of than the text. */
static const char *parse_json_body(struct request *req, const char *body, size_t len)
{
    static const char malformed[] = "The JSON body is malformed.";
    if (!utf8_valid(body, len) || memchr(body, '\0', len))
        return malformed;
    struct json_tokener *tok = json_tokener_new_ex(REQ_JSON_DEPTH_MAX);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    /* The terminating NUL goes in too: it is what tells json-c that a
     * top-level number, true or null has ended rather than been cut short. */
    struct json_object *obj = json_tokener_parse_ex(tok, body, (int)len + 1);
    bool complete = json_tokener_get_error(tok) == json_tokener_success &&
                    json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!complete) {
        json_object_put(obj);
        return malformed;
    }
    if (members_in_tree(obj) != members_in_text(body, len)) {
        json_object_put(obj);
        return "The JSON body names the same member twice.";
    }
    req->json = obj;
    return NULL;
}

int req_read_body(struct request *req)
{
    if (req->parsed & REQ_PARSED_BODY)
        return req->invalid_status;
    req->parsed |= REQ_PARSED_BODY;

    const char *length_text = req_env(req, "CONTENT_LENGTH");
    const char *type = req_env(req, "CONTENT_TYPE");
    long declared = -1;
    if (length_text && *length_text) {
        char *end;
        declared = strtol(length_text, &end, 10);
        if (*end || declared < 0) {
            set_invalid(req, 400, "The request's length is malformed.");
            return req->invalid_status;
        }
        if (declared > REQ_BODY_MAX) {
            set_invalid(req, 413, "The request is larger than this site accepts.");
            return req->invalid_status;
        }
    }
    char *body = arena_alloc(req->arena, REQ_BODY_MAX + 2);
    long len = read_all(req, body, REQ_BODY_MAX);
    if (len < 0) {
        set_invalid(req, 413, "The request is larger than this site accepts.");
        return req->invalid_status;
    }
    if (declared >= 0 && len != declared) {
        set_invalid(req, 400, "The request ended before its declared length.");
        return req->invalid_status;
    }
    body[len] = '\0';
    if (len == 0 && (!type || !*type)) {
        req->body_kind = BODY_NONE;
        return 0;
    }
    if (type && media_type_is(type, "application/x-www-form-urlencoded")) {
        req->body_kind = BODY_FORM;
        if (form_parse(&req->form, req->arena, body, (size_t)len) != FORM_OK)
            set_invalid(req, 400, "The form data is malformed.");
    } else if (type && media_type_is(type, "application/json")) {
        req->body_kind = BODY_JSON;
        const char *refused = parse_json_body(req, body, (size_t)len);
        if (refused)
            set_invalid(req, 400, refused);
    } else {
        set_invalid(req, 415, "This kind of content is not accepted here.");
    }
    return req->invalid_status;
}

const char *req_form(const struct request *req, const char *name)
{
    return form_get(&req->form, name);
}

bool req_wants_json(const struct request *req)
{
    const char *accept = req_env(req, "HTTP_ACCEPT");
    return accept && strstr(accept, "application/json") && !strstr(accept, "text/html");
}

struct req_deferred {
    void (*fn)(void *arg);
    void *arg;
    struct req_deferred *next;
};

void req_defer(struct request *req, void (*fn)(void *arg), void *arg)
{
    struct req_deferred *d = arena_alloc(req->arena, sizeof(*d));
    d->fn = fn;
    d->arg = arg;
    d->next = req->deferred;
    req->deferred = d;
}

void req_cleanup(struct request *req)
{
    for (struct req_deferred *d = req->deferred; d; d = d->next)
        d->fn(d->arg);
    req->deferred = NULL;
    if (req->json)
        json_object_put(req->json);
    req->json = NULL;
}

void req_methods_text(unsigned mask, char *out, size_t outlen)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {HTTP_GET, "GET"},       {HTTP_HEAD, "HEAD"},     {HTTP_POST, "POST"},
        {HTTP_PUT, "PUT"},       {HTTP_DELETE, "DELETE"}, {HTTP_PATCH, "PATCH"},
        {HTTP_OPTIONS, "OPTIONS"},
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(mask & names[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "",
                         names[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}
