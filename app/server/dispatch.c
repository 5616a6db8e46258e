/* SPDX-License-Identifier: MIT */
/* dispatch: one request through the pipeline (see dispatch.h).
 *
 * dispatch_request reads as a list of guard clauses, each of which may
 * answer the request and jump to the single exit that logs it: malformed
 * request, a body that cannot be read or parsed (400/413/415), a host
 * this site does not answer to (421), unknown path (404), wrong method
 * (405 + Allow; an OPTIONS to an API path is a CORS preflight, answered by
 * http/cors), loopback-only route from elsewhere (404: we do not even admit
 * it exists), a malformed query (400),
 * then who is asking (tenant, session, CSRF of a form POST) and, for routes
 * that need a signed-in user, the session kept fresh (one refresh when its
 * access token is due) and admin membership decided once: handlers get a
 * visitor they never re-check. Errors are answered as pages or JSON by the
 * render module, depending on the route and the Accept header.
 *
 * A page-lane thread never waits on Cognito: when a signed-in page's session
 * is due for a refresh, the thread answers only "X-Accel-Redirect:
 * @gatehouse_wait", and nginx sends the same request (its method, URI and
 * headers) to that named location, which passes it to the slow lane; a thread
 * there refreshes the session and serves the page. A slow-lane thread, or
 * any thread of a pool with one lane, refreshes in place. */
#include "server/dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/health.h"
#include "api/status.h"
#include "api/tenantapi.h"
#include "aws/awshttp.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/cors.h"
#include "http/url.h"
#include "pages/flash.h"
#include "pages/render.h"
#include "pages/security.h"
#include "server/router.h"
#include "server/visitor.h"
#include "store/cachesync.h"
#include "store/pg.h"
#include "store/tenants.h"
#include "svc/svc.h"
#include "svc/syncjob.h"

static const struct config *config;
/* The named location of both nginx sites that passes a request to the slow
 * lane (nginx/gatehouse.conf.in, deploy/nginx/gatehouse-production.conf). */
#define SLOW_LANE_LOCATION "@gatehouse_wait"
static __thread bool thread_may_wait = true;

void dispatch_init_worker(const struct config *cfg, const struct tmpl_set *templates)
{
    config = cfg;
    char cognito_url[256];
    if (cfg->cognito_endpoint)
        snprintf(cognito_url, sizeof(cognito_url), "%s", cfg->cognito_endpoint);
    else
        snprintf(cognito_url, sizeof(cognito_url), "https://cognito-idp.%s.amazonaws.com/",
                 cfg->aws_region);
    render_init_worker(cfg, templates);
    svc_init_worker(cfg);
    visitor_init_worker(cfg);
    cors_init_worker(cfg);
    tenantapi_init_worker(cfg);
    status_init_worker(cfg);
    health_init_worker(cognito_url);
    char err[256], quoted[LOG_VALUE_MAX];
    if (!pg_init_worker(cfg->database_url, cfg->database_prepared, err, sizeof(err)))
        log_event(LOG_ERROR, "database_settings_unusable", "error=%s",
                  log_quote(quoted, sizeof(quoted), err));
    else if (!cachesync_start(cfg->database_listen_url))
        log_event(LOG_WARN, "cache_listener_not_started", "errno=%d", errno);
    /* The admins' "Sync now" runs here, beside the request threads. */
    if (!syncjob_start())
        log_event(LOG_WARN, "users_sync_thread_not_started", "errno=%d", errno);
}

void dispatch_cleanup_worker(void)
{
    syncjob_stop();
    cachesync_stop();
    pg_cleanup_worker();
    config = NULL;
}

void dispatch_thread_init(bool may_wait)
{
    thread_may_wait = may_wait;
}

void dispatch_thread_cleanup(void)
{
    awshttp_thread_cleanup();
}

static bool is_loopback(const char *addr)
{
    return !strcmp(addr, "127.0.0.1") || !strcmp(addr, "::1") ||
           !strncmp(addr, "127.", 4);
}

static bool has_body(const struct request *req)
{
    return req->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
}

/* hand_to_slow_lane answers nothing but the internal redirect to the slow
 * lane (see the top of this file): whatever visitor_load put in resp (a
 * CSRF cookie) is dropped, since the slow lane serves the request anew. The
 * request is logged and counted once, by the thread that serves it: here it
 * is only a handoff (its own log line and metric). */
static void hand_to_slow_lane(struct request *req, struct response *resp)
{
    resp_reset(resp);
    resp_header(resp, "X-Accel-Redirect", SLOW_LANE_LOCATION);
    log_event(LOG_INFO, "handed_to_slow_lane", "id=%s tenant=%s route=%s reason=session_refresh",
              req->request_id, req->tenant->slug, req->route_name);
    metrics_observe("handoff", req->route_name, "session_refresh", -1);
}

