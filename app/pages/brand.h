/* SPDX-License-Identifier: MIT */
/* brand: GET /brand.css — the tenant's primary colour as CSS custom
 * properties, so branding needs no inline style (the CSP forbids it). */
#ifndef GH_BRAND_H
#define GH_BRAND_H

#include "http/request.h"
#include "http/response.h"

enum http_status brand_css(struct request *req, struct response *resp);

#endif
