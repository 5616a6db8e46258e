/* SPDX-License-Identifier: MIT */
/* admin_actions: an admin's actions on one user (see admin_actions.h).
 *
 * One table says, per action, what svc/adminuser is asked, whether a
 * confirmation comes first and what it says, and which message the user
 * page shows after; every handler is the same function over its row. The
 * messages after an action are picked by key on the user page
 * (pages/admin_user.c), so an address can never make it say anything
 * else. */
#include "pages/admin_actions.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>

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
#include "svc/adminuser.h"
#include "svc/selfservice.h"
#include "svc/svc.h"
#include "svc/usersync.h"

#define MESSAGE_MAX 256 /* a refusal's sentence, with a field's name */

enum confirm_kind {
    CONFIRM_NONE,  /* done at once: undone as easily */
    CONFIRM_CLICK, /* a second button, on a page that says what happens */
    CONFIRM_EMAIL, /* the user's email typed out */
};

struct action_spec {
    enum adminuser_action action;
    const char *slug; /* the route's last segment, and the log's name */
    enum confirm_kind confirm;
    const char *title;   /* of the confirmation page (and its heading) */
    const char *explain; /* what will happen, in the confirmation */
    const char *button;  /* the confirmation's button */
    const char *done;    /* the user page's message key after it */
};

static const struct action_spec specs[ADMINUSER_ACTION_COUNT] = {
    [ADMINUSER_DISABLE] = {ADMINUSER_DISABLE, "disable", CONFIRM_CLICK, "Disable this user?",
                           "They are signed out everywhere at once (browsers, apps and API "
                           "tokens) and cannot sign in until an administrator enables them "
                           "again.",
                           "Disable the user", "disabled"},
    [ADMINUSER_ENABLE] = {ADMINUSER_ENABLE, "enable", CONFIRM_NONE, NULL, NULL, NULL, "enabled"},
    [ADMINUSER_RESET_PASSWORD] = {ADMINUSER_RESET_PASSWORD, "reset-password", CONFIRM_CLICK,
                                  "Reset this user's password?",
                                  "Their current password stops working now and they are "
                                  "signed out everywhere. They are emailed a code, and choose "
                                  "a new password with \"Forgot your password?\" on the login "
                                  "page. This cannot be undone.",
                                  "Reset the password", "password_reset"},
    [ADMINUSER_SIGN_OUT] = {ADMINUSER_SIGN_OUT, "sign-out", CONFIRM_CLICK,
                            "Sign this user out everywhere?",
                            "Every browser session and app sign-in of theirs ends now, and "
                            "their API tokens stop working. They can sign in again with their "
                            "password.",
                            "Sign out everywhere", "signed_out"},
    [ADMINUSER_RESET_MFA] = {ADMINUSER_RESET_MFA, "reset-mfa", CONFIRM_CLICK,
                             "Reset this user's two-step verification?",
                             "Their authenticator app is forgotten: their next sign-in asks "
                             "for the password only, and they can set up a new authenticator "
                             "from their security page. Use this when they have lost their "
                             "device. This cannot be undone.",
                             "Reset two-step verification", "mfa_reset"},
    [ADMINUSER_EDIT] = {ADMINUSER_EDIT, "edit", CONFIRM_NONE, NULL, NULL, NULL, "edited"},
    [ADMINUSER_GRANT_ADMIN] = {ADMINUSER_GRANT_ADMIN, "grant-admin", CONFIRM_NONE, NULL, NULL, NULL,
                               "admin_granted"},
    [ADMINUSER_REVOKE_ADMIN] = {ADMINUSER_REVOKE_ADMIN, "revoke-admin", CONFIRM_CLICK,
                                "Remove this user from the administrators?",
                                "They lose the admin panel at once: every sign-in of theirs "
                                "ends, and their next sign-in is a plain user's.",
                                "Remove admin rights", "admin_revoked"},
    [ADMINUSER_DELETE] = {ADMINUSER_DELETE, "delete", CONFIRM_EMAIL, "Delete this user?",
                          "The account is deleted at once: they are signed out everywhere and "
                          "cannot sign in again; their tier and profile are gone. What "
                          "administrators did to them stays in the audit log. This cannot be "
                          "undone.",
                          "Delete the user", NULL},
};

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

