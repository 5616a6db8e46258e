/* SPDX-License-Identifier: MIT */
/* signup: the sign-up form (see signup.h).
 *
 * Input is checked here before Cognito sees it, so most mistakes are
 * answered with field messages and no round trip; only the fields listed
 * below are ever forwarded, whatever else the form carries. The tier is not
 * sent with SignUp: the app client may not write it (so that no user can
 * ever set their own tier with their own token), and gatehouse writes it,
 * and the tenant, itself right after (svc/registration.c).
 *
 * After a sign-up nobody is stranded: the confirm page (pages/confirm.c)
 * names the address and offers a new code. Where the tenant hides its
 * accounts (the default), a taken email gets exactly that answer too, and
 * its message points an owner to log in or reset their password. */
#include "pages/signup.h"

#include <json-c/json.h>
#include <string.h>

#include "core/limits.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "svc/input.h"
#include "svc/registration.h"
#include "svc/tier.h"

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
    fields_add(fields, "email", "Email address", "email", v, "email", true, NULL);
    fields_add(fields, "name", "Full name", "text", filled ? req_form(req, "name") : NULL,
               "name", true, NULL);
    fields_add(fields, "password", "Password", "password", NULL, "new-password", true,
               fields_password_help(req));
    fields_add(fields, "confirm_password", "Confirm password", "password", NULL,
               "new-password", true, NULL);
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        fields_add(fields, profile_fields[i].field, profile_fields[i].label, "text",
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
    /* The tenant's own terms and privacy pages, when it set them. */
    if (req->tenant->terms_url[0])
        json_object_object_add(ctx, "terms_url", json_object_new_string(req->tenant->terms_url));
    if (req->tenant->privacy_url[0])
        json_object_object_add(ctx, "privacy_url",
                               json_object_new_string(req->tenant->privacy_url));
    return ctx;
}

enum http_status signup_form(struct request *req, struct response *resp)
{
    if (req->session)
        return render_redirect(req, resp, "/account", NULL);
    return render_page(req, resp, HTTP_OK, "signup", signup_context(req, false));
}

/* valid_signup checks every field and marks each problem on ctx. */
static bool valid_signup(struct request *req, struct json_object *ctx, const char **tier)
{
    bool ok = fields_check_new_password(req, ctx);
    ok = fields_check(ctx, "email", input_check_email(req_form(req, "email"))) && ok;
    ok = fields_check(ctx, "name", input_check_text(req_form(req, "name"), INPUT_NAME_MAX, true)) &&
         ok;
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        ok = fields_check(ctx, profile_fields[i].field,
                          input_check_text(req_form(req, profile_fields[i].field),
                                           INPUT_ATTRIBUTE_MAX, false)) &&
             ok;
    *tier = req_form(req, "tier");
    if (!*tier || !**tier)
        *tier = TIER_STANDARD;
    if (!tier_known(*tier))
        ok = fields_error(ctx, "tier", "Choose Standard or Premium.");
    if (!req_form(req, "terms"))
        ok = fields_error(ctx, "terms", "Please accept the terms to continue.");
    return ok;
}

enum http_status signup_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = signup_context(req, true);
    const char *tier;
    if (!valid_signup(req, ctx, &tier))
        return render_page(req, resp, HTTP_BAD_REQUEST, "signup", ctx);

    struct cog_attr attributes[PROFILE_FIELDS];
    struct registration in = {.email = req_form(req, "email"),
                              .password = req_form(req, "password"),
                              .name = req_form(req, "name"), .tier = tier,
                              .attributes = attributes};
    for (size_t i = 0; i < PROFILE_FIELDS; i++) {
        const char *v = req_form(req, profile_fields[i].field);
        if (v && *v)
            attributes[in.n_attributes++] =
                (struct cog_attr){profile_fields[i].attribute, v};
    }
    struct cog_result r;
    enum http_status status;
    if (registration_sign_up(req->tenant, &in, req->request_id, &r) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_GENERIC, "signup", ctx);
    else
        status = render_redirect_email(req, resp, "/confirm", in.email,
                                       req->tenant->reveal_accounts ? "code_sent"
                                                                    : "code_sent_any");
    cog_result_free(&r);
    return status;
}
