/* SPDX-License-Identifier: MIT */
/* reauth: re-authentication for sensitive steps (Kratos' "privileged
 * session"). Changing the email, turning two-step verification off and
 * deleting the account need the password entered on this very session
 * within REAUTH_FRESH_S (its sign-in, or a proof since): a cookie stolen or a
 * browser left open is not enough for them. The proof time is kept on the
 * session's row (store/sessions: sess_set_reauth), so it is the session's
 * alone and ends with it.
 *
 * Ownership: a struct cog_result filled here is the caller's to free. The
 * password is never logged nor kept. */
#ifndef GH_REAUTH_H
#define GH_REAUTH_H

#include <stdbool.h>

struct cog_result;
struct sess_session;
struct tenant;

/* reauth_fresh is true when s's user entered their password on s in the
 * last REAUTH_FRESH_S seconds: at the sign-in that made s, or as a proof
 * since (false also when that cannot be read). */
bool reauth_fresh(const struct sess_session *s);
/* reauth_prove checks password against Cognito for s's user (throttled as
 * a sign-in is: svc/throttle) and, when it is right, notes the proof on s.
 * 0 ok, -1 refused: r->err and r->error say why (a wrong password, a lock,
 * Cognito or PostgreSQL unavailable). r is always filled. */
int reauth_prove(const struct tenant *t, struct sess_session *s, const char *password,
                 const char *request_id, struct cog_result *r);
/* reauth_check_password is the proof without a session (the JSON API,
 * whose sensitive calls carry the password): 0 when password is user sub's
 * (email), -1 as reauth_prove. Nothing is noted anywhere. */
int reauth_check_password(const struct tenant *t, const char *sub, const char *email,
                          const char *password, const char *request_id, struct cog_result *r);

#endif
