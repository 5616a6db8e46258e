/* SPDX-License-Identifier: MIT */
/* bearer: access-token authentication of API calls (see bearer.h).
 *
 * Every bearer call verifies the token locally: RS256 against the pool's
 * cached JWKS, iss = the request's tenant pool (a token of tenant A is
 * worthless at B), token_use = access, client_id = the tenant's app client,
 * exp with the usual skew. No Cognito round trip on the hot path.
 *
 * Revocation. A locally verified token stays valid until it expires, even
 * after Cognito revoked it, so something must remember a logout. The two
 * choices were GetUser at Cognito on sensitive calls (exact, but 50-300 ms
 * and a Cognito quota on every such call, and cognito-local revokes nothing
 * so it could not even be tested) or a denylist of our own. We keep the
 * denylist (store/revoked.h): one indexed lookup in the tenant's schema per
 * bearer call, rows that die with the tokens they name, and the same answer
 * from every worker on every host since it lives in PostgreSQL. Logout
 * lists the token's jti and origin_jti and a per-user cut-off, matching what
 * Cognito's GlobalSignOut revokes. What it cannot see is a revocation done
 * elsewhere (an admin's AdminUserGlobalSignOut in the AWS console); such a
 * token lives until its expiry here, at most the pool's access-token
 * lifetime (an hour by default), which is the usual trade of JWTs.
 *
 * The profile (email, name, tier) is not in an access token. It comes from
 * the users mirror, which sign-in, sign-up and admin tier changes keep
 * current, read in the same statement as the denylist (one round trip per
 * call); a user the mirror does not know yet (signed in elsewhere) is
 * fetched once with GetUser and mirrored. Tokens are never logged. */
#include "api/bearer.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "aws/cognito.h"
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "store/revoked.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/reauth.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/tokens.h"

#define SCHEME "Bearer"
#define STATUS_CONFIRMED "CONFIRMED"
#define CHALLENGE_PLAIN "Bearer realm=\"gatehouse\""
#define CHALLENGE_INVALID "Bearer realm=\"gatehouse\", error=\"invalid_token\""

bool bearer_present(const struct request *req)
{
    const char *h = req_env(req, "HTTP_AUTHORIZATION");
    return h && *h;
}

/* token_of returns the token of "Bearer <token>", or NULL. */
static const char *token_of(const char *header)
{
    size_t n = strlen(SCHEME);
    if (!header || strncasecmp(header, SCHEME, n) || header[n] != ' ')
        return NULL;
    const char *t = header + n;
    while (*t == ' ')
        t++;
    size_t len = strlen(t);
    if (len == 0 || len > JWT_TOKEN_MAX)
        return NULL;
    return t;
}

static const char *claim_text(struct request *req, struct json_object *claims, const char *name)
{
    const char *v = tokens_claim(claims, name);
    return v ? arena_strdup(req->arena, v) : NULL;
}

static void claim_groups(struct request *req, struct json_object *claims, struct bearer *b)
{
    const char *groups[SESSION_GROUPS_MAX];
    b->ngroups = tokens_claim_groups(claims, groups, SESSION_GROUPS_MAX);
    b->groups = arena_alloc(req->arena, sizeof(char *) * (b->ngroups + 1));
    for (size_t i = 0; i < b->ngroups; i++)
        b->groups[i] = arena_strdup(req->arena, groups[i]);
}

static enum http_status refuse(struct request *req, struct response *resp, const char *challenge,
                  const char *code, const char *message)
{
    resp_header(resp, "WWW-Authenticate", challenge);
    return answer_error(req, resp, HTTP_UNAUTHORIZED, code, message, NULL);
}

static enum http_status refuse_token(struct request *req, struct response *resp, enum jwt_status st)
{
    switch (st) {
    case JWT_UNAVAILABLE:
        return answer_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
                         "The sign-in service is not answering. Please try again in a minute.",
                         NULL);
    case JWT_EXPIRED:
        return refuse(req, resp, CHALLENGE_INVALID, "token_expired",
                      "The access token has expired. Refresh it and try again.");
    case JWT_OK:
    case JWT_MALFORMED:
    case JWT_BAD_ALG:
    case JWT_UNKNOWN_KEY:
    case JWT_BAD_SIGNATURE:
    case JWT_WRONG_ISSUER:
    case JWT_WRONG_USE:
    case JWT_WRONG_AUDIENCE:
    case JWT_NOT_YET_VALID:
    case JWT_TOO_LONG:
        return refuse(req, resp, CHALLENGE_INVALID, "invalid_token",
                      "The access token is not valid here. Log in to get a new one.");
    default:
        return refuse(req, resp, CHALLENGE_INVALID, "invalid_token",
                      "The access token is not valid here. Log in to get a new one.");
    }
}

/* profile_from_cognito asks Cognito who the token belongs to and mirrors
 * the answer; 0, or the status answered. */
