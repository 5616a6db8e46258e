/* SPDX-License-Identifier: MIT */
/* auth: the JSON sign-up and sign-in API (see auth.h).
 *
 * The same rules as the pages, in JSON: input is checked with the pages'
 * validators before Cognito sees it, and only the fields named here are
 * ever forwarded, whatever else a body carries. Cognito's refusals are
 * told through the shared catalogue (aws/cogerr.h), so a code means the
 * same thing on a page and in the API: at login an unknown email reads as
 * a wrong password, and sending a code answers the same whether or not the
 * email has an account; where the tenant hides its accounts (the default),
 * so do sign-up and a refused confirmation code (svc/registration.h). As on the sign-up page the tier and the tenant are
 * written by gatehouse with admin calls after SignUp (svc/registration.c),
 * never by the app client.
 *
 * Tokens from a login are verified (issuer, audience, signature) before
 * they are handed out, like a session's, so a misconfigured pool fails
 * here rather than in the client; the users mirror is refreshed from the
 * id token. Each login's sign-in is kept server-side (svc/apisignin): a
 * refresh must find it, and a logout ends it whether or not the body sends
 * the refresh token. Logout also revokes at Cognito (GlobalSignOut, and
 * RevokeToken for the sign-in's refresh token) and in our own denylist,
 * which every bearer call consults (why: see api/bearer.c). A login of a
 * user with TOTP on answers {"challenge":"mfa","session":…}, the challenge
 * sealed (svc/mfa.h), and POST /api/v1/auth/mfa trades it and a code for
 * the tokens. No token, code or password is ever logged. */
#include "api/auth.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/bearer.h"
#include "aws/cognito.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "store/revoked.h"
#include "store/tenants.h"
#include "svc/apisignin.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/mfa.h"
#include "svc/password.h"
#include "svc/registration.h"
#include "svc/resend.h"
#include "svc/signin.h"
#include "svc/svc.h"
#include "svc/throttle.h"
#include "svc/tier.h"
#include "svc/tokens.h"

#define PURPOSE_VERIFY "email_verification"
#define PURPOSE_RESET "password_reset"

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

/* The tokens of an AuthenticationResult as the API hands them out. */
static struct json_object *tokens_object(const struct cog_result *r)
{
    const char *refresh = cog_get(r, "AuthenticationResult.RefreshToken");
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "id_token",
                           json_object_new_string(cog_get(r, "AuthenticationResult.IdToken")));
    json_object_object_add(obj, "access_token",
                           json_object_new_string(cog_get(r, "AuthenticationResult.AccessToken")));
    /* A refresh answers a refresh token only when the pool rotates them. */
    if (refresh)
        json_object_object_add(obj, "refresh_token", json_object_new_string(refresh));
    json_object_object_add(obj, "token_type", json_object_new_string("Bearer"));
    json_object_object_add(obj, "expires_in", json_object_new_int64(tokens_expires_in(r)));
    return obj;
}

struct json_object *auth_renewed_tokens(struct request *req, const struct cog_result *r)
{
    struct json_object *claims = tokens_verify_result(req->tenant, r, req->request_id);
    if (!claims)
        return NULL;
    json_object_put(claims);
    return tokens_object(r);
}

/* reply_tokens answers the tokens of an AuthenticationResult. */
static enum http_status reply_tokens(struct request *req, struct response *resp,
                                     const struct cog_result *r, bool login)
{
    const char *refresh = cog_get(r, "AuthenticationResult.RefreshToken");
    struct json_object *claims = tokens_verify_result(req->tenant, r, req->request_id);
    if (!claims || (login && !refresh)) {
        json_object_put(claims);
        return answer_error(req, resp, HTTP_BAD_GATEWAY, "bad_gateway",
                         "We could not verify the sign-in. Please try again.", NULL);
    }
    if (login && !apisignin_start(req->tenant, r, req_env(req, "HTTP_USER_AGENT"),
                                  req->client_addr, req->request_id)) {
        json_object_put(claims);
        return answer_status_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL);
    }
    if (login) {
        signin_mirror(req->tenant, claims, req->arena, req->request_id, NULL);
        api_note(req, tokens_claim(claims, "sub"), SECEVENT_SIGN_IN);
    }
    json_object_put(claims);
    return answer_json(resp, HTTP_OK, tokens_object(r));
}

/* code_sent_message is the one answer to "send me a code": the catalogue's
 * wording for a concealed refusal, so a known and an unknown email read
 * exactly alike. */
static const char *code_sent_message(void)
{
    return cogerr_get(COGERR_USER_NOT_FOUND, COGERR_CTX_SEND_CODE)->message;
}

