/* SPDX-License-Identifier: MIT */
/* signin: password sign-in and refresh (see signin.h).
 *
 * An unconfirmed account is sent a fresh code at once, so nobody is
 * stranded between sign-up and confirmation. The mirror records a sign-in
 * only from claims that were verified, and never takes a known user's tier
 * from them (see signin.h). A password sign-in asks svc/throttle first and
 * tells it how the password fared. Passwords and tokens are never logged. */
#include "svc/signin.h"

#include <string.h>
#include <time.h>

#include "aws/cogerr.h"
#include "core/log.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"
#include "svc/throttle.h"
#include "svc/tier.h"
#include "svc/tokens.h"

#define CHALLENGE_NEW_PASSWORD "NEW_PASSWORD_REQUIRED"
#define CHALLENGE_TOTP "SOFTWARE_TOKEN_MFA"
#define STATUS_CONFIRMED "CONFIRMED"
#define BAD_CREDENTIALS "not_authorized" /* the catalogue's code for them at login */

/* settle reads what a call that authenticates came to. */
static void settle(const struct cog_client *c, const char *email, int rc, struct signin *out)
{
    if (rc < 0) {
        out->outcome = SIGNIN_REFUSED;
        if (out->result.err == COGERR_USER_NOT_CONFIRMED && email) {
            struct cog_params p = {.username = email};
            struct cog_result r;
            out->code_sent = cog_run(c, COG_RESEND_CODE, &p, &r) == 0;
            cog_result_free(&r);
            out->outcome = SIGNIN_UNCONFIRMED;
        }
        return;
    }
    const char *challenge = cog_get(&out->result, "ChallengeName");
    if (!challenge) {
        out->outcome = SIGNIN_TOKENS;
        return;
    }
    out->challenge_session = cog_get(&out->result, "Session");
    if (!out->challenge_session)
        out->outcome = SIGNIN_OTHER_CHALLENGE;
    else if (!strcmp(challenge, CHALLENGE_NEW_PASSWORD))
        out->outcome = SIGNIN_NEW_PASSWORD;
    else if (!strcmp(challenge, CHALLENGE_TOTP))
        out->outcome = SIGNIN_MFA;
    else
        out->outcome = SIGNIN_OTHER_CHALLENGE;
}

/* guessed tells whether a refusal at login is told as bad credentials
 * (the catalogue's "not_authorized" at login: a wrong password, an unknown
 * email, or a password cognito-local calls invalid rather than wrong): what
 * a guesser gets. Throttling, outages and the like say nothing of the
 * password and are not counted. */
static bool guessed(const struct signin *in)
{
    return in->outcome == SIGNIN_REFUSED &&
           !strcmp(cogerr_get(in->result.err, COGERR_CTX_LOGIN)->code, BAD_CREDENTIALS);
}

/* proven tells whether Cognito accepted the password: tokens, or a
 * challenge, which comes only after the right password. An unconfirmed
 * account is neither proven nor counted: not every Cognito says whether the
 * password was right before it says the account is unconfirmed. A TOTP
 * challenge is not a whole sign-in yet: the count stays until the code is
 * right (svc/mfa.c), so wrong codes add up across password steps. */
static bool proven(const struct signin *in)
{
    return in->outcome == SIGNIN_TOKENS || in->outcome == SIGNIN_NEW_PASSWORD ||
           in->outcome == SIGNIN_OTHER_CHALLENGE;
}

/* login asks Cognito to sign email in with password. */
static void login(const struct tenant *t, const char *email, const char *password,
                  struct signin *out)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email, .password = password};
    settle(&c, email, cog_run(&c, COG_LOGIN, &p, &out->result), out);
}

void signin_password(const struct tenant *t, const char *email, const char *password,
                     const char *client_addr, const char *request_id, struct signin *out)
{
    struct throttle th;
    memset(out, 0, sizeof(*out));
    switch (throttle_check(t->slug, email, client_addr, request_id, &th)) {
    case THROTTLE_GO:
        break;
    case THROTTLE_LOCKED:
        out->outcome = SIGNIN_LOCKED;
        out->retry_after_s = th.state.wait_s;
        return;
    case THROTTLE_UNAVAILABLE:
    default:
        out->outcome = SIGNIN_UNAVAILABLE;
        return;
    }
    login(t, email, password, out);
    if (guessed(out))
        throttle_failed(t->slug, &th, request_id);
    else if (proven(out))
        throttle_passed(t->slug, &th, request_id);
}

void signin_again(const struct tenant *t, const char *email, const char *password,
                  struct signin *out)
{
    memset(out, 0, sizeof(*out));
    login(t, email, password, out);
}

void signin_new_password(const struct tenant *t, const char *email, const char *password,
                         const char *challenge_session, struct signin *out)
{
    struct cog_client c;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_params p = {.username = email, .password = password,
                           .session = challenge_session};
    settle(&c, NULL, cog_run(&c, COG_NEW_PASSWORD, &p, &out->result), out);
}

void signin_refresh(const struct tenant *t, const char *refresh_token, const char *username,
                    struct signin *out)
{
    struct cog_client c;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_params p = {.refresh_token = refresh_token, .username = username};
    settle(&c, NULL, cog_run(&c, COG_REFRESH, &p, &out->result), out);
}

void signin_revoke(const struct tenant *t, const char *refresh_token, const char *what,
                   const char *request_id)
{
    if (!refresh_token || !*refresh_token)
        return;
    struct cog_client c;
    struct cog_result r;
    svc_client(t, &c);
    struct cog_params p = {.refresh_token = refresh_token};
    if (cog_run(&c, COG_REVOKE_TOKEN, &p, &r) < 0)
        log_event(LOG_INFO, "refresh_not_revoked", "id=%s what=%s type=%s", request_id, what,
                  r.type[0] ? r.type : "-");
    cog_result_free(&r);
}

void signin_free(struct signin *s)
{
    cog_result_free(&s->result);
    s->challenge_session = NULL;
}

void signin_mirror(const struct tenant *t, struct json_object *claims, struct arena *a,
                   const char *request_id, struct signin_user *out)
{
    const char *sub = tokens_claim(claims, "sub"), *email = tokens_claim(claims, "email");
    const char *claimed_tier = tokens_claim(claims, "custom:user_tier");
    struct users_user known;
    enum store_result found = sub ? users_get(t->slug, sub, a, &known) : STORE_ERROR;
    struct users_user u = {.sub = sub, .email = email, .name = tokens_claim(claims, "name"),
                           .status = STATUS_CONFIRMED, .enabled = true};
    if (!u.name && found == STORE_OK)
        u.name = known.name;
    /* Only a user the mirror has never seen takes the tier Cognito holds. */
    if (found == STORE_NOT_FOUND && tier_known(claimed_tier))
        u.tier = claimed_tier;
    time_t now = time(NULL);
    if (!sub || !email || (found != STORE_OK && found != STORE_NOT_FOUND) ||
        users_upsert(t->slug, &u, now, USERS_MERGE) != STORE_OK ||
        users_touch_login(t->slug, sub, now) != STORE_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", request_id);
    if (!out)
        return;
    out->name = u.name;
    out->tier = found == STORE_OK ? tier_or_standard(known.tier)
                : found == STORE_NOT_FOUND ? tier_or_standard(claimed_tier)
                                           : TIER_STANDARD;
}
