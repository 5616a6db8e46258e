/* SPDX-License-Identifier: MIT */
/* status: the operator's views of the pool — GET /status (php-fpm style,
 * text, or JSON with ?json) and GET /metrics (Prometheus text). Both are
 * loopback-only routes (the router and nginx both enforce it). */
#ifndef GH_STATUS_H
#define GH_STATUS_H

#include "http/request.h"
#include "http/response.h"

struct config;

void status_init_worker(const struct config *cfg);
enum http_status status_page(struct request *req, struct response *resp);
enum http_status status_metrics(struct request *req, struct response *resp);

#endif
