/* SPDX-License-Identifier: MIT */
/* selfservice_pages: the account pages a person edits their own account
 * with — GET/POST /account/profile (name and work details), GET/POST
 * /account/email and POST /account/email/verify (a new email, with a code
 * sent to it; needs a fresh re-authentication), GET/POST /account/delete
 * (the password and the email typed again). All need a session (the
 * router says so). */
#ifndef GH_SELFSERVICE_PAGES_H
#define GH_SELFSERVICE_PAGES_H

#include "http/request.h"
#include "http/response.h"

enum http_status selfservice_pages_profile(struct request *req, struct response *resp);
enum http_status selfservice_pages_profile_submit(struct request *req, struct response *resp);
enum http_status selfservice_pages_email(struct request *req, struct response *resp);
enum http_status selfservice_pages_email_submit(struct request *req, struct response *resp);
enum http_status selfservice_pages_email_verify(struct request *req, struct response *resp);
enum http_status selfservice_pages_delete(struct request *req, struct response *resp);
enum http_status selfservice_pages_delete_submit(struct request *req, struct response *resp);

#endif
