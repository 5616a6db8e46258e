/* SPDX-License-Identifier: MIT */
/* session: a browser's signed-in session — started from a verified
 * sign-in, loaded from its cookie, kept fresh (an access token near expiry
 * is refreshed), ended (revoked at Cognito and deleted), and ended for
 * every browser and API sign-in of the user after a password change or
 * reset (the changing session renewed with the new password). The cookie
 * itself is the caller's (pages/browser.h): these steps never see HTTP.
 *
 * Loaded and started sessions live in the caller's arena; the tokens of a
 * session are wiped from the stack as soon as a call has used them. */
#ifndef GH_SESSION_H
#define GH_SESSION_H

#include <stdbool.h>

#include "store/sessions.h"

struct arena;
struct cog_result;
struct tenant;

enum session_outcome {
    SESSION_OK,
    SESSION_ENDED,       /* no live session, or its sign-in was refused: sign in again */
    SESSION_UNVERIFIED,  /* the sign-in's tokens did not verify */
    SESSION_UNAVAILABLE, /* PostgreSQL or Cognito is briefly unavailable */
    SESSION_ERROR,       /* a bug or bad data */
};

/* Where a session starts: for its row and the log. Any may be NULL. */
struct session_origin {
    const char *request_id, *user_agent, *client_addr;
};

/* session_start verifies the tokens of a successful authentication (auth),
 * records the sign-in in the users mirror and makes a session with a new
 * id: on SESSION_OK id holds the cookie value and *out the session. */
enum session_outcome session_start(const struct tenant *t, const struct cog_result *auth,
                                   bool remember, const struct session_origin *origin,
                                   struct arena *a, char id[SESS_ID_LEN + 1],
                                   struct sess_session **out);
/* session_load finds the live session a cookie names at tenant t. */
enum session_outcome session_load(const struct tenant *t, const char *cookie, struct arena *a,
                                  struct sess_session **out);
/* session_due is true when s's access token expires within
 * ACCESS_EARLY_REFRESH_S (or has expired): session_fresh would call Cognito. */
bool session_due(const struct sess_session *s);
/* session_fresh makes sure s's access token is good for a while, refreshing
 * it (and the tier and groups with it) when it is not. A refresh Cognito
 * refuses deletes the session (the row named by cookie): SESSION_ENDED. */
enum session_outcome session_fresh(const struct tenant *t, struct sess_session *s,
                                   const char *cookie, struct arena *a, const char *request_id);
/* session_tokens loads s's tokens for a Cognito call made on its behalf. */
enum session_outcome session_tokens(struct sess_session *s, struct arena *a);
/* session_end signs s out at Cognito and in the API's revocation list (best
 * effort) and deletes the session named by cookie. s may be NULL. */
void session_end(const struct tenant *t, struct sess_session *s, const char *cookie,
                 struct arena *a, const char *request_id);
/* session_end_user ends every sign-in of user sub at t, for a password
 * reset or change: Cognito's global sign-out, a cut-off in the revocation
 * list for every bearer token issued so far, every browser session but keep
 * (may be NULL) and every API sign-in. It returns once the cut-off's second
 * is over, so tokens issued afterwards are not caught by it. Not
 * SESSION_OK: a step the store could not take (logged; the rest is done). */
enum session_outcome session_end_user(const struct tenant *t, const char *sub,
                                      const struct sess_session *keep, const char *request_id);
/* session_renew gives s the tokens of a new sign-in of its user (auth, an
 * AuthenticationResult): after a password change ended all the rest. */
enum session_outcome session_renew(const struct tenant *t, struct sess_session *s,
                                   struct arena *a, const struct cog_result *auth,
                                   const char *request_id);
/* session_is_admin is true when s's user is in the tenant admin group. */
bool session_is_admin(const struct sess_session *s);

#endif
