/* SPDX-License-Identifier: MIT */
/* admin_user: one user's page (see admin_user.h).
 *
 * The page reads Cognito live (the truth: status, enabled, attributes,
 * groups) and the database for what only gatehouse knows (the tier history,
 * the last sign-in). Every later call uses the username AdminGetUser
 * answered with, whatever the admin typed (an email is an alias).
 *
 * After a tier change (admin_tier) the browser comes back here with
 * ?done=<key>; the key picks a message from the table below, so the address
 * can never make the page say anything else. */
#include "pages/admin_user.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/log.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/audit.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/usersync.h"

#define HISTORY_MAX 50

static const struct {
    const char *key, *kind, *message;
} notices[] = {
    {"tier_changed", "success", "The tier was changed. The user sees it on their next page."},
    {"tier_unchanged", "info", "The user already had that tier: nothing was changed."},
    {"tier_unrecorded", "warning",
     "The tier was changed in Cognito, but the users list and the audit log could not be "
     "written. The failure has been logged; `gatehouse users sync` brings the list up to "
     "date."},
    {"invitation_resent", "success", "The invitation was sent again with a new temporary password."},
    {"signup_confirmed", "success", "The sign-up was confirmed: the user can sign in now."},
};

const char *admin_user_name_problem(const char *username)
{
    if (!username || !*username)
        return "Enter the email address or username of a user.";
    if (strpbrk(username, "\t\r\n"))
        return "This contains characters that are not allowed.";
    return input_check_text(username, INPUT_EMAIL_MAX, true);
}

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_lookup_form(struct json_object *ctx, const char *username)
{
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "username", "Email address or username", "text", username, "off", true,
               NULL);
    json_object_object_add(ctx, "fields", fields);
}

static void add_notice(struct request *req, struct json_object *ctx)
{
    const char *done = req->method == HTTP_POST ? NULL : req_query(req, "done");
    for (size_t i = 0; done && i < sizeof(notices) / sizeof(notices[0]); i++) {
        if (strcmp(notices[i].key, done))
            continue;
        struct json_object *n = json_object_new_object();
        add_str(n, "kind", notices[i].kind);
        add_str(n, "message", notices[i].message);
        json_object_object_add(ctx, "notice", n);
    }
}

/* ---- what the page shows ----------------------------------------------------- */

static void add_attributes(struct json_object *account, struct json_object *reply)
{
    struct json_object *attrs, *list = json_object_new_array();
    if (json_object_object_get_ex(reply, "UserAttributes", &attrs) &&
        json_object_is_type(attrs, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(attrs); i++) {
            struct json_object *a = json_object_array_get_idx(attrs, i), *name, *value;
            if (!json_object_object_get_ex(a, "Name", &name) ||
                !json_object_object_get_ex(a, "Value", &value))
                continue;
            struct json_object *item = json_object_new_object();
            add_str(item, "name", json_object_get_string(name));
            add_str(item, "value", json_object_get_string(value));
            json_object_array_add(list, item);
        }
    }
    json_object_object_add(account, "attributes", list);
}

static void add_groups(struct request *req, struct json_object *account,
                       const struct cog_client *c, const char *username)
{
    struct cog_params p = {.username = username};
    struct cog_result r;
    struct json_object *groups;
    if (cog_run(c, COG_ADMIN_LIST_GROUPS, &p, &r) < 0 ||
        !json_object_object_get_ex(r.reply, "Groups", &groups) ||
        !json_object_is_type(groups, json_type_array)) {
        log_event(LOG_WARN, "admin_groups_unread", "id=%s", req->request_id);
        json_object_object_add(account, "groups_unknown", json_object_new_boolean(1));
        cog_result_free(&r);
        return;
    }
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(groups); i++) {
        struct json_object *name;
        if (json_object_object_get_ex(json_object_array_get_idx(groups, i), "GroupName", &name))
            json_object_array_add(list, json_object_new_string(json_object_get_string(name)));
    }
    json_object_object_add(account, "groups", list);
    cog_result_free(&r);
}

