/* SPDX-License-Identifier: MIT */
/* signin: password sign-in at a tenant's pool and what can come of it —
 * tokens, a challenge, an unconfirmed account, a refusal — plus the
 * refresh of a sign-in and its record in the users mirror. The pages and
 * the JSON API both sign in here; each tells the outcome its own way.
 *
 * A struct signin owns its Cognito result until signin_free; strings in it
 * (the challenge session) borrow from that result. */
#ifndef GH_SIGNIN_H
#define GH_SIGNIN_H

#include <stdbool.h>

#include "aws/cognito.h"

struct arena;
struct json_object;
struct tenant;

enum signin_outcome {
    SIGNIN_TOKENS,          /* result holds an AuthenticationResult */
    SIGNIN_NEW_PASSWORD,    /* NEW_PASSWORD_REQUIRED: challenge_session is set */
    SIGNIN_MFA,             /* SOFTWARE_TOKEN_MFA: the password was right, a TOTP
                             * code is wanted (svc/mfa.h); challenge_session is set */
    SIGNIN_OTHER_CHALLENGE, /* a challenge gatehouse does not offer */
    SIGNIN_UNCONFIRMED,     /* email not confirmed; code_sent tells if a fresh code went out */
    SIGNIN_REFUSED,         /* Cognito refused: result.err says why */
    SIGNIN_LOCKED,          /* too many failures (svc/throttle.h): Cognito was not
                             * asked; retry_after_s says for how long */
    SIGNIN_UNAVAILABLE,     /* the failure counts could not be read: Cognito was
                             * not asked (503) */
};

struct signin {
    enum signin_outcome outcome;
    struct cog_result result;
    const char *challenge_session;
    bool code_sent;
    long long retry_after_s; /* SIGNIN_LOCKED: seconds until the lock ends */
};

/* signin_password signs email in with password, from client_addr (as nginx
 * reports it; may be NULL), unless failed sign-ins of the email or the
 * address have locked it (svc/throttle.h): then the outcome is
 * SIGNIN_LOCKED, whatever the password. A wrong password or an unknown
 * email is counted; a right one clears the email's count. */
void signin_password(const struct tenant *t, const char *email, const char *password,
                     const char *client_addr, const char *request_id, struct signin *out);
/* signin_again signs in a user who has just proven their password (a
 * password change, with the new one): no lock of failed sign-ins applies,
 * and nothing is counted. */
void signin_again(const struct tenant *t, const char *email, const char *password,
                  struct signin *out);
/* signin_new_password answers the NEW_PASSWORD_REQUIRED challenge. */
void signin_new_password(const struct tenant *t, const char *email, const char *password,
                         const char *challenge_session, struct signin *out);
/* signin_refresh trades a refresh token for new tokens (REFRESH_TOKEN_AUTH);
 * username is the Cognito user name a secret-holding app client needs. */
void signin_refresh(const struct tenant *t, const char *refresh_token, const char *username,
                    struct signin *out);
/* signin_revoke revokes refresh_token at Cognito (RevokeToken): the sign-in
 * it belongs to ends there. Best effort: a refusal is logged with why, as
 * `what`, never told. A NULL or empty token does nothing. */
void signin_revoke(const struct tenant *t, const char *refresh_token, const char *what,
                   const char *request_id);
void signin_free(struct signin *s);

/* The user of a sign-in as the users mirror has them once it is recorded. */
struct signin_user {
    const char *name; /* the token's, else the mirror's; NULL when neither has one */
    const char *tier; /* a known tier, never NULL */
};

/* signin_mirror records a sign-in, from its verified id-token claims, in
 * the tenant's users mirror (profile and last sign-in) and tells, in out
 * (may be NULL), the user it is about. The tier is the mirror's: a user it
 * knows keeps the tier sign-up, an admin or the sync wrote, whatever the
 * token claims, since at some pools users can write their own attributes;
 * a user it does not know yet is taken as Cognito has them, as the sync
 * would. When the mirror cannot be read the tier is standard (logged).
 * Strings of out live in a. */
void signin_mirror(const struct tenant *t, struct json_object *claims, struct arena *a,
                   const char *request_id, struct signin_user *out);

#endif
