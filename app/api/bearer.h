/* SPDX-License-Identifier: MIT */
/* bearer: "Authorization: Bearer <access token>" for the JSON API — the
 * token verified locally against the request's tenant pool, checked
 * against the revocation denylist, and the caller's profile.
 *
 * A struct bearer's strings live in the request's arena (the token itself
 * is borrowed from the request's parameters); nothing needs freeing. */
#ifndef GH_BEARER_H
#define GH_BEARER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "aws/jwt.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

struct bearer {
    const char *token;                 /* as sent: for Cognito calls, never logged */
    const char *sub, *username, *jti, *origin_jti; /* origin_jti may be NULL */
    time_t iat, exp;
    const char **groups;               /* cognito:groups of the token */
    size_t ngroups;
    bool is_admin;                     /* the groups include the tenant admin group */
    /* the profile (users mirror, else GetUser); only with want_profile */
    const char *email, *name, *tier;
};

/* bearer_present is true when the request sends an Authorization header. */
bool bearer_present(const struct request *req);
/* bearer_authenticate fills b from the request's bearer access token and
 * returns 0, or answers (401 with WWW-Authenticate, 503) and returns that
 * status. With want_profile it also loads email, name and tier. */
int bearer_authenticate(struct request *req, struct response *resp, struct bearer *b,
                        bool want_profile);
/* bearer_as_session makes b the request's signed-in user for the rest of
 * the request (no cookie, no tokens stored), so that tier and admin checks
 * written for sessions apply to it. b must come with its profile. */
void bearer_as_session(struct request *req, const struct bearer *b);

struct api_check;
/* bearer_password_proven checks the "password" of the body (read with chk)
 * against b's user, for a sensitive call (svc/reauth): 0 when it is right;
 * otherwise it answers (400 without one, 403 reauthentication_failed when
 * wrong, 429 or 503 as Cognito's or the throttle's state says) and returns
 * that status. */
int bearer_password_proven(struct request *req, struct response *resp, const struct bearer *b,
                           struct api_check *chk);

#endif
