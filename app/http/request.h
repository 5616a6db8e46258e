/* SPDX-License-Identifier: MIT */
/* request: one HTTP request as the FastCGI parameters and body present it.
 *
 * Everything parsed lives in the request's arena and dies with it. The
 * query string, cookies and body are parsed lazily, on first use, and a
 * parse failure is remembered as the HTTP status to answer (400, 413, 415)
 * so the dispatcher can refuse the request before any handler runs. */
#ifndef GH_REQUEST_H
#define GH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "http/cookies.h"
#include "http/form.h"

struct arena;
struct json_object;
struct sess_session;
struct tenant;

enum http_method {
    HTTP_GET = 1 << 0, HTTP_HEAD = 1 << 1, HTTP_POST = 1 << 2, HTTP_PUT = 1 << 3,
    HTTP_DELETE = 1 << 4, HTTP_PATCH = 1 << 5, HTTP_OPTIONS = 1 << 6,
    HTTP_OTHER = 1 << 7,
};

enum body_kind { BODY_NONE, BODY_FORM, BODY_JSON };

typedef int (*req_reader)(void *ctx, char *buf, int len);

struct request {
    struct arena *arena;
    char **envp;                 /* FastCGI params, NULL-terminated */
    enum http_method method;
    const char *method_name;
    const char *path;            /* percent-decoded, without the query */
    const char *query_string;    /* raw, "" when absent */
    const char *request_id;      /* from nginx, else generated */
    const char *client_addr;
    int invalid_status;          /* non-zero: answer this before routing */
    const char *invalid_reason;  /* a short human reason for that answer */
    /* filled by the router */
    const char *route_name;
    const char *path_param;      /* the {param} segment of the route, if any */
    const char *base;            /* link prefix: "" or "/t/<slug>" */
    /* filled by the pipeline (server/visitor.h, server/dispatch.c) */
    const char *tenant_slug;      /* from the host or the /t/<slug> prefix */
    const struct tenant *tenant;
    struct sess_session *session; /* NULL: not signed in */
    const char *session_cookie;   /* the cookie value of that session */
    const char *csrf_token;       /* for the forms of the page */
    bool is_admin;                /* the session's user administers the tenant */
    /* lazily parsed; see the accessors */
    unsigned parsed;
    struct form query;
    struct form form;
    struct cookie_jar cookies;
    struct json_object *json;    /* owned: released by req_cleanup */
    enum body_kind body_kind;
    req_reader read;
    void *read_ctx;
    struct req_deferred *deferred; /* run by req_cleanup, last added first */
    /* told the route name once routing knows it (for the scoreboard) */
    void (*on_route)(void *ctx, const char *route);
    void *on_route_arg;
};

/* req_init reads method, path and ids from envp; bad input sets
 * invalid_status rather than failing, so it always succeeds. */
void req_init(struct request *req, struct arena *arena, char **envp,
              req_reader read, void *read_ctx);
/* req_env returns a FastCGI parameter ("HTTP_ACCEPT", "CONTENT_TYPE") or NULL. */
const char *req_env(const struct request *req, const char *name);
/* req_query returns a query parameter or NULL; a malformed query string
 * makes req->invalid_status 400. */
const char *req_query(struct request *req, const char *name);
const char *req_cookie(struct request *req, const char *name);
/* req_read_body reads and parses the body by its content type and returns
 * 0, or the status to answer: 400 malformed, 413 too large, 415 unknown
 * type. Idempotent. */
int req_read_body(struct request *req);
/* req_form returns a field of a urlencoded body (after req_read_body). */
const char *req_form(const struct request *req, const char *name);
/* req_wants_json is true when the client asked for JSON (Accept header). */
bool req_wants_json(const struct request *req);
/* req_methods_text writes "GET, HEAD, POST" for a mask of enum
 * http_method into out (an Allow header's value; REQ_METHODS_TEXT_MAX
 * bytes hold every method). */
#define REQ_METHODS_TEXT_MAX 96
void req_methods_text(unsigned methods, char *out, size_t outlen);
/* req_defer has fn(arg) run when the request ends (req_cleanup): what a
 * request owns beyond its arena, such as a page's json-c context. */
void req_defer(struct request *req, void (*fn)(void *arg), void *arg);
/* req_cleanup runs the deferred calls and releases the parsed body. */
void req_cleanup(struct request *req);

#endif
