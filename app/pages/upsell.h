/* SPDX-License-Identifier: MIT */
/* upsell: what a signed-in user whose tier is too low for a page sees
 * instead of it (the tier rule itself is svc/tier.h's). */
#ifndef GH_UPSELL_H
#define GH_UPSELL_H

#include "http/request.h"
#include "http/response.h"

/* upsell_page answers 403 with the page that offers tier. */
enum http_status upsell_page(struct request *req, struct response *resp, const char *tier);

#endif
