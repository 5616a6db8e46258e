/* SPDX-License-Identifier: MIT */
/* session: browser sessions over the sessions store (see session.h).
 *
 * Sessions start only from tokens that verify: the id token (RS256 against
 * the pool's JWKS, issuer, audience, expiry) gives the user's sub, email,
 * name and groups; the access token is checked too before it is stored.
 * The tier is never a claim's: it is the users mirror's, which only
 * sign-up, admins and the sync write (a user can write their own
 * attributes at some pools). A refresh works the same way and re-reads
 * groups and tier, which is how an admin's change reaches a signed-in
 * user.
 *
 * Ownership: strings put in json-c objects are copied by json-c; tokens are
 * read from the Cognito reply, which is freed here; the refresh token is
 * opened into a stack buffer that is wiped right after the call. */
#include "svc/session.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "aws/jwt.h"
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "store/revoked.h"
#include "store/signins.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/signin.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/tokens.h"

#define CUSTOM_PREFIX "custom:"

static enum session_outcome from_store(enum store_result r)
{
    switch (r) {
    case STORE_OK:
        return SESSION_OK;
    case STORE_NOT_FOUND:
        return SESSION_ENDED;
    case STORE_UNAVAILABLE:
        return SESSION_UNAVAILABLE;
    case STORE_ERROR:
    default:
        return SESSION_ERROR;
    }
}

/* profile_attributes keeps what the account page shows from the id token:
 * its custom attributes (company, department, role...) other than the two
 * gatehouse manages itself, as a JSON object text in the arena. The session
 * stores it so that pages need not read the token again. */
static const char *profile_attributes(struct arena *a, struct json_object *claims)
{
    struct json_object *attributes = json_object_new_object();
    json_object_object_foreach(claims, name, value) {
        if (strncmp(name, CUSTOM_PREFIX, strlen(CUSTOM_PREFIX)) ||
            !strcmp(name, "custom:user_tier") || !strcmp(name, "custom:tenant_id") ||
            !json_object_is_type(value, json_type_string))
            continue;
        json_object_object_add(attributes, name, json_object_get(value));
    }
    const char *text =
        arena_strdup(a, json_object_to_json_string_ext(attributes, JSON_C_TO_STRING_PLAIN));
    json_object_put(attributes);
    return text;
}

enum session_outcome session_start(const struct tenant *t, const struct cog_result *auth,
                                   bool remember, const struct session_origin *origin,
                                   struct arena *a, char id[SESS_ID_LEN + 1],
                                   struct sess_session **out)
{
    struct json_object *claims = tokens_verify_result(t, auth, origin->request_id);
    if (!claims)
        return SESSION_UNVERIFIED;
    const char *groups[SESSION_GROUPS_MAX];
    time_t now = time(NULL);
    struct sess_new in = {
        .tenant_id = t->id,
        .sub = tokens_claim(claims, "sub"),
        .email = tokens_claim(claims, "email"),
        .name = tokens_claim(claims, "name"),
        .groups = groups,
        .ngroups = tokens_claim_groups(claims, groups, SESSION_GROUPS_MAX),
        .tokens = {.id_token = cog_get(auth, "AuthenticationResult.IdToken"),
                   .access_token = cog_get(auth, "AuthenticationResult.AccessToken"),
                   .refresh_token = cog_get(auth, "AuthenticationResult.RefreshToken"),
                   .attributes = profile_attributes(a, claims),
                   .access_expires_at = now + tokens_expires_in(auth)},
        .remember = remember,
        .user_agent = origin->user_agent,
        .client_addr = origin->client_addr,
    };
    enum session_outcome result = SESSION_UNVERIFIED;
    if (!in.sub || !in.email)
        goto out;
    /* The tier is the mirror's, never the token's claim, and the name the
     * mirror's when the token has none (some pools, cognito-local among
     * them, leave it out of the id token). */
    struct signin_user user;
    signin_mirror(t, claims, a, origin->request_id, &user);
    in.name = user.name;
    in.tier = user.tier;
    struct sess_session *s = arena_alloc(a, sizeof(*s));
    result = from_store(sess_create(&in, now, a, id, s));
    if (result == SESSION_ENDED)
        result = SESSION_ERROR;
    if (result != SESSION_OK)
        goto out;
    log_event(LOG_INFO, "session_started", "id=%s tenant=%s remember=%d", origin->request_id,
              t->slug, remember);
    *out = s;
out:
    json_object_put(claims);
    return result;
}

