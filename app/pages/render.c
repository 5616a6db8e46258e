/* SPDX-License-Identifier: MIT */
/* render: bodies for pages and errors (see render.h).
 *
 * Pages are rendered straight into the thread's reused response buffer, so
 * a page costs no allocation beyond the json-c context. When a template
 * fails at render time (it compiled, so this is a bug, not bad input) the
 * answer is a minimal 500 that needs no template at all. Error messages
 * shown to people come from one table here, by status; callers only pass a
 * message when they have a more precise one. */
#include "pages/render.h"

#include <json-c/json.h>
#include <string.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/answer.h"
#include "http/url.h"
#include "pages/fields.h"
#include "pages/flash.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/tier.h"
#include "tmpl/tmpl.h"

static const struct config *config;
static const struct tmpl_set *templates;

void render_init_worker(const struct config *cfg, const struct tmpl_set *set)
{
    config = cfg;
    templates = set;
}

static struct json_object *user_object(const struct request *req)
{
    const struct sess_session *s = req->session;
    struct json_object *user = json_object_new_object();
    json_object_object_add(user, "email", json_object_new_string(s->email));
    if (s->name)
        json_object_object_add(user, "name", json_object_new_string(s->name));
    json_object_object_add(user, "tier", json_object_new_string(tier_or_standard(s->tier)));
    json_object_object_add(user, "is_premium",
                           json_object_new_boolean(tier_allows(s->tier, TIER_PREMIUM)));
    json_object_object_add(user, "is_admin", json_object_new_boolean(req->is_admin));
    return user;
}

static void put_context(void *ctx)
{
    json_object_put(ctx);
}

struct json_object *render_context(struct request *req, const char *title)
{
    struct json_object *ctx = json_object_new_object();
    req_defer(req, put_context, ctx);
    struct json_object *tenant = json_object_new_object();
    const char *name = req->tenant ? req->tenant->name
                                   : (config ? config->site_name : "gatehouse");
    json_object_object_add(tenant, "name", json_object_new_string(name));
    json_object_object_add(tenant, "slug",
                           json_object_new_string(req->tenant ? req->tenant->slug : "default"));
    if (req->tenant && req->tenant->brand_color[0])
        json_object_object_add(tenant, "brand_color",
                               json_object_new_string(req->tenant->brand_color));
    if (req->tenant && req->tenant->logo_url[0])
        json_object_object_add(tenant, "logo_url", json_object_new_string(req->tenant->logo_url));
    json_object_object_add(ctx, "tenant", tenant);
    json_object_object_add(ctx, "title", json_object_new_string(title));
    json_object_object_add(ctx, "base", json_object_new_string(req->base));
    json_object_object_add(ctx, "request_id", json_object_new_string(req->request_id));
    if (req->csrf_token)
        json_object_object_add(ctx, "csrf", json_object_new_string(req->csrf_token));
    if (req->session && config)
        json_object_object_add(ctx, "user", user_object(req));
    return ctx;
}

static int minimal_error(struct response *resp, int status)
{
    buf_reset(&resp->body);
    buf_printf(&resp->body, "<!doctype html><title>%d</title><p>%s</p>\n", status,
               resp_reason(status));
    resp->status = status;
    resp_header(resp, "Content-Type", "text/html; charset=utf-8");
    return status;
}

enum http_status render_page(struct request *req, struct response *resp,
                             enum http_status status, const char *name,
                             struct json_object *ctx)
{
    char err[256];
    flash_take(req, resp, ctx);
    fields_dress(req, ctx);
    buf_reset(&resp->body);
    int64_t start = metrics_now_us();
    int rc = templates ? tmpl_render(templates, name, ctx, &resp->body, err, sizeof(err))
                       : -1;
    metrics_phase_add(PHASE_RENDER, metrics_now_us() - start);
    if (rc < 0) {
        char quoted[LOG_VALUE_MAX];
        log_event(LOG_ERROR, "render_failed", "id=%s template=%s error=%s",
                  req->request_id, name,
                  log_quote(quoted, sizeof(quoted), templates ? err : "no templates"));
        return minimal_error(resp, HTTP_INTERNAL_ERROR);
    }
    resp->status = (int)status;
    resp_header(resp, "Content-Type", "text/html; charset=utf-8");
    resp_header(resp, "Cache-Control", "no-store");
    return status;
}

int render_fragment(const char *name, struct json_object *ctx, struct buf *out)
{
    char err[256];
    int64_t start = metrics_now_us();
    int rc = templates ? tmpl_render(templates, name, ctx, out, err, sizeof(err)) : -1;
    metrics_phase_add(PHASE_RENDER, metrics_now_us() - start);
    if (rc < 0) {
        char quoted[LOG_VALUE_MAX];
        log_event(LOG_ERROR, "render_failed", "template=%s error=%s", name,
                  log_quote(quoted, sizeof(quoted), templates ? err : "no templates"));
        return -1;
    }
    return 0;
}

enum http_status render_error(struct request *req, struct response *resp,
                              enum http_status status, const char *message, bool json)
{
    return render_refusal(req, resp, status, NULL, message, json);
}

enum http_status render_refusal(struct request *req, struct response *resp,
                                enum http_status status, const char *code, const char *message,
                                bool json)
{
    const char *standard_code, *standard;
    answer_status_text(status, &standard_code, &standard);
    if (json || req_wants_json(req) || !strncmp(req->path, "/api/", 5))
        return answer_error(req, resp, status, code ? code : standard_code,
                            message ? message : standard, NULL);
    struct json_object *ctx = render_context(req, resp_reason((int)status));
    json_object_object_add(ctx, "status", json_object_new_int((int)status));
    json_object_object_add(ctx, "reason", json_object_new_string(resp_reason((int)status)));
    json_object_object_add(ctx, "message", json_object_new_string(message ? message : standard));
    return render_page(req, resp, status, "errors/error", ctx);
}

enum http_status render_bare_error(struct request *req, struct response *resp,
                                   enum http_status status, bool json)
{
    if (json || req_wants_json(req) || !strncmp(req->path, "/api/", 5))
        return answer_status_error(req, resp, status, NULL);
    const char *code, *message, *reason = resp_reason((int)status);
    answer_status_text(status, &code, &message);
    buf_reset(&resp->body);
    buf_printf(&resp->body,
               "<!doctype html>\n<html lang=\"en\">\n<meta charset=\"utf-8\">\n"
               "<title>%d %s</title>\n<h1>%s</h1>\n<p>%s</p>\n</html>\n",
               (int)status, reason, reason, message);
    resp->status = (int)status;
    resp_header(resp, "Content-Type", "text/html; charset=utf-8");
    resp_header(resp, "Cache-Control", "no-store");
    return status;
}

enum http_status render_store_error(struct request *req, struct response *resp,
                                    enum store_result r)
{
    return render_error(req, resp, answer_status_of(r), NULL, false);
}

enum http_status render_redirect(struct request *req, struct response *resp, const char *path,
                                 const char *flash_key)
{
    struct buf location;
    buf_init(&location);
    buf_printf(&location, "%s%s", req->base, path);
    if (flash_key)
        flash_set(resp, flash_key);
    resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&location));
    buf_free(&location);
    return HTTP_SEE_OTHER;
}

enum http_status render_redirect_email(struct request *req, struct response *resp,
                                       const char *path, const char *email,
                                       const char *flash_key)
{
    struct buf target;
    buf_init(&target);
    buf_printf(&target, "%s?email=", path);
    url_encode(&target, email);
    enum http_status status = render_redirect(req, resp, buf_cstr(&target), flash_key);
    buf_free(&target);
    return status;
}
