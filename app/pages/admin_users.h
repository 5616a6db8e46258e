/* SPDX-License-Identifier: MIT */
/* admin_users: the admin panel's list of a tenant's users.
 *
 * GET /admin/users lists users 60 a page, searchable by email prefix and
 * filterable by status, straight from Cognito (ListUsers and its
 * PaginationToken); a tier filter, which Cognito cannot apply to a custom
 * attribute, is served from the users mirror, as is a search combined with
 * a status (ListUsers takes a single filter). */
#ifndef GH_ADMIN_USERS_H
#define GH_ADMIN_USERS_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_users_page(struct request *req, struct response *resp);

#endif