/* ---- sign-up and codes ---------------------------------------------------- */

enum http_status auth_register(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *password = api_text(req, &chk, "password", true);
    const char *name = api_text(req, &chk, "name", true);
    const char *tier = api_text(req, &chk, "tier", false);
    bool terms = api_flag(req, &chk, "accept_terms");
    char refusal[INPUT_PASSWORD_RULE_MAX];
    api_invalid(&chk, "email", input_check_email(email));
    api_invalid(&chk, "password", api_check_password(req, password, refusal, sizeof(refusal)));
    api_invalid(&chk, "name", input_check_text(name, INPUT_NAME_MAX, true));
    if (!tier)
        tier = TIER_STANDARD;
    if (!tier_known(tier))
        api_invalid(&chk, "tier", "Use \"standard\" or \"premium\".");
    if (!terms)
        api_invalid(&chk, "accept_terms", "Please accept the terms to continue.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct registration in = {.email = email, .password = password, .name = name, .tier = tier};
    struct cog_result r;
    enum http_status status;
    if (registration_sign_up(req->tenant, &in, req->request_id, &r) < 0) {
        status = api_cognito_error(req, resp, &r, COGERR_CTX_GENERIC);
    } else {
        /* Where accounts are hidden, no sign-up tells its sub: a taken
         * email has none to give, and the answers must not differ. */
        const char *sub = req->tenant->reveal_accounts ? cog_get(&r, "UserSub") : NULL;
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "message", json_object_new_string("code sent"));
        json_object_object_add(obj, "user_sub", sub ? json_object_new_string(sub) : NULL);
        status = answer_json(resp, HTTP_CREATED, obj);
    }
    cog_result_free(&r);
    return status;
}

/* use_code confirms a sign-up or a password reset with an emailed code. */
static enum http_status use_code(struct request *req, struct response *resp, bool reset_only)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *code = api_text(req, &chk, "code", true);
    const char *purpose = reset_only ? PURPOSE_RESET : purpose_of(req, &chk);
    bool reset = !strcmp(purpose, PURPOSE_RESET);
    const char *password = reset ? api_text(req, &chk, "password", true) : NULL;
    char refusal[INPUT_PASSWORD_RULE_MAX];
    api_invalid(&chk, "email", input_check_email(email));
    api_invalid(&chk, "code", input_check_code(code));
    if (reset)
        api_invalid(&chk, "password", api_check_password(req, password, refusal, sizeof(refusal)));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_result r;
    enum http_status status;
    int rc = reset ? password_reset(req->tenant, email, code, password, req->request_id, &r)
                   : registration_confirm(req->tenant, email, code, req->arena,
                                          req->request_id, &r);
    if (rc < 0)
        status = api_cognito_error(req, resp, &r,
                                   reset ? COGERR_CTX_USE_CODE
                                         : registration_code_context(req->tenant));
    else
        status = api_message(resp, HTTP_OK, reset ? "password reset" : "email verified");
    cog_result_free(&r);
    return status;
}

enum http_status auth_verify_otp(struct request *req, struct response *resp)
{
    return use_code(req, resp, false);
}

enum http_status auth_reset_password(struct request *req, struct response *resp)
{
    return use_code(req, resp, true);
}

/* send_code emails a new confirmation code or a password-reset code. The
 * answer is the same for every well-formed email; only what a client can
 * act on (slow down, try later, a delivery failure) is told. */
static enum http_status send_code(struct request *req, struct response *resp, bool reset_only)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *purpose = reset_only ? PURPOSE_RESET : purpose_of(req, &chk);
    api_invalid(&chk, "email", input_check_email(email));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct cog_result r;
    long long wait_s;
    enum http_status status;
    /* One code per email and purpose per wait, as on the pages (svc/resend.h). */
    switch (resend_code(req->tenant, strcmp(purpose, PURPOSE_RESET) ? RESEND_CONFIRM : RESEND_RESET,
                        email, req->request_id, &r, &wait_s)) {
    case RESEND_WAIT: {
        char wait[NUM_TEXT_MAX];
        snprintf(wait, sizeof(wait), "%lld", wait_s);
        resp_header(resp, "Retry-After", wait);
        return answer_error(req, resp, HTTP_TOO_MANY_REQUESTS, "code_recently_sent",
                            "A code was sent a moment ago. Ask for a new one after "
                            "Retry-After seconds.", NULL);
    }
    case RESEND_UNAVAILABLE:
        return answer_status_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL);
    case RESEND_ASKED:
    default:
        break;
    }
    if (r.err != COGERR_NONE && !cogerr_get(r.err, COGERR_CTX_SEND_CODE)->conceal)
        status = api_cognito_error(req, resp, &r, COGERR_CTX_SEND_CODE);
    else
        status = api_message(resp, HTTP_OK, code_sent_message());
    cog_result_free(&r);
    return status;
}