static int profile_from_cognito(struct request *req, struct response *resp, struct bearer *b)
{
    struct cog_client c;
    struct cog_result r;
    svc_client(req->tenant, &c);
    struct cog_params p = {.access_token = b->token};
    int status = 0;
    if (cog_run(&c, COG_GET_USER, &p, &r) < 0) {
        const struct cogerr_info *info = cogerr_get(r.err, COGERR_CTX_SESSION);
        if (info->status == HTTP_UNAUTHORIZED)
            status = refuse(req, resp, CHALLENGE_INVALID, "token_revoked",
                            "This access token has been revoked. Log in again.");
        else
            status = api_cognito_error(req, resp, &r, COGERR_CTX_SESSION);
        goto out;
    }
    const char *email = cog_user_attr(&r, "email"), *tier = cog_user_attr(&r, "custom:user_tier");
    const char *name = cog_user_attr(&r, "name");
    if (!email) {
        status = answer_error(req, resp, HTTP_BAD_GATEWAY, "bad_gateway",
                           "The sign-in service answered badly. Please try again.", NULL);
        goto out;
    }
    b->email = arena_strdup(req->arena, email);
    b->name = name ? arena_strdup(req->arena, name) : NULL;
    b->tier = arena_strdup(req->arena, tier_or_standard(tier));
    struct users_user u = {.sub = b->sub, .email = b->email, .name = b->name, .tier = b->tier,
                           .status = STATUS_CONFIRMED, .enabled = true};
    if (users_upsert(req->tenant->slug, &u, time(NULL), USERS_MERGE) != STORE_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
out:
    cog_result_free(&r);
    return status;
}

int bearer_authenticate(struct request *req, struct response *resp, struct bearer *b,
                        bool want_profile)
{
    memset(b, 0, sizeof(*b));
    const char *header = req_env(req, "HTTP_AUTHORIZATION");
    if (!header || !*header)
        return refuse(req, resp, CHALLENGE_PLAIN, "unauthorized",
                      "Send an access token: Authorization: Bearer <access_token>.");
    b->token = token_of(header);
    if (!b->token)
        return refuse(req, resp, CHALLENGE_INVALID, "invalid_token",
                      "The Authorization header must be \"Bearer <access_token>\".");

    struct json_object *claims = NULL;
    enum jwt_status st = tokens_verify(req->tenant, b->token, JWT_USE_ACCESS, &claims);
    int status = 0;
    if (st != JWT_OK) {
        log_event(LOG_INFO, "bearer_refused", "id=%s reason=%s", req->request_id,
                  jwt_status_name(st));
        status = refuse_token(req, resp, st);
        goto out;
    }
    b->sub = claim_text(req, claims, "sub");
    b->username = claim_text(req, claims, "username");
    b->jti = claim_text(req, claims, "jti");
    b->origin_jti = claim_text(req, claims, "origin_jti");
    b->iat = tokens_claim_time(claims, "iat");
    b->exp = tokens_claim_time(claims, "exp");
    claim_groups(req, claims, b);
    b->is_admin = svc_is_admin(b->groups, b->ngroups);
    /* Without sub and jti a token could be neither revoked nor profiled:
     * Cognito always sets both, so such a token is not Cognito's. */
    if (!b->sub || !b->jti) {
        status = refuse_token(req, resp, JWT_MALFORMED);
        goto out;
    }
    struct revoked_token t = {.sub = b->sub, .jti = b->jti, .origin_jti = b->origin_jti,
                              .iat = b->iat, .exp = b->exp};
    struct revoked_profile profile = {0};
    bool revoked = false;
    enum store_result rc =
        want_profile ? revoked_check_user(req->tenant->slug, &t, req->arena, &profile, &revoked)
                     : revoked_check(req->tenant->slug, &t, &revoked);
    if (rc != STORE_OK) {
        status = answer_status_error(req, resp, answer_status_of(rc), NULL);
        goto out;
    }
    if (revoked) {
        log_event(LOG_INFO, "bearer_refused", "id=%s reason=revoked", req->request_id);
        status = refuse(req, resp, CHALLENGE_INVALID, "token_revoked",
                        "This access token has been revoked. Log in again.");
        goto out;
    }
    if (want_profile && profile.found) {
        b->email = profile.email;
        b->name = profile.name;
        b->tier = tier_known(profile.tier) ? profile.tier : TIER_STANDARD;
    } else if (want_profile) {
        status = profile_from_cognito(req, resp, b);
    }
out:
    json_object_put(claims);
    return status;
}

void bearer_as_session(struct request *req, const struct bearer *b)
{
    struct sess_session *s = arena_alloc(req->arena, sizeof(*s));
    memset(s, 0, sizeof(*s));
    s->tenant_id = req->tenant->id;
    s->sub = b->sub;
    s->email = b->email;
    s->name = b->name;
    s->tier = b->tier;
    s->groups = b->groups;
    s->ngroups = b->ngroups;
    req->session = s;
    req->session_cookie = NULL;
    req->is_admin = b->is_admin;
}

int bearer_password_proven(struct request *req, struct response *resp, const struct bearer *b,
                           struct api_check *chk)
{
    const char *password = api_text(req, chk, "password", true);
    if (chk->code)
        return api_refuse(req, resp, chk);
    struct cog_result r;
    int status = 0;
    if (reauth_check_password(req->tenant, b->sub, b->email, password, req->request_id, &r) < 0) {
        bool wrong = r.err == COGERR_NOT_AUTHORIZED || r.err == COGERR_INVALID_PASSWORD ||
                     r.err == COGERR_USER_NOT_FOUND;
        status = wrong ? answer_error(req, resp, HTTP_FORBIDDEN, "reauthentication_failed",
                                      "That is not the right password.", "password")
                       : api_cognito_error(req, resp, &r, COGERR_CTX_LOGIN);
    }
    cog_result_free(&r);
    return status;
}
