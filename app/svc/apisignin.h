/* SPDX-License-Identifier: MIT */
/* apisignin: the JSON API's sign-ins, kept server-side (store/signins) so
 * that the server decides which refresh tokens still work: a login records
 * its sign-in, a refresh must find it (and uses the Cognito user name kept
 * with it, so a client sends only the refresh token), a logout ends it
 * whatever its body holds, and a password reset or change ends all of a
 * user's (svc/session's session_end_user).
 *
 * Ownership as in svc/signin: a struct signin owns its Cognito result until
 * signin_free. No token is ever logged. */
#ifndef GH_APISIGNIN_H
#define GH_APISIGNIN_H

#include <stdbool.h>

#include "svc/signin.h"

struct tenant;

/* apisignin_start records the sign-in of a login's tokens (auth, an
 * AuthenticationResult with a refresh token), with the User-Agent and the
 * address it came from (either may be NULL) for "Your devices". False when
 * it could not be recorded: the refresh token would be refused, so the
 * login must fail. */
bool apisignin_start(const struct tenant *t, const struct cog_result *auth,
                     const char *user_agent, const char *client_addr, const char *request_id);
/* apisignin_refresh trades refresh_token for new tokens when its sign-in is
 * still alive at t; a sign-in Cognito no longer honours is ended. out is as
 * signin_refresh leaves it; an unknown or ended sign-in is SIGNIN_REFUSED
 * with COGERR_NOT_AUTHORIZED. */
void apisignin_refresh(const struct tenant *t, const char *refresh_token, struct signin *out);
/* apisignin_end ends user sub's sign-in that refresh_token names (may be
 * NULL) or, without one, the sign-in that gave out the access token jti,
 * and revokes its refresh token at Cognito. */
void apisignin_end(const struct tenant *t, const char *sub, const char *jti,
                   const char *refresh_token, const char *request_id);

#endif