enum http_status auth_request_otp(struct request *req, struct response *resp)
{
    return send_code(req, resp, false);
}

enum http_status auth_forgot_password(struct request *req, struct response *resp)
{
    return send_code(req, resp, true);
}

/* ---- tokens ----------------------------------------------------------------- */

/* unconfirmed answers a login of an unconfirmed user: the error, and
 * whether a fresh code is on its way, so the client can go straight to
 * verify-otp. */
static enum http_status unconfirmed(struct request *req, struct response *resp,
                                    const struct signin *in)
{
    const struct cogerr_info *info = cogerr_get(in->result.err, COGERR_CTX_LOGIN);
    struct json_object *obj = answer_error_object(req, info->code, info->message, info->field);
    json_object_object_add(obj, "code_sent", json_object_new_boolean(in->code_sent));
    return answer_json(resp, info->status, obj);
}

/* mfa_challenge_reply answers a login that needs a TOTP code: the
 * challenge, sealed, for the client to send back with the code. */
static enum http_status mfa_challenge_reply(struct request *req, struct response *resp,
                                            const struct signin *in, const char *email)
{
    struct mfa_challenge c = {.session = in->challenge_session, .email = email};
    const char *sealed;
    if (strlen(in->challenge_session) > CHALLENGE_SESSION_MAX ||
        !mfa_challenge_seal(req->tenant, &c, req->arena, &sealed))
        return answer_status_error(req, resp, HTTP_INTERNAL_ERROR, NULL);
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "challenge", json_object_new_string("mfa"));
    json_object_object_add(obj, "session", json_object_new_string(sealed));
    json_object_object_add(obj, "expires_in", json_object_new_int(MFA_CHALLENGE_TTL_S));
    return answer_json(resp, HTTP_OK, obj);
}

enum http_status auth_login(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *email = api_text(req, &chk, "email", true);
    const char *password = api_text(req, &chk, "password", true);
    api_invalid(&chk, "email", input_check_email(email));
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct signin in;
    enum http_status status;
    signin_password(req->tenant, email, password, req->client_addr, req->request_id, &in);
    switch (in.outcome) {
    case SIGNIN_TOKENS:
        /* Where TOTP is required, a user who has none yet (Cognito asked
         * for no code) enrols on the website first: no tokens here. */
        if (!strcmp(req->tenant->mfa, TENANT_MFA_REQUIRED)) {
            status = answer_error(req, resp, HTTP_FORBIDDEN, "mfa_setup_required",
                                  "This service requires two-step verification: log in once "
                                  "on the website to set it up.", NULL);
            break;
        }
        status = reply_tokens(req, resp, &in.result, true);
        if (status == HTTP_OK)
            log_event(LOG_INFO, "logged_in", "id=%s tenant=%s via=api", req->request_id,
                      req->tenant->slug);
        break;
    case SIGNIN_MFA:
        status = mfa_challenge_reply(req, resp, &in, email);
        break;
    case SIGNIN_NEW_PASSWORD:
    case SIGNIN_OTHER_CHALLENGE: {
        bool new_password = in.outcome == SIGNIN_NEW_PASSWORD;
        log_event(LOG_INFO, "challenge_refused", "id=%s new_password=%d", req->request_id,
                  new_password);
        status = answer_error(req, resp, HTTP_FORBIDDEN,
                              new_password ? "new_password_required" : "challenge_unsupported",
                              new_password ? "This account must choose a new password first: "
                                             "log in once on the website to set it."
                                           : "This account needs a sign-in step this API does "
                                             "not offer. Please contact the administrator.",
                              NULL);
        break;
    }
    case SIGNIN_UNCONFIRMED:
        status = unconfirmed(req, resp, &in);
        break;
    case SIGNIN_LOCKED: {
        /* Too many failures of this email or address: the same answer
         * whether or not the email has an account, and Cognito was not
         * asked. */
        char wait[NUM_TEXT_MAX], message[THROTTLE_MESSAGE_MAX];
        snprintf(wait, sizeof(wait), "%lld", in.retry_after_s);
        resp_header(resp, "Retry-After", wait);
        throttle_message(in.retry_after_s, message);
        status = answer_error(req, resp, HTTP_TOO_MANY_REQUESTS, "too_many_attempts", message,
                              NULL);
        break;
    }
    case SIGNIN_UNAVAILABLE:
        status = answer_status_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL);
        break;
    case SIGNIN_REFUSED:
    default:
        /* A wrong password, as the catalogue tells it at login. */
        if (!strcmp(cogerr_get(in.result.err, COGERR_CTX_LOGIN)->code, "not_authorized"))
            api_note_email(req, email, SECEVENT_SIGN_IN_FAILED);
        status = api_cognito_error(req, resp, &in.result, COGERR_CTX_LOGIN);
        break;
    }
    signin_free(&in);
    return status;
}

