/* SPDX-License-Identifier: MIT */
/* admin_user: one user in the admin panel — what Cognito knows of them
 * (AdminGetUser: status, enabled, MFA, attributes; AdminListGroupsForUser),
 * their sessions, their tier history, every admin action taken on them, the
 * action bar (pages/admin_actions), the edit form and the form that changes
 * the tier (see admin_tier). */
#ifndef GH_ADMIN_USER_H
#define GH_ADMIN_USER_H

#include "http/request.h"
#include "http/response.h"

struct json_object;

/* GET /admin/users/{username} */
enum http_status admin_user_page(struct request *req, struct response *resp);
/* POST /admin/user-info: the same page for the username (or email) typed */
enum http_status admin_user_info(struct request *req, struct response *resp);

/* admin_user_show answers with the page of username (ctx, an admin page
 * context): status when Cognito knows the user (404 or the
 * catalogue's status when it does not), with tier_error on the tier form
 * when not NULL. */
enum http_status admin_user_show(struct request *req, struct response *resp,
                                 struct json_object *ctx, const char *username,
                                 enum http_status status, const char *tier_error);
/* admin_user_back is the list's query the page was reached with (?back=
 * on a GET, the form's back on a POST) when it is a plain query string,
 * else NULL: the breadcrumb's way back to the list as it was filtered. */
const char *admin_user_back(struct request *req);
/* admin_user_name_problem says why username cannot name a user, or NULL. */
const char *admin_user_name_problem(const char *username);

#endif
