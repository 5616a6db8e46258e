/* SPDX-License-Identifier: MIT */
/* signup: sign-up and email confirmation (see signup.h).
 *
 * Input is checked here before Cognito sees it, so most mistakes are
 * answered with field messages and no round trip; only the fields listed
 * below are ever forwarded, whatever else the form carries. The tier is not
 * sent with SignUp: the app client may not write it (so that no user can
 * ever set their own tier with their own token), and gatehouse writes it,
 * and the tenant, itself with AdminUpdateUserAttributes right after. A failure of that
 * second call leaves the user on the default tier, which is logged, never a
 * lost account.
 *
 * After a sign-up nobody is stranded: the confirm page names the address,
 * offers a new code, and the login page sends an unconfirmed user back here
 * with a fresh one. */
#include "pages/signup.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/log.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "store/users.h"

#define TIER_STANDARD "standard"
#define TIER_PREMIUM "premium"

/* The optional profile attributes a sign-up may carry, as custom attributes. */
static const struct {
    const char *field, *label, *attribute;
} profile_fields[] = {
    {"company", "Company", "custom:company"},
    {"department", "Department", "custom:department"},
    {"role", "Role", "custom:role"},
};
#define PROFILE_FIELDS (sizeof(profile_fields) / sizeof(profile_fields[0]))

static struct json_object *signup_context(struct request *req, bool filled)
{
    struct json_object *ctx = render_context(req, "Sign up");
    struct json_object *fields = json_object_new_object();
    const char *v = filled ? req_form(req, "email") : NULL;
    flow_field(fields, "email", "Email address", "email", v, "email", true, NULL);
    flow_field(fields, "name", "Full name", "text", filled ? req_form(req, "name") : NULL,
               "name", true, NULL);
    flow_field(fields, "password", "Password", "password", NULL, "new-password", true,
               flow_password_help());
    flow_field(fields, "confirm_password", "Confirm password", "password", NULL,
               "new-password", true, NULL);
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        flow_field(fields, profile_fields[i].field, profile_fields[i].label, "text",
                   filled ? req_form(req, profile_fields[i].field) : NULL, "off", false, NULL);
    struct json_object *tier = json_object_new_object();
    const char *picked = filled ? req_form(req, "tier") : NULL;
    if (picked && !strcmp(picked, TIER_PREMIUM))
        json_object_object_add(tier, "premium", json_object_new_boolean(1));
    json_object_object_add(fields, "tier", tier);
    struct json_object *terms = json_object_new_object();
    if (filled && req_form(req, "terms"))
        json_object_object_add(terms, "checked", json_object_new_boolean(1));
    json_object_object_add(fields, "terms", terms);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

int signup_form(struct request *req, struct response *resp)
{
    if (req->session)
        return flow_redirect(req, resp, "/account", NULL);
    return render_page(req, resp, HTTP_OK, "signup", signup_context(req, false));
}

/* valid_signup checks every field and marks each problem on ctx. */
static bool valid_signup(struct request *req, struct json_object *ctx, const char **tier)
{
    const char *msg;
    bool ok = flow_check_new_password(req, ctx);
    if ((msg = flow_check_email(req_form(req, "email"))))
        ok = flow_field_error(ctx, "email", msg);
    if ((msg = flow_check_text(req_form(req, "name"), FLOW_NAME_MAX, true)))
        ok = flow_field_error(ctx, "name", msg);
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        if ((msg = flow_check_text(req_form(req, profile_fields[i].field), FLOW_ATTRIBUTE_MAX,
                                   false)))
            ok = flow_field_error(ctx, profile_fields[i].field, msg);
    *tier = req_form(req, "tier");
    if (!*tier || !**tier)
        *tier = TIER_STANDARD;
    if (strcmp(*tier, TIER_STANDARD) && strcmp(*tier, TIER_PREMIUM)) {
        struct json_object *fields, *t;
        json_object_object_get_ex(ctx, "fields", &fields);
        json_object_object_get_ex(fields, "tier", &t);
        json_object_object_add(t, "error", json_object_new_string("Choose Standard or Premium."));
        ok = false;
    }
    if (!req_form(req, "terms")) {
        struct json_object *fields, *t;
        json_object_object_get_ex(ctx, "fields", &fields);
        json_object_object_get_ex(fields, "terms", &t);
        json_object_object_add(t, "error",
                               json_object_new_string("Please accept the terms to continue."));
        ok = false;
    }
    return ok;
}

int signup_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = signup_context(req, true);
    const char *tier;
    if (!valid_signup(req, ctx, &tier))
        return render_page(req, resp, HTTP_BAD_REQUEST, "signup", ctx);

