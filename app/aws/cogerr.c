/* SPDX-License-Identifier: MIT */
/* cogerr: Cognito error types → what gatehouse tells people (see cogerr.h).
 *
 * Two static tables. `entries` has one row per enum cogerr, indexed by the
 * enum, with the wording that holds wherever the type appears. `overrides`
 * lists the few (context, type) pairs that must read differently, mostly so
 * that a reply never reveals whether an email has an account: at login an
 * unknown user is "Incorrect email or password." with the code
 * "not_authorized", and a code sent to an unknown email is answered as sent
 * (conceal). Messages are keyed on the type and never repeat Cognito's own
 * English, which changes without notice and sometimes names the account.
 * Everything is constant data: no ownership, no locking. */
#include "aws/cogerr.h"

#include <string.h>

/* Shared wording: the texts several rows must say identically. */
#define MSG_BAD_LOGIN "Incorrect email or password."
#define MSG_CODE_MISMATCH \
    "That code is not correct. Check the latest email we sent you and try again."
#define MSG_CODE_UNUSABLE                                                                 \
    "That code is not correct or has expired. Check the latest email we sent you, or ask " \
    "for a new code; if your account is already confirmed, log in instead."
#define MSG_SESSION_ENDED "Your session has ended. Please log in again."
#define MSG_CODE_SENT "If an account exists for this email address, we have sent a code to it."
#define MSG_NOT_SET_UP \
    "Sign-in is not set up correctly for this site. Please tell the site's administrator."
#define MSG_OUR_SIDE \
    "We could not complete this because of a problem on our side. Please try again later."
#define MSG_BUSY "We are receiving too many requests right now. Please try again in a moment."

#define HTTP_OK 200
#define HTTP_BAD_REQUEST 400
#define HTTP_UNAUTHORIZED 401
#define HTTP_FORBIDDEN 403
#define HTTP_NOT_FOUND 404
#define HTTP_CONFLICT 409
#define HTTP_TOO_MANY 429
#define HTTP_INTERNAL 500
#define HTTP_BAD_GATEWAY 502
#define HTTP_UNAVAILABLE 503

#define E(e, t, c, s, f, m) [e] = {(e), (t), (c), (s), (f), (m), false}

