/* SPDX-License-Identifier: MIT */
/* admin: the admin tier panel's home page (tier statistics) and what every
 * admin page shares: the page context and the action log line.
 *
 * Every admin route carries ROUTE_ADMIN, so the pipeline has already sent
 * anonymous visitors to log in, refreshed tokens that were due and refused
 * (403) signed-in non-admins. */
#ifndef GH_ADMIN_H
#define GH_ADMIN_H

#include "http/request.h"
#include "http/response.h"

struct json_object;

/* GET /admin: users per tier, confirmed vs. unconfirmed, sign-ups per day
 * over the last 30 days (inline SVG bar charts with their numbers), and
 * links to the other admin pages. */
enum http_status admin_home(struct request *req, struct response *resp);

/* admin_context returns the page context of an admin page: title and the
 * admin navigation with section marked (owned by the request). */
struct json_object *admin_context(struct request *req, const char *title, const char *section);
/* admin_log writes one "admin_action" log line naming the admin (sub and
 * email), the tenant, the request id and action, followed by fmt's
 * key=value pairs (values through log_quote when they may hold spaces). */
void admin_log(const struct request *req, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The outcome of an admin POST travels to the page it redirects to as
 * ?done=<key>; the key picks one of a page's notices, so the address cannot
 * carry text of its own to the page. kind is a Bootstrap alert kind. */
struct admin_notice {
    const char *key, *kind, *message;
};
/* admin_notice_from_done sets ctx's "notice" to the entry of table (n
 * entries) whose key is the ?done= of a GET; without one, nothing. */
void admin_notice_from_done(struct request *req, struct json_object *ctx,
                            const struct admin_notice *table, size_t n);
/* admin_notice sets ctx's "notice" to {kind, message}. */
void admin_notice(struct json_object *ctx, const char *kind, const char *message);

#endif
