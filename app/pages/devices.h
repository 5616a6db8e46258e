/* SPDX-License-Identifier: MIT */
/* devices: "Your devices" — GET /account/sessions lists the person's own
 * sessions and API sign-ins; POST /account/sessions/end signs one out,
 * POST /account/sessions/end-others every one but this browser. All need a
 * session (the router says so). */
#ifndef GH_PAGES_DEVICES_H
#define GH_PAGES_DEVICES_H

#include "http/request.h"
#include "http/response.h"

enum http_status devices_page(struct request *req, struct response *resp);
enum http_status devices_end_submit(struct request *req, struct response *resp);
enum http_status devices_end_others_submit(struct request *req, struct response *resp);

#endif
