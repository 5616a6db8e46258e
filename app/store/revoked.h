/* SPDX-License-Identifier: MIT */
/* revoked: t_<slug>.revoked_tokens, the short-lived denylist of access
 * tokens that an API logout revoked, checked on every bearer call. Rows
 * outlive the tokens they name by nothing: each expires with the last token
 * it could match. Contracts are in revoked.c. */
#ifndef GH_REVOKED_H
#define GH_REVOKED_H

#include <stdbool.h>
#include <time.h>

struct arena;

/* Cognito's longest access-token lifetime (one day): no token issued before
 * a sign-out can outlive this. */
#define REVOKED_ACCESS_LIFETIME_MAX_S (24 * 60 * 60)

enum revoked_result {
    REVOKED_NO = 0,      /* check: the token is not revoked; write: done */
    REVOKED_YES,         /* check: the token is revoked */
    REVOKED_UNAVAILABLE, /* PostgreSQL unreachable: answer 503 */
    REVOKED_ERROR,       /* bad argument, unknown tenant schema, a bug: 500 */
};

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

enum revoked_result revoked_check(const char *tenant, const struct revoked_token *t);
enum revoked_result revoked_check_user(const char *tenant, const struct revoked_token *t,
                                       struct arena *a, struct revoked_profile *out);
enum revoked_result revoked_sign_out(const char *tenant, const struct revoked_token *t,
                                     time_t now);
void revoked_forget_user(const char *tenant, const char *sub);

#endif
