/* SPDX-License-Identifier: MIT */
/* render: bodies for pages, errors and JSON (see render.h).
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
#include "core/log.h"
#include "core/metrics.h"
#include "pages/flash.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "tmpl/tmpl.h"

static const struct config *config;
static const struct tmpl_set *templates;

static const struct {
    int status;
    const char *code;    /* JSON "error" value */
    const char *message; /* what a person is told */
} error_texts[] = {
    {400, "bad_request", "The request could not be understood."},
    {401, "unauthorized", "You need to sign in first."},
    {403, "forbidden", "You do not have access to this page."},
    {404, "not_found", "There is no page at this address."},
    {405, "method_not_allowed", "This page cannot be used that way."},
    {409, "conflict", "That conflicts with something that already exists."},
    {413, "payload_too_large", "The request is larger than this site accepts."},
    {414, "uri_too_long", "The address of the page is too long."},
    {415, "unsupported_media_type", "This kind of content is not accepted here."},
    {429, "too_many_requests", "Too many attempts. Please wait a moment and try again."},
    {500, "internal_error", "Something went wrong on our side. Please try again."},
    {502, "bad_gateway", "A service we depend on answered badly. Please try again."},
    {503, "service_unavailable", "The service is briefly unavailable. Please try again shortly."},
    {504, "gateway_timeout", "A service we depend on took too long. Please try again."},
};

void render_init_worker(const struct config *cfg, const struct tmpl_set *set)
{
    config = cfg;
    templates = set;
}

static struct json_object *user_object(const struct sess_session *s)
{
    struct json_object *user = json_object_new_object();
    json_object_object_add(user, "email", json_object_new_string(s->email));
    if (s->name)
        json_object_object_add(user, "name", json_object_new_string(s->name));
    const char *tier = s->tier ? s->tier : "standard";
    json_object_object_add(user, "tier", json_object_new_string(tier));
    json_object_object_add(user, "is_premium", json_object_new_boolean(!strcmp(tier, "premium")));
    json_object_object_add(user, "is_admin",
                           json_object_new_boolean(sess_in_group(s, config->admin_group)));
    return user;
}

struct json_object *render_context(struct request *req, const char *title)
{
    struct json_object *ctx = json_object_new_object();
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
        json_object_object_add(ctx, "user", user_object(req->session));
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

int render_page(struct request *req, struct response *resp, int status,
                const char *name, struct json_object *ctx)
{
    char err[256];
    flash_take(req, resp, ctx);
    buf_reset(&resp->body);
    int64_t start = metrics_now_us();
    int rc = templates ? tmpl_render(templates, name, ctx, &resp->body, err, sizeof(err))
                       : -1;
    metrics_phase_add(PHASE_RENDER, metrics_now_us() - start);
    json_object_put(ctx);
    if (rc < 0) {
        char quoted[300];
        log_event(LOG_ERROR, "render_failed", "id=%s template=%s error=%s",
                  req->request_id, name,
                  log_quote(quoted, sizeof(quoted), templates ? err : "no templates"));
        return minimal_error(resp, HTTP_INTERNAL_ERROR);
    }
    resp->status = status;
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
    json_object_put(ctx);
    if (rc < 0) {
        char quoted[300];
        log_event(LOG_ERROR, "render_failed", "template=%s error=%s", name,
                  log_quote(quoted, sizeof(quoted), templates ? err : "no templates"));
        return -1;
    }
    return 0;
}

int render_json(struct response *resp, int status, struct json_object *obj)
{
    size_t len;
    const char *text = json_object_to_json_string_length(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    buf_reset(&resp->body);
    buf_append(&resp->body, text, len);
    buf_putc(&resp->body, '\n');
    json_object_put(obj);
    resp->status = status;
    resp_header(resp, "Content-Type", "application/json");
    resp_header(resp, "Cache-Control", "no-store");
    return status;
}

int render_error(struct request *req, struct response *resp, int status,
                 const char *message, bool json)
{
    const char *code = "error", *standard = resp_reason(status);
    for (size_t i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++) {
        if (error_texts[i].status == status) {
            code = error_texts[i].code;
            standard = error_texts[i].message;
        }
    }
    if (!message)
        message = standard;
    if (json || req_wants_json(req) || !strncmp(req->path, "/api/", 5)) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "error", json_object_new_string(code));
        json_object_object_add(obj, "message", json_object_new_string(message));
        json_object_object_add(obj, "field", NULL); /* the API's one error shape */
        json_object_object_add(obj, "request_id", json_object_new_string(req->request_id));
        return render_json(resp, status, obj);
    }
    struct json_object *ctx = render_context(req, resp_reason(status));
    json_object_object_add(ctx, "status", json_object_new_int(status));
    json_object_object_add(ctx, "reason", json_object_new_string(resp_reason(status)));
    json_object_object_add(ctx, "message", json_object_new_string(message));
    return render_page(req, resp, status, "errors/error", ctx);
}
