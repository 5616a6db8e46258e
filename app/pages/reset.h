/* SPDX-License-Identifier: MIT */
/* reset: choosing a new password with the emailed code —
 * GET|POST /reset. */
#ifndef GH_RESET_H
#define GH_RESET_H

#include "http/request.h"
#include "http/response.h"

enum http_status reset_form(struct request *req, struct response *resp);
enum http_status reset_submit(struct request *req, struct response *resp);

#endif
