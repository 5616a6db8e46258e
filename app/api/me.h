/* SPDX-License-Identifier: MIT */
/* me: GET /api/v1/me — the profile and tier of the bearer of an access
 * token, verified on every call (see api/bearer.h). */
#ifndef GH_ME_H
#define GH_ME_H

#include "http/request.h"
#include "http/response.h"

enum http_status me_get(struct request *req, struct response *resp);

#endif
