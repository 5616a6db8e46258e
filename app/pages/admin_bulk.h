/* SPDX-License-Identifier: MIT */
/* admin_bulk: what an admin does with many users of the list at once.
 *
 * GET /admin/users.csv exports the users the list's filters select (q, tier,
 * status, as GET /admin/users takes them) from the users mirror, spreadsheet
 * formulas defused. POST /admin/users/bulk-tier (tier, and `sub` once per
 * user ticked on the list, at most BULK_TIER_ROWS_MAX) changes each user's
 * tier exactly as a single change does (svc/tierchange: Cognito, mirror,
 * audit, sessions) and shows what came of each. */
#ifndef GH_ADMIN_BULK_H
#define GH_ADMIN_BULK_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_bulk_users_csv(struct request *req, struct response *resp);
enum http_status admin_bulk_tier(struct request *req, struct response *resp);

#endif