static void add_history(struct request *req, struct json_object *ctx, const char *sub)
{
    struct audit_page page;
    char when[ADMINTEXT_DATE_MAX];
    if (audit_for_user(req->tenant->slug, sub, HISTORY_MAX, req->arena, &page) != STORE_OK) {
        json_object_object_add(ctx, "history_unavailable", json_object_new_boolean(1));
        return;
    }
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < page.n; i++) {
        const struct audit_change *c = &page.rows[i];
        struct json_object *item = json_object_new_object();
        add_str(item, "at", admintext_date(when, c->at, true));
        add_str(item, "old_tier", c->old_tier ? c->old_tier : "unknown");
        add_str(item, "new_tier", c->new_tier);
        add_str(item, "by", c->by_email ? c->by_email : c->by_sub);
        add_str(item, "request_id", c->request_id);
        add_str(item, "note", c->note);
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "history", list);
}

static void add_mirror(struct request *req, struct json_object *account, const char *sub)
{
    struct users_user m;
    char when[ADMINTEXT_DATE_MAX];
    if (users_get(req->tenant->slug, sub, req->arena, &m) != STORE_OK) {
        json_object_object_add(account, "not_mirrored", json_object_new_boolean(1));
        return;
    }
    if (m.last_login_at)
        add_str(account, "last_login", admintext_date(when, m.last_login_at, false));
}

enum http_status admin_user_show(struct request *req, struct response *resp,
                                 struct json_object *ctx, const char *username,
                                 enum http_status status, const char *tier_error)
{
    struct cog_client c;
    struct cog_result r;
    struct users_user u;
    const char *canonical;
    char when[ADMINTEXT_DATE_MAX];

    add_lookup_form(ctx, username);
    svc_client(req->tenant, &c);
    struct cog_params p = {.username = username};
    if (cog_run(&c, COG_ADMIN_GET_USER, &p, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_user", ctx);
        goto out;
    }
    if (!usersync_user(r.reply, &u, &canonical)) {
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    struct json_object *account = json_object_new_object();
    add_str(account, "username", canonical);
    add_str(account, "sub", u.sub);
    add_str(account, "email", u.email);
    add_str(account, "name", u.name);
    add_str(account, "tier", u.tier);
    json_object_object_add(account, tier_allows(u.tier, TIER_PREMIUM) ? "is_premium" : "is_standard",
                           json_object_new_boolean(1));
    add_str(account, "status", admintext_status_label(u.status));
    json_object_object_add(account, "enabled", json_object_new_boolean(u.enabled));
    add_str(account, "created", admintext_date(when, u.created_at, false));
    add_str(account, "modified", admintext_date(when, u.updated_at, false));
    add_attributes(account, r.reply);
    add_groups(req, account, &c, canonical);
    add_mirror(req, account, u.sub);
    if (tier_error)
        add_str(account, "tier_error", tier_error);
    json_object_object_add(ctx, "account", account);
    add_history(req, ctx, u.sub);
    add_notice(req, ctx);
    status = render_page(req, resp, status, "admin_user", ctx);
out:
    cog_result_free(&r);
    return status;
}

enum http_status admin_user_page(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "User", "users");
    const char *username = req->path_param;
    if (admin_user_name_problem(username))
        return render_error(req, resp, HTTP_NOT_FOUND, NULL, false);
    char quoted[LOG_VALUE_MAX];
    admin_log(req, "user_info", "target=%s", log_quote(quoted, sizeof(quoted), username));
    return admin_user_show(req, resp, ctx, username, HTTP_OK, NULL);
}

enum http_status admin_user_info(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "User", "users");
    const char *username = req_form(req, "username"), *problem = admin_user_name_problem(username);
    if (problem) {
        add_lookup_form(ctx, NULL);
        fields_error(ctx, "username", problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "admin_user", ctx);
    }
    char quoted[LOG_VALUE_MAX];
    admin_log(req, "user_info", "target=%s", log_quote(quoted, sizeof(quoted), username));
    return admin_user_show(req, resp, ctx, username, HTTP_OK, NULL);
}
