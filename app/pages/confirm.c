/* SPDX-License-Identifier: MIT */
/* confirm: confirming a new account's email with the emailed code, and
 * sending a new code (see confirm.h).
 *
 * Sending a code answers the same whether or not the email has an account;
 * only what the visitor could act on (waiting, a service problem) shows. A
 * refused code reads the same for every email where the tenant hides its
 * accounts (svc/registration.h). A new code waits CODE_RESEND_COOLDOWN_S
 * after the last one to that email (svc/resend.h): asked sooner, nothing is
 * sent and the form says how long is left (429, Retry-After); the page
 * always says how long a code lasts and, while the wait runs, how long is
 * left of it (resend_wait_s, which the page's script counts down). */
#include "pages/confirm.h"

#include <json-c/json.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "svc/input.h"
#include "svc/registration.h"
#include "svc/resend.h"

/* confirm_context is the page for email (NULL: not known yet); wait_s the
 * seconds left before a new code may go to it. */
static struct json_object *confirm_context(struct request *req, const char *email,
                                           long long wait_s)
{
    struct json_object *ctx = render_context(req, "Confirm your email");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "email", true, NULL);
    fields_add(fields, "code", "Confirmation code", "text", NULL, "one-time-code", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    fields_code_state(ctx, resend_lifetime_words(RESEND_CONFIRM), wait_s);
    /* A known, well-formed address is shown as text, not asked again;
     * otherwise it is the first thing to type. */
    if (email && !input_check_email(email))
        json_object_object_add(ctx, "email_known", json_object_new_boolean(1));
    else
        fields_unfocus(fields, "code");
    return ctx;
}

enum http_status confirm_form(struct request *req, struct response *resp)
{
    const char *email = fields_query_email(req);
    long long wait_s = email ? resend_left(req->tenant, RESEND_CONFIRM, email) : 0;
    return render_page(req, resp, HTTP_OK, "confirm", confirm_context(req, email, wait_s));
}

enum http_status confirm_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *code = req_form(req, "code");
    struct json_object *ctx = confirm_context(req, email, 0);
    bool ok = fields_check(ctx, "email", input_check_email(email));
    ok = fields_check(ctx, "code", input_check_code(code)) && ok;
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "confirm", ctx);

    struct cog_result r;
    enum http_status status;
    if (registration_confirm(req->tenant, email, code, req->arena, req->request_id, &r) < 0)
        status = fields_cognito_error(req, resp, &r, registration_code_context(req->tenant),
                                      "confirm", ctx);
    else
        status = render_redirect_email(req, resp, "/login", email, "confirmed");
    cog_result_free(&r);
    return status;
}

enum http_status confirm_resend(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email");
    if (input_check_email(email)) {
        struct json_object *ctx = confirm_context(req, NULL, 0);
        fields_error(ctx, "email", input_check_email(email));
        return render_page(req, resp, HTTP_BAD_REQUEST, "confirm", ctx);
    }
    struct cog_result r;
    long long wait_s;
    enum http_status status;
    switch (resend_code(req->tenant, RESEND_CONFIRM, email, req->request_id, &r, &wait_s)) {
    case RESEND_WAIT:
        return fields_resend_wait(req, resp, "confirm", confirm_context(req, email, wait_s),
                                  wait_s);
    case RESEND_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    case RESEND_ASKED:
    default:
        break;
    }
    if (r.err != COGERR_NONE && !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE, "confirm",
                                      confirm_context(req, email, 0));
    else
        status = render_redirect_email(req, resp, "/confirm", email, "code_resent");
    cog_result_free(&r);
    return status;
}
