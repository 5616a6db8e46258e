/* SPDX-License-Identifier: MIT */
/* admin_user: one user's page (see admin_user.h).
 *
 * The page reads Cognito live (the truth: status, enabled, MFA, attributes,
 * groups) and the database for what only gatehouse knows (the person's
 * sessions and API sign-ins, the tier history, every admin action on them,
 * the last sign-in). Every later call uses the username AdminGetUser
 * answered with, whatever the admin typed (an email is an alias).
 *
 * After a tier change (admin_tier) or an action (admin_actions) the browser
 * comes back here with ?done=<key>; the key picks a message from the table
 * below, so the address can never make the page say anything else. The
 * list's query comes along as ?back= (checked to be a plain query string)
 * so the breadcrumb returns to the list as it was filtered. */
#include "pages/admin_user.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/adminlog.h"
#include "store/audit.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/adminuser.h"
#include "svc/devices.h"
#include "svc/input.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/usersync.h"

#define HISTORY_MAX 50
#define ACTIONS_MAX 50 /* admin actions on the user shown; the audit page has the rest */
#define STATUS_INVITED "FORCE_CHANGE_PASSWORD"
#define STATUS_UNCONFIRMED "UNCONFIRMED"
/* What ?back= may hold: a query string of the list's plain parameters. */
#define BACK_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789%&=._-+~:@,"

static const struct admin_notice notices[] = {
    {"tier_changed", "success", "The tier was changed. The user sees it on their next page."},
    {"tier_unchanged", "info", "The user already had that tier: nothing was changed."},
    {"tier_unrecorded", "warning",
     "The tier was changed in Cognito, but the users list and the audit log could not be "
     "written. The failure has been logged; `gatehouse users sync` brings the list up to "
     "date."},
    {"invitation_resent", "success", "The invitation was sent again with a new temporary password."},
    {"signup_confirmed", "success", "The sign-up was confirmed: the user can sign in now."},
    {"disabled", "success", "The user is disabled and has been signed out everywhere."},
    {"enabled", "success", "The user is enabled: they can sign in again."},
    {"password_reset", "success",
     "The password was reset: the user has been signed out everywhere and emailed a code to "
     "choose a new one."},
    {"signed_out", "success", "The user has been signed out everywhere."},
    {"mfa_reset", "success",
     "Two-step verification was reset: the user's next sign-in asks for their password only."},
    {"edited", "success", "The profile was saved. The user sees it on their next page."},
    {"admin_granted", "success", "The user is now an administrator."},
    {"admin_revoked", "success",
     "The user is no longer an administrator and has been signed out everywhere."},
    {"unchanged", "info", "Nothing to change: the user was already so."},
    {"unrecorded", "warning",
     "The change was made in Cognito, but the users list or the audit log could not be "
     "written. The failure has been logged; `gatehouse users sync` brings the list up to "
     "date."},
};

const char *admin_user_back(struct request *req)
{
    const char *back = req->method == HTTP_POST ? req_form(req, "back") : req_query(req, "back");
    if (!back || !*back || strlen(back) > ADMIN_LIST_QUERY_MAX ||
        back[strspn(back, BACK_CHARS)] != '\0')
        return NULL;
    return back;
}

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

/* add_sessions lists the person's browser sessions and API sign-ins, as
 * their own "Your devices" page tells them. */
static void add_sessions(struct request *req, struct json_object *ctx, const char *sub)
{
    struct devices_item *items;
    size_t n;
    char when[ADMINTEXT_DATE_MAX];
    if (devices_list(req->tenant, sub, NULL, NULL, req->arena, &items, &n) != DEVICES_OK) {
        json_object_object_add(ctx, "sessions_unavailable", json_object_new_boolean(1));
        return;
    }
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *item = json_object_new_object();
        add_str(item, "kind", items[i].kind == DEVICES_API ? "App or API" : "Browser");
        add_str(item, "description", items[i].description);
        add_str(item, "address", items[i].client_addr ? items[i].client_addr : "unknown");
        add_str(item, "signed_in", admintext_date(when, items[i].signed_in_at, false));
        add_str(item, "last_seen", admintext_date(when, items[i].last_seen_at, false));
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "sessions", list);
}

