/* SPDX-License-Identifier: MIT */
/* account: the signed-in user's page — GET /account and
 * POST /account/password. Both require a session (the router says so). */
#ifndef GH_ACCOUNT_H
#define GH_ACCOUNT_H

#include "http/request.h"
#include "http/response.h"

enum http_status account_page(struct request *req, struct response *resp);
enum http_status account_password(struct request *req, struct response *resp);

#endif
