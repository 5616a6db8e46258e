/* SPDX-License-Identifier: MIT */
/* tenantapi: POST /auth/tenants (the platform operator creates a tenant
 * with the PLATFORM_ADMIN_TOKEN bearer token), and the public lookups
 * GET /api/getTenant?tenant= and GET /api/v1/tenants/{slug}. */
#ifndef GH_TENANTAPI_H
#define GH_TENANTAPI_H

#include "http/request.h"
#include "http/response.h"

struct config;

void tenantapi_init_worker(const struct config *cfg);
enum http_status tenantapi_create(struct request *req, struct response *resp);
enum http_status tenantapi_lookup_query(struct request *req, struct response *resp);
enum http_status tenantapi_lookup_path(struct request *req, struct response *resp);

#endif
