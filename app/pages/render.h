/* SPDX-License-Identifier: MIT */
/* render: pages, error pages and JSON answers.
 *
 * The only module that turns data into response bodies. It holds the
 * worker's compiled templates (read-only, shared by all threads) and builds
 * the context every page gets (title, base, tenant, request id). Functions
 * that take a json_object consume it: the caller must not put it again. */
#ifndef GH_RENDER_H
#define GH_RENDER_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

struct config;
struct tmpl_set;
struct json_object;

void render_init_worker(const struct config *cfg, const struct tmpl_set *templates);
/* render_context returns a new page context; the caller owns it until it
 * hands it to render_page. */
struct json_object *render_context(struct request *req, const char *title);
/* render_page renders template name with ctx (consumed) as the body and
 * returns status, or 500 if the template fails. */
int render_page(struct request *req, struct response *resp, int status,
                const char *name, struct json_object *ctx);
/* render_fragment renders template name with ctx (consumed) into out, for a
 * piece of a page that is worth keeping and reusing (the admin statistics).
 * Returns 0, or -1 (logged) when the template fails. */
struct buf;
int render_fragment(const char *name, struct json_object *ctx, struct buf *out);
/* render_error answers status as an error page, or as JSON when json is set,
 * the route is under /api/ or the client asked for JSON. message may be
 * NULL for the status's standard explanation. Returns status. */
int render_error(struct request *req, struct response *resp, int status,
                 const char *message, bool json);
/* render_json answers obj (consumed) with status; returns status. */
int render_json(struct response *resp, int status, struct json_object *obj);

#endif
