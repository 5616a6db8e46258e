/* SPDX-License-Identifier: MIT */
/* reauth_page: GET /account/reauth?return=<path> asks the signed-in person
 * for their password again; POST /account/reauth proves it (svc/reauth)
 * and goes back to the page that asked. Needs a session (the router says
 * so). reauth_page_require is how a sensitive page asks: it answers the
 * redirect here when the session's proof is not fresh. */
#ifndef GH_REAUTH_PAGE_H
#define GH_REAUTH_PAGE_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

enum http_status reauth_page_form(struct request *req, struct response *resp);
enum http_status reauth_page_submit(struct request *req, struct response *resp);
/* reauth_page_require returns true when the session proved its password in
 * the last REAUTH_FRESH_S; otherwise it sets *status to a redirect to the
 * re-authentication page, which comes back to back_to (a local path). */
bool reauth_page_require(struct request *req, struct response *resp, const char *back_to,
                         enum http_status *status);

#endif
