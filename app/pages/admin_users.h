/* SPDX-License-Identifier: MIT */
/* admin_users: the admin panel's list of a tenant's users.
 *
 * GET /admin/users lists the users mirror, USERLIST_PER_PAGE a page, with
 * the total that match: a search for a piece of the email or the name,
 * filters by tier, status, two-step verification and enabled, six sorts
 * either way, keyset pages (pages/userquery.h has the parameters). It
 * shows how fresh the mirror is and the sync queued or under way.
 * POST /admin/users/sync queues a users sync of the tenant ("Sync now"),
 * which a worker's sync thread runs outside the request (svc/syncjob). */
#ifndef GH_ADMIN_USERS_H
#define GH_ADMIN_USERS_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_users_page(struct request *req, struct response *resp);
enum http_status admin_users_sync(struct request *req, struct response *resp);

#endif
