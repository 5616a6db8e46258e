/* SPDX-License-Identifier: MIT */
/* mfa: TOTP multi-factor authentication (Cognito's SOFTWARE_TOKEN_MFA) —
 * a signed-in user's enrolment (a new secret, its first code, then TOTP on
 * and preferred), turning it off, whether it is on, and the challenge a
 * sign-in meets once the password was right.
 *
 * The challenge (Cognito's session, the email, remember-me, where to go
 * next) is handed to the browser or the API client sealed: AES-GCM under a
 * key derived from SESSION_KEY, bound to the tenant, with its own expiry,
 * so a client can carry it but neither read nor alter it, nor take it to
 * another tenant, nor use it past MFA_CHALLENGE_TTL_S. The pages keep it in
 * an HttpOnly cookie, never in a URL or a form (pages/login.c).
 *
 * Codes are guessed at most as fast as passwords: a wrong code counts as a
 * failed sign-in of the email and the address (svc/throttle.h), and only a
 * whole sign-in (the right code) clears the account's count.
 *
 * Strings of the structs below live in the caller's arena unless said. */
#ifndef GH_MFA_H
#define GH_MFA_H

#include <stdbool.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/limits.h"
#include "svc/signin.h"

struct arena;
struct sess_session;
struct tenant;

/* What a sealed challenge holds. */
struct mfa_challenge {
    const char *session; /* Cognito's challenge session */
    const char *email;   /* who is signing in */
    const char *next;    /* a local path to go to afterwards; may be NULL */
    bool remember;       /* the remember-me choice of the password step */
    time_t expires_at;
};

/* mfa_challenge_seal writes c, sealed for tenant t, into *out (in a).
 * c->expires_at is set here: now + MFA_CHALLENGE_TTL_S. False without
 * SESSION_KEY or when c does not fit MFA_CHALLENGE_SEALED_MAX. */
bool mfa_challenge_seal(const struct tenant *t, struct mfa_challenge *c, struct arena *a,
                        const char **out);
/* mfa_challenge_open opens sealed (from mfa_challenge_seal, for the same
 * tenant) into *c; false when it is not one, was altered, belongs to
 * another tenant or has expired at now. */
bool mfa_challenge_open(const struct tenant *t, const char *sealed, time_t now,
                        struct arena *a, struct mfa_challenge *c);

/* mfa_answer answers the SOFTWARE_TOKEN_MFA challenge c with code, from
 * client_addr (may be NULL): SIGNIN_TOKENS, SIGNIN_REFUSED (result.err:
 * COGERR_CODE_MISMATCH for a wrong code, else an expired or refused
 * session), SIGNIN_LOCKED or SIGNIN_UNAVAILABLE, as signin_password. */
void mfa_answer(const struct tenant *t, const struct mfa_challenge *c, const char *code,
                const char *client_addr, const char *request_id, struct signin *out);

/* A new secret for the user's authenticator. */
struct mfa_secret {
    const char *secret; /* base32, for typing in */
    const char *uri;    /* otpauth://totp/<tenant>:<email>?secret=…&issuer=<tenant> */
};

/* The calls below act for the user whose access token is given. Each
 * returns 0, or -1 with r telling Cognito's refusal (r is always filled and
 * released by the caller with cog_result_free). */

/* mfa_enabled tells whether TOTP is on for the user (GetUser). */
int mfa_enabled(const struct tenant *t, const char *access_token, bool *on,
                struct cog_result *r);
/* mfa_begin asks Cognito for a new secret (AssociateSoftwareToken) for the
 * user email; a secret not yet confirmed replaces any earlier one. */
int mfa_begin(const struct tenant *t, const char *access_token, const char *email,
              struct arena *a, struct mfa_secret *out, struct cog_result *r);
/* mfa_confirm checks the first code of the new secret (VerifySoftwareToken,
 * with device_name, may be NULL) and turns TOTP on, preferred. */
int mfa_confirm(const struct tenant *t, const char *access_token, const char *code,
                const char *device_name, struct cog_result *r);
/* mfa_disable turns TOTP off. The caller has checked a recent password
 * (svc/reauth.h). */
int mfa_disable(const struct tenant *t, const char *access_token, struct cog_result *r);

/* mfa_note records in the users mirror whether user sub has TOTP on, as a
 * call above just learnt it, for the admin's list and its MFA filter
 * (ListUsers does not tell it, so the users sync cannot). A failure is only
 * logged: the person's step has succeeded at Cognito all the same. */
void mfa_note(const struct tenant *t, const char *sub, bool on);

/* Where the tenant requires TOTP, a session may open pages other than the
 * enrolment only once its sign-in passed a TOTP code, or its user turned
 * TOTP on: the pages keep a mark of that beside the session. A mark is
 * bound to one session (its id's digest) and tenant with a key derived
 * from SESSION_KEY, so it can be neither forged nor moved. */
#define MFA_MARK_MAX 64 /* bytes of a mark, base64url */
/* mfa_session_mark writes the mark of s into mark; false without SESSION_KEY. */
bool mfa_session_mark(const struct tenant *t, const struct sess_session *s,
                      char mark[MFA_MARK_MAX + 1]);
/* mfa_session_marked is true when mark (may be NULL) is s's. */
bool mfa_session_marked(const struct tenant *t, const struct sess_session *s,
                        const char *mark);

/* mfa_check_code is NULL for a well-formed TOTP code (MFA_CODE_DIGITS
 * digits), else what to tell the person. */
const char *mfa_check_code(const char *code);

#endif
