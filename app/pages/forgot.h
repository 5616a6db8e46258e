/* SPDX-License-Identifier: MIT */
/* forgot: asking for a password-reset code — GET|POST /forgot. */
#ifndef GH_FORGOT_H
#define GH_FORGOT_H

#include "http/request.h"
#include "http/response.h"

enum http_status forgot_form(struct request *req, struct response *resp);
enum http_status forgot_submit(struct request *req, struct response *resp);

#endif
