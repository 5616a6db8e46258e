/* SPDX-License-Identifier: MIT */
/* upsell: what a signed-in user whose tier is too low for a page sees
 * instead of it (the tier rule itself is svc/tier.h's), and the upgrade
 * request it offers a standard user: GET /account/upgrade (the same page,
 * 200) and POST /account/upgrade-request (note: optional, at most
 * UPGRADE_NOTE_MAX bytes). A second ask while one is pending, or an ask
 * from a premium user, is 409 with the page saying so. */
#ifndef GH_UPSELL_H
#define GH_UPSELL_H

#include "http/request.h"
#include "http/response.h"

struct json_object;

/* upsell_page answers 403 with the page that offers tier. */
enum http_status upsell_page(struct request *req, struct response *resp, const char *tier);
enum http_status upsell_request_page(struct request *req, struct response *resp);
enum http_status upsell_request_submit(struct request *req, struct response *resp);
/* upsell_add_request adds "upgrade" to ctx: the signed-in user's last
 * request ({pending|approved|declined|closed: true, state, note, reason,
 * asked_at, decided_at}), when they made one. */
void upsell_add_request(struct request *req, struct json_object *ctx);

#endif
