/* SPDX-License-Identifier: MIT */
/* password: forgotten passwords and password changes (see password.h).
 *
 * A changed password signs the user out everywhere else: the user's other
 * sessions at the tenant are deleted, the current one stays. No password
 * or code is ever logged. */
#include "svc/password.h"

#include <string.h>

#include "core/log.h"
#include "store/tenants.h"
#include "svc/session.h"
#include "svc/svc.h"
#include "svc/throttle.h"

int password_forgot(const struct tenant *t, const char *email, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email};
    return cog_run(&c, COG_FORGOT_PASSWORD, &p, r);
}

int password_reset(const struct tenant *t, const char *email, const char *code,
                   const char *password, const char *request_id, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email, .code = code, .password = password};
    if (cog_run(&c, COG_CONFIRM_FORGOT_PASSWORD, &p, r) < 0)
        return -1;
    /* The emailed code proves the email is theirs: a lock from failed
     * sign-ins (svc/throttle.h) ends, as the lock's message promises. */
    throttle_forget(t->slug, email, request_id);
    log_event(LOG_INFO, "password_reset", "id=%s tenant=%s", request_id, t->slug);
    return 0;
}

int password_change(const struct tenant *t, struct sess_session *s, struct arena *a,
                    const char *current, const char *password, const char *request_id,
                    struct cog_result *r)
{
    if (session_tokens(s, a) != SESSION_OK) {
        memset(r, 0, sizeof(*r));
        r->err = COGERR_UNAVAILABLE;
        return -1;
    }
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.access_token = s->access_token, .previous_password = current,
                           .password = password};
    if (cog_run(&c, COG_CHANGE_PASSWORD, &p, r) < 0)
        return -1;
    long long others = 0;
    session_end_others(t, s, &others);
    log_event(LOG_INFO, "password_changed", "id=%s tenant=%s other_sessions_ended=%lld",
              request_id, t->slug, others);
    return 0;
}
