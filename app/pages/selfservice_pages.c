/* SPDX-License-Identifier: MIT */
/* selfservice_pages: profile, email and deletion pages (see
 * selfservice_pages.h).
 *
 * Only the form fields named here are read: a form that adds "tier",
 * "custom:user_tier" or "tenant" is read the same as one without. The
 * email pages need the password proven on this session in the last
 * REAUTH_FRESH_S (pages/reauth_page); the deletion form asks for the
 * password itself, with the email typed out, and proves it the same way. */
#include "pages/selfservice_pages.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "pages/fields.h"
#include "pages/reauth_page.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/reauth.h"
#include "svc/selfservice.h"
#include "svc/session.h"

static const struct {
    const char *field, *label, *claim, *autocomplete;
} profile_fields[] = {
    {"company", "Company", "custom:company", "organization"},
    {"department", "Department", "custom:department", NULL},
    {"role", "Role", "custom:role", "organization-title"},
};
#define PROFILE_FIELDS (sizeof profile_fields / sizeof *profile_fields)

/* who_of names the session's user and loads its access token. False when
 * the tokens cannot be read (the session ended meanwhile, PostgreSQL). */
static bool who_of(struct request *req, struct selfservice_who *who)
{
    struct sess_session *s = req->session;
    if (session_tokens(s, req->arena) != SESSION_OK)
        return false;
    *who = (struct selfservice_who){.sub = s->sub, .email = s->email,
                                    .access_token = s->access_token};
    return true;
}

/* claim_of reads one of the profile attributes the session kept. */
static const char *claim_of(struct request *req, const char *claim)
{
    const char *attributes = req->session->attributes;
    struct json_object *claims = attributes ? json_tokener_parse(attributes) : NULL, *v;
    const char *value = NULL;
    if (claims && json_object_is_type(claims, json_type_object) &&
        json_object_object_get_ex(claims, claim, &v) && json_object_is_type(v, json_type_string))
        value = arena_strdup(req->arena, json_object_get_string(v));
    json_object_put(claims);
    return value;
}

static struct json_object *profile_context(struct request *req, bool from_form)
{
    struct json_object *ctx = render_context(req, "Your profile");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "name", "Full name", "text",
               from_form ? req_form(req, "name") : req->session->name, "name", false, NULL);
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        fields_add(fields, profile_fields[i].field, profile_fields[i].label, "text",
                   from_form ? req_form(req, profile_fields[i].field)
                             : claim_of(req, profile_fields[i].claim),
                   profile_fields[i].autocomplete, false, NULL);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

enum http_status selfservice_pages_profile(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "profile", profile_context(req, false));
}

enum http_status selfservice_pages_profile_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = profile_context(req, true);
    struct selfservice_profile p = {.name = req_form(req, "name"),
                                    .company = req_form(req, "company"),
                                    .department = req_form(req, "department"),
                                    .role = req_form(req, "role")};
    const char *problem, *field = selfservice_check_profile(&p, &problem);
    if (field) {
        fields_error(ctx, field, problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "profile", ctx);
    }
    struct selfservice_who who;
    if (!who_of(req, &who))
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct cog_result r;
    enum http_status status;
    if (selfservice_profile(req->tenant, &who, &p, req->request_id, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, "profile", ctx);
    } else {
        selfservice_renew(req->tenant, req->session, req->arena, req->request_id);
        status = render_redirect(req, resp, "/account", "profile_updated");
    }
    cog_result_free(&r);
    return status;
}

static struct json_object *email_context(struct request *req, const char *new_email)
{
    struct json_object *ctx = render_context(req, "Your email");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "email", "New email address", "email", new_email, "email", true, NULL);
    fields_add(fields, "code", "Code from the email", "text", NULL, "one-time-code", true,
               "The 6-digit code we sent to the new address.");
    json_object_object_add(ctx, "fields", fields);
    if (new_email)
        json_object_object_add(ctx, "pending_email", json_object_new_string(new_email));
    else
        fields_unfocus(fields, "code"); /* no code is on its way: the address comes first */
    return ctx;
}

