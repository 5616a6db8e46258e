/* SPDX-License-Identifier: MIT */
/* password: a forgotten password (a reset code by email, then a new
 * password with that code) and a signed-in user's password change.
 *
 * Each step returns 0, or -1 when Cognito refused; either way r holds
 * Cognito's answer, which the caller frees with cog_result_free. */
#ifndef GH_PASSWORD_H
#define GH_PASSWORD_H

#include "aws/cognito.h"

struct arena;
struct sess_session;
struct tenant;

/* password_forgot emails a reset code to email. */
int password_forgot(const struct tenant *t, const char *email, struct cog_result *r);
/* password_reset sets email's password with the emailed code and ends
 * every session and token of the user at t. */
int password_reset(const struct tenant *t, const char *email, const char *code,
                   const char *password, const char *request_id, struct cog_result *r);
/* password_change changes the password of session s's user and ends every
 * other session and token of the user at t; s is signed in again with the
 * new password (0), or, when that is refused, ended too (1: the caller
 * asks the person to log in). Returns -1 with r->err COGERR_UNAVAILABLE
 * when the session's tokens cannot be read. */
int password_change(const struct tenant *t, struct sess_session *s, struct arena *a,
                    const char *current, const char *password, const char *request_id,
                    struct cog_result *r);

#endif
