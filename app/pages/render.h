/* SPDX-License-Identifier: MIT */
/* render: pages, error pages and redirects.
 *
 * The module that turns page data into bodies. It holds the worker's
 * compiled templates (read-only, shared by all threads) and builds the
 * context every page gets (title, base, tenant, request id, the user).
 * Ownership: a page context belongs to its request, which puts it when it
 * ends (req_defer); no render call takes it and no handler puts it. */
#ifndef GH_RENDER_H
#define GH_RENDER_H

#include <stdbool.h>

#include "core/result.h"
#include "http/request.h"
#include "http/response.h"

struct buf;
struct config;
struct json_object;
struct tmpl_set;

void render_init_worker(const struct config *cfg, const struct tmpl_set *templates);
/* render_context returns a new page context, owned by the request. */
struct json_object *render_context(struct request *req, const char *title);
/* render_page renders template name with ctx as the body and returns
 * status, or 500 if the template fails. */
enum http_status render_page(struct request *req, struct response *resp,
                             enum http_status status, const char *name,
                             struct json_object *ctx);
/* render_fragment renders template name with ctx (the caller's) into out,
 * for a piece of a page worth keeping and reusing (the admin statistics).
 * Returns 0, or -1 (logged) when the template fails. */
int render_fragment(const char *name, struct json_object *ctx, struct buf *out);
/* render_error answers status as an error page, or as JSON when json is
 * set, the route is under /api/ or the client asked for JSON. message may
 * be NULL for the status's standard explanation. Returns status. */
enum http_status render_error(struct request *req, struct response *resp,
                              enum http_status status, const char *message, bool json);
/* render_refusal is render_error with the JSON error's code given (NULL:
 * the status's standard one), for refusals that have a code of their own. */
enum http_status render_refusal(struct request *req, struct response *resp,
                                enum http_status status, const char *code, const char *message,
                                bool json);
/* render_bare_error answers status as render_error does, but as a page of
 * its own that names no tenant, sets no cookie and needs no template: for
 * a request that is no tenant's to answer (421, a host that is not ours). */
enum http_status render_bare_error(struct request *req, struct response *resp,
                                   enum http_status status, bool json);
/* render_store_error answers a failed store step (or a domain step's
 * failure told as one) as its error page. */
enum http_status render_store_error(struct request *req, struct response *resp,
                                    enum store_result r);
/* render_redirect answers 303 to base + path, after flash_set(key) if key. */
enum http_status render_redirect(struct request *req, struct response *resp, const char *path,
                                 const char *flash_key);
/* render_redirect_email is render_redirect to path?email=<email>. */
enum http_status render_redirect_email(struct request *req, struct response *resp,
                                       const char *path, const char *email,
                                       const char *flash_key);

#endif
