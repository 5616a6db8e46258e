/* SPDX-License-Identifier: MIT */
/* registration: sign-up and confirmation (see registration.h).
 *
 * The app client may not write custom:user_tier nor custom:tenant_id, so
 * that no user can ever set them with their own token: gatehouse writes
 * both with admin calls right after SignUp. They go one by one: on real
 * Cognito an immutable tenant_id the pool already holds refuses a change,
 * and that must not cost the tier. A failure is logged and leaves the
 * default, never a lost account. Nothing here logs a password or a code.
 *
 * Account enumeration: at a tenant that hides accounts (the default), a
 * sign-up with a taken email is answered as a new one (see registration.h)
 * and a refused code is told in one way (registration_code_context), so
 * that neither says whether an email has an account, nor whether it is
 * confirmed. Timing still differs a little (a taken email costs one call
 * instead of three); the per-address rate limits bound what it can tell. */
#include "svc/registration.h"

#include <time.h>

#include "core/log.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"

#define ATTRIBUTES_MAX 8 /* email, name and the optional profile */
#define STATUS_CONFIRMED "CONFIRMED"
#define STATUS_UNCONFIRMED "UNCONFIRMED"

static void set_attribute(const struct cog_client *c, const char *email, const char *name,
                          const char *value, const char *request_id)
{
    struct cog_attr attrs[] = {{name, value}};
    struct cog_params p = {.username = email, .attrs = attrs, .n_attrs = 1};
    struct cog_result r;
    if (cog_run(c, COG_ADMIN_UPDATE_ATTRIBUTES, &p, &r) < 0)
        log_event(LOG_ERROR, "attribute_not_set", "id=%s attribute=%s type=%s", request_id,
                  name, r.type[0] ? r.type : "-");
    cog_result_free(&r);
}

/* resend_to_owner re-sends the confirmation code of a taken email. Cognito
 * sends one only to an unconfirmed owner and refuses the rest, which is
 * only logged: any answer would tell what the account is. */
static void resend_to_owner(const struct cog_client *c, const char *email,
                            const char *request_id)
{
    struct cog_params p = {.username = email};
    struct cog_result r;
    if (cog_run(c, COG_RESEND_CODE, &p, &r) < 0)
        log_event(LOG_INFO, "signup_taken_no_code", "id=%s type=%s", request_id,
                  r.type[0] ? r.type : "-");
    cog_result_free(&r);
}

int registration_sign_up(const struct tenant *t, const struct registration *in,
                         const char *request_id, struct cog_result *r)
{
    struct cog_attr attrs[ATTRIBUTES_MAX];
    size_t n = 0;
    attrs[n++] = (struct cog_attr){"email", in->email};
    attrs[n++] = (struct cog_attr){"name", in->name};
    for (size_t i = 0; i < in->n_attributes && n < ATTRIBUTES_MAX; i++)
        attrs[n++] = in->attributes[i];
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = in->email, .password = in->password, .attrs = attrs,
                           .n_attrs = n};
    if (cog_run(&c, COG_SIGN_UP, &p, r) < 0) {
        if (r->err != COGERR_USERNAME_EXISTS || t->reveal_accounts)
            return -1;
        /* Nothing of the account is changed (its tier, name, password):
         * whoever typed the address gets the answer a new one gets. */
        cog_result_free(r);
        resend_to_owner(&c, in->email, request_id);
        log_event(LOG_INFO, "signup_taken", "id=%s tenant=%s", request_id, t->slug);
        return 0;
    }
    set_attribute(&c, in->email, "custom:user_tier", in->tier, request_id);
    set_attribute(&c, in->email, "custom:tenant_id", t->slug, request_id);
    const char *sub = cog_get(r, "UserSub");
    if (sub) {
        struct users_user u = {.sub = sub, .email = in->email, .name = in->name,
                               .tier = in->tier, .status = STATUS_UNCONFIRMED, .enabled = true};
        if (users_upsert(t->slug, &u, time(NULL), USERS_MERGE) != STORE_OK)
            log_event(LOG_WARN, "users_mirror_failed", "id=%s", request_id);
    }
    log_event(LOG_INFO, "signed_up", "id=%s tenant=%s tier=%s", request_id, t->slug, in->tier);
    return 0;
}

/* mirror_confirmed marks the confirmed user's mirror row, when it has one. */
static void mirror_confirmed(const struct tenant *t, const char *email, struct arena *a,
                             const char *request_id)
{
    struct users_user u;
    if (users_get_by_email(t->slug, email, a, &u) != STORE_OK)
        return;
    u.status = STATUS_CONFIRMED;
    if (users_upsert(t->slug, &u, time(NULL), USERS_MERGE) != STORE_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", request_id);
}

int registration_confirm(const struct tenant *t, const char *email, const char *code,
                         struct arena *a, const char *request_id, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email, .code = code};
    if (cog_run(&c, COG_CONFIRM_SIGN_UP, &p, r) < 0)
        return -1;
    mirror_confirmed(t, email, a, request_id);
    log_event(LOG_INFO, "email_confirmed", "id=%s tenant=%s", request_id, t->slug);
    return 0;
}

enum cogerr_ctx registration_code_context(const struct tenant *t)
{
    return t->reveal_accounts ? COGERR_CTX_USE_CODE : COGERR_CTX_USE_CODE_ALIKE;
}

int registration_send_code(const struct tenant *t, const char *email, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.username = email};
    return cog_run(&c, COG_RESEND_CODE, &p, r);
}
