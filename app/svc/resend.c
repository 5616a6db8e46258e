/* SPDX-License-Identifier: MIT */
/* resend: one code per email and purpose per wait (see resend.h).
 *
 * The claim comes before the call to Cognito, in one statement that two
 * racing requests cannot both pass (store/codesends.c): checking after
 * would let a burst through. When Cognito then could not send for a
 * passing reason (down, slow, throttling) the claim is released, so the
 * person may try again as soon as it is back rather than after the wait.
 * Keys are derived as the sign-in throttle's are (svc/throttle.c), under a
 * label of their own, so the two tables' digests never match. */
#include "svc/resend.h"

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "store/codesends.h"
#include "svc/password.h"
#include "svc/registration.h"
#include "svc/svc.h"

#define KEY_LABEL "gatehouse code-sends v1" /* names the derived key */
#define KEY_TEXT_MAX 512 /* purpose, tenant and email, with separators */

/* The words must say what the constants say. */
_Static_assert(CODE_CONFIRM_LIFETIME_S == 24 * 60 * 60, "confirmation code lifetime words");
_Static_assert(CODE_RESET_LIFETIME_S == 60 * 60, "reset code lifetime words");

static const char *purpose_name(enum resend_purpose purpose)
{
    return purpose == RESEND_RESET ? "reset" : "confirm";
}

/* key_of derives the key of purpose for email at tenant (lower-cased,
 * ASCII as input_check_email admits). False without SESSION_KEY. */
static bool key_of(enum resend_purpose purpose, const char *tenant, const char *email,
                   unsigned char out[CODESENDS_KEY_BYTES])
{
    const struct config *cfg = svc_config();
    unsigned char derived[SEAL_SHA256_BYTES];
    char text[KEY_TEXT_MAX];
    if (!cfg || !cfg->has_session_key || !tenant || !email)
        return false;
    int n = snprintf(text, sizeof(text), "%s\n%s\n%s", purpose_name(purpose), tenant, email);
    if (n < 0 || (size_t)n >= sizeof(text))
        return false;
    for (char *p = text; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    seal_hmac_sha256(cfg->session_key, CONFIG_SESSION_KEY_BYTES, KEY_LABEL, strlen(KEY_LABEL),
                     derived);
    seal_hmac_sha256(derived, sizeof(derived), text, (size_t)n, out);
    seal_wipe(derived, sizeof(derived));
    seal_wipe(text, sizeof(text));
    return true;
}

enum resend_outcome resend_code(const struct tenant *t, enum resend_purpose purpose,
                                const char *email, const char *request_id,
                                struct cog_result *r, long long *left_s)
{
    unsigned char key[CODESENDS_KEY_BYTES];
    memset(r, 0, sizeof(*r));
    *left_s = 0;
    if (!key_of(purpose, t->slug, email, key) ||
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
    if (!email || !key_of(purpose, t->slug, email, key) ||
        codesends_left(t->slug, key, CODE_RESEND_COOLDOWN_S, &left) != STORE_OK)
        return 0;
    return left;
}

const char *resend_lifetime_words(enum resend_purpose purpose)
{
    return purpose == RESEND_RESET ? "1 hour" : "24 hours";
}
