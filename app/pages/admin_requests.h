/* SPDX-License-Identifier: MIT */
/* admin_requests: the upgrade requests waiting for an administrator —
 * GET /admin/requests (oldest first, UPGRADE_LIST_MAX a page, paged by id:
 * ?after=<id>), POST /admin/requests/{id}/approve (the user gets Premium,
 * as a tier change) and POST /admin/requests/{id}/decline (reason:
 * optional, at most UPGRADE_REASON_MAX bytes, shown to the user). Each
 * answers 303 to the list with ?done=<what>; a request decided already is
 * 409, an unknown one 404, a bad reason 400. ROUTE_ADMIN routes: the
 * pipeline checked the group and the CSRF token. */
#ifndef GH_ADMIN_REQUESTS_H
#define GH_ADMIN_REQUESTS_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_requests_page(struct request *req, struct response *resp);
enum http_status admin_requests_approve(struct request *req, struct response *resp);
enum http_status admin_requests_decline(struct request *req, struct response *resp);

#endif
