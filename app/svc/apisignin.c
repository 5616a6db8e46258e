/* SPDX-License-Identifier: MIT */
/* apisignin: API sign-ins over store/signins (see apisignin.h).
 *
 * The access token's own claims name the sign-in's user (sub, username)
 * and its jti: they are read from tokens Cognito has just issued and that
 * the caller verifies before answering them. A refresh notes the jti of the
 * access token it gave out, which is how a logout that presents only that
 * token finds its sign-in. If a logout or a password change ends the
 * sign-in while a refresh is in flight, the refresh's note finds no row and
 * its tokens are not answered. */
#include "svc/apisignin.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "aws/jwt.h"
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "store/signins.h"
#include "store/tenants.h"
#include "svc/tokens.h"

/* refuse makes out a refusal with err, as Cognito's would read. */
static void refuse(struct signin *out, enum cogerr err)
{
    memset(out, 0, sizeof(*out));
    out->outcome = SIGNIN_REFUSED;
    out->result.err = err;
}

static enum cogerr err_of(enum store_result rc)
{
    return rc == STORE_NOT_FOUND    ? COGERR_NOT_AUTHORIZED
           : rc == STORE_UNAVAILABLE ? COGERR_UNAVAILABLE
                                     : COGERR_INTERNAL_ERROR;
}

bool apisignin_start(const struct tenant *t, const struct cog_result *auth,
                     const char *user_agent, const char *client_addr, const char *request_id)
{
    struct json_object *claims =
        jwt_stored_claims(cog_get(auth, "AuthenticationResult.AccessToken"));
    struct signins_new in = {
        .tenant_id = t->id,
        .refresh_token = cog_get(auth, "AuthenticationResult.RefreshToken"),
        .sub = tokens_claim(claims, "sub"),
        .username = tokens_claim(claims, "username"),
        .access_jti = tokens_claim(claims, "jti"),
        .user_agent = user_agent,
        .client_addr = client_addr,
    };
    if (!in.username)
        in.username = in.sub;
    enum store_result rc = signins_record(&in, time(NULL));
    if (rc != STORE_OK)
        log_event(LOG_WARN, "api_signin_not_recorded", "id=%s tenant=%s", request_id, t->slug);
    json_object_put(claims);
    return rc == STORE_OK;
}

void apisignin_refresh(const struct tenant *t, const char *refresh_token, struct signin *out)
{
    struct arena a;
    struct signins_signin found;
    arena_init(&a);
    time_t now = time(NULL);
    enum store_result rc = signins_find(t->id, refresh_token, now, &a, &found);
    if (rc != STORE_OK) {
        refuse(out, err_of(rc));
        goto out;
    }
    signin_refresh(t, refresh_token, found.username, out);
    if (out->outcome == SIGNIN_TOKENS) {
        struct json_object *claims =
            jwt_stored_claims(cog_get(&out->result, "AuthenticationResult.AccessToken"));
        const char *rotated = cog_get(&out->result, "AuthenticationResult.RefreshToken");
        rc = signins_touch(t->id, refresh_token, tokens_claim(claims, "jti"), now);
        if (rc == STORE_OK && rotated && strcmp(rotated, refresh_token)) {
            /* A pool that rotates refresh tokens: the sign-in lives on
             * under the new one, the old one is spent. */
            struct signins_new next = {.tenant_id = t->id, .refresh_token = rotated,
                                       .sub = found.sub, .username = found.username,
                                       .access_jti = tokens_claim(claims, "jti")};
            char spent[REFRESH_TOKEN_MAX];
            rc = signins_record(&next, now);
            signins_end(t->id, found.sub, refresh_token, NULL, spent, sizeof spent);
            seal_wipe(spent, sizeof spent);
        }
        json_object_put(claims);
        if (rc != STORE_OK) {
            signin_free(out);
            refuse(out, err_of(rc));
        }
    } else if (out->result.err == COGERR_NOT_AUTHORIZED ||
               out->result.err == COGERR_USER_DISABLED) {
        /* Cognito ended it (a sign-out elsewhere, an expired token, the
         * user disabled). */
        char unused[REFRESH_TOKEN_MAX];
        signins_end(t->id, found.sub, refresh_token, NULL, unused, sizeof unused);
        seal_wipe(unused, sizeof unused);
    }
out:
    arena_free(&a);
}

void apisignin_end(const struct tenant *t, const char *sub, const char *jti,
                   const char *refresh_token, const char *request_id)
{
    char refresh[REFRESH_TOKEN_MAX];
    enum store_result rc = signins_end(t->id, sub, refresh_token, jti, refresh, sizeof refresh);
    /* The body's refresh token, when the row is gone already, is still
     * worth revoking at Cognito. */
    const char *revoke = refresh[0] ? refresh : refresh_token;
    signin_revoke(t, revoke, "api_logout", request_id);
    seal_wipe(refresh, sizeof refresh);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        log_event(LOG_WARN, "api_signin_not_ended", "id=%s tenant=%s", request_id, t->slug);
}