    const char *email = req_form(req, "email");
    struct cog_attr attrs[2 + PROFILE_FIELDS];
    size_t n = 0;
    attrs[n++] = (struct cog_attr){"email", email};
    attrs[n++] = (struct cog_attr){"name", req_form(req, "name")};
    for (size_t i = 0; i < PROFILE_FIELDS; i++) {
        const char *v = req_form(req, profile_fields[i].field);
        if (v && *v)
            attrs[n++] = (struct cog_attr){profile_fields[i].attribute, v};
    }
    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .password = req_form(req, "password"),
                           .attrs = attrs, .n_attrs = n};
    if (cog_run(&c, COG_SIGN_UP, &p, &r) < 0) {
        int status = flow_cognito_error(req, resp, &r, COGERR_CTX_GENERIC, "signup", ctx);
        cog_result_free(&r);
        return status;
    }
    json_object_put(ctx);
    const char *sub = cog_get(&r, "UserSub");
    flow_set_signup_attributes(req, &c, email, tier);
    if (sub) {
        struct users_user u = {.sub = sub, .email = email, .name = req_form(req, "name"),
                               .tier = tier, .status = "UNCONFIRMED", .enabled = true};
        if (users_upsert(req->tenant->slug, &u, time(NULL)) != USERS_OK)
            log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
    }
    log_event(LOG_INFO, "signed_up", "id=%s tenant=%s tier=%s", req->request_id,
              req->tenant->slug, tier);
    cog_result_free(&r);
    return flow_redirect_email(req, resp, "/confirm", email, "code_sent");
}

/* ---- confirmation -------------------------------------------------------- */

static struct json_object *confirm_context(struct request *req, const char *email)
{
    struct json_object *ctx = render_context(req, "Confirm your email");
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "email", "Email address", "email", email, "email", true, NULL);
    flow_field(fields, "code", "Confirmation code", "text", NULL, "one-time-code", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

int confirm_form(struct request *req, struct response *resp)
{
    const char *email = req_query(req, "email");
    if (email && flow_check_email(email))
        email = NULL;
    return render_page(req, resp, HTTP_OK, "confirm", confirm_context(req, email));
}

int confirm_submit(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email"), *code = req_form(req, "code"), *msg;
    struct json_object *ctx = confirm_context(req, email);
    bool ok = true;
    if ((msg = flow_check_email(email)))
        ok = flow_field_error(ctx, "email", msg);
    if ((msg = flow_check_code(code)))
        ok = flow_field_error(ctx, "code", msg);
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "confirm", ctx);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .code = code};
    if (cog_run(&c, COG_CONFIRM_SIGN_UP, &p, &r) < 0) {
        int status = flow_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE, "confirm", ctx);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    json_object_put(ctx);
    log_event(LOG_INFO, "email_confirmed", "id=%s tenant=%s", req->request_id, req->tenant->slug);
    return flow_redirect_email(req, resp, "/login", email, "confirmed");
}

int confirm_resend(struct request *req, struct response *resp)
{
    const char *email = req_form(req, "email");
    if (flow_check_email(email)) {
        struct json_object *ctx = confirm_context(req, NULL);
        flow_field_error(ctx, "email", flow_check_email(email));
        return render_page(req, resp, HTTP_BAD_REQUEST, "confirm", ctx);
    }
    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email};
    if (cog_run(&c, COG_RESEND_CODE, &p, &r) < 0) {
        /* The same answer whether or not the email has an account; only
         * what the visitor could act on (waiting, a service problem) shows. */
        const struct cogerr_info *info = cogerr_get(r.err, COGERR_CTX_SEND_CODE);
        if (!info->conceal) {
            int status = flow_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE, "confirm",
                                            confirm_context(req, email));
            cog_result_free(&r);
            return status;
        }
    }
    cog_result_free(&r);
    return flow_redirect_email(req, resp, "/confirm", email, "code_resent");
}
