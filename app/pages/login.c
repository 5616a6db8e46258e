/* SPDX-License-Identifier: MIT */
/* login: password sign-in and the new-password challenge (see login.h).
 *
 * A sign-in ends in one of four ways: tokens (a session starts, with a new
 * id, and the visitor goes back where they were heading — a local path
 * only); a NEW_PASSWORD_REQUIRED challenge (the new-password form is shown
 * at once, carrying Cognito's challenge session in a hidden field; it is
 * opaque, single-use and short-lived, so it needs no server-side state); an
 * unconfirmed account (a fresh code is sent and the visitor goes to the
 * confirm page: nobody is stranded between sign-up and confirmation); or an
 * error, told in words that do not reveal whether the email exists. Too
 * many failed sign-ins lock an email or an address for a while
 * (svc/throttle.h): the form says how long, as 429 with Retry-After.
 * A TOTP challenge (the password was right, MFA is on) goes to /login/mfa
 * with the challenge sealed in a short-lived HttpOnly cookie (svc/mfa.h):
 * a wrong code stays there, the right one starts the session as a password
 * would have, with the remember-me choice and the return path it kept.
 *
 * A return path stays at the tenant the login page was for: under a
 * /t/<slug> prefix, a "next" without it (typed, or from a link) gets it.
 * Right after an email is confirmed the page says so (not "Welcome back"),
 * with the address filled in and the focus on the password. */
#include "pages/login.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/limits.h"
#include "core/arena.h"
#include "core/log.h"
#include "core/seal.h"
#include "http/url.h"
#include "pages/browser.h"
#include "pages/fields.h"
#include "pages/flash.h"
#include "pages/render.h"
#include "pages/security.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/mfa.h"
#include "svc/session.h"
#include "svc/signin.h"
#include "svc/throttle.h"

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

/* at_tenant is the whole target of a local return path: under a /t/<slug>
 * prefix (req->base), a path that does not carry it yet gets it, so the
 * person stays at the tenant they signed in to. In the request's arena. */
static const char *at_tenant(struct request *req, const char *next)
{
    size_t n = strlen(req->base);
    if (!n || (!strncmp(next, req->base, n) && (next[n] == '/' || next[n] == '?' || !next[n])))
        return next;
    char *whole = arena_alloc(req->arena, n + strlen(next) + 1);
    memcpy(whole, req->base, n);
    strcpy(whole + n, next);
    return whole;
}

static struct json_object *login_context(struct request *req, const char *email,
                                         const char *next, bool remember)
{
    /* The page that follows a confirmation tells it, and wants the
     * password next (the email is filled in from the link). */
    const char *flash = flash_peek(req);
    bool confirmed = flash && !strcmp(flash, "confirmed") && email && *email;
    struct json_object *ctx = render_context(req, confirmed ? "Email confirmed" : "Log in");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "username", true, NULL);
    fields_add(fields, "password", "Password", "password", NULL, "current-password", true, NULL);
    if (confirmed) {
        struct json_object *password, *attrs = json_object_new_object();
        json_object_object_get_ex(fields, "password", &password);
        json_object_object_add(attrs, "autofocus", json_object_new_boolean(1));
        json_object_object_add(password, "attrs", attrs);
        json_object_object_add(ctx, "confirmed", json_object_new_boolean(1));
    }
    struct json_object *rem = json_object_new_object();
    if (remember)
        json_object_object_add(rem, "checked", json_object_new_boolean(1));
    json_object_object_add(fields, "remember", rem);
    json_object_object_add(ctx, "fields", fields);
    add_hidden(ctx, "next", safe_next(next));
    return ctx;
}

enum http_status login_form(struct request *req, struct response *resp)
{
    const char *next = safe_next(req_query(req, "next"));
    if (req->session) {
        if (!next)
            return render_redirect(req, resp, "/account", NULL);
        resp_redirect(resp, HTTP_SEE_OTHER, at_tenant(req, next));
        return HTTP_SEE_OTHER;
    }
    const char *email = fields_query_email(req);
    return render_page(req, resp, HTTP_OK, "login", login_context(req, email, next, false));
}

