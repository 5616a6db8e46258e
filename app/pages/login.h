/* SPDX-License-Identifier: MIT */
/* login: signing in — GET|POST /login, GET|POST /login/new-password (the
 * first sign-in of an admin-created user). Signing out is pages/logout.h. */
#ifndef GH_LOGIN_H
#define GH_LOGIN_H

#include "http/request.h"
#include "http/response.h"

enum http_status login_form(struct request *req, struct response *resp);
enum http_status login_submit(struct request *req, struct response *resp);
enum http_status login_new_password_form(struct request *req, struct response *resp);
enum http_status login_new_password_submit(struct request *req, struct response *resp);

/* GET and POST /login/mfa: the TOTP code of a sign-in whose password was
 * right, the challenge carried in a sealed cookie (svc/mfa.h). */
enum http_status login_mfa_form(struct request *req, struct response *resp);
enum http_status login_mfa_submit(struct request *req, struct response *resp);

#endif
