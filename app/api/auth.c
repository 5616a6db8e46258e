/* SPDX-License-Identifier: MIT */
/* auth: the JSON sign-up and sign-in API (see auth.h).
 *
 * The same rules as the pages, in JSON: input is checked with the pages'
 * validators before Cognito sees it, and only the fields named here are
 * ever forwarded, whatever else a body carries. Cognito's refusals are
 * told through the shared catalogue (aws/cogerr.h), so a code means the
 * same thing on a page and in the API: at login an unknown email reads as
 * a wrong password, and sending a code answers the same whether or not the
 * email has an account. As on the sign-up page the tier and the tenant are
 * written by gatehouse with admin calls after SignUp
 * (flow_set_signup_attributes), never by the app client.
 *
 * Tokens from a login are verified (issuer, audience, signature) before
 * they are handed out, like a session's, so a misconfigured pool fails
 * here rather than in the client; the users mirror is refreshed from the
 * id token. Logout revokes at Cognito (GlobalSignOut, and RevokeToken for
 * a refresh token sent along) and in our own denylist, which every bearer
 * call consults (why: see api/bearer.c). No token, code or password is
 * ever logged. */
#include "api/auth.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/bearer.h"
#include "aws/cognito.h"
#include "core/log.h"
#include "pages/flow.h"
#include "pages/tiergate.h"
#include "store/revoked.h"
#include "store/tenants.h"
#include "store/users.h"

#define PURPOSE_VERIFY "email_verification"
#define PURPOSE_RESET "password_reset"
#define CHALLENGE_NEW_PASSWORD "NEW_PASSWORD_REQUIRED"
#define STATUS_CONFIRMED "CONFIRMED"
#define STATUS_UNCONFIRMED "UNCONFIRMED"
#define REFRESH_TOKEN_MAX 8192
#define EXPIRES_IN_DEFAULT_S 3600

/* ---- helpers -------------------------------------------------------------- */

static const char *purpose_of(struct request *req, struct api_check *chk)
{
    const char *purpose = api_text(req, chk, "purpose", false);
    if (!purpose)
        return PURPOSE_VERIFY;
    if (strcmp(purpose, PURPOSE_VERIFY) && strcmp(purpose, PURPOSE_RESET))
        api_invalid(chk, "purpose", "Use \"email_verification\" or \"password_reset\".");
    return purpose;
}

static bool known_tier(const char *tier)
{
    return !strcmp(tier, TIER_STANDARD) || !strcmp(tier, TIER_PREMIUM);
}

