/* SPDX-License-Identifier: MIT */
/* health: GET /healthz (the process answers) and GET /readyz (PostgreSQL and
 * the Cognito endpoint answer), both as JSON for load balancers. */
#ifndef GH_HEALTH_H
#define GH_HEALTH_H

#include "http/request.h"
#include "http/response.h"

void health_init_worker(const char *cognito_url);
enum http_status health_live(struct request *req, struct response *resp);
enum http_status health_ready(struct request *req, struct response *resp);

#endif