static const struct cogerr_info entries[COGERR_COUNT] = {
    E(COGERR_USERNAME_EXISTS, "UsernameExistsException", "username_exists", HTTP_CONFLICT,
      "email", "An account with this email address already exists. Log in, or reset your "
               "password if you have forgotten it."),
    /* The pages and the API replace this with the tenant's own rules. */
    E(COGERR_INVALID_PASSWORD, "InvalidPasswordException", COGERR_CODE_INVALID_PASSWORD,
      HTTP_BAD_REQUEST, "password",
      "This password is not accepted here. Choose a longer one, mixing upper- and "
      "lower-case letters, numbers and symbols."),
    E(COGERR_CODE_MISMATCH, "CodeMismatchException", "code_mismatch", HTTP_BAD_REQUEST,
      "code", MSG_CODE_MISMATCH),
    E(COGERR_EXPIRED_CODE, "ExpiredCodeException", "expired_code", HTTP_BAD_REQUEST, "code",
      "That code has expired. Ask for a new code and try again."),
    E(COGERR_NOT_AUTHORIZED, "NotAuthorizedException", "not_authorized", HTTP_UNAUTHORIZED,
      NULL, MSG_BAD_LOGIN),
    E(COGERR_USER_NOT_CONFIRMED, "UserNotConfirmedException", "user_not_confirmed",
      HTTP_FORBIDDEN, NULL,
      "Your email address is not confirmed yet. Enter the code we emailed you, or ask for "
      "a new one."),
    E(COGERR_USER_NOT_FOUND, "UserNotFoundException", "user_not_found", HTTP_NOT_FOUND,
      "email", "No account was found for this email address."),
    E(COGERR_LIMIT_EXCEEDED, "LimitExceededException", "limit_exceeded", HTTP_TOO_MANY, NULL,
      "Too many attempts. Please wait a few minutes before trying again."),
    E(COGERR_TOO_MANY_REQUESTS, "TooManyRequestsException", "too_many_requests",
      HTTP_TOO_MANY, NULL, MSG_BUSY),
    E(COGERR_THROTTLING, "ThrottlingException", "throttled", HTTP_TOO_MANY, NULL, MSG_BUSY),
    E(COGERR_TOO_MANY_FAILED_ATTEMPTS, "TooManyFailedAttemptsException",
      "too_many_failed_attempts", HTTP_TOO_MANY, NULL,
      "Too many failed attempts. Please wait a few minutes before trying again."),
    E(COGERR_INVALID_PARAMETER, "InvalidParameterException", "invalid_parameter",
      HTTP_BAD_REQUEST, NULL,
      "Some of the details you entered are not valid. Check them and try again."),
    E(COGERR_PASSWORD_RESET_REQUIRED, "PasswordResetRequiredException",
      "password_reset_required", HTTP_FORBIDDEN, NULL,
      "You need to choose a new password before you can log in. Use the forgotten "
      "password link to get a reset code."),
    E(COGERR_CODE_DELIVERY_FAILURE, "CodeDeliveryFailureException", "code_delivery_failed",
      HTTP_UNAVAILABLE, "email",
      "We could not send the email with your code. Check the address, or try again in a "
      "few minutes."),
    E(COGERR_INTERNAL_ERROR, "InternalErrorException", "internal_error", HTTP_UNAVAILABLE,
      NULL, "The sign-in service is having a problem. Please try again in a minute."),
    E(COGERR_ALIAS_EXISTS, "AliasExistsException", "alias_exists", HTTP_CONFLICT, "email",
      "This email address is already used by another account."),
    E(COGERR_RESOURCE_NOT_FOUND, "ResourceNotFoundException", "resource_not_found",
      HTTP_INTERNAL, NULL, MSG_NOT_SET_UP),
    E(COGERR_INVALID_LAMBDA_RESPONSE, "InvalidLambdaResponseException",
      "invalid_lambda_response", HTTP_INTERNAL, NULL, MSG_OUR_SIDE),
    E(COGERR_UNEXPECTED_LAMBDA, "UnexpectedLambdaException", "unexpected_lambda",
      HTTP_INTERNAL, NULL, MSG_OUR_SIDE),
    E(COGERR_USER_LAMBDA_VALIDATION, "UserLambdaValidationException",
      "user_lambda_validation", HTTP_BAD_REQUEST, NULL,
      "These details were not accepted. Check them and try again."),
    E(COGERR_INVALID_USER_POOL_CONFIGURATION, "InvalidUserPoolConfigurationException",
      "invalid_user_pool_configuration", HTTP_INTERNAL, NULL, MSG_NOT_SET_UP),
    E(COGERR_FORBIDDEN, "ForbiddenException", "forbidden", HTTP_FORBIDDEN, NULL,
      "This request was blocked. Please try again later."),
    E(COGERR_GROUP_EXISTS, "GroupExistsException", "group_exists", HTTP_CONFLICT, NULL,
      "That group already exists."),
    /* Cognito tells a disabled user by NotAuthorized's message alone; the
     * classifier (aws/cognito.c) gives it its own entry so a sign-in can say
     * so plainly (Cognito says it to anyone who asks it directly anyway). */
    E(COGERR_USER_DISABLED, "NotAuthorizedException", "user_disabled", HTTP_FORBIDDEN, NULL,
      "This account has been disabled. Please contact your administrator."),
    E(COGERR_UNAVAILABLE, NULL, "service_unavailable", HTTP_UNAVAILABLE, NULL,
      "The sign-in service is not answering. Please try again in a minute."),
    /* 502: Cognito answered, but with something this catalogue does not know. */
    E(COGERR_UNKNOWN, NULL, "unknown_error", HTTP_BAD_GATEWAY, NULL,
      "Something went wrong on our side. Please try again."),
};