static const char *claim(struct json_object *claims, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* verified_claims checks the id and access tokens of an authentication
 * result and returns the id token's claims (the caller puts them), or NULL. */
static struct json_object *verified_claims(struct request *req, const char *id_token,
                                           const char *access_token)
{
    struct json_object *claims = NULL, *access_claims = NULL;
    enum jwt_status st = JWT_MALFORMED;
    if (id_token && access_token) {
        st = bearer_verify(req, id_token, JWT_USE_ID, &claims);
        if (st == JWT_OK)
            st = bearer_verify(req, access_token, JWT_USE_ACCESS, &access_claims);
    }
    json_object_put(access_claims);
    if (st != JWT_OK) {
        log_event(LOG_WARN, "token_refused", "id=%s reason=%s", req->request_id,
                  jwt_status_name(st));
        json_object_put(claims);
        return NULL;
    }
    return claims;
}

/* mirror_login refreshes the users mirror from a login's id token. */
static void mirror_login(struct request *req, struct json_object *claims)
{
    const char *tier = claim(claims, "custom:user_tier");
    struct users_user u = {.sub = claim(claims, "sub"), .email = claim(claims, "email"),
                           .name = claim(claims, "name"),
                           .tier = tier && known_tier(tier) ? tier : NULL,
                           .status = STATUS_CONFIRMED, .enabled = true};
    time_t now = time(NULL);
    if (!u.sub || !u.email || users_upsert(req->tenant->slug, &u, now) != USERS_OK ||
        users_touch_login(req->tenant->slug, u.sub, now) != USERS_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
}

/* reply_tokens answers the tokens of an AuthenticationResult. */
static int reply_tokens(struct request *req, struct response *resp, const struct cog_result *r,
                        bool login)
{
    const char *id_token = cog_get(r, "AuthenticationResult.IdToken");
    const char *access = cog_get(r, "AuthenticationResult.AccessToken");
    const char *refresh = cog_get(r, "AuthenticationResult.RefreshToken");
    const char *expires = cog_get(r, "AuthenticationResult.ExpiresIn");
    struct json_object *claims = verified_claims(req, id_token, access);
    if (!claims || (login && !refresh)) {
        json_object_put(claims);
        return api_error(req, resp, HTTP_BAD_GATEWAY, "bad_gateway",
                         "We could not verify the sign-in. Please try again.", NULL);
    }
    if (login)
        mirror_login(req, claims);
    json_object_put(claims);
    long expires_in = expires ? strtol(expires, NULL, 10) : 0;
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "id_token", json_object_new_string(id_token));
    json_object_object_add(obj, "access_token", json_object_new_string(access));
    /* A refresh answers a refresh token only when the pool rotates them. */
    if (refresh)
        json_object_object_add(obj, "refresh_token", json_object_new_string(refresh));
    json_object_object_add(obj, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(obj, "expires_in",
                           json_object_new_int64(expires_in > 0 ? expires_in
                                                                : EXPIRES_IN_DEFAULT_S));
    return api_reply(resp, HTTP_OK, obj);
}

/* code_sent_message is the one answer to "send me a code": the catalogue's
 * wording for a concealed refusal, so a known and an unknown email read
 * exactly alike. */
static const char *code_sent_message(void)
{
    return cogerr_get(COGERR_USER_NOT_FOUND, COGERR_CTX_SEND_CODE)->message;
}

/* ---- sign-up and codes ---------------------------------------------------- */

int auth_register(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *password = api_text(req, &chk, "password", true);
    const char *name = api_text(req, &chk, "name", true);
    const char *tier = api_text(req, &chk, "tier", false);
    bool terms = api_flag(req, &chk, "accept_terms");
    api_invalid(&chk, "email", flow_check_email(email));
    api_invalid(&chk, "password", flow_check_password(password));
    api_invalid(&chk, "name", flow_check_text(name, FLOW_NAME_MAX, true));
    if (!tier)
        tier = TIER_STANDARD;
    if (!known_tier(tier))
        api_invalid(&chk, "tier", "Use \"standard\" or \"premium\".");
    if (!terms)
        api_invalid(&chk, "accept_terms", "Please accept the terms to continue.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_attr attrs[] = {{"email", email}, {"name", name}};
    struct cog_params p = {.username = email, .password = password, .attrs = attrs,
                           .n_attrs = sizeof(attrs) / sizeof(attrs[0])};
    if (cog_run(&c, COG_SIGN_UP, &p, &r) < 0) {
        int status = api_cognito_error(req, resp, &r, COGERR_CTX_GENERIC);
        cog_result_free(&r);
        return status;
    }
    const char *sub = cog_get(&r, "UserSub");
    flow_set_signup_attributes(req, &c, email, tier);
    if (sub) {
        struct users_user u = {.sub = sub, .email = email, .name = name, .tier = tier,
                               .status = STATUS_UNCONFIRMED, .enabled = true};
        if (users_upsert(req->tenant->slug, &u, time(NULL)) != USERS_OK)
            log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
    }
    log_event(LOG_INFO, "signed_up", "id=%s tenant=%s tier=%s via=api", req->request_id,
              req->tenant->slug, tier);
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "message", json_object_new_string("code sent"));
    json_object_object_add(obj, "user_sub", sub ? json_object_new_string(sub) : NULL);
    cog_result_free(&r);
    return api_reply(resp, HTTP_CREATED, obj);
}

/* mirror_confirmed marks the confirmed user's mirror row, when it has one. */
static void mirror_confirmed(struct request *req, const char *email)
{
    struct users_user u;
    if (users_get_by_email(req->tenant->slug, email, req->arena, &u) != USERS_OK)
        return;
    u.status = STATUS_CONFIRMED;
    if (users_upsert(req->tenant->slug, &u, time(NULL)) != USERS_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
}

/* use_code confirms a sign-up or a password reset with an emailed code. */
static int use_code(struct request *req, struct response *resp, bool reset_only)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *code = api_text(req, &chk, "code", true);
    const char *purpose = reset_only ? PURPOSE_RESET : purpose_of(req, &chk);
    bool reset = !strcmp(purpose, PURPOSE_RESET);
    const char *password = reset ? api_text(req, &chk, "password", true) : NULL;
    api_invalid(&chk, "email", flow_check_email(email));
    api_invalid(&chk, "code", flow_check_code(code));
    if (reset)
        api_invalid(&chk, "password", flow_check_password(password));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .code = code, .password = password};
    int status;
    if (cog_run(&c, reset ? COG_CONFIRM_FORGOT_PASSWORD : COG_CONFIRM_SIGN_UP, &p, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE);
        goto out;
    }
    if (reset) {
        log_event(LOG_INFO, "password_reset", "id=%s tenant=%s via=api", req->request_id,
                  req->tenant->slug);
        status = api_message(resp, HTTP_OK, "password reset");
    } else {
        mirror_confirmed(req, email);
        log_event(LOG_INFO, "email_confirmed", "id=%s tenant=%s via=api", req->request_id,
                  req->tenant->slug);
        status = api_message(resp, HTTP_OK, "email verified");
    }
out:
    cog_result_free(&r);
    return status;
}

int auth_verify_otp(struct request *req, struct response *resp)
{
    return use_code(req, resp, false);
}

int auth_reset_password(struct request *req, struct response *resp)
{
    return use_code(req, resp, true);
}

/* send_code emails a new confirmation code or a password-reset code. The
 * answer is the same for every well-formed email; only what a client can
 * act on (slow down, try later, a delivery failure) is told. */
static int send_code(struct request *req, struct response *resp, bool reset_only)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *purpose = reset_only ? PURPOSE_RESET : purpose_of(req, &chk);
    api_invalid(&chk, "email", flow_check_email(email));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.username = email};
    enum cog_op op = strcmp(purpose, PURPOSE_RESET) ? COG_RESEND_CODE : COG_FORGOT_PASSWORD;
    int status;
    if (cog_run(&c, op, &p, &r) < 0 && !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal)
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE);
    else
        status = api_message(resp, HTTP_OK, code_sent_message());
    cog_result_free(&r);
    return status;
}

