/* SPDX-License-Identifier: MIT */
/* visitor: tenant, session and CSRF of a request (see visitor.h).
 *
 * Hosts: BASE_DOMAIN, its one-label subdomains (a tenant each) and the
 * names of SITE_HOSTS are the site's; the port is not looked at (nginx
 * writes it from the port it listens on, never from the request).
 *
 * The tenant costs nothing on most requests (the tenants cache); the
 * session costs one indexed lookup, and only when the browser sends a
 * session cookie, so an anonymous page never touches PostgreSQL. A session
 * cookie that names no live session is deleted from the browser at once,
 * which is how a logged-out or expired cookie ends up on the login page
 * rather than failing forever.
 *
 * CSRF: a signed-in form's token derives from the session's secret; an
 * anonymous one from the __Host-gh_csrf cookie, which is set on the first
 * page that needs it. A POST passes when its Origin is this site and its
 * token matches either, so a form shown just before signing in still works. */
#include "server/visitor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "http/answer.h"
#include "http/csrf.h"
#include "pages/browser.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/session.h"

#define PATH_PREFIX "/t/"

static const struct config *config;

void visitor_init_worker(const struct config *cfg)
{
    config = cfg;
    csrf_init_worker(cfg->session_key);
}

/* host_name_len is the length of the name in host (name[:port], or
 * [IPv6][:port]), 0 when it has none. */
static size_t host_name_len(const char *host)
{
    if (!host)
        return 0;
    if (host[0] != '[')
        return strcspn(host, ":");
    const char *close = strchr(host, ']');
    if (!close || (close[1] && close[1] != ':'))
        return 0;
    return (size_t)(close - host) + 1;
}

/* subdomain_label returns the length of the one label that host (its
 * first host_len bytes) puts before ".BASE_DOMAIN", or 0 when it is not
 * such a subdomain: a.b.example.com is none. */
static size_t subdomain_label(const char *host, size_t host_len)
{
    const char *base = config ? config->base_domain : NULL;
    if (!base || !*base || !host)
        return 0;
    size_t base_len = strlen(base);
    if (host_len <= base_len + 1 || host[host_len - base_len - 1] != '.' ||
        strncasecmp(host + host_len - base_len, base, base_len))
        return 0;
    size_t label = host_len - base_len - 1;
    return memchr(host, '.', label) ? 0 : label;
}

/* host_tenant returns the subdomain of BASE_DOMAIN that host (host[:port])
 * names, in the arena, or NULL. */
static const char *host_tenant(struct request *req, const char *host)
{
    size_t label = subdomain_label(host, host_name_len(host));
    if (!label)
        return NULL;
    char *slug = arena_strndup(req->arena, host, label);
    for (char *p = slug; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return slug;
}

/* listed: name (len bytes) is one of the entries of list, which are
 * separated by commas or spaces; case does not matter in host names. */
static bool listed(const char *list, const char *name, size_t len)
{
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n == len && !strncasecmp(p, name, len))
            return true;
        p += n;
    }
    return false;
}

bool visitor_host_known(const struct request *req)
{
    const char *host = req_env(req, "HTTP_HOST");
    size_t len = host_name_len(host);
    if (!len || !config)
        return false;
    const char *base = config->base_domain;
    if (base && *base && len == strlen(base) && !strncasecmp(host, base, len))
        return true;
    return subdomain_label(host, len) || listed(config->site_hosts, host, len);
}

/* The refusals of the tenant a request names, the same for every route:
 * a page shows the message, the JSON API answers the code too. */
static const struct visitor_refusal not_found = {
    HTTP_NOT_FOUND, "tenant_not_found", "There is no such tenant."};
static const struct visitor_refusal malformed = {
    HTTP_BAD_REQUEST, "invalid_tenant", "The X-Tenant-ID header does not hold a tenant's slug."};
static const struct visitor_refusal mismatch = {
    HTTP_BAD_REQUEST, "tenant_mismatch",
    "The host, the /t/ path and the X-Tenant-ID header name different tenants."};

static int refuse(struct visitor_refusal *why, const struct visitor_refusal *refusal)
{
    *why = *refusal;
    return refusal->status;
}

int visitor_route_tenant(struct request *req, struct visitor_refusal *why)
{
    const char *from_host = host_tenant(req, req_env(req, "HTTP_HOST"));
    if (!strncmp(req->path, PATH_PREFIX, strlen(PATH_PREFIX))) {
        const char *slug = req->path + strlen(PATH_PREFIX);
        size_t n = strcspn(slug, "/");
        char *name = arena_strndup(req->arena, slug, n);
        /* The prefix goes from the path whatever it names, so the route
         * behind it decides how a refusal is told (a page or JSON); links
         * keep the empty base until the tenant is known to be one. */
        req->path = slug[n] ? slug + n : "/";
        if (n == 0 || (tenants_slug_problem(name) && strcmp(name, TENANT_DEFAULT)))
            return refuse(why, &not_found);
        if (from_host && strcmp(from_host, name))
            return refuse(why, &mismatch);
        char *base = arena_alloc(req->arena, strlen(PATH_PREFIX) + n + 1);
        memcpy(base, PATH_PREFIX, strlen(PATH_PREFIX));
        memcpy(base + strlen(PATH_PREFIX), name, n + 1);
        req->base = base;
        req->tenant_slug = name;
        return 0;
    }
    req->tenant_slug = from_host;
    return 0;
}

