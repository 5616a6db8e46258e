/* SPDX-License-Identifier: MIT */
/* resend: one code per email and purpose per wait (see resend.h).
 *
 * The claim comes before the call to Cognito, in one statement that two
 * racing requests cannot both pass (store/codesends.c): checking after
 * would let a burst through. When Cognito then could not send for a
 * passing reason (down, slow, throttling) the claim is released, so the
 * person may try again as soon as it is back rather than after the wait.
 * Keys are derived as the sign-in throttle's are (svc_derive_key), under a
 * label of their own, so the two tables' digests never match. */
#include "svc/resend.h"

#include <string.h>

#include "core/limits.h"
#include "core/log.h"
#include "store/codesends.h"
#include "svc/password.h"
#include "svc/registration.h"
#include "svc/svc.h"

#define KEY_LABEL "gatehouse code-sends v1" /* names the derived key */

/* The words must say what the constants say. */
_Static_assert(CODESENDS_KEY_BYTES == SVC_KEY_BYTES, "a code-sends key is a derived key");
_Static_assert(CODE_CONFIRM_LIFETIME_S == 24 * 60 * 60, "confirmation code lifetime words");
_Static_assert(CODE_RESET_LIFETIME_S == 60 * 60, "reset code lifetime words");

static const char *purpose_name(enum resend_purpose purpose)
{
    return purpose == RESEND_RESET ? "reset" : "confirm";
}

enum resend_outcome resend_code(const struct tenant *t, enum resend_purpose purpose,
                                const char *email, const char *request_id,
                                struct cog_result *r, long long *left_s)
{
    unsigned char key[CODESENDS_KEY_BYTES];
    memset(r, 0, sizeof(*r));
    *left_s = 0;
    if (!svc_derive_key(KEY_LABEL, purpose_name(purpose), t->slug, email, key) ||
        codesends_claim(t->slug, key, CODE_RESEND_COOLDOWN_S, left_s) != STORE_OK) {
        log_event(LOG_WARN, "resend_unavailable", "id=%s tenant=%s", request_id, t->slug);
        return RESEND_UNAVAILABLE;
    }
    if (*left_s > 0) {
        log_event(LOG_INFO, "resend_waiting", "id=%s tenant=%s purpose=%s left_s=%lld",
                  request_id, t->slug, purpose_name(purpose), *left_s);
        return RESEND_WAIT;
    }
    int rc = purpose == RESEND_RESET ? password_forgot(t, email, r)
                                     : registration_send_code(t, email, r);
    if (rc < 0 && cogerr_transient(r->err, COGERR_CTX_SEND_CODE) &&
        codesends_release(t->slug, key) != STORE_OK)
        log_event(LOG_WARN, "resend_not_released", "id=%s tenant=%s", request_id, t->slug);
    return RESEND_ASKED;
}

long long resend_left(const struct tenant *t, enum resend_purpose purpose, const char *email)
{
    unsigned char key[CODESENDS_KEY_BYTES];
    long long left = 0;
    if (!email || !svc_derive_key(KEY_LABEL, purpose_name(purpose), t->slug, email, key) ||
        codesends_left(t->slug, key, CODE_RESEND_COOLDOWN_S, &left) != STORE_OK)
        return 0;
    return left;
}

const char *resend_lifetime_words(enum resend_purpose purpose)
{
    return purpose == RESEND_RESET ? "1 hour" : "24 hours";
}