int auth_request_otp(struct request *req, struct response *resp)
{
    return send_code(req, resp, false);
}

int auth_forgot_password(struct request *req, struct response *resp)
{
    return send_code(req, resp, true);
}

/* ---- tokens ----------------------------------------------------------------- */

/* unconfirmed answers a login of an unconfirmed user: the error, and a
 * fresh code on its way, so the client can go straight to verify-otp. */
static int unconfirmed(struct request *req, struct response *resp, const struct cog_client *c,
                       const struct cog_result *login, const char *email)
{
    struct cog_params p = {.username = email};
    struct cog_result r;
    bool sent = cog_run(c, COG_RESEND_CODE, &p, &r) == 0;
    cog_result_free(&r);
    const struct cogerr_info *info = cogerr_get(login->err, COGERR_CTX_LOGIN);
    struct json_object *obj = api_error_object(req, info->code, info->message, info->field);
    json_object_object_add(obj, "code_sent", json_object_new_boolean(sent));
    return api_reply(resp, info->status, obj);
}

int auth_login(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *password = api_text(req, &chk, "password", true);
    api_invalid(&chk, "email", flow_check_email(email));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    int status;
    flow_client(req, &c);
    struct cog_params p = {.username = email, .password = password};
    if (cog_run(&c, COG_LOGIN, &p, &r) < 0) {
        if (r.err == COGERR_USER_NOT_CONFIRMED)
            status = unconfirmed(req, resp, &c, &r, email);
        else
            status = api_cognito_error(req, resp, &r, COGERR_CTX_LOGIN);
        goto out;
    }
    const char *challenge = cog_get(&r, "ChallengeName");
    if (challenge) {
        bool new_password = !strcmp(challenge, CHALLENGE_NEW_PASSWORD);
        log_event(LOG_INFO, "challenge_refused", "id=%s new_password=%d", req->request_id,
                  new_password);
        status = api_error(req, resp, HTTP_FORBIDDEN,
                           new_password ? "new_password_required" : "challenge_unsupported",
                           new_password ? "This account must choose a new password first: "
                                          "log in once on the website to set it."
                                        : "This account needs a sign-in step this API does "
                                          "not offer. Please contact the administrator.",
                           NULL);
        goto out;
    }
    status = reply_tokens(req, resp, &r, true);
    if (status == HTTP_OK)
        log_event(LOG_INFO, "logged_in", "id=%s tenant=%s via=api", req->request_id,
                  req->tenant->slug);
out:
    cog_result_free(&r);
    return status;
}