/* redirect_to_login sends the visitor to the login page, which will bring
 * them back here: only the path (and query) travels, never a host, so the
 * return can only be a page of this site. */
static void redirect_to_login(struct request *req, struct response *resp)
{
    struct buf location;
    buf_init(&location);
    buf_printf(&location, "%s/login?next=", req->base);
    url_encode(&location, req_env(req, "REQUEST_URI"));
    resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&location));
    buf_free(&location);
}

/* error_visitor loads who is asking for an error page answered before the
 * pipeline would have (404, 405, a bad query), so a signed-in person keeps
 * their navbar: the tenant (cached) and the session (one indexed lookup,
 * and only when a session cookie is sent), never a token refresh — an
 * error page is no reason to call Cognito. A JSON answer needs none of it.
 * Whatever cannot be loaded leaves the page anonymous: the error it
 * answers is the one to tell. */
static void error_visitor(struct request *req, struct response *resp, bool json)
{
    struct visitor_refusal why;
    if (json || req->tenant || req_wants_json(req) || !strncmp(req->path, "/api/", 5))
        return;
    if (visitor_load(req, resp, true, &why)) {
        req->session = NULL;
        req->is_admin = false;
    }
}

static long elapsed_us(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000000L + (now.tv_nsec - start->tv_nsec) / 1000;
}

/* account_request logs a served request and counts it (and, past
 * GATEHOUSE_SLOW_MS, as slow, with its phases). */
static void account_request(const struct request *req, const struct response *resp, long us)
{
    const char *tenant = req->tenant ? req->tenant->slug : "-";
    log_event(LOG_INFO, "request", "id=%s tenant=%s method=%s route=%s status=%d us=%ld",
              req->request_id, tenant, req->method_name, req->route_name, resp->status, us);
    char status[8];
    snprintf(status, sizeof(status), "%d", resp->status);
    metrics_observe("request", req->route_name, status, us);
    if (config && us / 1000 >= config->slow_ms) {
        metrics_observe("slow_request", req->route_name, NULL, -1);
        log_event(LOG_WARN, "slow_request",
                  "id=%s tenant=%s route=%s status=%d us=%ld cognito_us=%lld postgres_us=%lld "
                  "render_us=%lld",
                  req->request_id, tenant, req->route_name, resp->status, us,
                  (long long)metrics_phase_get(PHASE_COGNITO),
                  (long long)metrics_phase_get(PHASE_POSTGRES),
                  (long long)metrics_phase_get(PHASE_RENDER));
    }
}

