/* SPDX-License-Identifier: MIT */
/* reset: a new password with the emailed code (see reset.h). The page says
 * how long a reset code lasts and, while a new one must wait
 * (svc/resend.h), how long is left (resend_wait_s); a new code is asked for
 * on the forgot page, which enforces the wait. */
#include "pages/reset.h"

#include <json-c/json.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "svc/input.h"
#include "svc/password.h"
#include "svc/resend.h"

static struct json_object *reset_context(struct request *req, const char *email,
                                         long long wait_s)
{
    struct json_object *ctx = render_context(req, "Reset your password");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "username", true, NULL);
    fields_add(fields, "code", "Code from the email", "text", NULL, "one-time-code", true, NULL);
    fields_add(fields, "password", "New password", "password", NULL, "new-password", true,
               fields_password_help(req));
    fields_add(fields, "confirm_password", "Confirm new password", "password", NULL,
               "new-password", true, NULL);
    if (!email || !*email)
        fields_unfocus(fields, "code"); /* the address comes first */
    json_object_object_add(ctx, "fields", fields);
    fields_code_state(ctx, resend_lifetime_words(RESEND_RESET), wait_s);
    return ctx;
}

enum http_status reset_form(struct request *req, struct response *resp)
{
    const char *email = fields_query_email(req);
    long long wait_s = email ? resend_left(req->tenant, RESEND_RESET, email) : 0;
    return render_page(req, resp, HTTP_OK, "reset", reset_context(req, email, wait_s));
}

enum http_status reset_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *code = req_form(req, "code");
    struct json_object *ctx = reset_context(req, email, 0);
    bool ok = fields_check_new_password(req, ctx);
    ok = fields_check(ctx, "email", input_check_email(email)) && ok;
    ok = fields_check(ctx, "code", input_check_code(code)) && ok;
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "reset", ctx);

    struct cog_result r;
    enum http_status status;
    if (password_reset(req->tenant, email, code, req_form(req, "password"), req->request_id,
                       &r) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE, "reset", ctx);
    else
        status = render_redirect_email(req, resp, "/login", email, "password_reset");
    cog_result_free(&r);
    return status;
}