enum http_status auth_mfa(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *session = api_text(req, &chk, "session", true);
    const char *code = api_text(req, &chk, "code", true);
    api_invalid(&chk, "code", mfa_check_code(code));
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct mfa_challenge c;
    if (!mfa_challenge_open(req->tenant, session, time(NULL), req->arena, &c))
        return answer_error(req, resp, HTTP_UNAUTHORIZED, "challenge_expired",
                            "This sign-in has expired or is not valid. Log in again.",
                            "session");

    struct signin in;
    enum http_status status;
    mfa_answer(req->tenant, &c, code, req->client_addr, req->request_id, &in);
    switch (in.outcome) {
    case SIGNIN_TOKENS:
        status = reply_tokens(req, resp, &in.result, true);
        if (status == HTTP_OK)
            log_event(LOG_INFO, "logged_in", "id=%s tenant=%s via=api mfa=1", req->request_id,
                      req->tenant->slug);
        break;
    case SIGNIN_LOCKED: {
        char wait[NUM_TEXT_MAX], message[THROTTLE_MESSAGE_MAX];
        snprintf(wait, sizeof(wait), "%lld", in.retry_after_s);
        resp_header(resp, "Retry-After", wait);
        throttle_message(in.retry_after_s, message);
        status = answer_error(req, resp, HTTP_TOO_MANY_REQUESTS, "too_many_attempts", message,
                              NULL);
        break;
    }
    case SIGNIN_UNAVAILABLE:
        status = answer_status_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL);
        break;
    case SIGNIN_REFUSED:
        if (in.result.err == COGERR_CODE_MISMATCH)
            api_note_email(req, c.email, SECEVENT_MFA_FAILED);
        if (in.result.err == COGERR_CODE_MISMATCH || cogerr_transient(in.result.err, COGERR_CTX_USE_CODE))
            status = api_cognito_error(req, resp, &in.result, COGERR_CTX_USE_CODE);
        else
            status = answer_error(req, resp, HTTP_UNAUTHORIZED, "challenge_expired",
                                  "This sign-in has expired or is not valid. Log in again.",
                                  "session");
        break;
    case SIGNIN_OTHER_CHALLENGE:
    default:
        status = answer_error(req, resp, HTTP_FORBIDDEN, "challenge_unsupported",
                              "This account needs a sign-in step this API does not offer. "
                              "Please contact the administrator.", NULL);
        break;
    }
    signin_free(&in);
    return status;
}

enum http_status auth_refresh(struct request *req, struct response *resp)
{
    struct api_check chk = {0};
    api_body(req, &chk, true);
    const char *refresh = api_text(req, &chk, "refresh_token", true);
    /* Older clients send the user name a secret-holding app client needs;
     * the server keeps it with the sign-in now, so it is read and ignored. */
    api_text(req, &chk, "username", false);
    if (refresh && strlen(refresh) > REFRESH_TOKEN_MAX)
        api_invalid(&chk, "refresh_token", "This is not a refresh token.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct signin in;
    enum http_status status;
    apisignin_refresh(req->tenant, refresh, &in);
    if (in.outcome == SIGNIN_TOKENS)
        status = reply_tokens(req, resp, &in.result, false);
    else
        status = api_cognito_error(req, resp, &in.result, COGERR_CTX_SESSION);
    signin_free(&in);
    return status;
}

enum http_status auth_logout(struct request *req, struct response *resp)
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
    svc_client(req->tenant, &c);
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
    apisignin_end(req->tenant, b.sub, b.jti, refresh, req->request_id);
    struct revoked_token t = {.sub = b.sub, .jti = b.jti, .origin_jti = b.origin_jti,
                              .iat = b.iat, .exp = b.exp};
    enum store_result rc = revoked_sign_out(req->tenant->slug, &t, time(NULL));
    if (rc != STORE_OK)
        return answer_status_error(req, resp, answer_status_of(rc), NULL);
    log_event(LOG_INFO, "logged_out", "id=%s tenant=%s via=api", req->request_id,
              req->tenant->slug);
    api_note(req, b.sub, SECEVENT_SIGNED_OUT);
    return api_message(resp, HTTP_OK, "logged out");
}