struct override {
    enum cogerr_ctx ctx;
    struct cogerr_info info; /* info.err is the type being overridden */
};

#define O(x, e, t, c, s, f, m, h) {(x), {(e), (t), (c), (s), (f), (m), (h)}}

static const struct override overrides[] = {
    /* Login: an unknown email must look exactly like a wrong password. */
    O(COGERR_CTX_LOGIN, COGERR_USER_NOT_FOUND, "UserNotFoundException", "not_authorized",
      HTTP_UNAUTHORIZED, NULL, MSG_BAD_LOGIN, false),
    /* ...and so must a password Cognito calls invalid rather than wrong (a
     * password that no longer meets the policy; cognito-local's way of
     * saying "wrong"): at login it is told as the same bad credentials. */
    O(COGERR_CTX_LOGIN, COGERR_INVALID_PASSWORD, "InvalidPasswordException", "not_authorized",
      HTTP_UNAUTHORIZED, NULL, MSG_BAD_LOGIN, false),
    /* Sending a code: the answer is the same for every email, known or not,
     * confirmed or not (InvalidParameter: "already confirmed", "no verified
     * email"). */
    O(COGERR_CTX_SEND_CODE, COGERR_USER_NOT_FOUND, "UserNotFoundException", "code_sent",
      HTTP_OK, NULL, MSG_CODE_SENT, true),
    O(COGERR_CTX_SEND_CODE, COGERR_INVALID_PARAMETER, "InvalidParameterException",
      "code_sent", HTTP_OK, NULL, MSG_CODE_SENT, true),
    /* Using a code: an unknown email reads as a wrong code; NotAuthorized
     * means "already confirmed" (or, in cognito-local, an unknown user). */
    O(COGERR_CTX_USE_CODE, COGERR_USER_NOT_FOUND, "UserNotFoundException", "code_mismatch",
      HTTP_BAD_REQUEST, "code", MSG_CODE_MISMATCH, false),
    O(COGERR_CTX_USE_CODE, COGERR_NOT_AUTHORIZED, "NotAuthorizedException", "code_mismatch",
      HTTP_BAD_REQUEST, "code",
      "That code cannot be used. If you have already confirmed your account, log in "
      "instead.",
      false),
    /* Using a code where accounts are hidden: a wrong or expired code, an
     * unknown email and a confirmed one (NotAuthorized) read exactly alike. */
    O(COGERR_CTX_USE_CODE_ALIKE, COGERR_CODE_MISMATCH, "CodeMismatchException",
      "code_mismatch", HTTP_BAD_REQUEST, "code", MSG_CODE_UNUSABLE, false),
    O(COGERR_CTX_USE_CODE_ALIKE, COGERR_EXPIRED_CODE, "ExpiredCodeException", "code_mismatch",
      HTTP_BAD_REQUEST, "code", MSG_CODE_UNUSABLE, false),
    O(COGERR_CTX_USE_CODE_ALIKE, COGERR_USER_NOT_FOUND, "UserNotFoundException",
      "code_mismatch", HTTP_BAD_REQUEST, "code", MSG_CODE_UNUSABLE, false),
    O(COGERR_CTX_USE_CODE_ALIKE, COGERR_NOT_AUTHORIZED, "NotAuthorizedException",
      "code_mismatch", HTTP_BAD_REQUEST, "code", MSG_CODE_UNUSABLE, false),
    /* A session's token was refused, or its user is gone. */
    O(COGERR_CTX_SESSION, COGERR_NOT_AUTHORIZED, "NotAuthorizedException", "session_expired",
      HTTP_UNAUTHORIZED, NULL, MSG_SESSION_ENDED, false),
    O(COGERR_CTX_SESSION, COGERR_USER_NOT_FOUND, "UserNotFoundException", "session_expired",
      HTTP_UNAUTHORIZED, NULL, MSG_SESSION_ENDED, false),
    /* A malformed token (cognito-local's answer to any undecodable one). */
    O(COGERR_CTX_SESSION, COGERR_INVALID_PARAMETER, "InvalidParameterException",
      "session_expired", HTTP_UNAUTHORIZED, NULL, MSG_SESSION_ENDED, false),
    /* ChangePassword: NotAuthorized is the previous password being wrong
     * (the caller refreshes an expired access token before calling). */
    O(COGERR_CTX_CHANGE_PASSWORD, COGERR_NOT_AUTHORIZED, "NotAuthorizedException",
      "incorrect_password", HTTP_BAD_REQUEST, "current_password",
      "Your current password is not correct.", false),
    O(COGERR_CTX_CHANGE_PASSWORD, COGERR_USER_NOT_FOUND, "UserNotFoundException",
      "session_expired", HTTP_UNAUTHORIZED, NULL, MSG_SESSION_ENDED, false),
    /* Admin calls: NotAuthorized is a refused change (an immutable attribute,
     * a disabled user), never a login. */
    O(COGERR_CTX_ADMIN, COGERR_NOT_AUTHORIZED, "NotAuthorizedException", "not_allowed",
      HTTP_FORBIDDEN, NULL, "This change is not allowed.", false),
    O(COGERR_CTX_ADMIN, COGERR_USER_DISABLED, "NotAuthorizedException", "user_disabled",
      HTTP_CONFLICT, NULL, "This user is disabled: enable them first.", false),
    /* A disabled user's refresh is an ended session, as any refused one. */
    O(COGERR_CTX_SESSION, COGERR_USER_DISABLED, "NotAuthorizedException", "session_expired",
      HTTP_UNAUTHORIZED, NULL, MSG_SESSION_ENDED, false),
};

