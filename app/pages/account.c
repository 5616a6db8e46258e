/* SPDX-License-Identifier: MIT */
/* account: the signed-in user's page (see account.h).
 *
 * GET /account needs nothing but the session the pipeline already loaded
 * (and refreshed, when its access token was due): one indexed lookup and no
 * Cognito call. The profile comes from the session (kept current by token
 * refreshes and admin changes) and, for the optional work attributes, from
 * what the session kept of the id token, which was verified when it was
 * stored. A changed password ends the user's other sessions
 * (svc/password.c). */
#include "pages/account.h"

#include <json-c/json.h>
#include <string.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "pages/upsell.h"
#include "store/sessions.h"
#include "svc/input.h"
#include "svc/password.h"

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
    fields_add(fields, "current_password", "Current password", "password", NULL,
               "current-password", true, NULL);
    fields_add(fields, "password", "New password", "password", NULL, "new-password", true,
               fields_password_help(req));
    fields_add(fields, "confirm_password", "Confirm new password", "password", NULL,
               "new-password", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    add_profile(ctx, req->session->attributes);
    upsell_add_request(req, ctx); /* the last upgrade request and its answer */
    return ctx;
}

enum http_status account_page(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "account", account_context(req));
}

enum http_status account_password(struct request *req, struct response *resp)
{
    struct json_object *ctx = account_context(req);
    bool ok = fields_check_new_password(req, ctx);
    const char *current = req_form(req, "current_password");
    if (!current || !*current)
        ok = fields_error(ctx, "current_password", "Enter your current password.");
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "account", ctx);

    struct cog_result r;
    enum http_status status;
    int rc = password_change(req->tenant, req->session, req->arena, current,
                             req_form(req, "password"), req->request_id, &r);
    if (rc < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_CHANGE_PASSWORD, "account", ctx);
    else if (rc > 0)
        status = render_redirect(req, resp, "/login", "password_changed_login");
    else
        status = render_redirect(req, resp, "/account", "password_changed");
    cog_result_free(&r);
    return status;
}
