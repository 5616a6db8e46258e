/* SPDX-License-Identifier: MIT */
/* admin_invite: an admin invites a person, sends an invitation again and
 * confirms a sign-up by hand.
 *
 * GET /admin/invite shows the form (email, name, tier, administrator or
 * not); POST /admin/invite sends the invitation (svc/invite) and shows the
 * form again with what came of it. POST /admin/users/{username}/
 * resend-invitation (only a user who has not signed in yet) and POST
 * /admin/users/{username}/confirm (only an unconfirmed user) answer 303 to
 * the user's page, which says what happened, or a 4xx page saying why not. */
#ifndef GH_ADMIN_INVITE_H
#define GH_ADMIN_INVITE_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_invite_form(struct request *req, struct response *resp);
enum http_status admin_invite_submit(struct request *req, struct response *resp);
enum http_status admin_invite_resend(struct request *req, struct response *resp);
enum http_status admin_invite_confirm(struct request *req, struct response *resp);

#endif