enum http_status selfservice_pages_email(struct request *req, struct response *resp)
{
    enum http_status status;
    if (!reauth_page_require(req, resp, "/account/email", &status))
        return status;
    return render_page(req, resp, HTTP_OK, "email", email_context(req, NULL));
}

enum http_status selfservice_pages_email_submit(struct request *req, struct response *resp)
{
    enum http_status status;
    if (!reauth_page_require(req, resp, "/account/email", &status))
        return status;
    const char *email = req_form(req, "email");
    struct json_object *ctx = email_context(req, NULL);
    const char *problem = input_check_email(email);
    if (!problem && !strcasecmp(email, req->session->email))
        problem = "That is already your email address.";
    if (problem) {
        fields_error(ctx, "email", problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "email", ctx);
    }
    struct selfservice_who who;
    if (!who_of(req, &who))
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct cog_result r;
    if (selfservice_email_start(req->tenant, &who, email, req->request_id, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, "email", ctx);
    } else {
        ctx = email_context(req, email);
        json_object_object_add(ctx, "code_sent", json_object_new_boolean(true));
        status = render_page(req, resp, HTTP_OK, "email", ctx);
    }
    cog_result_free(&r);
    return status;
}

enum http_status selfservice_pages_email_verify(struct request *req, struct response *resp)
{
    enum http_status status;
    if (!reauth_page_require(req, resp, "/account/email", &status))
        return status;
    const char *code = req_form(req, "code");
    struct json_object *ctx = email_context(req, NULL);
    const char *problem = input_check_code(code);
    if (problem) {
        fields_error(ctx, "code", problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "email", ctx);
    }
    struct selfservice_who who;
    if (!who_of(req, &who))
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct cog_result r;
    const char *email = NULL;
    if (selfservice_email_verify(req->tenant, &who, code, req->arena, req->request_id, &r,
                                 &email) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE, "email", ctx);
    else {
        struct activity_origin o = {.client_addr = req->client_addr,
                                    .request_id = req->request_id};
        activity_note(req->tenant, who.sub, SECEVENT_EMAIL_CHANGED, &o);
        status = render_redirect(req, resp, "/account", "email_changed");
    }
    cog_result_free(&r);
    return status;
}

static struct json_object *delete_context(struct request *req)
{
    struct json_object *ctx = render_context(req, "Delete your account");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "confirm_email", "Type your email address", "email", NULL, "off", true,
               "To make sure you mean it.");
    fields_add(fields, "password", "Password", "password", NULL, "current-password", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return ctx;
}

enum http_status selfservice_pages_delete(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "delete", delete_context(req));
}

enum http_status selfservice_pages_delete_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = delete_context(req);
    const char *typed = req_form(req, "confirm_email"), *password = req_form(req, "password");
    bool ok = true;
    if (!typed || strcasecmp(typed, req->session->email))
        ok = fields_error(ctx, "confirm_email", "Type the email address of this account.");
    if (!password || !*password)
        ok = fields_error(ctx, "password", "Enter your password.");
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, "delete", ctx);
    struct cog_result r;
    enum http_status status;
    if (reauth_prove(req->tenant, req->session, password, req->request_id, &r) < 0) {
        if (r.err == COGERR_NOT_AUTHORIZED || r.err == COGERR_INVALID_PASSWORD ||
               r.err == COGERR_USER_NOT_FOUND) {
            fields_error(ctx, "password", "That is not the right password. Please try again.");
            status = render_page(req, resp, HTTP_UNAUTHORIZED, "delete", ctx);
        } else {
            status = fields_cognito_error(req, resp, &r, COGERR_CTX_LOGIN, "delete", ctx);
        }
        cog_result_free(&r);
        return status;
    }
    struct selfservice_who who;
    if (!who_of(req, &who))
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    if (selfservice_delete(req->tenant, &who, req->request_id, &r) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, "delete", ctx);
    else
        status = render_redirect(req, resp, "/", "account_deleted");
    cog_result_free(&r);
    return status;
}
