/* SPDX-License-Identifier: MIT */
/* home: GET / — the tenant's front page, or health with tenant context
 * when the client asks for JSON. */
#ifndef GH_HOME_H
#define GH_HOME_H

#include "http/request.h"
#include "http/response.h"

enum http_status home_page(struct request *req, struct response *resp);

#endif
