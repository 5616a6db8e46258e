/* SPDX-License-Identifier: MIT */
/* openapi: GET /api/v1/openapi.json, the OpenAPI 3.1 description of every
 * API route, its request and response shapes and its errors. The document
 * ships with the templates (GATEHOUSE_TEMPLATES/openapi.json) and is read
 * and checked once per worker. */
#ifndef GH_OPENAPI_H
#define GH_OPENAPI_H

#include "http/request.h"
#include "http/response.h"

enum http_status openapi_get(struct request *req, struct response *resp);

#endif
