/* SPDX-License-Identifier: MIT */
/* admin_actions: the buttons of an admin's user page — POST
 * /admin/users/{username}/{disable, enable, reset-password, sign-out,
 * reset-mfa, edit, grant-admin, revoke-admin, delete}.
 *
 * What cannot be undone is confirmed first, without JavaScript: the button
 * posts without `confirm`, and the answer is a page that says what will
 * happen with the form that does it (confirm=yes; the deletion wants the
 * user's email typed instead). Enabling, granting and editing are undone as
 * easily as done: they happen at once. Each ends on the user page with a
 * message (?done=), or on the list for a deletion. The actions themselves
 * are svc/adminuser's; every route carries ROUTE_ADMIN, and the pipeline
 * has checked the CSRF token. */
#ifndef GH_ADMIN_ACTIONS_H
#define GH_ADMIN_ACTIONS_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_actions_disable(struct request *req, struct response *resp);
enum http_status admin_actions_enable(struct request *req, struct response *resp);
enum http_status admin_actions_reset_password(struct request *req, struct response *resp);
enum http_status admin_actions_sign_out(struct request *req, struct response *resp);
enum http_status admin_actions_reset_mfa(struct request *req, struct response *resp);
enum http_status admin_actions_edit(struct request *req, struct response *resp);
enum http_status admin_actions_grant_admin(struct request *req, struct response *resp);
enum http_status admin_actions_revoke_admin(struct request *req, struct response *resp);
enum http_status admin_actions_delete(struct request *req, struct response *resp);

#endif
