/* SPDX-License-Identifier: MIT */
/* resend: emailed codes sent again, at most one per email and purpose per
 * CODE_RESEND_COOLDOWN_S (the wait is kept in PostgreSQL, so every worker
 * of every pool enforces it; store/codesends.h), and what people are told
 * of a code's life. A send inside the wait never reaches Cognito.
 *
 * The wait is kept for any well-formed email, with or without an account,
 * so it tells nothing about who is registered. It holds digests only. */
#ifndef GH_RESEND_H
#define GH_RESEND_H

#include "aws/cognito.h"
#include "store/tenants.h"

enum resend_purpose {
    RESEND_CONFIRM, /* a sign-up confirmation code (ResendConfirmationCode) */
    RESEND_RESET,   /* a password-reset code (ForgotPassword) */
};

enum resend_outcome {
    RESEND_ASKED,       /* Cognito was asked: r holds its answer (check r->err) */
    RESEND_WAIT,        /* inside the wait: nothing sent; *left_s seconds remain */
    RESEND_UNAVAILABLE, /* the wait could not be read: nothing sent (503) */
};

/* resend_code sends a new code of purpose to email (input_check_email has
 * passed it) at t, unless one went out less than the wait ago. On
 * RESEND_ASKED the caller frees r (cog_result_free); a send Cognito failed
 * to make for a passing reason (it was down or busy) does not start the
 * wait. */
enum resend_outcome resend_code(const struct tenant *t, enum resend_purpose purpose,
                                const char *email, const char *request_id,
                                struct cog_result *r, long long *left_s);
/* resend_left is the seconds left before a new code of purpose may go to
 * email (0: now, or not known), for a page to show. */
long long resend_left(const struct tenant *t, enum resend_purpose purpose, const char *email);
/* resend_lifetime_words says how long a code of purpose stays usable, in
 * words ("24 hours"); a static string. */
const char *resend_lifetime_words(enum resend_purpose purpose);

#endif
