/* SPDX-License-Identifier: MIT */
/* registration: a new account — sign-up (with the tier and the tenant
 * written by gatehouse, never by the user), confirmation with the emailed
 * code, and a new code. The pages and the JSON API register here.
 *
 * Each step returns 0, or -1 when Cognito refused; either way r holds
 * Cognito's answer, which the caller frees with cog_result_free. */
#ifndef GH_REGISTRATION_H
#define GH_REGISTRATION_H

#include <stddef.h>

#include "aws/cognito.h"

struct arena;
struct tenant;

struct registration {
    const char *email, *password, *name, *tier; /* tier: a known one (svc/tier.h) */
    const struct cog_attr *attributes;          /* optional profile attributes */
    size_t n_attributes;
};

/* registration_sign_up signs in->email up and records the account,
 * unconfirmed, in the users mirror; on success "UserSub" is in r. At a
 * tenant that hides accounts (the default, store/tenants.h), a taken email
 * succeeds too, without "UserSub" and without touching the account: its
 * owner, if still unconfirmed, is sent a new code (a confirmed owner gets
 * nothing; the pages tell them to log in or reset their password). */
int registration_sign_up(const struct tenant *t, const struct registration *in,
                         const char *request_id, struct cog_result *r);
/* registration_code_context is the catalogue context in which a refused
 * confirmation code is told at t: at a tenant that hides accounts, a wrong,
 * expired or unusable code and an unknown or confirmed email all read
 * alike (COGERR_CTX_USE_CODE_ALIKE). */
enum cogerr_ctx registration_code_context(const struct tenant *t);
/* registration_confirm confirms email with the emailed code and marks it
 * confirmed in the users mirror (read into a). */
int registration_confirm(const struct tenant *t, const char *email, const char *code,
                         struct arena *a, const char *request_id, struct cog_result *r);
/* registration_send_code emails a new confirmation code. */
int registration_send_code(const struct tenant *t, const char *email, struct cog_result *r);

#endif
