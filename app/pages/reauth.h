/* SPDX-License-Identifier: MIT */
/* reauth: the re-authentication page, /account/reauth?return=<path>, and
 * the two calls a sensitive page makes (svc/reauth.h says what counts as
 * recent). Any signed-in page that needs a recent password does:
 *
 *     if (!reauth_page_fresh(req))
 *         return reauth_page_demand(req, resp, "/account/security");
 *
 * The person enters the password and comes back to that path (a local
 * path under the tenant's base, else /account); the proof is kept in an
 * HttpOnly cookie beside the session for REAUTH_WINDOW_S. */
#ifndef GH_PAGES_REAUTH_H
#define GH_PAGES_REAUTH_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

/* reauth_page_fresh is true when the request's session has a recent
 * password (its sign-in or a proof from this page). */
bool reauth_page_fresh(struct request *req);
/* reauth_page_demand sends the person to enter the password again, then
 * back to back_to (a path under the base, e.g. "/account/security"). */
enum http_status reauth_page_demand(struct request *req, struct response *resp,
                                    const char *back_to);
/* GET and POST /account/reauth. */
enum http_status reauth_form(struct request *req, struct response *resp);
enum http_status reauth_submit(struct request *req, struct response *resp);

#endif
