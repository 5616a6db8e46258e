/* SPDX-License-Identifier: MIT */
/* forgot: asking for a password-reset code (see forgot.h).
 *
 * The answer is the same whether or not the email has an account: the
 * visitor always goes on to the reset page. A code waits
 * CODE_RESEND_COOLDOWN_S after the last one to that email (svc/resend.h):
 * asked sooner, nothing is sent and the form says how long is left (429,
 * Retry-After). */
#include "pages/forgot.h"

#include <json-c/json.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "svc/input.h"
#include "svc/password.h"
#include "svc/resend.h"

static struct json_object *email_only_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Forgot your password");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "Email address", "email", email, "username", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    fields_code_state(ctx, resend_lifetime_words(RESEND_RESET), 0);
    return ctx;
}

enum http_status forgot_form(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "forgot",
                       email_only_context(req, fields_query_email(req)));
}

enum http_status forgot_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email");
    struct json_object *ctx = email_only_context(req, email);
    if (!fields_check(ctx, "email", input_check_email(email)))
        return render_page(req, resp, HTTP_BAD_REQUEST, "forgot", ctx);
    struct cog_result r;
    long long wait_s;
    enum http_status status;
    switch (resend_code(req->tenant, RESEND_RESET, email, req->request_id, &r, &wait_s)) {
    case RESEND_WAIT:
        fields_code_state(ctx, resend_lifetime_words(RESEND_RESET), wait_s);
        return fields_resend_wait(req, resp, "forgot", ctx, wait_s);
    case RESEND_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    case RESEND_ASKED:
    default:
        break;
    }
    if (r.err != COGERR_NONE && !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE, "forgot", ctx);
    else
        status = render_redirect_email(req, resp, "/reset", email, "reset_sent");
    cog_result_free(&r);
    return status;
}
