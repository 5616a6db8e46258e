/* SPDX-License-Identifier: MIT */
/* revoked: t_<slug>.revoked_tokens, the short-lived denylist of access
 * tokens that an API logout, a password reset or a password change
 * revoked, checked on every bearer call. Rows outlive the tokens they name by nothing: each expires with the last token
 * it could match. Functions answer an enum store_result (store/pg.h); a
 * check's verdict is its bool *revoked. Contracts are in revoked.c. */
#ifndef GH_REVOKED_H
#define GH_REVOKED_H

#include <stdbool.h>
#include <time.h>

#include "store/pg.h"

struct arena;

/* Cognito's longest access-token lifetime (one day): no token issued before
 * a sign-out can outlive this. */
#define REVOKED_ACCESS_LIFETIME_MAX_S (24 * 60 * 60)

struct revoked_token { /* from a verified access token; borrowed */
    const char *sub, *jti;
    const char *origin_jti; /* NULL when the token has none */
    time_t iat, exp;
};

/* What the users mirror says of the token's user, read in the same
 * statement as the check (a bearer call needs both). */
struct revoked_profile {
    bool found; /* false: the mirror has no row for the sub */
    const char *email, *name, *tier; /* in the caller's arena; name may be NULL */
};

enum store_result revoked_check(const char *tenant, const struct revoked_token *t,
                                bool *revoked);
enum store_result revoked_check_user(const char *tenant, const struct revoked_token *t,
                                     struct arena *a, struct revoked_profile *out,
                                     bool *revoked);
enum store_result revoked_sign_out(const char *tenant, const struct revoked_token *t,
                                   time_t now);
enum store_result revoked_sign_out_user(const char *tenant, const char *sub, time_t before,
                                        time_t now);
void revoked_forget_user(const char *tenant, const char *sub);

#endif