/* add_actions lists what admins did to the user, newest first. */
static void add_actions(struct request *req, struct json_object *ctx, const char *sub)
{
    struct adminlog_filter f = {.target_sub = sub};
    struct adminlog_page page;
    char when[ADMINTEXT_DATE_MAX];
    if (adminlog_list(req->tenant->slug, &f, 0, ACTIONS_MAX, req->arena, &page) != STORE_OK) {
        json_object_object_add(ctx, "actions_unavailable", json_object_new_boolean(1));
        return;
    }
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < page.n; i++) {
        const struct adminlog_entry *e = &page.rows[i];
        struct json_object *item = json_object_new_object();
        add_str(item, "at", admintext_date(when, e->at, true));
        add_str(item, "action", e->action);
        add_str(item, "before", e->before_value);
        add_str(item, "after", e->after_value);
        add_str(item, "by", e->actor_email ? e->actor_email : e->actor_sub);
        add_str(item, "detail", e->detail);
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "actions", list);
}

/* add_edit_form fills the edit form with the attributes Cognito holds. */
static void add_edit_form(struct json_object *account, const struct cog_result *r)
{
    static const struct {
        const char *field, *attr, *label;
        bool required;
    } f[] = {
        {"name", "name", "Name", true},
        {"company", "custom:company", "Company", false},
        {"department", "custom:department", "Department", false},
        {"role", "custom:role", "Role", false},
    };
    struct json_object *fields = json_object_new_object();
    for (size_t i = 0; i < sizeof(f) / sizeof(*f); i++)
        fields_add(fields, f[i].field, f[i].label, "text", cog_user_attr(r, f[i].attr), "off",
                   f[i].required, NULL);
    json_object_object_add(account, "edit_fields", fields);
}

/* add_path gives the page the user's own path, for the actions' forms. */
static void add_path(struct json_object *account, const char *username)
{
    struct buf path;
    buf_init(&path);
    buf_puts(&path, "/admin/users/");
    url_encode(&path, username);
    add_str(account, "path", buf_cstr(&path));
    buf_free(&path);
}

/* in_group: is group among the account's groups as Cognito listed them? */
static bool in_group(struct json_object *account, const char *group)
{
    struct json_object *groups;
    if (!group || !json_object_object_get_ex(account, "groups", &groups))
        return false;
    for (size_t i = 0; i < json_object_array_length(groups); i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(groups, i)), group))
            return true;
    return false;
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
    add_path(account, canonical);
    add_edit_form(account, &r);
    bool mfa = adminuser_mfa_on(r.reply);
    add_str(account, "mfa", mfa ? "On" : "Off");
    json_object_object_add(account, "mfa_on", json_object_new_boolean(mfa));
    json_object_object_add(account, "is_admin",
                           json_object_new_boolean(in_group(account, svc_config()->admin_group)));
    json_object_object_add(account, "is_self",
                           json_object_new_boolean(!strcmp(u.sub, req->session->sub)));
    json_object_object_add(account, "can_resend",
                           json_object_new_boolean(u.status && !strcmp(u.status, STATUS_INVITED)));
    json_object_object_add(account, "can_confirm",
                           json_object_new_boolean(u.status &&
                                                   !strcmp(u.status, STATUS_UNCONFIRMED)));
    if (tier_error)
        add_str(account, "tier_error", tier_error);
    json_object_object_add(ctx, "account", account);
    /* The page is the user's: their email heads it and names it. */
    json_object_object_add(ctx, "title", json_object_new_string(u.email));
    add_str(ctx, "back", admin_user_back(req));
    add_sessions(req, ctx, u.sub);
    add_history(req, ctx, u.sub);
    add_actions(req, ctx, u.sub);
    admin_notice_from_done(req, ctx, notices, sizeof(notices) / sizeof(notices[0]));
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
        fields_error(ctx, NULL, problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "admin_user", ctx);
    }
    char quoted[LOG_VALUE_MAX];
    admin_log(req, "user_info", "target=%s", log_quote(quoted, sizeof(quoted), username));
    return admin_user_show(req, resp, ctx, username, HTTP_OK, NULL);
}
