/* SPDX-License-Identifier: MIT */
/* login: password sign-in, the new-password challenge and logout (see
 * login.h).
 *
 * A sign-in ends in one of four ways: tokens (a session starts, with a new
 * id, and the visitor goes back where they were heading — a local path
 * only); a NEW_PASSWORD_REQUIRED challenge (the new-password form is shown
 * at once, carrying Cognito's challenge session in a hidden field; it is
 * opaque, single-use and short-lived, so it needs no server-side state); an
 * unconfirmed account (a fresh code is sent and the visitor goes to the
 * confirm page: nobody is stranded between sign-up and confirmation); or an
 * error, told in words that do not reveal whether the email exists. */
#include "pages/login.h"

#include <json-c/json.h>
#include <string.h>

#include "aws/cognito.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"

#define CHALLENGE_NEW_PASSWORD "NEW_PASSWORD_REQUIRED"
#define CHALLENGE_SESSION_MAX 4096

static void add_hidden(struct json_object *ctx, const char *name, const char *value)
{
    struct json_object *list;
    if (!value || !*value)
        return;
    if (!json_object_object_get_ex(ctx, "hidden", &list)) {
        list = json_object_new_array();
        json_object_object_add(ctx, "hidden", list);
    }
    struct json_object *item = json_object_new_object();
    json_object_object_add(item, "name", json_object_new_string(name));
    json_object_object_add(item, "value", json_object_new_string(value));
    json_object_array_add(list, item);
}

/* safe_next keeps a return path only when it is a page of this site. */
static const char *safe_next(const char *next)
{
    return next && url_is_local_path(next) ? next : NULL;
}

static struct json_object *login_context(struct request *req, const char *email,
                                         const char *next, bool remember)
{
    struct json_object *ctx = render_context(req, "Log in");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "email", "Email address", "email", email, "username", true, NULL);
    flow_field(fields, "password", "Password", "password", NULL, "current-password", true, NULL);
    struct json_object *rem = json_object_new_object();
    if (remember)
        json_object_object_add(rem, "checked", json_object_new_boolean(1));
    json_object_object_add(fields, "remember", rem);
    json_object_object_add(ctx, "fields", fields);
    add_hidden(ctx, "next", safe_next(next));
    return ctx;
}

int login_form(struct request *req, struct response *resp)
{
    const char *next = safe_next(req_query(req, "next"));
    if (req->session)
        return flow_redirect(req, resp, next ? next : "/account", NULL);
    const char *email = req_query(req, "email");
    if (email && flow_check_email(email))
        email = NULL;
    return render_page(req, resp, HTTP_OK, "login", login_context(req, email, next, false));
}

static struct json_object *new_password_context(struct request *req, const char *email,
                                                const char *session, const char *next,
                                                bool remember)
{
    struct json_object *ctx = render_context(req, "Choose a new password");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "password", "New password", "password", NULL, "new-password", true,
               flow_password_help());
    flow_field(fields, "confirm_password", "Confirm new password", "password", NULL,
               "new-password", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    if (email)
        json_object_object_add(ctx, "email", json_object_new_string(email));
    add_hidden(ctx, "email", email);
    add_hidden(ctx, "challenge", session);
    add_hidden(ctx, "next", safe_next(next));
    add_hidden(ctx, "remember", remember ? "1" : NULL);
    return ctx;
}

/* unconfirmed sends a fresh code and the visitor to the confirm page. */
static int unconfirmed(struct request *req, struct response *resp, const struct cog_client *c,
                       const char *email)
{
    struct cog_params p = {.username = email};
    struct cog_result r;
    cog_run(c, COG_RESEND_CODE, &p, &r);
    cog_result_free(&r);
    return flow_redirect_email(req, resp, "/confirm", email, "unconfirmed");
}

int login_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *password = req_form(req, "password");
    const char *next = req_form(req, "next");
    bool remember = req_form(req, "remember") != NULL;
    struct json_object *ctx = login_context(req, email, next, remember);
    bool ok = true;
    if (flow_check_email(email))
        ok = flow_field_error(ctx, "email", flow_check_email(email));
    if (!password || !*password)
        ok = flow_field_error(ctx, "password", "Enter your password.");
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "login", ctx);

    struct cog_client c;
    struct cog_result r;
    int status;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .password = password};
    if (cog_run(&c, COG_LOGIN, &p, &r) < 0) {
        if (r.err == COGERR_USER_NOT_CONFIRMED) {
            json_object_put(ctx);
            status = unconfirmed(req, resp, &c, email);
        } else {
            status = flow_cognito_error(req, resp, &r, COGERR_CTX_LOGIN, "login", ctx);
        }
        goto out;
    }
    const char *challenge = cog_get(&r, "ChallengeName");
    if (challenge) {
        json_object_put(ctx);
        const char *session = cog_get(&r, "Session");
        if (strcmp(challenge, CHALLENGE_NEW_PASSWORD) || !session) {
            log_event(LOG_WARN, "challenge_unsupported", "id=%s", req->request_id);
            status = render_error(req, resp, HTTP_FORBIDDEN,
                                  "This account needs a sign-in step this site does not "
                                  "offer. Please contact the administrator.", false);
            goto out;
        }
        status = render_page(req, resp, HTTP_OK, "login_new_password",
                             new_password_context(req, email, session, next, remember));
        goto out;
    }
    json_object_put(ctx);
    status = flow_start_session(req, resp, &r, remember, safe_next(next));
out:
    cog_result_free(&r);
    return status;
}

int login_new_password_form(struct request *req, struct response *resp)
{
    /* The challenge only exists right after a sign-in; a bare visit starts
     * over at the login page. */
    return flow_redirect(req, resp, "/login", NULL);
}

int login_new_password_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *session = req_form(req, "challenge");
    const char *password = req_form(req, "password"), *next = req_form(req, "next");
    bool remember = req_form(req, "remember") != NULL;
    if (flow_check_email(email) || !session || !*session || strlen(session) > CHALLENGE_SESSION_MAX)
        return flow_redirect(req, resp, "/login", "session_expired");
    struct json_object *ctx = new_password_context(req, email, session, next, remember);
    if (!flow_check_new_password(req, ctx))
        return render_page(req, resp, HTTP_BAD_REQUEST, "login_new_password", ctx);

    struct cog_client c;
    struct cog_result r;
    int status;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .password = password, .session = session};
    if (cog_run(&c, COG_NEW_PASSWORD, &p, &r) < 0) {
        status = flow_cognito_error(req, resp, &r, COGERR_CTX_CHANGE_PASSWORD,
                                    "login_new_password", ctx);
        goto out;
    }
    json_object_put(ctx);
    status = flow_start_session(req, resp, &r, remember, safe_next(next));
out:
    cog_result_free(&r);
    return status;
}

int logout_submit(struct request *req, struct response *resp)
{
    if (req->session)
        log_event(LOG_INFO, "logged_out", "id=%s tenant=%s", req->request_id,
                  req->tenant->slug);
    flow_end_session(req, resp);
    return flow_redirect(req, resp, "/", "logged_out");
}
