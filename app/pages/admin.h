/* SPDX-License-Identifier: MIT */
/* admin: the admin tier panel's home page (tier statistics) and what every
 * admin page shares: the membership check after a token refresh, the page
 * context and the action log line.
 *
 * Every admin route carries ROUTE_ADMIN, so the dispatcher has already sent
 * anonymous visitors to log in and refused (403) signed-in non-admins. */
#ifndef GH_ADMIN_H
#define GH_ADMIN_H

#include "http/request.h"
#include "http/response.h"

struct json_object;

/* GET /admin: users per tier, confirmed vs. unconfirmed, sign-ups per day
 * over the last 30 days (inline SVG bar charts with their numbers), and
 * links to the other admin pages. */
int admin_home(struct request *req, struct response *resp);

/* admin_begin starts every admin handler: it refreshes the session's tokens
 * when they are due (which re-reads the user's groups), checks that the
 * user is still an admin, and returns the page context (title, the admin
 * navigation with section marked), which the caller owns. On NULL the
 * request has been answered (login page, 403, 503) with *status. */
struct json_object *admin_begin(struct request *req, struct response *resp, const char *title,
                                const char *section, int *status);
/* admin_log writes one "admin_action" log line naming the admin (sub and
 * email), the tenant, the request id and action, followed by fmt's
 * key=value pairs (values through log_quote when they may hold spaces). */
void admin_log(const struct request *req, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