static struct json_object *new_password_context(struct request *req, const char *email,
                                                const char *session, const char *next,
                                                bool remember)
{
    struct json_object *ctx = render_context(req, "Choose a new password");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "password", "New password", "password", NULL, "new-password", true,
               fields_password_help(req));
    fields_add(fields, "confirm_password", "Confirm new password", "password", NULL,
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

/* start_session starts the session of a sign-in that ended in tokens, keeps
 * its cookie in the browser and sends the visitor where they were heading
 * (a local path only) or to the account page. */
static enum http_status start_session(struct request *req, struct response *resp,
                                      const struct signin *in, bool remember, const char *next,
                                      bool mfa_done)
{
    char id[SESS_ID_LEN + 1];
    struct sess_session *s;
    struct session_origin origin = {.request_id = req->request_id,
                                    .user_agent = req_env(req, "HTTP_USER_AGENT"),
                                    .client_addr = req->client_addr};
    switch (session_start(req->tenant, &in->result, remember, &origin, req->arena, id, &s)) {
    case SESSION_OK:
        break;
    case SESSION_UNVERIFIED:
        return render_error(req, resp, HTTP_BAD_GATEWAY,
                            "We could not verify your sign-in. Please try again.", false);
    case SESSION_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    case SESSION_ENDED:
    case SESSION_ERROR:
    default:
        return render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
    }
    browser_keep_session(req, resp, id, s);
    seal_wipe(id, sizeof(id));
    struct activity_origin o = {.client_addr = req->client_addr, .request_id = req->request_id};
    activity_note(req->tenant, s->sub, SECEVENT_SIGN_IN, &o);
    if (mfa_done)
        security_mfa_keep(req, resp, s);
    if (!next)
        return render_redirect(req, resp, "/account", "logged_in");
    /* next is the REQUEST_URI the login page was sent from (already whole)
     * or a path given for this tenant's pages. */
    resp_redirect(resp, HTTP_SEE_OTHER, at_tenant(req, next));
    return HTTP_SEE_OTHER;
}

/* mfa_challenge keeps a TOTP challenge in the browser, sealed, in an
 * HttpOnly cookie that lives as long as Cognito's session (never in a URL
 * or a form, so it is not logged, cached or leaked by a Referer), and
 * sends the visitor to the code page. */
static enum http_status mfa_challenge(struct request *req, struct response *resp,
                                      const struct signin *in, const char *email,
                                      const char *next, bool remember)
{
    struct mfa_challenge c = {.session = in->challenge_session, .email = email,
                              .next = safe_next(next), .remember = remember};
    const char *sealed;
    if (strlen(in->challenge_session) > CHALLENGE_SESSION_MAX ||
        !mfa_challenge_seal(req->tenant, &c, req->arena, &sealed))
        return render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
    browser_keep_side(req, resp, BROWSER_MFA, sealed, MFA_CHALLENGE_TTL_S);
    return render_redirect(req, resp, "/login/mfa", NULL);
}

/* locked answers a sign-in refused by a lock: the form again, saying how
 * long to wait (the same words whether or not the email has an account),
 * as 429 with Retry-After. */
static enum http_status locked(struct request *req, struct response *resp,
                               const struct signin *in, const char *template,
                               struct json_object *ctx)
{
    char wait[NUM_TEXT_MAX], message[THROTTLE_MESSAGE_MAX];
    snprintf(wait, sizeof(wait), "%lld", in->retry_after_s);
    resp_header(resp, "Retry-After", wait);
    throttle_message(in->retry_after_s, message);
    fields_error(ctx, NULL, message);
    return render_page(req, resp, HTTP_TOO_MANY_REQUESTS, template, ctx);
}

/* signed_in answers what a sign-in came to on the form of template. */
static enum http_status signed_in(struct request *req, struct response *resp,
                                  const struct signin *in, const char *email, const char *next,
                                  bool remember, enum cogerr_ctx what, const char *template,
                                  struct json_object *ctx)
{
    switch (in->outcome) {
    case SIGNIN_TOKENS:
        return start_session(req, resp, in, remember, safe_next(next), false);
    case SIGNIN_NEW_PASSWORD:
        return render_page(req, resp, HTTP_OK, "login_new_password",
                           new_password_context(req, email, in->challenge_session, next,
                                                remember));
    case SIGNIN_MFA:
        return mfa_challenge(req, resp, in, email, next, remember);
    case SIGNIN_OTHER_CHALLENGE:
        log_event(LOG_WARN, "challenge_unsupported", "id=%s", req->request_id);
        return render_error(req, resp, HTTP_FORBIDDEN,
                            "This account needs a sign-in step this site does not "
                            "offer. Please contact the administrator.", false);
    case SIGNIN_UNCONFIRMED:
        return render_redirect_email(req, resp, "/confirm", email, "unconfirmed");
    case SIGNIN_LOCKED:
        return locked(req, resp, in, template, ctx);
    case SIGNIN_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    case SIGNIN_REFUSED:
    default:
        return fields_cognito_error(req, resp, &in->result, what, template, ctx);
    }
}

enum http_status login_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *password = req_form(req, "password");
    const char *next = req_form(req, "next");
    bool remember = req_form(req, "remember") != NULL;
    struct json_object *ctx = login_context(req, email, next, remember);
    bool ok = fields_check(ctx, "email", input_check_email(email));
    if (!password || !*password)
        ok = fields_error(ctx, "password", "Enter your password.");
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "login", ctx);

    struct signin in;
    signin_password(req->tenant, email, password, req->client_addr, req->request_id, &in);
    enum http_status status = signed_in(req, resp, &in, email, next, remember, COGERR_CTX_LOGIN, "login", ctx);
    if (in.outcome == SIGNIN_REFUSED &&
        !strcmp(cogerr_get(in.result.err, COGERR_CTX_LOGIN)->code, "not_authorized")) {
        struct activity_origin o = {.client_addr = req->client_addr, .request_id = req->request_id};
        activity_note_email(req->tenant, email, SECEVENT_SIGN_IN_FAILED, &o);
    }
    signin_free(&in);
    return status;
}