int auth_refresh(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *refresh = api_text(req, &chk, "refresh_token", true);
    /* With an app-client secret, Cognito wants the user's name (the
     * access token's "username") to check the secret hash. */
    const char *username =
        api_text(req, &chk, "username", req->tenant->client_secret[0] != '\0');
    if (refresh && strlen(refresh) > REFRESH_TOKEN_MAX)
        api_invalid(&chk, "refresh_token", "This is not a refresh token.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.refresh_token = refresh, .username = username};
    int status;
    if (cog_run(&c, COG_REFRESH, &p, &r) < 0)
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
    else
        status = reply_tokens(req, resp, &r, false);
    cog_result_free(&r);
    return status;
}

int auth_logout(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    struct api_check chk = {0};
    api_body(req, &chk, false);
    const char *refresh = api_text(req, &chk, "refresh_token", false);
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.access_token = b.token};
    /* Refused as unauthorized means Cognito revoked it already: the
     * logout has happened, we only record it. Anything else (throttled,
     * down) is told, and nothing is recorded, so a retry works. */
    if (cog_run(&c, COG_GLOBAL_SIGN_OUT, &p, &r) < 0 &&
        cogerr_get(r.err, COGERR_CTX_SESSION)->status != HTTP_UNAUTHORIZED) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    if (refresh) {
        struct cog_params rp = {.refresh_token = refresh};
        if (cog_run(&c, COG_REVOKE_TOKEN, &rp, &r) < 0)
            log_event(LOG_INFO, "refresh_not_revoked", "id=%s type=%s", req->request_id,
                      r.type[0] ? r.type : "-");
        cog_result_free(&r);
    }
    struct revoked_token t = {.sub = b.sub, .jti = b.jti, .origin_jti = b.origin_jti,
                              .iat = b.iat, .exp = b.exp};
    switch (revoked_sign_out(req->tenant->slug, &t, time(NULL))) {
    case REVOKED_NO:
        break;
    case REVOKED_UNAVAILABLE:
        return api_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
                         "The service is briefly unavailable. Please try again shortly.", NULL);
    case REVOKED_YES:
    case REVOKED_ERROR:
    default:
        return api_error(req, resp, HTTP_INTERNAL_ERROR, "internal_error",
                         "Something went wrong on our side. Please try again.", NULL);
    }
    log_event(LOG_INFO, "logged_out", "id=%s tenant=%s via=api", req->request_id,
              req->tenant->slug);
    return api_message(resp, HTTP_OK, "logged out");
}
