/* SPDX-License-Identifier: MIT */
/* reauth: re-authentication on a session (see reauth.h).
 *
 * The proof is a password sign-in of the session's own user (its email, so
 * no form field can name another account), through signin_password: failed
 * attempts count towards the same lock as failed logins, so this page is no
 * side door for guessing. The sign-in's tokens must verify and name the
 * session's sub; they are not kept: their refresh token is revoked at once,
 * so the proof leaves no live sign-in behind. A pool that answers the
 * password with an MFA challenge has checked the password: that counts as
 * proof here, as the step asks for the password only. */
#include "svc/reauth.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/signin.h"
#include "svc/tokens.h"

bool reauth_fresh(const struct sess_session *s)
{
    time_t at = 0, now = time(NULL);
    if (!s)
        return false;
    /* The sign-in that made the session was a password entered too. */
    if (s->created_at <= now && now - s->created_at < REAUTH_FRESH_S)
        return true;
    if (sess_reauth_at(s, &at) != STORE_OK || at <= 0)
        return false;
    return at <= now && now - at < REAUTH_FRESH_S;
}

static void refuse(struct cog_result *r, enum cogerr err)
{
    memset(r, 0, sizeof(*r));
    r->err = err;
    r->error = cogerr_get(err, COGERR_CTX_LOGIN);
}

int reauth_check_password(const struct tenant *t, const char *sub, const char *email,
                          const char *password, const char *request_id, struct cog_result *r)
{
    struct signin in;
    struct json_object *claims = NULL;
    int rc = -1;

    memset(&in, 0, sizeof(in));
    if (!sub || !email || !password || !*password || strlen(password) > INPUT_PASSWORD_MAX) {
        refuse(r, COGERR_NOT_AUTHORIZED);
        goto out;
    }
    signin_password(t, email, password, NULL, request_id, &in);
    switch (in.outcome) {
    case SIGNIN_TOKENS:
        claims = tokens_verify_result(t, &in.result, request_id);
        /* The sign-in was made only to prove the password: it ends now. */
        signin_revoke(t, cog_get(&in.result, "AuthenticationResult.RefreshToken"), "reauth",
                      request_id);
        if (!claims || !tokens_claim(claims, "sub") || strcmp(tokens_claim(claims, "sub"), sub)) {
            refuse(r, COGERR_NOT_AUTHORIZED);
            goto out;
        }
        break;
    case SIGNIN_MFA: /* Cognito asks for a code only after the right password */
    case SIGNIN_OTHER_CHALLENGE:
        break;
    case SIGNIN_LOCKED:
        refuse(r, COGERR_TOO_MANY_FAILED_ATTEMPTS);
        goto out;
    case SIGNIN_UNAVAILABLE:
        refuse(r, COGERR_UNAVAILABLE);
        goto out;
    case SIGNIN_REFUSED:
        *r = in.result; /* the caller frees it now */
        memset(&in.result, 0, sizeof(in.result));
        goto out;
    default:
        refuse(r, COGERR_NOT_AUTHORIZED);
        goto out;
    }
    memset(r, 0, sizeof(*r));
    rc = 0;
out:
    if (rc < 0)
        log_event(LOG_INFO, "reauth_refused", "id=%s tenant=%s err=%d", request_id, t->slug,
                  (int)r->err);
    json_object_put(claims);
    signin_free(&in);
    return rc;
}

int reauth_prove(const struct tenant *t, struct sess_session *s, const char *password,
                 const char *request_id, struct cog_result *r)
{
    if (reauth_check_password(t, s->sub, s->email, password, request_id, r) < 0)
        return -1;
    enum store_result st = sess_set_reauth(s, time(NULL));
    if (st != STORE_OK) {
        refuse(r, st == STORE_NOT_FOUND ? COGERR_NOT_AUTHORIZED : COGERR_UNAVAILABLE);
        return -1;
    }
    log_event(LOG_INFO, "reauthenticated", "id=%s tenant=%s", request_id, t->slug);
    return 0;
}
