/* SPDX-License-Identifier: MIT */
/* cors: CORS for the JSON API (see cors.h).
 *
 * The origin list is read straight from the setting on each call: it is a
 * short string, a comparison costs less than keeping a parsed copy in step
 * with SIGHUP reloads, and nothing is allocated. Origins are compared
 * exactly as browsers serialise them (scheme://host[:port], no path).
 *
 * A listed origin gets Access-Control-Allow-Origin with its own value (or
 * "*" when the list says "*"); Access-Control-Allow-Credentials is never
 * sent, so a page of another site can never ride on a visitor's session
 * cookie: cross-origin apps use bearer tokens, which also spares them the
 * CSRF rules of cookie callers. Every API answer varies on Origin. An
 * unlisted origin's preflight is refused with a JSON 403 that says why (the
 * browser would block it anyway; a developer reading the network tab learns
 * what to configure). */
#include "http/cors.h"

#include <string.h>
#include <strings.h>

#include "core/config.h"
#include "http/answer.h"

#define ANY_ORIGIN "*"
#define PREFLIGHT_MAX_AGE_S "600"
#define ALLOWED_HEADERS "Authorization, Content-Type, X-Tenant-ID"
#define EXPOSED_HEADERS "Retry-After, WWW-Authenticate, X-Request-Id"

static const struct config *config;

void cors_init_worker(const struct config *cfg)
{
    config = cfg;
}

bool cors_applies(const struct request *req)
{
    static const char *const prefixes[] = {"/api/", "/auth/", "/files/"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (!strncmp(req->path, prefixes[i], strlen(prefixes[i])))
            return true;
    return false;
}

/* listed is true when origin is in the comma-separated origins, or, with
 * wildcard, when "*" is. */
static bool listed(const char *origins, const char *origin, bool wildcard)
{
    if (!origins || !origin || !*origin)
        return false;
    size_t want = strlen(origin);
    for (const char *p = origins; *p;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (wildcard && len == strlen(ANY_ORIGIN) && !strncmp(p, ANY_ORIGIN, len))
            return true;
        if (len == want && !strncasecmp(p, origin, len))
            return true;
        p += n;
    }
    return false;
}

bool cors_origin_allowed(const char *origins, const char *origin)
{
    return listed(origins, origin, true);
}

/* allow_value is what Access-Control-Allow-Origin says to an allowed
 * origin: the origin itself when it is listed by name (even with "*" listed
 * too), else "*". */
static const char *allow_value(const char *origins, const char *origin)
{
    return listed(origins, origin, false) ? origin : ANY_ORIGIN;
}

bool cors_preflight(struct request *req, struct response *resp, unsigned allowed)
{
    if (!cors_applies(req))
        return false;
    char methods[REQ_METHODS_TEXT_MAX];
    req_methods_text(allowed | HTTP_OPTIONS, methods, sizeof(methods));
    const char *origin = req_env(req, "HTTP_ORIGIN");
    const char *asked = req_env(req, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
    const char *origins = config ? config->cors_origins : NULL;
    resp_header(resp, "Vary", "Origin");
    /* A plain OPTIONS (no preflight) learns what the path allows. */
    if (!origin || !asked) {
        resp_header(resp, "Allow", methods);
        resp->status = HTTP_NO_CONTENT;
        return true;
    }
    if (!cors_origin_allowed(origins, origin)) {
        answer_error(req, resp, HTTP_FORBIDDEN, "cors_origin_refused",
                  "This origin may not call the API from a browser: add it to CORS_ORIGINS.",
                  NULL);
        return true;
    }
    resp_header(resp, "Access-Control-Allow-Origin", allow_value(origins, origin));
    resp_header(resp, "Access-Control-Allow-Methods", methods);
    resp_header(resp, "Access-Control-Allow-Headers", ALLOWED_HEADERS);
    resp_header(resp, "Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
    resp->status = HTTP_NO_CONTENT;
    return true;
}

void cors_headers(const struct request *req, struct response *resp)
{
    if (req->method == HTTP_OPTIONS || !cors_applies(req))
        return;
    const char *origins = config ? config->cors_origins : NULL;
    const char *origin = req_env(req, "HTTP_ORIGIN");
    resp_header(resp, "Vary", "Origin");
    if (!cors_origin_allowed(origins, origin))
        return;
    resp_header(resp, "Access-Control-Allow-Origin", allow_value(origins, origin));
    resp_header(resp, "Access-Control-Expose-Headers", EXPOSED_HEADERS);
}
