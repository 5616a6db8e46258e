/* SPDX-License-Identifier: MIT */
/* cors: Cross-Origin Resource Sharing for the JSON API, for the origins
 * listed in CORS_ORIGINS (comma-separated; "*" for any). Cross-origin
 * callers authenticate with bearer tokens only: credentials (cookies) are
 * never allowed cross-origin, with "*" or otherwise. The dispatcher calls
 * cors_preflight for an OPTIONS request its routes do not list, and
 * cors_headers on every answer. */
#ifndef GH_CORS_H
#define GH_CORS_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

struct config;

/* cors_init_worker keeps the settings (CORS_ORIGINS) for this worker. */
void cors_init_worker(const struct config *cfg);
/* cors_applies is true for the paths of the JSON API (/api/, /auth/, /files/). */
bool cors_applies(const struct request *req);
/* cors_origin_allowed is true when origin is listed in origins. */
bool cors_origin_allowed(const char *origins, const char *origin);
/* cors_preflight answers an OPTIONS request to an API path whose route
 * accepts the methods in allowed (a mask of enum http_method) and returns
 * true; false (nothing answered) for any other path. */
bool cors_preflight(struct request *req, struct response *resp, unsigned allowed);
/* cors_headers adds the CORS headers of an API answer (not a preflight). */
void cors_headers(const struct request *req, struct response *resp);

#endif
