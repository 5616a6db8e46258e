/* SPDX-License-Identifier: MIT */
/* account: the signed-in user's page (see account.h).
 *
 * GET /account needs nothing but the session the dispatcher already loaded:
 * one indexed lookup and no Cognito call. The profile comes from the
 * session (kept current by token refreshes and admin changes) and, for the
 * optional work attributes, from what the session kept of the id token,
 * which was verified when it was stored. When the access token has expired it is
 * refreshed first, so the page shows what a refresh says now (tier, groups).
 * A changed password signs the user out everywhere else: the user's other
 * sessions in this tenant are deleted, the current one stays. */
#include "pages/account.h"

#include <json-c/json.h>
#include <string.h>

#include "aws/cognito.h"
#include "core/log.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"

static const struct {
    const char *claim, *label;
} profile_claims[] = {
    {"custom:company", "Company"},
    {"custom:department", "Department"},
    {"custom:role", "Role"},
};

/* add_profile lists the optional attributes the session kept from the id
 * token (a JSON object of claims). */
static void add_profile(struct json_object *ctx, const char *attributes)
{
    struct json_object *claims = attributes ? json_tokener_parse(attributes) : NULL;
    if (!claims || !json_object_is_type(claims, json_type_object)) {
        json_object_put(claims);
        return;
    }
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < sizeof(profile_claims) / sizeof(profile_claims[0]); i++) {
        struct json_object *v;
        if (!json_object_object_get_ex(claims, profile_claims[i].claim, &v) ||
            !json_object_is_type(v, json_type_string) || !json_object_get_string_len(v))
            continue;
        struct json_object *item = json_object_new_object();
        json_object_object_add(item, "label", json_object_new_string(profile_claims[i].label));
        json_object_object_add(item, "value", json_object_new_string(json_object_get_string(v)));
        json_object_array_add(list, item);
    }
    if (json_object_array_length(list))
        json_object_object_add(ctx, "profile", list);
    else
        json_object_put(list);
    json_object_put(claims);
}

static struct json_object *account_context(struct request *req)
{
    struct json_object *ctx = render_context(req, "Your account");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "current_password", "Current password", "password", NULL,
               "current-password", true, NULL);
    flow_field(fields, "password", "New password", "password", NULL, "new-password", true,
               flow_password_help());
    flow_field(fields, "confirm_password", "Confirm new password", "password", NULL,
               "new-password", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    add_profile(ctx, req->session->attributes);
    return ctx;
}

/* fresh_or_answer refreshes the session's tokens if needed; it returns 0 to
 * go on, or the status it answered with. */
static int fresh_or_answer(struct request *req, struct response *resp)
{
    switch (flow_fresh_tokens(req, resp)) {
    case FLOW_FRESH_OK:
        return 0;
    case FLOW_FRESH_ENDED:
        return flow_redirect(req, resp, "/login", "session_expired");
    case FLOW_FRESH_UNAVAILABLE:
    default:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    }
}

int account_page(struct request *req, struct response *resp)
{
    int status = fresh_or_answer(req, resp);
    if (status)
        return status;
    return render_page(req, resp, HTTP_OK, "account", account_context(req));
}

int account_password(struct request *req, struct response *resp)
{
    struct json_object *ctx = account_context(req);
    bool ok = flow_check_new_password(req, ctx);
    const char *current = req_form(req, "current_password");
    if (!current || !*current)
        ok = flow_field_error(ctx, "current_password", "Enter your current password.");
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "account", ctx);

    int status = fresh_or_answer(req, resp);
    if (!status && !req->session->access_token &&
        sess_load_tokens(req->session, req->arena) != SESS_OK)
        status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    if (status) {
        json_object_put(ctx);
        return status;
    }
    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.access_token = req->session->access_token,
                           .previous_password = current, .password = req_form(req, "password")};
    if (cog_run(&c, COG_CHANGE_PASSWORD, &p, &r) < 0) {
        status = flow_cognito_error(req, resp, &r, COGERR_CTX_CHANGE_PASSWORD, "account", ctx);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    json_object_put(ctx);
    long long others = 0;
    sess_delete_user(req->tenant->id, req->session->sub, req->session, &others);
    log_event(LOG_INFO, "password_changed", "id=%s tenant=%s other_sessions_ended=%lld",
              req->request_id, req->tenant->slug, others);
    return flow_redirect(req, resp, "/account", "password_changed");
}