/* user_path writes /admin/users/<username> to path, then ?done=<done> and
 * the list's query (back) when given. */
static void user_path(struct buf *path, const char *username, const char *done, const char *back)
{
    buf_puts(path, "/admin/users/");
    url_encode(path, username);
    if (done)
        buf_printf(path, "?done=%s", done);
    if (back) {
        buf_puts(path, done ? "&back=" : "?back=");
        url_encode(path, back);
    }
}

static enum http_status redirect_user(struct request *req, struct response *resp,
                                      const char *username, const char *done, const char *back)
{
    struct buf path;
    buf_init(&path);
    user_path(&path, username, done, back);
    enum http_status status = render_redirect(req, resp, buf_cstr(&path), NULL);
    buf_free(&path);
    return status;
}

/* confirm_page answers the confirmation of spec for username (status; a
 * typed email's problem when not NULL). */
static enum http_status confirm_page(struct request *req, struct response *resp,
                                     const struct action_spec *spec, const char *username,
                                     const char *back, enum http_status status, const char *problem)
{
    struct json_object *ctx = admin_context(req, spec->title, "users");
    struct cog_client c;
    struct cog_result r;
    struct users_user u;
    const char *canonical;
    struct buf path;

    svc_client(req->tenant, &c);
    struct cog_params p = {.username = username};
    if (cog_run(&c, COG_ADMIN_GET_USER, &p, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_confirm", ctx);
        goto out;
    }
    if (!usersync_user(r.reply, &u, &canonical)) {
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    buf_init(&path);
    user_path(&path, canonical, NULL, back);
    add_str(ctx, "user_href", buf_cstr(&path));
    buf_reset(&path);
    buf_puts(&path, "/admin/users/");
    url_encode(&path, canonical);
    buf_printf(&path, "/%s", spec->slug);
    add_str(ctx, "action", buf_cstr(&path));
    buf_free(&path);
    add_str(ctx, "email", u.email);
    add_str(ctx, "explain", spec->explain);
    add_str(ctx, "button", spec->button);
    add_str(ctx, "back", back);
    if (spec->confirm == CONFIRM_EMAIL) {
        struct json_object *fields = json_object_new_object();
        fields_add(fields, "confirm_email", "Type the user's email address to confirm", "text",
                   NULL, "off", true, NULL);
        json_object_object_add(ctx, "fields", fields);
        if (problem)
            fields_error(ctx, "confirm_email", problem);
    } else {
        json_object_object_add(ctx, "click", json_object_new_boolean(1));
    }
    status = render_page(req, resp, status, "admin_confirm", ctx);
out:
    cog_result_free(&r);
    return status;
}

/* refused answers a refusal the rules make (own account, last admin) on
 * the user page, nothing changed. */
static enum http_status refused(struct request *req, struct response *resp, const char *username,
                                const char *message)
{
    struct json_object *ctx = admin_context(req, "User", "users");
    add_str(ctx, "form_error", message);
    return admin_user_show(req, resp, ctx, username, HTTP_CONFLICT, NULL);
}

static const char *self_message(enum adminuser_action action)
{
    switch (action) {
    case ADMINUSER_REVOKE_ADMIN:
        return "You cannot remove your own admin rights: ask another administrator.";
    case ADMINUSER_DELETE:
        return "You cannot delete your own account here: use your account page.";
    case ADMINUSER_DISABLE:
        return "You cannot disable your own account.";
    default:
        return "Do this from your own account pages, where your password is checked again.";
    }
}

static enum http_status act(struct request *req, struct response *resp,
                            const struct action_spec *spec)
{
    const char *username = req->path_param;
    const char *back = admin_user_back(req);
    struct selfservice_profile edit = {0};
    char quoted[LOG_VALUE_MAX];
    struct adminuser_input in = {.edit = &edit};

    if (admin_user_name_problem(username))
        return render_error(req, resp, HTTP_NOT_FOUND, NULL, false);
    if (spec->confirm == CONFIRM_CLICK) {
        const char *confirm = req_form(req, "confirm");
        if (!confirm || strcmp(confirm, "yes"))
            return confirm_page(req, resp, spec, username, back, HTTP_OK, NULL);
    } else if (spec->confirm == CONFIRM_EMAIL) {
        in.confirm_email = req_form(req, "confirm_email");
        if (!in.confirm_email)
            return confirm_page(req, resp, spec, username, back, HTTP_OK, NULL);
    }
    if (spec->action == ADMINUSER_EDIT) {
        edit.name = req_form(req, "name");
        edit.company = req_form(req, "company");
        edit.department = req_form(req, "department");
        edit.role = req_form(req, "role");
    }

    struct adminuser_actor by = {.sub = req->session->sub,
                                 .email = req->session->email,
                                 .request_id = req->request_id,
                                 .client_addr = req->client_addr};
    struct adminuser out;
    enum http_status status;
    enum adminuser_outcome outcome = adminuser_apply(req->tenant, spec->action, username, &in, &by,
                                                     req->arena, &out);
    admin_log(req, spec->slug, "user_sub=%s user=%s outcome=%d", out.sub ? out.sub : "-",
              log_quote(quoted, sizeof(quoted), out.email ? out.email : username), outcome);
    switch (outcome) {
    case ADMINUSER_DONE:
        if (spec->action == ADMINUSER_DELETE || spec->action == ADMINUSER_ENABLE ||
            spec->action == ADMINUSER_DISABLE)
            admin_stats_changed(req->tenant->slug);
        if (spec->action == ADMINUSER_DELETE)
            status = render_redirect(req, resp, "/admin/users", "user_deleted");
        else
            status = redirect_user(req, resp, out.username, spec->done, back);
        break;
    case ADMINUSER_UNCHANGED:
        status = redirect_user(req, resp, out.username, "unchanged", back);
        break;
    case ADMINUSER_UNRECORDED:
        if (spec->action == ADMINUSER_DELETE)
            status = render_redirect(req, resp, "/admin/users", "user_deleted");
        else
            status = redirect_user(req, resp, out.username, "unrecorded", back);
        break;
    case ADMINUSER_SELF:
        status = refused(req, resp, out.username, self_message(spec->action));
        break;
    case ADMINUSER_LAST_ADMIN:
        status = refused(req, resp, out.username,
                         "This is the tenant's last enabled administrator: make someone else "
                         "an administrator first.");
        break;
    case ADMINUSER_BAD_INPUT: {
        struct json_object *ctx = admin_context(req, "User", "users");
        char message[MESSAGE_MAX];
        snprintf(message, sizeof(message), "The %s was not saved: %s",
                 out.field ? out.field : "change", out.problem ? out.problem : "check it.");
        add_str(ctx, "form_error", message);
        status = admin_user_show(req, resp, ctx, username, HTTP_BAD_REQUEST, NULL);
        break;
    }
    case ADMINUSER_NOT_CONFIRMED:
        status = confirm_page(req, resp, spec, username, back, HTTP_BAD_REQUEST,
                              in.confirm_email && *in.confirm_email
                                  ? "That is not this user's email address: nothing was deleted."
                                  : "Type the user's email address to confirm.");
        break;
    case ADMINUSER_BAD_ANSWER:
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        break;
    case ADMINUSER_REFUSED:
    default: {
        struct json_object *ctx = admin_context(req, "User", "users");
        status = fields_cognito_error(req, resp, &out.result, COGERR_CTX_ADMIN, "admin_user", ctx);
        break;
    }
    }
    cog_result_free(&out.result);
    return status;
}

enum http_status admin_actions_disable(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_DISABLE]);
}

enum http_status admin_actions_enable(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_ENABLE]);
}

enum http_status admin_actions_reset_password(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_RESET_PASSWORD]);
}

enum http_status admin_actions_sign_out(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_SIGN_OUT]);
}

enum http_status admin_actions_reset_mfa(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_RESET_MFA]);
}

enum http_status admin_actions_edit(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_EDIT]);
}

enum http_status admin_actions_grant_admin(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_GRANT_ADMIN]);
}

enum http_status admin_actions_revoke_admin(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_REVOKE_ADMIN]);
}

enum http_status admin_actions_delete(struct request *req, struct response *resp)
{
    return act(req, resp, &specs[ADMINUSER_DELETE]);
}
