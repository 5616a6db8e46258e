/* SPDX-License-Identifier: MIT */
/* admin_user: one user in the admin panel — what Cognito knows of them
 * (AdminGetUser: status, enabled, attributes; AdminListGroupsForUser), their
 * tier history from the audit log, and the tier change.
 *
 * POST /admin/update-tier accepts exactly "standard" or "premium". The new
 * tier goes to Cognito first (custom:user_tier); only then, in one
 * PostgreSQL transaction, to the users mirror, the audit log and the user's
 * live sessions, so their next page shows it. */
#ifndef GH_ADMIN_USER_H
#define GH_ADMIN_USER_H

#include "http/request.h"
#include "http/response.h"

/* GET /admin/users/{username} */
int admin_user_page(struct request *req, struct response *resp);
/* POST /admin/user-info: the same page for the username (or email) typed */
int admin_user_info(struct request *req, struct response *resp);
/* POST /admin/update-tier: username, tier */
int admin_update_tier(struct request *req, struct response *resp);

#endif
