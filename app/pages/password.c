/* SPDX-License-Identifier: MIT */
/* password: forgot and reset (see password.h).
 *
 * /forgot answers the same for every well-formed email, known or not, so
 * the form cannot be used to learn who has an account; only what the
 * visitor can act on (slow down, try later) is ever told. */
#include "pages/password.h"

#include <json-c/json.h>
#include <string.h>

#include "aws/cognito.h"
#include "core/log.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/tenants.h"

static struct json_object *email_only_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Forgot your password");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "email", "Email address", "email", email, "username", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

int forgot_form(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "forgot", email_only_context(req, NULL));
}

int forgot_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email");
    struct json_object *ctx = email_only_context(req, email);
    if (flow_check_email(email)) {
        flow_field_error(ctx, "email", flow_check_email(email));
        return render_page(req, resp, HTTP_BAD_REQUEST, "forgot", ctx);
    }
    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email};
    if (cog_run(&c, COG_FORGOT_PASSWORD, &p, &r) < 0 &&
        !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal) {
        int status = flow_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE, "forgot", ctx);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    json_object_put(ctx);
    return flow_redirect_email(req, resp, "/reset", email, "reset_sent");
}

static struct json_object *reset_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Reset your password");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "email", "Email address", "email", email, "username", true, NULL);
    flow_field(fields, "code", "Code from the email", "text", NULL, "one-time-code", true, NULL);
    flow_field(fields, "password", "New password", "password", NULL, "new-password", true,
               flow_password_help());
    flow_field(fields, "confirm_password", "Confirm new password", "password", NULL,
               "new-password", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

int reset_form(struct request *req, struct response *resp)
{
    const char *email = req_query(req, "email");
    if (email && flow_check_email(email))
        email = NULL;
    return render_page(req, resp, HTTP_OK, "reset", reset_context(req, email));
}

int reset_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *code = req_form(req, "code"), *msg;
    struct json_object *ctx = reset_context(req, email);
    bool ok = flow_check_new_password(req, ctx);
    if ((msg = flow_check_email(email)))
        ok = flow_field_error(ctx, "email", msg);
    if ((msg = flow_check_code(code)))
        ok = flow_field_error(ctx, "code", msg);
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "reset", ctx);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .code = code, .password = req_form(req, "password")};
    if (cog_run(&c, COG_CONFIRM_FORGOT_PASSWORD, &p, &r) < 0) {
        int status = flow_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE, "reset", ctx);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    json_object_put(ctx);
    log_event(LOG_INFO, "password_reset", "id=%s tenant=%s", req->request_id, req->tenant->slug);
    return flow_redirect_email(req, resp, "/login", email, "password_reset");
}
