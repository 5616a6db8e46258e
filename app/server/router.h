/* SPDX-License-Identifier: MIT */
/* router: the static route table and its lookup.
 *
 * The table (in router.c) is the one place that lists every route with its
 * methods, handler and flags. Lookup tells "no such path" (404) apart from
 * "path known, method not" (405, with the allowed methods). */
#ifndef GH_ROUTER_H
#define GH_ROUTER_H

#include "http/request.h"
#include "http/response.h"

typedef enum http_status (*route_handler)(struct request *req, struct response *resp);

enum route_flags {
    ROUTE_JSON = 1 << 0,     /* errors answer as JSON, not pages */
    ROUTE_LOOPBACK = 1 << 1, /* only from 127.0.0.1 / ::1 */
    ROUTE_BARE = 1 << 2,     /* needs no tenant or session (health checks) */
    ROUTE_LOGIN = 1 << 3,    /* a signed-in session is required */
    ROUTE_ADMIN = 1 << 4,    /* signed in and in the tenant pool's admin group */
    ROUTE_MFA_SETUP = 1 << 5, /* open to a session that has yet to enrol in the
                                 TOTP its tenant requires (pages/security.h) */
    ROUTE_WAITS = 1 << 6,     /* a GET that always waits on Cognito: nginx sends it
                                 to the slow lane, as it does every POST (the
                                 sites' $gh_upstream map; a test holds them to it) */
};

struct route {
    unsigned methods;        /* mask of enum http_method */
    const char *pattern;     /* "/login", "/api/v1/tenants/{slug}" */
    route_handler handler;
    unsigned flags;
    const char *name;        /* for logs and the scoreboard */
};

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_METHOD_NOT_ALLOWED };

/* route_lookup finds the route of path and method. On ROUTE_FOUND *route is
 * set and *param points into the arena at the {param} segment, if any; on
 * ROUTE_METHOD_NOT_ALLOWED *allowed holds the methods the path accepts. */
enum route_result route_lookup(struct request *req, const struct route **route,
                               unsigned *allowed);
/* route_path_flags returns the flags of every route of path, whatever its
 * method (0: no route), so a refusal made before or without a route found
 * (a bad body, a wrong method, an unknown tenant) is told as the path's
 * routes tell theirs: JSON on a JSON route. */
unsigned route_path_flags(const char *path);

#endif
