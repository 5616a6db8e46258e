/* SPDX-License-Identifier: MIT */
/* flash: messages for the page after a redirect (see flash.h).
 *
 * The catalogue below is the one place their wording lives. An unknown key
 * (an old cookie, a hand-made one) shows nothing. The cookie is __Host-,
 * HttpOnly, SameSite=Lax and lives for FLASH_MAX_AGE_S: long enough for the
 * redirect, short enough never to surprise anyone later. */
#include "pages/flash.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "http/cookies.h"

#define FLASH_COOKIE "__Host-gh_flash"
#define FLASH_MAX_AGE_S 60

static const struct {
    const char *key;
    const char *kind; /* Bootstrap alert kind */
    const char *message;
} catalogue[] = {
    {"code_sent", "info", "We emailed you a 6-digit confirmation code. Enter it below to activate your account."},
    /* The one answer to a sign-up where accounts are hidden, new or taken. */
    {"code_sent_any", "info", "We emailed a 6-digit confirmation code to this address: enter it below to activate your account. If you already have an account, log in or reset your password instead."},
    {"code_resent", "info", "If that account is waiting for confirmation, a new code is on its way."},
    {"confirmed", "success", "Your email is confirmed. You can log in now."},
    {"unconfirmed", "warning", "Please confirm your email first: we have sent you a new code."},
    {"logged_in", "success", "Welcome back."},
    {"logged_out", "info", "You have been logged out."},
    {"reset_sent", "info", "If an account uses that email, we have sent it a code to reset the password."},
    {"password_reset", "success", "Your password has been reset. Log in with the new one."},
    {"password_changed", "success", "Your password has been changed. Other sessions have been signed out."},
    {"password_changed_login", "success", "Your password has been changed and every session signed out. Log in with the new one."},
    {"login_required", "info", "Please log in to continue."},
    {"session_expired", "warning", "Your session has ended. Please log in again."},
    {"device_signed_out", "success", "That device has been signed out."},
    {"device_not_found", "warning", "That device was already signed out."},
    {"other_devices_signed_out", "success", "Every other device has been signed out."},
    {"reauthenticated", "success", "Thank you: you can go on."},
    {"reauth_required", "info", "Please enter your password again to continue."},
    {"user_deleted", "success", "The user has been deleted and signed out everywhere."},
    {"profile_updated", "success", "Your profile has been updated."},
    {"email_code_sent", "info", "We emailed a 6-digit code to the new address. Enter it below to switch to it."},
    {"email_changed", "success", "Your email address has been changed. Use the new one to log in."},
    {"account_deleted", "info", "Your account has been deleted. You can sign up again at any time."},
    {"mfa_expired", "warning", "The sign-in took too long. Please log in again."},
    {"mfa_on", "success", "Two-step verification is on. You will be asked for a code from your authenticator app when you log in."},
    {"mfa_required", "warning", "This service requires two-step verification. Set it up to continue."},
    {"mfa_off", "success", "Two-step verification is off."},
    {"upgrade_requested", "success", "Your request for Premium has been sent to the administrators."},
};

static void send(struct response *resp, const char *value, long max_age)
{
    struct cookie_attrs attrs = {
        .name = FLASH_COOKIE, .value = value, .path = "/", .max_age = max_age,
        .secure = true, .http_only = true, .same_site = COOKIE_SAMESITE_LAX,
    };
    struct buf header;
    buf_init(&header);
    if (cookie_format(&header, &attrs) == 0)
        resp_header(resp, "Set-Cookie", buf_cstr(&header));
    buf_free(&header);
}

void flash_set(struct response *resp, const char *key)
{
    send(resp, key, FLASH_MAX_AGE_S);
}

void flash_take(struct request *req, struct response *resp, struct json_object *ctx)
{
    const char *key = req_cookie(req, FLASH_COOKIE);
    if (!key)
        return;
    send(resp, "", COOKIE_EXPIRE_NOW);
    for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++) {
        if (strcmp(catalogue[i].key, key))
            continue;
        struct json_object *item = json_object_new_object();
        json_object_object_add(item, "kind", json_object_new_string(catalogue[i].kind));
        json_object_object_add(item, "message", json_object_new_string(catalogue[i].message));
        struct json_object *list = json_object_new_array();
        json_object_array_add(list, item);
        json_object_object_add(ctx, "flash", list);
        return;
    }
}

const char *flash_peek(struct request *req)
{
    const char *key = req_cookie(req, FLASH_COOKIE);
    for (size_t i = 0; key && i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
        if (!strcmp(catalogue[i].key, key))
            return catalogue[i].key;
    return NULL;
}
