/* SPDX-License-Identifier: MIT */
/* signup: creating an account and confirming its email —
 * GET|POST /signup, GET|POST /confirm, POST /confirm/resend. */
#ifndef GH_SIGNUP_H
#define GH_SIGNUP_H

#include "http/request.h"
#include "http/response.h"

int signup_form(struct request *req, struct response *resp);
int signup_submit(struct request *req, struct response *resp);
int confirm_form(struct request *req, struct response *resp);
int confirm_submit(struct request *req, struct response *resp);
int confirm_resend(struct request *req, struct response *resp);

#endif