enum session_outcome session_load(const struct tenant *t, const char *cookie, struct arena *a,
                                  struct sess_session **out)
{
    struct sess_session *s = arena_alloc(a, sizeof(*s));
    enum session_outcome result = from_store(sess_load(cookie, t->id, time(NULL), a, s));
    *out = result == SESSION_OK ? s : NULL;
    return result;
}

enum session_outcome session_tokens(struct sess_session *s, struct arena *a)
{
    if (s->access_token)
        return SESSION_OK;
    return from_store(sess_load_tokens(s, a));
}

/* keep_refreshed stores what a refresh brought: the new tokens, and the
 * profile (name, tier, groups) on every session of the user. */
static enum session_outcome keep_refreshed(const struct tenant *t, struct sess_session *s,
                                           struct arena *a, const struct cog_result *r,
                                           struct json_object *claims)
{
    time_t now = time(NULL);
    struct sess_tokens tokens = {
        .id_token = cog_get(r, "AuthenticationResult.IdToken"),
        .access_token = cog_get(r, "AuthenticationResult.AccessToken"),
        .refresh_token = cog_get(r, "AuthenticationResult.RefreshToken"),
        .attributes = profile_attributes(a, claims),
        .access_expires_at = now + tokens_expires_in(r)};
    const char *groups[SESSION_GROUPS_MAX];
    /* Groups come from the verified token (only admins write them); the
     * tier from the mirror, which the user cannot write. */
    struct users_user known;
    struct sess_profile profile = {
        .name = tokens_claim(claims, "name"),
        .tier = users_get(t->slug, s->sub, a, &known) == STORE_OK ? tier_or_standard(known.tier)
                                                                  : NULL,
        .groups = groups,
        .ngroups = tokens_claim_groups(claims, groups, SESSION_GROUPS_MAX),
        .set_groups = true};
    if (sess_update_tokens(s, a, &tokens) != STORE_OK ||
        sess_update_profile(t->id, s->sub, &profile) != STORE_OK)
        return SESSION_UNAVAILABLE;
    if (profile.tier)
        s->tier = arena_strdup(a, profile.tier);
    s->groups = arena_alloc(a, sizeof(char *) * (profile.ngroups + 1));
    for (size_t i = 0; i < profile.ngroups; i++)
        s->groups[i] = arena_strdup(a, groups[i]);
    s->ngroups = profile.ngroups;
    return SESSION_OK;
}

bool session_due(const struct sess_session *s)
{
    return s->access_expires_at <= time(NULL) + ACCESS_EARLY_REFRESH_S;
}

enum session_outcome session_fresh(const struct tenant *t, struct sess_session *s,
                                   const char *cookie, struct arena *a, const char *request_id)
{
    if (!session_due(s))
        return SESSION_OK;
    enum store_result loaded = sess_load_tokens(s, a);
    if (loaded == STORE_UNAVAILABLE)
        return SESSION_UNAVAILABLE;
    char refresh[REFRESH_TOKEN_MAX];
    enum session_outcome result = SESSION_ENDED;
    struct signin in;
    struct json_object *claims = NULL;
    memset(&in, 0, sizeof(in));
    if (loaded != STORE_OK || sess_refresh_token(s, refresh, sizeof(refresh)) != STORE_OK)
        goto out;
    signin_refresh(t, refresh, s->sub, &in);
    seal_wipe(refresh, sizeof(refresh));
    if (in.outcome != SIGNIN_TOKENS) {
        if (cogerr_transient(in.result.err, COGERR_CTX_SESSION))
            result = SESSION_UNAVAILABLE;
        goto out;
    }
    claims = tokens_verify_result(t, &in.result, request_id);
    if (!claims)
        goto out;
    result = keep_refreshed(t, s, a, &in.result, claims);
    if (result == SESSION_OK)
        log_event(LOG_INFO, "session_refreshed", "id=%s tenant=%s", request_id, t->slug);
out:
    if (result == SESSION_ENDED && cookie)
        sess_delete(cookie, t->id);
    json_object_put(claims);
    signin_free(&in);
    return result;
}

/* deny_api_tokens records the sign-out in the revocation list the JSON API
 * checks, so that the user's bearer tokens issued before now stop working
 * here too, as GlobalSignOut makes them stop at Cognito. */
static void deny_api_tokens(const struct tenant *t, const struct sess_session *s,
                            const char *request_id)
{
    struct json_object *claims = jwt_stored_claims(s->access_token);
    if (!claims)
        return;
    struct revoked_token r = {.sub = s->sub, .jti = tokens_claim(claims, "jti"),
                              .origin_jti = tokens_claim(claims, "origin_jti"),
                              .iat = tokens_claim_time(claims, "iat"),
                              .exp = tokens_claim_time(claims, "exp")};
    if (r.jti && revoked_sign_out(t->slug, &r, time(NULL)) != STORE_OK)
        log_event(LOG_WARN, "revocation_not_recorded", "id=%s", request_id);
    json_object_put(claims);
}

