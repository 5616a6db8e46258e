/* SPDX-License-Identifier: MIT */
/* signin: password sign-in and refresh (see signin.h).
 *
 * An unconfirmed account is sent a fresh code at once, so nobody is
 * stranded between sign-up and confirmation. The mirror records a sign-in
 * only from claims that were verified, and never takes a known user's tier
 * from them (see signin.h). Passwords and tokens are never logged. */
#include "svc/signin.h"

#include <string.h>
#include <time.h>

#include "core/log.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/tokens.h"

#define CHALLENGE_NEW_PASSWORD "NEW_PASSWORD_REQUIRED"
#define STATUS_CONFIRMED "CONFIRMED"

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
    out->outcome = !strcmp(challenge, CHALLENGE_NEW_PASSWORD) && out->challenge_session
                       ? SIGNIN_NEW_PASSWORD
                       : SIGNIN_OTHER_CHALLENGE;
}

void signin_password(const struct tenant *t, const char *email, const char *password,
                     struct signin *out)
{
    struct cog_client c;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_params p = {.username = email, .password = password};
    settle(&c, email, cog_run(&c, COG_LOGIN, &p, &out->result), out);
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
