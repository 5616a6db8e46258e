/* SPDX-License-Identifier: MIT */
/* admin_tier: an admin changes a user's tier.
 *
 * POST /admin/update-tier (username, tier) accepts exactly "standard" or
 * "premium". The new tier goes to Cognito first (custom:user_tier); only
 * then, in one PostgreSQL transaction, to the users mirror, the audit log and
 * the user's live sessions, so their next page shows it. The answer is a 303
 * to the user's page, which says what happened. */
#ifndef GH_ADMIN_TIER_H
#define GH_ADMIN_TIER_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_tier_update(struct request *req, struct response *resp);

#endif