void dispatch_request(struct request *req, struct response *resp)
{
    struct timespec start;
    const struct route *route = NULL;
    unsigned allowed = 0;
    bool handed = false; /* to the slow lane, which logs and counts it */
    clock_gettime(CLOCK_MONOTONIC, &start);
    metrics_phase_reset();

    /* The request line itself is unusable. */
    if (req->invalid_status) {
        render_error(req, resp, req->invalid_status, req->invalid_reason, false);
        goto out;
    }
    /* The body, read and parsed by its content type within the limits,
     * before routing: like nginx's own size limit, what a body may be is a
     * rule of the whole site, so a bad one is refused whatever the path. */
    int body_status = has_body(req) ? req_read_body(req) : 0;
    /* The tenant a host or /t/<slug> prefix names (the prefix is stripped). */
    struct visitor_refusal why = {0};
    int tenant_status = visitor_route_tenant(req, &why);
    enum route_result found =
        tenant_status ? ROUTE_NOT_FOUND : route_lookup(req, &route, &allowed);
    /* Refusals made before a route is found are told as the path's routes
     * tell theirs: JSON in the one error shape on a JSON route, wherever
     * it lives (/auth/signin, /files/upload-url as well as /api/). */
    bool json_path = route_path_flags(req->path) & ROUTE_JSON;
    if (body_status) {
        render_error(req, resp, body_status, req->invalid_reason, json_path);
        goto out;
    }
    /* A host that is not ours (evil.com, a.b.<BASE_DOMAIN>, none) is never
     * served as the default tenant: that would answer a DNS-rebinding page
     * under its own name and build our pages for it. It gets 421 and a page
     * naming no tenant, whatever the path; only the bare operations routes
     * answer any host, since a load balancer probes /healthz by address. */
    if (!visitor_host_known(req) && !(found == ROUTE_FOUND && (route->flags & ROUTE_BARE))) {
        char host[LOG_VALUE_MAX];
        log_event(LOG_INFO, "host_refused", "id=%s host=%s", req->request_id,
                  log_quote(host, sizeof(host), req_env(req, "HTTP_HOST")));
        render_bare_error(req, resp, HTTP_MISDIRECTED, json_path);
        goto out;
    }
    if (tenant_status) {
        render_refusal(req, resp, tenant_status, why.code, why.message, json_path);
        goto out;
    }
    switch (found) {
    case ROUTE_FOUND:
        break;
    case ROUTE_NOT_FOUND:
        error_visitor(req, resp, json_path);
        render_error(req, resp, HTTP_NOT_FOUND, NULL, false);
        goto out;
    case ROUTE_METHOD_NOT_ALLOWED: {
        /* No route lists OPTIONS: for an API path, this is a browser's CORS
         * preflight (or a client asking what the path allows). */
        if (req->method == HTTP_OPTIONS && cors_preflight(req, resp, allowed))
            goto out;
        char allow[REQ_METHODS_TEXT_MAX];
        req_methods_text(allowed, allow, sizeof(allow));
        error_visitor(req, resp, json_path);
        render_error(req, resp, HTTP_METHOD_NOT_ALLOWED, NULL, json_path);
        resp_header(resp, "Allow", allow);
        goto out;
    }
    default:
        render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
        goto out;
    }
    req->route_name = route->name;
    if (req->on_route)
        req->on_route(req->on_route_arg, route->name);
    bool json = route->flags & ROUTE_JSON;

    /* Operator pages exist only for the machine itself. */
    if ((route->flags & ROUTE_LOOPBACK) && !is_loopback(req->client_addr)) {
        error_visitor(req, resp, json);
        render_error(req, resp, HTTP_NOT_FOUND, NULL, json);
        goto out;
    }
    /* The query string is parsed now so a handler never sees half of one. */
    req_query(req, "");
    if (req->invalid_status) {
        error_visitor(req, resp, json);
        render_error(req, resp, req->invalid_status, req->invalid_reason, json);
        goto out;
    }
    /* Who is asking: tenant, session, and the CSRF token of the page. */
    if (!(route->flags & ROUTE_BARE)) {
        int status = visitor_load(req, resp, !json, &why);
        if (status) {
            render_refusal(req, resp, status, why.code, why.message, json);
            goto out;
        }
    }
    /* Every form POST comes from our own page: Origin and token. */
    if (!json && req->method == HTTP_POST && !visitor_csrf_ok(req)) {
        render_error(req, resp, HTTP_FORBIDDEN,
                     "This form has expired or did not come from this site. "
                     "Please go back, reload the page and try again.", false);
        goto out;
    }
    /* Pages for signed-in users send anyone else to log in first; the
     * session of anyone else is kept fresh, which may end it. */
    if (route->flags & (ROUTE_LOGIN | ROUTE_ADMIN)) {
        bool had_session = req->session != NULL;
        if (!thread_may_wait && visitor_refresh_due(req)) {
            hand_to_slow_lane(req, resp);
            handed = true;
            goto out;
        }
        int status = had_session ? visitor_keep_fresh(req, resp) : HTTP_UNAUTHORIZED;
        if (status == HTTP_UNAUTHORIZED && !json) {
            flash_set(resp, had_session ? "session_expired" : "login_required");
            redirect_to_login(req, resp);
            goto out;
        }
        if (status) {
            render_error(req, resp, status, NULL, json);
            goto out;
        }
    }
    /* Where the tenant requires TOTP, a session that has not passed it
     * sees the enrolment before any other signed-in page. */
    if ((route->flags & (ROUTE_LOGIN | ROUTE_ADMIN)) && !(route->flags & ROUTE_MFA_SETUP) &&
        !security_mfa_settled(req)) {
        if (json) {
            render_error(req, resp, HTTP_FORBIDDEN, "Set up two-step verification first.", true);
        } else {
            struct buf location;
            buf_init(&location);
            buf_printf(&location, "%s/account/security", req->base);
            flash_set(resp, "mfa_required");
            resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&location));
            buf_free(&location);
        }
        goto out;
    }
    /* Admin pages: members of the tenant pool's admin group, as the
     * session's verified (and, when due, just refreshed) tokens say;
     * everyone else signed in gets 403. */
    if ((route->flags & ROUTE_ADMIN) && !req->is_admin) {
        log_event(LOG_WARN, "admin_refused", "id=%s tenant=%s route=%s", req->request_id,
                  req->tenant->slug, route->name);
        render_error(req, resp, HTTP_FORBIDDEN, NULL, json);
        goto out;
    }
    resp->status = route->handler(req, resp);

out:
    /* API answers, errors included, carry CORS headers for listed origins,
     * so a cross-origin client can read why it was refused. */
    cors_headers(req, resp);
    pg_end_request();
    if (!handed)
        account_request(req, resp, elapsed_us(&start));
}
