/* SPDX-License-Identifier: MIT */
/* admin: the panel's home and what its pages share (see admin.h).
 *
 * Membership is checked twice: by the dispatcher (ROUTE_ADMIN) on the
 * groups the session holds, and here after the session's tokens were
 * refreshed when due, since a refresh re-reads the groups and may find the
 * user was removed from the admin group. The statistics and their cache are
 * admin_stats'. Page contexts are json-c objects that render_page consumes. */
#include "pages/admin.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "pages/admin_stats.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"

#define LOG_VALUE_MAX 300

/* ---- shared by the admin pages ------------------------------------------- */

void admin_log(const struct request *req, const char *action, const char *fmt, ...)
{
    char detail[LOG_VALUE_MAX * 2], email[LOG_VALUE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    const struct sess_session *s = req->session;
    log_event(LOG_INFO, "admin_action", "id=%s tenant=%s admin_sub=%s admin=%s action=%s%s%s",
              req->request_id, req->tenant ? req->tenant->slug : "-", s ? s->sub : "-",
              log_quote(email, sizeof(email), s ? s->email : "-"), action,
              detail[0] ? " " : "", detail);
}

/* still_admin reads user.is_admin from a fresh page context: render is the
 * one module that holds the admin group's name, and it computed the flag
 * from the groups the refresh may just have replaced. */
static bool still_admin(struct json_object *ctx)
{
    struct json_object *user, *flag;
    return json_object_object_get_ex(ctx, "user", &user) &&
           json_object_object_get_ex(user, "is_admin", &flag) && json_object_get_boolean(flag);
}

struct json_object *admin_begin(struct request *req, struct response *resp, const char *title,
                                const char *section, int *status)
{
    switch (flow_fresh_tokens(req, resp)) {
    case FLOW_FRESH_OK:
        break;
    case FLOW_FRESH_ENDED:
        *status = flow_redirect(req, resp, "/login", "session_expired");
        return NULL;
    case FLOW_FRESH_UNAVAILABLE:
    default:
        *status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
        return NULL;
    }
    struct json_object *ctx = render_context(req, title);
    if (!still_admin(ctx)) {
        json_object_put(ctx);
        log_event(LOG_WARN, "admin_refused", "id=%s tenant=%s reason=not_in_group",
                  req->request_id, req->tenant->slug);
        *status = render_error(req, resp, HTTP_FORBIDDEN, NULL, false);
        return NULL;
    }
    struct json_object *nav = json_object_new_object();
    json_object_object_add(nav, section, json_object_new_boolean(1));
    json_object_object_add(ctx, "admin_nav", nav);
    return ctx;
}

/* ---- GET /admin --------------------------------------------------------------- */

int admin_home(struct request *req, struct response *resp)
{
    int status;
    struct json_object *ctx = admin_begin(req, resp, "Admin", "overview", &status);
    if (!ctx)
        return status;
    enum users_result rc = admin_stats_add(ctx, req->tenant->slug, time(NULL));
    if (rc != USERS_OK) {
        json_object_put(ctx);
        return render_error(req, resp, rc == USERS_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                               : HTTP_INTERNAL_ERROR, NULL, false);
    }
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "username", "Email address or username", "text", NULL, "off", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return render_page(req, resp, HTTP_OK, "admin", ctx);
}
