/* SPDX-License-Identifier: MIT */
/* signup: creating an account — GET|POST /signup (its email is confirmed
 * on pages/confirm.h's pages). */
#ifndef GH_SIGNUP_H
#define GH_SIGNUP_H

#include "http/request.h"
#include "http/response.h"

enum http_status signup_form(struct request *req, struct response *resp);
enum http_status signup_submit(struct request *req, struct response *resp);

#endif
