/* SPDX-License-Identifier: MIT */
/* admin: the panel's home and what its pages share (see admin.h).
 *
 * Membership is decided once, by the pipeline (ROUTE_ADMIN), after the
 * session's tokens were refreshed when due (a refresh re-reads the groups
 * and may find the user was removed from the admin group): the pages here
 * never check it again. The statistics and their cache are admin_stats'.
 * Page contexts belong to the request (pages/render.h). */
#include "pages/admin.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/log.h"
#include "pages/admin_stats.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/upgrade.h"


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

struct json_object *admin_context(struct request *req, const char *title, const char *section)
{
    struct json_object *ctx = render_context(req, title);
    struct json_object *nav = json_object_new_object();
    json_object_object_add(nav, section, json_object_new_boolean(1));
    /* The badge of waiting upgrade requests: one count over their own
     * partial index (store/upgrades.c), on every admin page. */
    long long pending = upgrade_pending_count(req->tenant);
    if (pending > 0)
        json_object_object_add(nav, "pending", json_object_new_int64(pending));
    json_object_object_add(ctx, "admin_nav", nav);
    return ctx;
}

void admin_notice(struct json_object *ctx, const char *kind, const char *message)
{
    struct json_object *n = json_object_new_object();
    json_object_object_add(n, "kind", json_object_new_string(kind));
    json_object_object_add(n, "message", json_object_new_string(message));
    json_object_object_add(ctx, "notice", n);
}

void admin_notice_from_done(struct request *req, struct json_object *ctx,
                            const struct admin_notice *table, size_t n)
{
    /* A POST answers with its own outcome, never a ?done= it was sent to. */
    const char *done = req->method == HTTP_POST ? NULL : req_query(req, "done");
    for (size_t i = 0; done && i < n; i++) {
        if (!strcmp(table[i].key, done)) {
            admin_notice(ctx, table[i].kind, table[i].message);
            return;
        }
    }
}

/* ---- GET /admin --------------------------------------------------------------- */

enum http_status admin_home(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "Admin", "overview");
    enum store_result rc = admin_stats_add(ctx, req->tenant->slug, time(NULL));
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "username", "Email address or username", "text", NULL, "off", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return render_page(req, resp, HTTP_OK, "admin", ctx);
}
