/* SPDX-License-Identifier: MIT */
/* password: forgotten passwords and password changes (see password.h).
 *
 * A reset or a changed password ends every sign-in of the user at the
 * tenant (svc/session's session_end_user): an attacker who had the old
 * password, a stolen cookie or a copied token is out the moment the owner
 * takes the account back. A change keeps the browser that made it, signed
 * in again with the new password. The user of a reset is found through the
 * users mirror (Cognito when the mirror has not seen them). No password or
 * code is ever logged. */
#include "svc/password.h"
#include "svc/activity.h"

#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/session.h"
#include "svc/signin.h"
#include "svc/svc.h"
#include "svc/throttle.h"
#include "svc/usersync.h"

int password_forgot(const struct tenant *t, const char *email, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email};
    return cog_run(&c, COG_FORGOT_PASSWORD, &p, r);
}

/* user_of finds the sub of the user with this email at t: the users
 * mirror's, else Cognito's (a user the mirror has not seen yet). NULL when
 * neither knows. */
static const char *user_of(const struct tenant *t, const char *email, struct arena *a)
{
    struct users_user u;
    if (users_get_by_email(t->slug, email, a, &u) == STORE_OK && u.sub)
        return u.sub;
    struct cog_client c;
    struct cog_result r;
    const char *sub = NULL;
    svc_client(t, &c);
    struct cog_params p = {.username = email};
    if (cog_run(&c, COG_ADMIN_GET_USER, &p, &r) == 0) {
        const char *username = NULL;
        if (usersync_user(r.reply, &u, &username))
            sub = arena_strdup(a, u.sub);
    }
    cog_result_free(&r);
    return sub;
}

int password_reset(const struct tenant *t, const char *email, const char *code,
                   const char *password, const char *request_id, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email, .code = code, .password = password};
    if (cog_run(&c, COG_CONFIRM_FORGOT_PASSWORD, &p, r) < 0)
        return -1;
    struct arena a;
    arena_init(&a);
    const char *sub = user_of(t, email, &a);
    if (sub)
        session_end_user(t, sub, NULL, request_id);
    else
        log_event(LOG_WARN, "reset_user_unknown", "id=%s tenant=%s", request_id, t->slug);
    arena_free(&a);
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
    /* Everything of the user's ends, this session's sign-in at Cognito
     * included; the session goes on with a sign-in made with the new
     * password, or ends too when that is refused. */
    session_end_user(t, s->sub, s, request_id);
    struct signin in;
    signin_again(t, s->email, password, &in);
    bool renewed = in.outcome == SIGNIN_TOKENS &&
                   session_renew(t, s, a, &in.result, request_id) == SESSION_OK;
    signin_free(&in);
    if (!renewed)
        sess_delete_user(t->id, s->sub, NULL, NULL);
    log_event(LOG_INFO, "password_changed", "id=%s tenant=%s session_kept=%d", request_id,
              t->slug, renewed);
    struct activity_origin o = {.request_id = request_id};
    activity_note(t, s->sub, SECEVENT_PASSWORD_CHANGED, &o);
    return renewed ? 0 : 1;
}