/* load_tenant finds the tenant the host or path named, else (JSON routes)
 * the X-Tenant-ID header, else the default one. A header that names
 * another tenant than the host or path is refused rather than ignored: a
 * client that sends both means one of them, and we cannot tell which. */
static int load_tenant(struct request *req, bool page, struct visitor_refusal *why)
{
    const char *slug = req->tenant_slug;
    const char *header = page ? NULL : req_env(req, "HTTP_X_TENANT_ID");
    if (header && *header) {
        if (strcmp(header, TENANT_DEFAULT) && tenants_slug_problem(header))
            return refuse(why, &malformed);
        if (slug && strcmp(slug, header))
            return refuse(why, &mismatch);
        slug = header;
    }
    if (!slug)
        slug = TENANT_DEFAULT;
    if (strcmp(slug, TENANT_DEFAULT) && tenants_slug_problem(slug))
        return refuse(why, &not_found);
    struct tenant *t = arena_alloc(req->arena, sizeof(*t));
    enum store_result rc = tenants_find(slug, t);
    if (rc == STORE_NOT_FOUND || (rc == STORE_OK && !t->active))
        return refuse(why, &not_found);
    if (rc != STORE_OK)
        return answer_status_of(rc);
    req->tenant = t;
    return 0;
}

/* status_of answers a session outcome that is not a signed-in visitor:
 * 401 for an ended session, else what the failure calls for. */
static int status_of(enum session_outcome outcome)
{
    switch (outcome) {
    case SESSION_OK:
        return 0;
    case SESSION_ENDED:
        return HTTP_UNAUTHORIZED;
    case SESSION_UNAVAILABLE:
        return HTTP_SERVICE_UNAVAILABLE;
    case SESSION_UNVERIFIED:
    case SESSION_ERROR:
    default:
        return HTTP_INTERNAL_ERROR;
    }
}

/* forget drops an ended session from the request and the browser. */
static void forget(struct request *req, struct response *resp)
{
    browser_forget_session(req, resp);
    req->session = NULL;
    req->session_cookie = NULL;
    req->is_admin = false;
}

static int load_session(struct request *req, struct response *resp)
{
    const char *cookie = req_cookie(req, browser_session_cookie_name(req));
    if (!cookie)
        return 0;
    enum session_outcome outcome = session_load(req->tenant, cookie, req->arena, &req->session);
    if (outcome == SESSION_ENDED) {
        forget(req, resp); /* a dead cookie is not an error: the visitor is anonymous */
        return 0;
    }
    if (outcome == SESSION_OK) {
        req->session_cookie = cookie;
        req->is_admin = session_is_admin(req->session);
    }
    return status_of(outcome);
}

static void prepare_csrf(struct request *req, struct response *resp)
{
    char *token = arena_alloc(req->arena, CSRF_TOKEN_LEN + 1);
    if (req->session) {
        csrf_token_for_session(req->session->csrf_secret, SESS_CSRF_SECRET_BYTES, token);
    } else {
        char fresh[CSRF_COOKIE_LEN + 1];
        csrf_token_for_anonymous(req_cookie(req, CSRF_COOKIE_NAME), fresh, token);
        if (fresh[0])
            browser_keep_csrf(resp, fresh);
    }
    req->csrf_token = token;
}

int visitor_load(struct request *req, struct response *resp, bool page,
                 struct visitor_refusal *why)
{
    int status = load_tenant(req, page, why);
    if (status)
        return status;
    status = load_session(req, resp);
    if (status)
        return status;
    if (page)
        prepare_csrf(req, resp);
    return 0;
}

bool visitor_csrf_ok(struct request *req)
{
    if (!csrf_origin_ok(req_env(req, "HTTP_ORIGIN"), req_env(req, "HTTP_REFERER"),
                        req_env(req, "HTTP_HOST"))) {
        log_event(LOG_WARN, "csrf_refused", "id=%s reason=origin", req->request_id);
        return false;
    }
    const unsigned char *secret = req->session ? req->session->csrf_secret : NULL;
    if (!csrf_request_ok(req_form(req, CSRF_FIELD), secret,
                         secret ? SESS_CSRF_SECRET_BYTES : 0,
                         req_cookie(req, CSRF_COOKIE_NAME))) {
        log_event(LOG_WARN, "csrf_refused", "id=%s reason=token", req->request_id);
        return false;
    }
    return true;
}

bool visitor_refresh_due(const struct request *req)
{
    return req->session && session_due(req->session);
}

int visitor_keep_fresh(struct request *req, struct response *resp)
{
    enum session_outcome outcome = session_fresh(req->tenant, req->session, req->session_cookie,
                                                 req->arena, req->request_id);
    if (outcome == SESSION_ENDED)
        forget(req, resp);
    else if (outcome == SESSION_OK)
        req->is_admin = session_is_admin(req->session);
    return status_of(outcome);
}
