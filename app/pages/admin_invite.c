/* SPDX-License-Identifier: MIT */
/* admin_invite: invitations, sent and sent again, and sign-ups confirmed by
 * hand (see admin_invite.h).
 *
 * The steps and why they are ordered so are svc/invite.c's: this page
 * checks the form, tells the outcome and logs the admin's action. What the
 * invitation form shows after a POST is chosen here from the outcome, never
 * from anything the browser sends. */
#include "pages/admin_invite.h"

#include <json-c/json.h>
#include <string.h>

#include "core/arena.h"
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
#include "svc/input.h"
#include "svc/invite.h"
#include "svc/tier.h"

#define TEMPLATE "admin_invite"

static void add_form(struct json_object *ctx, const char *email, const char *name,
                     const char *tier, bool admin)
{
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "off", true,
               "Cognito emails the invitation and a temporary password to this address.");
    fields_add(fields, "name", "Name", "text", name, "off", false, NULL);
    json_object_object_add(ctx, "fields", fields);
    json_object_object_add(ctx, tier && !strcmp(tier, TIER_PREMIUM) ? "is_premium" : "is_standard",
                           json_object_new_boolean(1));
    if (admin)
        json_object_object_add(ctx, "is_admin", json_object_new_boolean(1));
}

static const char *user_href(struct request *req, const char *username)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/admin/users/", req->base);
    url_encode(&b, username);
    const char *href = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return href;
}

static struct tierchange_actor actor(const struct request *req)
{
    return (struct tierchange_actor){.sub = req->session->sub, .email = req->session->email,
                                     .request_id = req->request_id,
                                     .client_addr = req->client_addr};
}

enum http_status admin_invite_form(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "Invite a user", "users");
    add_form(ctx, NULL, NULL, TIER_STANDARD, false);
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

enum http_status admin_invite_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "Invite a user", "users");
    struct invite_request in = {.email = req_form(req, "email"), .name = req_form(req, "name"),
                                .tier = req_form(req, "tier")};
    const char *admin = req_form(req, "admin");
    in.admin = admin && !strcmp(admin, "yes");
    if (!in.name)
        in.name = "";
    /* An email is compared and stored lower-cased everywhere (store/users). */
    char *email = in.email ? arena_strdup(req->arena, in.email) : NULL;
    for (char *c = email; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    in.email = email;
    add_form(ctx, in.email, in.name, in.tier, in.admin);
    bool ok = fields_check(ctx, "email", input_check_email(in.email));
    if (invite_name_problem(in.name))
        ok = fields_error(ctx, "name", invite_name_problem(in.name));
    if (!tier_known(in.tier))
        ok = fields_error(ctx, NULL, "Choose Standard or Premium.");
    if (!ok || invite_check(&in)) {
        admin_log(req, "invite_refused", "reason=invalid_input");
        return render_page(req, resp, HTTP_BAD_REQUEST, TEMPLATE, ctx);
    }
    struct tierchange_actor by = actor(req);
    struct invite_result out;
    char quoted[LOG_VALUE_MAX];
    enum http_status status = HTTP_OK;
    enum invite_outcome rc = invite_send(req->tenant, &in, &by, req->arena, &out);
    switch (rc) {
    case INVITE_DONE:
    case INVITE_UNRECORDED:
    case INVITE_NO_GROUP: {
        admin_stats_changed(req->tenant->slug);
        admin_log(req, "invite", "user_sub=%s user=%s tier=%s admin=%s", out.sub,
                  log_quote(quoted, sizeof(quoted), out.email), in.tier, in.admin ? "yes" : "no");
        struct buf msg;
        buf_init(&msg);
        buf_printf(&msg, "Invitation sent to %s: Cognito emailed a temporary password.",
                   out.email);
        if (rc == INVITE_NO_GROUP)
            buf_puts(&msg, " Adding them to the administrators failed: grant it from their "
                           "page.");
        admin_notice(ctx, rc == INVITE_NO_GROUP ? "warning" : "success", buf_cstr(&msg));
        buf_free(&msg);
        if (out.username)
            json_object_object_add(ctx, "invited_href",
                                   json_object_new_string(user_href(req, out.username)));
        json_object_object_del(ctx, "is_admin"); /* a fresh form for the next one */
        add_form(ctx, NULL, NULL, in.tier, false);
        break;
    }
    case INVITE_EXISTS:
        admin_log(req, "invite_refused", "reason=exists");
        fields_error(ctx, "email", "A user with this email already exists: nothing was changed.");
        status = HTTP_CONFLICT;
        break;
    case INVITE_BAD_ANSWER:
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        cog_result_free(&out.result);
        return status;
    default:
        status = fields_cognito_error(req, resp, &out.result, COGERR_CTX_ADMIN, TEMPLATE, ctx);
        cog_result_free(&out.result);
        return status;
    }
    cog_result_free(&out.result);
    return render_page(req, resp, status, TEMPLATE, ctx);
}

/* user_action runs resend or confirm on the user named by the path and
 * answers as admin_invite.h says. */
static enum http_status user_action(struct request *req, struct response *resp, bool confirm)
{
    const char *username = req->path_param;
    const char *problem = admin_user_name_problem(username);
    if (problem)
        return render_error(req, resp, HTTP_BAD_REQUEST, problem, false);
    struct tierchange_actor by = actor(req);
    struct invite_result out;
    enum invite_outcome rc = confirm ? invite_confirm(req->tenant, username, &by, req->arena, &out)
                                     : invite_resend(req->tenant, username, &by, req->arena, &out);
    enum http_status status;
    switch (rc) {
    case INVITE_DONE:
    case INVITE_UNRECORDED: {
        admin_log(req, confirm ? "confirm_signup" : "resend_invitation", "user_sub=%s", out.sub);
        if (confirm)
            admin_stats_changed(req->tenant->slug);
        struct buf path;
        buf_init(&path);
        buf_puts(&path, "/admin/users/");
        url_encode(&path, out.username);
        buf_puts(&path, confirm ? "?done=signup_confirmed" : "?done=invitation_resent");
        status = render_redirect(req, resp, buf_cstr(&path), NULL);
        buf_free(&path);
        break;
    }
    case INVITE_WRONG_STATUS:
        admin_log(req, confirm ? "confirm_signup_refused" : "resend_invitation_refused",
                  "user_sub=%s status=%s", out.sub, out.status ? out.status : "-");
        status = render_error(req, resp, HTTP_CONFLICT,
                              confirm ? "Only a sign-up that is waiting for its email "
                                        "confirmation can be confirmed by hand: this user is "
                                        "not waiting for one."
                                      : "Only a user who has not signed in with their "
                                        "invitation yet can be sent it again: this user has "
                                        "already chosen a password.",
                              false);
        break;
    case INVITE_BAD_ANSWER:
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        break;
    default:
        if (out.result.err == COGERR_USER_NOT_FOUND)
            status = render_error(req, resp, HTTP_NOT_FOUND, "There is no such user.", false);
        else if (out.result.error)
            status = render_error(req, resp, (enum http_status)out.result.error->status,
                                  out.result.error->message, false);
        else
            status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        break;
    }
    cog_result_free(&out.result);
    return status;
}

enum http_status admin_invite_resend(struct request *req, struct response *resp)
{
    return user_action(req, resp, false);
}

enum http_status admin_invite_confirm(struct request *req, struct response *resp)
{
    return user_action(req, resp, true);
}
