/* SPDX-License-Identifier: MIT */
/* confirm: confirming a new account's email — GET|POST /confirm,
 * POST /confirm/resend. */
#ifndef GH_CONFIRM_H
#define GH_CONFIRM_H

#include "http/request.h"
#include "http/response.h"

enum http_status confirm_form(struct request *req, struct response *resp);
enum http_status confirm_submit(struct request *req, struct response *resp);
enum http_status confirm_resend(struct request *req, struct response *resp);

#endif
