/* SPDX-License-Identifier: MIT */
/* reauth: re-authentication for sensitive steps — "a password entered in
 * the last REAUTH_WINDOW_S seconds" (Kratos' privileged session). Turning
 * MFA off, changing the email and deleting the account ask reauth_fresh
 * first; when it says no, the page sends the person to /account/reauth
 * (pages/reauth.h), which asks reauth_prove and comes back.
 *
 * A proof is an opaque string bound to one session (its id's digest) and
 * tenant and stamped with its time, made with a key derived from
 * SESSION_KEY: it cannot be forged, moved to another session or tenant, or
 * used past the window. The caller keeps it beside the session (the pages
 * in an HttpOnly cookie); nothing is stored server-side. A session whose
 * sign-in itself is that recent needs no proof.
 *
 * Usage (a page handler, with the pipeline's session s):
 *     if (!reauth_fresh(t, s, proof_from_cookie, time(NULL)))
 *         -> redirect to /account/reauth?return=<this page>
 * and, on the re-authentication page:
 *     reauth_prove(t, s, password, addr, id, proof, &wait) == REAUTH_OK
 *         -> keep proof, go back to return (a local path only). */
#ifndef GH_REAUTH_H
#define GH_REAUTH_H

#include <stdbool.h>
#include <time.h>

#include "core/limits.h"

struct sess_session;
struct tenant;

enum reauth_outcome {
    REAUTH_OK,          /* the password is right: proof holds the new proof */
    REAUTH_WRONG,       /* the password is wrong (counted as a failed sign-in) */
    REAUTH_LOCKED,      /* too many failures (svc/throttle.h): *retry_after_s */
    REAUTH_UNAVAILABLE, /* Cognito or the store could not answer */
};

/* reauth_password checks the password of email (the signed-in user's) as a
 * sign-in from client_addr (may be NULL), throttled like any sign-in: for
 * the JSON API, whose sensitive calls take the password in the body. */
enum reauth_outcome reauth_password(const struct tenant *t, const char *email,
                                    const char *password, const char *client_addr,
                                    const char *request_id, long long *retry_after_s);
/* reauth_prove is reauth_password for s's user, and on REAUTH_OK writes a
 * proof for s into proof. */
enum reauth_outcome reauth_prove(const struct tenant *t, const struct sess_session *s,
                                 const char *password, const char *client_addr,
                                 const char *request_id, char proof[REAUTH_PROOF_MAX + 1],
                                 long long *retry_after_s);
/* reauth_fresh is true when s signed in, or proof (may be NULL) was made
 * for s, less than REAUTH_WINDOW_S seconds before now. */
bool reauth_fresh(const struct tenant *t, const struct sess_session *s, const char *proof,
                  time_t now);

#endif
