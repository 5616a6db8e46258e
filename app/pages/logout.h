/* SPDX-License-Identifier: MIT */
/* logout: POST /logout, and GET /logout asking "Log out?" first. */
#ifndef GH_LOGOUT_H
#define GH_LOGOUT_H

#include "http/request.h"
#include "http/response.h"

enum http_status logout_submit(struct request *req, struct response *resp);
enum http_status logout_form(struct request *req, struct response *resp);

#endif