/* revoke_at_cognito: GlobalSignOut invalidates every token of the user's
 * sign-in; when the access token is already dead, revoking the refresh
 * token does the same for this session. */
static void revoke_at_cognito(const struct tenant *t, const struct sess_session *s)
{
    struct cog_client c;
    struct cog_result r;
    svc_client(t, &c);
    struct cog_params p = {.access_token = s->access_token};
    int rc = -1;
    if (s->access_token && s->access_expires_at > time(NULL))
        rc = cog_run(&c, COG_GLOBAL_SIGN_OUT, &p, &r);
    else
        memset(&r, 0, sizeof(r));
    if (rc < 0) {
        char refresh[REFRESH_TOKEN_MAX];
        cog_result_free(&r);
        if (sess_refresh_token(s, refresh, sizeof(refresh)) == STORE_OK) {
            struct cog_params rp = {.refresh_token = refresh};
            cog_run(&c, COG_REVOKE_TOKEN, &rp, &r);
        }
        seal_wipe(refresh, sizeof(refresh));
    }
    cog_result_free(&r);
}

void session_end(const struct tenant *t, struct sess_session *s, const char *cookie,
                 struct arena *a, const char *request_id)
{
    /* Without its tokens (the row is already gone, or the database is
     * down) there is nothing to revoke, but the row still goes. */
    if (s && session_tokens(s, a) == SESSION_OK) {
        deny_api_tokens(t, s, request_id);
        revoke_at_cognito(t, s);
    }
    if (cookie)
        sess_delete(cookie, t->id);
}

/* admin_sign_out ends the user's sign-ins at Cognito: every refresh token,
 * and the access tokens Cognito's own API would take. */
static bool admin_sign_out(const struct tenant *t, const char *sub, const char *request_id)
{
    struct cog_client c;
    struct cog_result r;
    svc_client(t, &c);
    struct cog_params p = {.username = sub};
    int rc = cog_run(&c, COG_ADMIN_GLOBAL_SIGN_OUT, &p, &r);
    if (rc < 0)
        log_event(LOG_WARN, "global_sign_out_failed", "id=%s tenant=%s type=%s", request_id,
                  t->slug, r.type[0] ? r.type : "-");
    cog_result_free(&r);
    return rc == 0;
}

enum session_outcome session_end_user(const struct tenant *t, const char *sub,
                                      const struct sess_session *keep, const char *request_id)
{
    long long browsers = 0, apis = 0;
    time_t now = time(NULL);
    /* iat counts whole seconds: the cut-off takes in the current one, and
     * the answer waits until it is over (below). */
    time_t cut_off = now + 1;
    enum session_outcome result = SESSION_OK, step;

    bool at_cognito = admin_sign_out(t, sub, request_id);
    if ((step = from_store(revoked_sign_out_user(t->slug, sub, cut_off, now))) != SESSION_OK)
        result = step;
    if ((step = from_store(sess_delete_user(t->id, sub, keep, &browsers))) != SESSION_OK &&
        step != SESSION_ENDED)
        result = step;
    if ((step = from_store(signins_end_user(t->id, sub, NULL, &apis))) != SESSION_OK &&
        step != SESSION_ENDED)
        result = step;
    log_event(result == SESSION_OK && at_cognito ? LOG_INFO : LOG_WARN, "user_signed_out",
              "id=%s tenant=%s cognito=%d sessions=%lld api_signins=%lld", request_id, t->slug,
              at_cognito, browsers, apis);
    svc_wait_until_second(cut_off);
    return result;
}

enum session_outcome session_renew(const struct tenant *t, struct sess_session *s,
                                   struct arena *a, const struct cog_result *auth,
                                   const char *request_id)
{
    struct json_object *claims = tokens_verify_result(t, auth, request_id);
    if (!claims)
        return SESSION_UNVERIFIED;
    const char *sub = tokens_claim(claims, "sub");
    enum session_outcome result = sub && !strcmp(sub, s->sub)
                                      ? keep_refreshed(t, s, a, auth, claims)
                                      : SESSION_UNVERIFIED;
    json_object_put(claims);
    return result;
}

bool session_is_admin(const struct sess_session *s)
{
    return s && svc_is_admin(s->groups, s->ngroups);
}