enum http_status login_new_password_form(struct request *req, struct response *resp)
{
    /* The challenge only exists right after a sign-in; a bare visit starts
     * over at the login page. */
    return render_redirect(req, resp, "/login", NULL);
}

enum http_status login_new_password_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *session = req_form(req, "challenge");
    const char *password = req_form(req, "password"), *next = req_form(req, "next");
    bool remember = req_form(req, "remember") != NULL;
    if (input_check_email(email) || !session || !*session ||
        strlen(session) > CHALLENGE_SESSION_MAX)
        return render_redirect(req, resp, "/login", "session_expired");
    struct json_object *ctx = new_password_context(req, email, session, next, remember);
    if (!fields_check_new_password(req, ctx))
        return render_page(req, resp, HTTP_BAD_REQUEST, "login_new_password", ctx);

    struct signin in;
    signin_new_password(req->tenant, email, password, session, &in);
    enum http_status status =
        signed_in(req, resp, &in, email, next, remember, COGERR_CTX_CHANGE_PASSWORD,
                  "login_new_password", ctx);
    signin_free(&in);
    return status;
}

/* ---- the TOTP step (/login/mfa) ------------------------------------------ */

static struct json_object *mfa_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Enter your code");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "code", "6-digit code", "text", NULL, "one-time-code", true,
               "Open your authenticator app and type the code it shows for this account.");
    json_object_object_add(ctx, "fields", fields);
    if (email)
        json_object_object_add(ctx, "email", json_object_new_string(email));
    return ctx;
}

/* open_challenge reads the browser's sealed challenge; false when there is
 * none, it was altered, or it has expired. */
static bool open_challenge(struct request *req, struct mfa_challenge *c)
{
    return mfa_challenge_open(req->tenant, browser_side_cookie(req, BROWSER_MFA), time(NULL),
                              req->arena, c);
}

static enum http_status challenge_over(struct request *req, struct response *resp)
{
    browser_forget_side(req, resp, BROWSER_MFA);
    return render_redirect(req, resp, "/login", "mfa_expired");
}

enum http_status login_mfa_form(struct request *req, struct response *resp)
{
    struct mfa_challenge c;
    if (!open_challenge(req, &c))
        return challenge_over(req, resp);
    return render_page(req, resp, HTTP_OK, "login_mfa", mfa_context(req, c.email));
}

enum http_status login_mfa_submit(struct request *req, struct response *resp)
{
    struct mfa_challenge c;
    if (!open_challenge(req, &c))
        return challenge_over(req, resp);
    const char *code = req_form(req, "code");
    struct json_object *ctx = mfa_context(req, c.email);
    if (!fields_check(ctx, "code", mfa_check_code(code)))
        return render_page(req, resp, HTTP_BAD_REQUEST, "login_mfa", ctx);

    struct signin in;
    enum http_status status;
    mfa_answer(req->tenant, &c, code, req->client_addr, req->request_id, &in);
    switch (in.outcome) {
    case SIGNIN_TOKENS:
        browser_forget_side(req, resp, BROWSER_MFA);
        status = start_session(req, resp, &in, c.remember, safe_next(c.next), true);
        break;
    case SIGNIN_LOCKED:
        status = locked(req, resp, &in, "login_mfa", ctx);
        break;
    case SIGNIN_UNAVAILABLE:
        status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
        break;
    case SIGNIN_REFUSED:
        if (in.result.err == COGERR_CODE_MISMATCH) {
            struct activity_origin o = {.client_addr = req->client_addr,
                                        .request_id = req->request_id};
            activity_note_email(req->tenant, c.email, SECEVENT_MFA_FAILED, &o);
            /* The person stays here, with the same challenge, to try the
             * next code. */
            fields_error(ctx, "code", "That code is not right. Check the time on your "
                                      "device and enter the code your app shows now.");
            status = render_page(req, resp, HTTP_BAD_REQUEST, "login_mfa", ctx);
        } else if (cogerr_transient(in.result.err, COGERR_CTX_USE_CODE)) {
            status = fields_cognito_error(req, resp, &in.result, COGERR_CTX_USE_CODE,
                                          "login_mfa", ctx);
        } else {
            status = challenge_over(req, resp);
        }
        break;
    case SIGNIN_OTHER_CHALLENGE:
    default:
        browser_forget_side(req, resp, BROWSER_MFA);
        log_event(LOG_WARN, "challenge_unsupported", "id=%s", req->request_id);
        status = render_error(req, resp, HTTP_FORBIDDEN,
                              "This account needs a sign-in step this site does not "
                              "offer. Please contact the administrator.", false);
        break;
    }
    signin_free(&in);
    return status;
}
