/* SPDX-License-Identifier: MIT */
/* tiergate: the one place that decides whether a signed-in user's tier
 * allows a feature, and what everyone else sees instead. */
#ifndef GH_TIERGATE_H
#define GH_TIERGATE_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

#define TIER_STANDARD "standard"
#define TIER_PREMIUM "premium"

/* tiergate_allows is true when the request's session has tier or a higher
 * one (premium includes standard). No session: false. */
bool tiergate_allows(const struct request *req, const char *tier);
/* tiergate_refuse answers a user whose tier is too low: the upsell page for
 * a browser (403), or a JSON 403 {"error":"tier_required"} when json. */
int tiergate_refuse(struct request *req, struct response *resp, const char *tier, bool json);

#endif
