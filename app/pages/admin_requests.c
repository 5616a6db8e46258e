/* SPDX-License-Identifier: MIT */
/* admin_requests: upgrade requests for administrators (see
 * admin_requests.h).
 *
 * What approving and declining do, and why in that order, is
 * svc/upgrade.c's; this page reads the form, tells the outcome and logs
 * the admin's action. The outcome of a POST travels to the list as
 * ?done=<key>: the key picks a message from the table below, so the
 * address cannot carry text of its own to the page. */
#include "pages/admin_requests.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admin_stats.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/upgrade.h"

static const struct admin_notice notices[] = {
    {"approved", "success", "The request was approved: the user has Premium from their next page on."},
    {"declined", "success", "The request was declined. The user sees it, with your reason, on their account page."},
    {"closed", "info", "That user no longer exists: the request was closed."},
};

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static const char *url_of(struct request *req, const char *fmt, const char *value)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, req->base);
    buf_puts(&b, fmt);
    if (value)
        url_encode(&b, value);
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

/* A page's position: ?after=<id>, 0 when absent; -1 when malformed. */
static long long after_of(struct request *req)
{
    const char *text = req_query(req, "after");
    char *end = NULL;
    if (!text || !*text)
        return 0;
    long long v = strtoll(text, &end, 10);
    return *end || v < 0 ? -1 : v;
}

/* show renders the list after the request given (status, form_error). */
static enum http_status show(struct request *req, struct response *resp, enum http_status status,
                             const char *form_error)
{
    struct json_object *ctx = admin_context(req, "Upgrade requests", "requests");
    long long after = req->method == HTTP_POST ? 0 : after_of(req);
    struct upgrades_page page;
    if (after < 0)
        return render_error(req, resp, HTTP_BAD_REQUEST, "This page address is not valid.",
                            false);
    enum store_result rc = upgrades_pending(req->tenant->slug, after, UPGRADE_LIST_MAX + 1,
                                            req->arena, &page);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    bool more = page.n > UPGRADE_LIST_MAX;
    int n = more ? UPGRADE_LIST_MAX : page.n;
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const struct upgrades_request *r = &page.rows[i];
        char at[ADMINTEXT_DATE_MAX], id[NUM_TEXT_MAX];
        snprintf(id, sizeof(id), "%lld", r->id);
        struct json_object *item = json_object_new_object();
        add_str(item, "id", id);
        add_str(item, "email", r->user_email);
        add_str(item, "user_href", url_of(req, "/admin/users/", r->user_sub));
        add_str(item, "asked_at", admintext_date(at, r->created_at, false));
        add_str(item, "note", r->note);
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "requests", list);
    if (after > 0 || more) {
        struct json_object *nav = json_object_new_object();
        char next[NUM_TEXT_MAX + 8];
        if (after > 0)
            add_str(nav, "prev_url", url_of(req, "/admin/requests", NULL));
        if (more) {
            snprintf(next, sizeof(next), "%lld", page.rows[n - 1].id);
            add_str(nav, "next_url", url_of(req, "/admin/requests?after=", next));
        }
        add_str(nav, "page_label", after > 0 ? "Later requests" : "Oldest first");
        json_object_object_add(ctx, "pages", nav);
    }
    json_object_object_add(ctx, "reason_max", json_object_new_int(UPGRADE_REASON_MAX));
    admin_notice_from_done(req, ctx, notices, sizeof(notices) / sizeof(notices[0]));
    add_str(ctx, "form_error", form_error);
    return render_page(req, resp, status, "admin_requests", ctx);
}

enum http_status admin_requests_page(struct request *req, struct response *resp)
{
    return show(req, resp, HTTP_OK, NULL);
}

/* The request named by the path: its id, or 0 when the segment is not one. */
static long long path_id(const struct request *req)
{
    const char *p = req->path_param;
    char *end = NULL;
    if (!p || !*p || strlen(p) >= NUM_TEXT_MAX || *p < '1' || *p > '9')
        return 0;
    long long id = strtoll(p, &end, 10);
    return *end ? 0 : id;
}

static struct tierchange_actor actor_of(const struct request *req)
{
    return (struct tierchange_actor){.sub = req->session->sub, .email = req->session->email,
                                     .request_id = req->request_id,
                                     .client_addr = req->client_addr};
}

/* answer tells an outcome other than success (what: "approve" or
 * "decline", for the log). */
static enum http_status answer(struct request *req, struct response *resp,
                               enum upgrade_outcome rc, const char *what)
{
    switch (rc) {
    case UPGRADE_CLOSED:
        admin_log(req, "upgrade_closed", "request=%s", req->path_param);
        return render_redirect(req, resp, "/admin/requests?done=closed", NULL);
    case UPGRADE_NOT_FOUND:
        return render_error(req, resp, HTTP_NOT_FOUND, "There is no such upgrade request.",
                            false);
    case UPGRADE_DECIDED:
        return show(req, resp, HTTP_CONFLICT,
                    "That request was decided already: nothing was changed.");
    case UPGRADE_BAD_INPUT:
        return show(req, resp, HTTP_BAD_REQUEST,
                    "The reason is too long or contains characters that are not allowed.");
    case UPGRADE_REFUSED:
        admin_log(req, "upgrade_refused", "request=%s step=%s", req->path_param, what);
        return show(req, resp, HTTP_BAD_GATEWAY,
                    "Cognito refused the tier change: the request is still pending.");
    case UPGRADE_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    default:
        return render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
    }
}

enum http_status admin_requests_approve(struct request *req, struct response *resp)
{
    long long id = path_id(req);
    if (!id)
        return answer(req, resp, UPGRADE_NOT_FOUND, "approve");
    struct tierchange_actor by = actor_of(req);
    struct upgrades_request r;
    struct tierchange change;
    enum upgrade_outcome rc = upgrade_approve(req->tenant, id, &by, req->arena, &r, &change);
    cog_result_free(&change.result);
    if (rc != UPGRADE_OK)
        return answer(req, resp, rc, "approve");
    admin_stats_changed(req->tenant->slug);
    admin_log(req, "upgrade_approved", "request=%lld user_sub=%s", id, r.user_sub);
    return render_redirect(req, resp, "/admin/requests?done=approved", NULL);
}

enum http_status admin_requests_decline(struct request *req, struct response *resp)
{
    long long id = path_id(req);
    if (!id)
        return answer(req, resp, UPGRADE_NOT_FOUND, "decline");
    struct tierchange_actor by = actor_of(req);
    struct upgrades_request r;
    enum upgrade_outcome rc =
        upgrade_decline(req->tenant, id, req_form(req, "reason"), &by, req->arena, &r);
    if (rc != UPGRADE_OK)
        return answer(req, resp, rc, "decline");
    admin_log(req, "upgrade_declined", "request=%lld user_sub=%s", id, r.user_sub);
    return render_redirect(req, resp, "/admin/requests?done=declined", NULL);
}
