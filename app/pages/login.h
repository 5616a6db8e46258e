/* SPDX-License-Identifier: MIT */
/* login: signing in and out — GET|POST /login, GET|POST /login/new-password
 * (the first sign-in of an admin-created user), POST /logout. */
#ifndef GH_LOGIN_H
#define GH_LOGIN_H

#include "http/request.h"
#include "http/response.h"

int login_form(struct request *req, struct response *resp);
int login_submit(struct request *req, struct response *resp);
int login_new_password_form(struct request *req, struct response *resp);
int login_new_password_submit(struct request *req, struct response *resp);
int logout_submit(struct request *req, struct response *resp);

#endif
