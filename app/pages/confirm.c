/* SPDX-License-Identifier: MIT */
/* confirm: confirming a new account's email with the emailed code, and
 * sending a new code (see confirm.h).
 *
 * Sending a code answers the same whether or not the email has an account;
 * only what the visitor could act on (waiting, a service problem) shows. A
 * refused code reads the same for every email where the tenant hides its
 * accounts (svc/registration.h). */
#include "pages/confirm.h"

#include <json-c/json.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "svc/input.h"
#include "svc/registration.h"

static struct json_object *confirm_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Confirm your email");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "email", true, NULL);
    fields_add(fields, "code", "Confirmation code", "text", NULL, "one-time-code", true, NULL);
    json_object_object_add(ctx, "fields", fields);
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
    return render_page(req, resp, HTTP_OK, "confirm", confirm_context(req, email));
}

enum http_status confirm_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *code = req_form(req, "code");
    struct json_object *ctx = confirm_context(req, email);
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
        struct json_object *ctx = confirm_context(req, NULL);
        fields_error(ctx, "email", input_check_email(email));
        return render_page(req, resp, HTTP_BAD_REQUEST, "confirm", ctx);
    }
    struct cog_result r;
    enum http_status status;
    if (registration_send_code(req->tenant, email, &r) < 0 &&
        !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE, "confirm",
                                      confirm_context(req, email));
    else
        status = render_redirect_email(req, resp, "/confirm", email, "code_resent");
    cog_result_free(&r);
    return status;
}
