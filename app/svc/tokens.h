/* SPDX-License-Identifier: MIT */
/* tokens: a tenant's Cognito tokens — verified against the tenant's pool
 * (issuer, app client, use, signature, expiry) and read claim by claim.
 *
 * Claims objects are json-c values owned by the caller (json_object_put);
 * strings read from them borrow from the object. */
#ifndef GH_TOKENS_H
#define GH_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "aws/jwt.h"

struct cog_result;
struct config;
struct json_object;
struct tenant;

/* tokens_verify checks token as a token of use issued by tenant t's pool to
 * its app client. On JWT_OK *claims gets the claims (the caller puts them);
 * otherwise *claims is NULL. */
enum jwt_status tokens_verify(const struct tenant *t, const char *token, enum jwt_use use,
                              struct json_object **claims);
/* tokens_verify_result checks the id and access tokens of an
 * AuthenticationResult and returns the id token's claims (the caller puts
 * them), or NULL when either is missing or refused (logged with
 * request_id). */
struct json_object *tokens_verify_result(const struct tenant *t, const struct cog_result *r,
                                         const char *request_id);
/* tokens_claim returns a string claim, or NULL. */
const char *tokens_claim(struct json_object *claims, const char *name);
/* tokens_claim_time returns a numeric claim (iat, exp), or 0. */
time_t tokens_claim_time(struct json_object *claims, const char *name);
/* tokens_claim_groups points groups[0..max) at the cognito:groups claim's
 * names and returns how many there are. */
size_t tokens_claim_groups(struct json_object *claims, const char **groups, size_t max);
/* What check-config learns of the JWKS: tokens_check_jwks fetches the keys
 * of every tenant's pool (of the settings' pool alone when not
 * with_tenants) and writes one line per pool: on info (prefix first) the
 * URL, the number of keys and the issuer tokens must carry; on report a
 * problem (problem first: an answer without usable keys, for a pool that
 * serves) or a warning (warning first: no answer, or a disabled tenant's
 * pool). The counts say how many of each. */
struct tokens_jwks_check {
    FILE *info, *report;
    const char *prefix, *problem, *warning;
    int fetched, problems, warnings;
};
void tokens_check_jwks(const struct config *cfg, bool with_tenants,
                       struct tokens_jwks_check *check);
/* tokens_expires_in is the access token's life in seconds from an
 * AuthenticationResult (EXPIRES_IN_DEFAULT_S when Cognito does not say). */
long tokens_expires_in(const struct cog_result *r);

#endif
