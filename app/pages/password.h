/* SPDX-License-Identifier: MIT */
/* password: forgotten passwords — GET|POST /forgot,
 * GET|POST /reset. */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include "http/request.h"
#include "http/response.h"

int forgot_form(struct request *req, struct response *resp);
int forgot_submit(struct request *req, struct response *resp);
int reset_form(struct request *req, struct response *resp);
int reset_submit(struct request *req, struct response *resp);

#endif
