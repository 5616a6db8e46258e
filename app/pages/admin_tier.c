/* SPDX-License-Identifier: MIT */
/* admin_tier: POST /admin/update-tier (see admin_tier.h).
 *
 * The change itself, and why it is ordered as it is, is svc/tierchange.c's: this
 * page checks the form, tells the outcome and logs the admin's action. */
#include "pages/admin_tier.h"

#include <json-c/json.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admin_stats.h"
#include "pages/admin_user.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/tier.h"
#include "svc/tierchange.h"


static enum http_status redirect_done(struct request *req, struct response *resp, const char *username,
                         const char *done)
{
    struct buf path;
    buf_init(&path);
    buf_puts(&path, "/admin/users/");
    url_encode(&path, username);
    buf_printf(&path, "?done=%s", done);
    enum http_status status = render_redirect(req, resp, buf_cstr(&path), NULL);
    buf_free(&path);
    return status;
}

enum http_status admin_tier_update(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "User", "users");
    const char *username = req_form(req, "username"), *tier = req_form(req, "tier");
    if (admin_user_name_problem(username))
        return render_error(req, resp, HTTP_BAD_REQUEST,
                            "Choose a user first: open their page from the list of users.",
                            false);
    if (!tier_known(tier)) {
        admin_log(req, "update_tier_refused", "reason=invalid_tier");
        return admin_user_show(req, resp, ctx, username, HTTP_BAD_REQUEST,
                               "Choose Standard or Premium.");
    }
    struct tierchange_actor by = {.sub = req->session->sub, .email = req->session->email,
                            .request_id = req->request_id, .client_addr = req->client_addr};
    struct tierchange change;
    char quoted[LOG_VALUE_MAX];
    enum http_status status;
    switch (tierchange_apply(req->tenant, username, tier, &by, req->arena, &change)) {
    case TIERCHANGE_DONE:
        admin_stats_changed(req->tenant->slug);
        admin_log(req, "update_tier", "user_sub=%s user=%s old=%s new=%s", change.sub,
                  log_quote(quoted, sizeof(quoted), change.email),
                  change.old_tier ? change.old_tier : "-", tier);
        status = redirect_done(req, resp, change.username, "tier_changed");
        break;
    case TIERCHANGE_UNCHANGED:
        status = redirect_done(req, resp, change.username, "tier_unchanged");
        break;
    case TIERCHANGE_UNRECORDED:
        status = redirect_done(req, resp, change.username, "tier_unrecorded");
        break;
    case TIERCHANGE_UNSTARTED:
        status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
        break;
    case TIERCHANGE_BAD_ANSWER:
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        break;
    case TIERCHANGE_REFUSED:
    default:
        if (change.sub)
            admin_log(req, "update_tier_failed", "user_sub=%s cognito=%s", change.sub,
                      change.result.error ? change.result.error->code : "-");
        status = fields_cognito_error(req, resp, &change.result, COGERR_CTX_ADMIN, "admin_user",
                                      ctx);
        break;
    }
    cog_result_free(&change.result);
    return status;
}