#define OVERRIDES_COUNT (sizeof(overrides) / sizeof(*overrides))

const char *cogerr_base_type(const char *type, char *out, size_t outlen)
{
    if (outlen == 0)
        return out;
    out[0] = '\0';
    if (!type)
        return out;
    /* AWS JSON protocols: "ns#Name" in the body, and sometimes "Name:detail"
     * (as in the x-amzn-ErrorType header). Cut the detail, then the prefix. */
    size_t len = strcspn(type, ":");
    const char *start = type;
    for (size_t i = 0; i < len; i++)
        if (type[i] == '#')
            start = type + i + 1;
    len -= (size_t)(start - type);
    if (len >= outlen)
        len = outlen - 1;
    memcpy(out, start, len);
    out[len] = '\0';
    return out;
}

/* Longer than any listed type, so a longer input cannot match by truncation. */
#define TYPE_NAME_MAX 64

enum cogerr cogerr_from_type(const char *type)
{
    char name[TYPE_NAME_MAX + 2];
    cogerr_base_type(type, name, sizeof(name));
    if (!name[0])
        return COGERR_UNKNOWN;
    for (int e = COGERR_NONE + 1; e < COGERR_COUNT; e++)
        if (entries[e].type && !strcmp(entries[e].type, name))
            return (enum cogerr)e;
    return COGERR_UNKNOWN;
}

const struct cogerr_info *cogerr_get(enum cogerr err, enum cogerr_ctx ctx)
{
    if (err == COGERR_NONE)
        return NULL;
    if ((int)err < 0 || err >= COGERR_COUNT)
        err = COGERR_UNKNOWN;
    for (size_t i = 0; i < OVERRIDES_COUNT; i++)
        if (overrides[i].ctx == ctx && overrides[i].info.err == err)
            return &overrides[i].info;
    return &entries[err];
}

bool cogerr_transient(enum cogerr err, enum cogerr_ctx ctx)
{
    const struct cogerr_info *info = cogerr_get(err, ctx);
    return info && (info->status >= HTTP_INTERNAL || info->status == HTTP_TOO_MANY);
}
