/* SPDX-License-Identifier: MIT */
/* visitor: who is asking — the request's tenant, its signed-in session and
 * the CSRF token its forms carry — and the guards built on them.
 *
 * The dispatcher calls visitor_load before every handler, visitor_csrf_ok
 * before every form POST and visitor_keep_fresh before every handler that
 * needs a signed-in user. Everything set on the request lives in its arena. */
#ifndef GH_VISITOR_H
#define GH_VISITOR_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

struct config;

/* Why the tenant a request names cannot answer it: the status, the code of
 * the JSON error and what a person is told (static strings). */
struct visitor_refusal {
    int status;
    const char *code;
    const char *message;
};

void visitor_init_worker(const struct config *cfg);
/* visitor_route_tenant reads the tenant a request names by its host (a
 * subdomain of BASE_DOMAIN) or its path (/t/<slug>/..., which it strips
 * from req->path and, when it names a tenant, keeps in req->base for
 * links). Runs before routing; touches no database. Returns 0, or the
 * status of the refusal it writes into why: 404 tenant_not_found for a
 * malformed tenant part, 400 tenant_mismatch when host and path name
 * different tenants. */
int visitor_route_tenant(struct request *req, struct visitor_refusal *why);
/* visitor_host_known says whether the request's Host is one this site
 * answers to: BASE_DOMAIN, one of its tenant subdomains (<slug>.BASE_DOMAIN,
 * one label), or a name of SITE_HOSTS. Any other host, or none, is not
 * ours to serve as any tenant (the dispatcher answers 421). */
bool visitor_host_known(const struct request *req);
/* visitor_load sets req->tenant (named by the host or path, else by the
 * X-Tenant-ID header on JSON routes, else the default tenant), req->session (when the session cookie names
 * a live session of that tenant; a dead one is cleared from the browser)
 * and, for pages, req->csrf_token (setting the anonymous CSRF cookie when
 * needed). It returns 0, or the status to answer: a refusal written into
 * why for the tenant (404 tenant_not_found for an unknown or disabled one,
 * 400 invalid_tenant for a header that holds no slug, 400 tenant_mismatch
 * for a header naming another tenant than the host or path), else 503 when
 * PostgreSQL is unavailable (why untouched). */
int visitor_load(struct request *req, struct response *resp, bool page,
                 struct visitor_refusal *why);
/* visitor_csrf_ok checks a form POST's Origin (or Referer) and its token. */
bool visitor_csrf_ok(struct request *req);
/* visitor_refresh_due is true when req has a session whose access token
 * visitor_keep_fresh would refresh at Cognito now. */
bool visitor_refresh_due(const struct request *req);
/* visitor_keep_fresh runs for routes that need a signed-in user, after
 * visitor_load: the session's access token is refreshed once when due and
 * admin membership decided from what the refresh brought. Returns 0, or
 * the status to answer: 401 when the session ended (req->session is then
 * NULL and the cookie cleared), 503 when Cognito or PostgreSQL is
 * briefly unavailable. */
int visitor_keep_fresh(struct request *req, struct response *resp);

#endif
