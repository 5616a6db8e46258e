/* SPDX-License-Identifier: MIT */
/* cognito: Cognito Identity Provider calls over awshttp (see cognito.h).
 *
 * Two tables drive everything. `op_specs` lists every operation gatehouse
 * may send with how it is sent (SigV4-signed or not), when it may be retried
 * and in which context its errors are worded. `run_specs` turns each enum
 * cog_op into one of those operations plus a small builder that writes the
 * JSON body from struct cog_params, adding SECRET_HASH where Cognito wants it.
 * One core (perform) sends, retries with full-jitter back-off inside a fixed
 * time budget, parses the answer (size capped by awshttp, depth capped here)
 * and writes one log line per call, never with a body, token or secret.
 * Ownership: the client's strings and cog_call's request are borrowed; the
 * parsed reply belongs to the struct cog_result until cog_result_free. No
 * state is kept between calls, so any worker thread may call at any time
 * (awshttp keeps the per-thread connection). */
#include "aws/cognito.h"

#include <assert.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/awshttp.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/metrics.h"

#define TARGET_PREFIX "AWSCognitoIdentityProviderService."
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define SIGNING_SERVICE "cognito-idp"
#define REGIONAL_ENDPOINT_FMT "https://cognito-idp.%s.amazonaws.com/"

#define RETRY_ATTEMPTS_MAX 3
#define RETRY_BASE_MS 100
#define RETRY_CAP_MS 1000
#define ATTEMPT_MIN_MS 250 /* no attempt starts with less of the budget left */

#define URL_MAX 512
#define TARGET_MAX 96
#define HEADERS_MAX (2 + SIGV4_ADDED_HEADERS_MAX + 1) /* + NULL */
#define DETAIL_MAX AWSHTTP_ERROR_MAX /* the transport error, for the log line */
#define REPLY_DEPTH_MAX 32 /* nesting of a Cognito answer */
#define PATH_SEGMENT_MAX 64
#define SHA256_LEN 32
#define SECRET_HASH_SIZE 45 /* Base64 of 32 bytes, plus NUL */
#define HTTP_SUCCESS_MIN 200
#define HTTP_SUCCESS_END 300
#define HTTP_SERVER_ERROR_MIN 500
#define HTTP_GATEWAY_FIRST 502 /* Bad Gateway, Service Unavailable, Gateway Timeout */
#define HTTP_GATEWAY_LAST 504
#define MS_PER_S 1000L
#define NS_PER_MS 1000000L

/* The whole call, retries and back-off included, so a slow Cognito never
 * holds a worker thread longer than this. Not const: tests shorten it. */
static long call_budget_ms = HTTP_TOTAL_TIMEOUT_MS;

/* NotAuthorizedException's message for a disabled user, word for word. */
#define COGNITO_USER_DISABLED "User is disabled."

/* ---- the operations ---------------------------------------------------- */

enum retry_policy {
    RETRY_NEVER,     /* a second request could send a second email or create a
                        second thing: one attempt only */
    RETRY_THROTTLED, /* one-shot actions (a code, a session, a password):
                        retried only when Cognito refused them for load, since
                        after a 5xx or a timeout the first may have happened
                        and a retry would report a confusing error */
    RETRY_TRANSIENT, /* reads and idempotent writes: throttling, 5xx,
                        InternalError and no answer at all */
};

struct op_spec {
    const char *name;
    bool is_signed; /* admin API: SigV4 with the configured credentials */
    enum retry_policy retry;
    enum cogerr_ctx ctx; /* how cog_call words its errors */
};

static const struct op_spec op_specs[] = {
    {"SignUp", false, RETRY_NEVER, COGERR_CTX_GENERIC},
    {"ConfirmSignUp", false, RETRY_THROTTLED, COGERR_CTX_USE_CODE},
    {"ResendConfirmationCode", false, RETRY_NEVER, COGERR_CTX_SEND_CODE},
    {"InitiateAuth", false, RETRY_TRANSIENT, COGERR_CTX_LOGIN},
    {"RespondToAuthChallenge", false, RETRY_THROTTLED, COGERR_CTX_SESSION},
    {"GetUser", false, RETRY_TRANSIENT, COGERR_CTX_SESSION},
    {"ChangePassword", false, RETRY_THROTTLED, COGERR_CTX_CHANGE_PASSWORD},
    {"ForgotPassword", false, RETRY_NEVER, COGERR_CTX_SEND_CODE},
    {"ConfirmForgotPassword", false, RETRY_THROTTLED, COGERR_CTX_USE_CODE},
    {"GlobalSignOut", false, RETRY_TRANSIENT, COGERR_CTX_SESSION},
    {"RevokeToken", false, RETRY_TRANSIENT, COGERR_CTX_SESSION},
    {"AdminGetUser", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminUpdateUserAttributes", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"ListUsers", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminCreateUser", true, RETRY_NEVER, COGERR_CTX_ADMIN},
    {"AdminAddUserToGroup", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminListGroupsForUser", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    /* Signing out twice signs out: safe to repeat. */
    {"AdminUserGlobalSignOut", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"CreateUserPool", true, RETRY_NEVER, COGERR_CTX_ADMIN},
    {"CreateUserPoolClient", true, RETRY_NEVER, COGERR_CTX_ADMIN},
    {"DescribeUserPoolClient", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"DescribeUserPool", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"ListUserPools", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"CreateGroup", true, RETRY_NEVER, COGERR_CTX_ADMIN},
    /* Deleting twice answers "not found": a one-shot action. */
    {"DeleteUserPool", true, RETRY_THROTTLED, COGERR_CTX_ADMIN},
    /* A user's own: the same attributes twice are the same; a code is
     * spent once (a retry after a lost answer reads as a mismatch); a
     * deleted user is gone, and a second DeleteUser is refused. */
    {"UpdateUserAttributes", false, RETRY_THROTTLED, COGERR_CTX_SESSION},
    {"VerifyUserAttribute", false, RETRY_THROTTLED, COGERR_CTX_USE_CODE},
    {"DeleteUser", false, RETRY_THROTTLED, COGERR_CTX_SESSION},
    {"DeleteUserAttributes", false, RETRY_TRANSIENT, COGERR_CTX_SESSION},
    /* A second association would replace the secret the user is scanning. */
    {"AssociateSoftwareToken", false, RETRY_NEVER, COGERR_CTX_SESSION},
    {"VerifySoftwareToken", false, RETRY_THROTTLED, COGERR_CTX_USE_CODE},
    {"SetUserMFAPreference", false, RETRY_TRANSIENT, COGERR_CTX_SESSION},
    /* Setting the same configuration twice sets it: safe to repeat. */
    {"SetUserPoolMfaConfig", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    /* Confirming twice is refused (the user is no longer UNCONFIRMED). */
    {"AdminConfirmSignUp", true, RETRY_THROTTLED, COGERR_CTX_ADMIN},
    /* An admin's actions on one user (pages/admin_actions). Disabling,
     * enabling, turning MFA off and leaving a group twice end the same:
     * safe to repeat. A reset sends the user a code: once. Deleting twice
     * answers "not found". */
    {"AdminDisableUser", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminEnableUser", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminResetUserPassword", true, RETRY_NEVER, COGERR_CTX_ADMIN},
    {"AdminSetUserMFAPreference", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminRemoveUserFromGroup", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminDeleteUser", true, RETRY_THROTTLED, COGERR_CTX_ADMIN},
    {"ListUsersInGroup", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
    {"AdminDeleteUserAttributes", true, RETRY_TRANSIENT, COGERR_CTX_ADMIN},
};

#define OP_SPECS_COUNT (sizeof(op_specs) / sizeof(*op_specs))

static const struct op_spec *find_op(const char *name)
{
    for (size_t i = 0; name && i < OP_SPECS_COUNT; i++)
        if (!strcmp(op_specs[i].name, name))
            return &op_specs[i];
    return NULL;
}

/* ---- SECRET_HASH ------------------------------------------------------- */

static bool has_secret(const struct cog_client *c)
{
    return c->client_secret && c->client_secret[0];
}

/* secret_hash writes Base64(HMAC-SHA256(key = client secret, message =
 * username + client id)) into out. For REFRESH_TOKEN_AUTH Cognito wants the
 * user's sub as the username here, not the email (its own rule). */
static bool secret_hash(const char *secret, const char *username, const char *client_id,
                        char out[SECRET_HASH_SIZE])
{
    unsigned char mac[SHA256_LEN];
    unsigned int mac_len = 0;
    struct buf msg;
    buf_init(&msg);
    buf_puts(&msg, username);
    buf_puts(&msg, client_id);
    bool ok = HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.data,
                   msg.len, mac, &mac_len) != NULL &&
              mac_len == SHA256_LEN;
    if (ok)
        EVP_EncodeBlock((unsigned char *)out, mac, SHA256_LEN);
    else
        out[0] = '\0';
    buf_free(&msg);
    return ok;
}

/* ---- request bodies ---------------------------------------------------- */

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    json_object_object_add(obj, key, json_object_new_string(value));
}

/* add_secret_hash adds key = SECRET_HASH(username) to obj when the client
 * has a secret; without one it does nothing. */
static bool add_secret_hash(const struct cog_client *c, struct json_object *obj,
                            const char *key, const char *username)
{
    char hash[SECRET_HASH_SIZE];
    if (!has_secret(c))
        return true;
    if (!secret_hash(c->client_secret, username, c->client_id, hash))
        return false;
    add_str(obj, key, hash);
    return true;
}

static struct json_object *attributes(const struct cog_params *p)
{
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < p->n_attrs; i++) {
        struct json_object *a = json_object_new_object();
        add_str(a, "Name", p->attrs[i].name);
        add_str(a, "Value", p->attrs[i].value);
        json_object_array_add(list, a);
    }
    return list;
}

/* Each builder fills req (an empty object) and returns false only when
 * SECRET_HASH cannot be computed; parameters were checked before. */
typedef bool build_fn(const struct cog_client *c, const struct cog_params *p,
                      struct json_object *req);

static bool build_sign_up(const struct cog_client *c, const struct cog_params *p,
                          struct json_object *req)
{
    add_str(req, "ClientId", c->client_id);
    add_str(req, "Username", p->username);
    add_str(req, "Password", p->password);
    if (p->n_attrs)
        json_object_object_add(req, "UserAttributes", attributes(p));
    return add_secret_hash(c, req, "SecretHash", p->username);
}

/* ResendConfirmationCode and ForgotPassword: the client and the user. */
static bool build_user_request(const struct cog_client *c, const struct cog_params *p,
                               struct json_object *req)
{
    add_str(req, "ClientId", c->client_id);
    add_str(req, "Username", p->username);
    return add_secret_hash(c, req, "SecretHash", p->username);
}

static bool build_confirm_sign_up(const struct cog_client *c, const struct cog_params *p,
                                  struct json_object *req)
{
    add_str(req, "ConfirmationCode", p->code);
    return build_user_request(c, p, req);
}

static bool build_confirm_forgot(const struct cog_client *c, const struct cog_params *p,
                                 struct json_object *req)
{
    add_str(req, "ConfirmationCode", p->code);
    add_str(req, "Password", p->password);
    return build_user_request(c, p, req);
}

static bool build_login(const struct cog_client *c, const struct cog_params *p,
                        struct json_object *req)
{
    struct json_object *auth = json_object_new_object();
    add_str(req, "AuthFlow", "USER_PASSWORD_AUTH");
    add_str(req, "ClientId", c->client_id);
    json_object_object_add(req, "AuthParameters", auth);
    add_str(auth, "USERNAME", p->username);
    add_str(auth, "PASSWORD", p->password);
    return add_secret_hash(c, auth, "SECRET_HASH", p->username);
}

static bool build_refresh(const struct cog_client *c, const struct cog_params *p,
                          struct json_object *req)
{
    struct json_object *auth = json_object_new_object();
    add_str(req, "AuthFlow", "REFRESH_TOKEN_AUTH");
    add_str(req, "ClientId", c->client_id);
    json_object_object_add(req, "AuthParameters", auth);
    add_str(auth, "REFRESH_TOKEN", p->refresh_token);
    /* p->username is the sub here: see secret_hash. */
    return add_secret_hash(c, auth, "SECRET_HASH", p->username);
}

static bool build_new_password(const struct cog_client *c, const struct cog_params *p,
                               struct json_object *req)
{
    struct json_object *answers = json_object_new_object();
    add_str(req, "ChallengeName", "NEW_PASSWORD_REQUIRED");
    add_str(req, "ClientId", c->client_id);
    add_str(req, "Session", p->session);
    json_object_object_add(req, "ChallengeResponses", answers);
    add_str(answers, "USERNAME", p->username);
    add_str(answers, "NEW_PASSWORD", p->password);
    return add_secret_hash(c, answers, "SECRET_HASH", p->username);
}

/* GetUser and GlobalSignOut. */
static bool build_access_token(const struct cog_client *c, const struct cog_params *p,
                               struct json_object *req)
{
    (void)c;
    add_str(req, "AccessToken", p->access_token);
    return true;
}

/* UpdateUserAttributes: the user's own attributes, with their access
 * token; the app client's WriteAttributes bound what Cognito takes. */
static bool build_update_attributes(const struct cog_client *c, const struct cog_params *p,
                                    struct json_object *req)
{
    (void)c;
    add_str(req, "AccessToken", p->access_token);
    json_object_object_add(req, "UserAttributes", attributes(p));
    return true;
}

/* DeleteUserAttributes: the names of attrs (their values are unused). */
static bool build_delete_attributes(const struct cog_client *c, const struct cog_params *p,
                                    struct json_object *req)
{
    (void)c;
    struct json_object *names = json_object_new_array();
    add_str(req, "AccessToken", p->access_token);
    for (size_t i = 0; i < p->n_attrs; i++)
        json_object_array_add(names, json_object_new_string(p->attrs[i].name));
    json_object_object_add(req, "UserAttributeNames", names);
    return true;
}

/* VerifyUserAttribute: the code sent for the attribute named attrs[0]. */
static bool build_verify_attribute(const struct cog_client *c, const struct cog_params *p,
                                   struct json_object *req)
{
    (void)c;
    add_str(req, "AccessToken", p->access_token);
    add_str(req, "AttributeName", p->attrs[0].name);
    add_str(req, "Code", p->code);
    return true;
}

static bool build_change_password(const struct cog_client *c, const struct cog_params *p,
                                  struct json_object *req)
{
    (void)c;
    add_str(req, "AccessToken", p->access_token);
    add_str(req, "PreviousPassword", p->previous_password);
    add_str(req, "ProposedPassword", p->password);
    return true;
}

static bool build_revoke(const struct cog_client *c, const struct cog_params *p,
                         struct json_object *req)
{
    add_str(req, "Token", p->refresh_token);
    add_str(req, "ClientId", c->client_id);
    /* RevokeToken takes the secret itself rather than a SECRET_HASH. */
    if (has_secret(c))
        add_str(req, "ClientSecret", c->client_secret);
    return true;
}

/* AdminGetUser and AdminListGroupsForUser. */
static bool build_admin_user(const struct cog_client *c, const struct cog_params *p,
                             struct json_object *req)
{
    add_str(req, "UserPoolId", c->pool_id);
    add_str(req, "Username", p->username);
    return true;
}

static bool build_admin_update(const struct cog_client *c, const struct cog_params *p,
                               struct json_object *req)
{
    build_admin_user(c, p, req);
    json_object_object_add(req, "UserAttributes", attributes(p));
    return true;
}

static bool build_admin_add_to_group(const struct cog_client *c, const struct cog_params *p,
                                     struct json_object *req)
{
    build_admin_user(c, p, req);
    add_str(req, "GroupName", p->group);
    return true;
}

static bool build_mfa_verify(const struct cog_client *c, const struct cog_params *p,
                             struct json_object *req)
{
    (void)c;
    add_str(req, "AccessToken", p->access_token);
    add_str(req, "UserCode", p->code);
    if (p->device_name && p->device_name[0])
        add_str(req, "FriendlyDeviceName", p->device_name);
    return true;
}

/* mfa_preference writes SetUserMFAPreference for TOTP on or off; on makes
 * it the preferred factor too, so a sign-in asks for it without a choice. */
static void mfa_preference(const struct cog_params *p, struct json_object *req, bool on)
{
    struct json_object *totp = json_object_new_object();
    add_str(req, "AccessToken", p->access_token);
    json_object_object_add(totp, "Enabled", json_object_new_boolean(on));
    json_object_object_add(totp, "PreferredMfa", json_object_new_boolean(on));
    json_object_object_add(req, "SoftwareTokenMfaSettings", totp);
}

static bool build_mfa_enable(const struct cog_client *c, const struct cog_params *p,
                             struct json_object *req)
{
    (void)c;
    mfa_preference(p, req, true);
    return true;
}

static bool build_mfa_disable(const struct cog_client *c, const struct cog_params *p,
                              struct json_object *req)
{
    (void)c;
    mfa_preference(p, req, false);
    return true;
}

static bool build_mfa_answer(const struct cog_client *c, const struct cog_params *p,
                             struct json_object *req)
{
    struct json_object *answers = json_object_new_object();
    add_str(req, "ChallengeName", "SOFTWARE_TOKEN_MFA");
    add_str(req, "ClientId", c->client_id);
    add_str(req, "Session", p->session);
    json_object_object_add(req, "ChallengeResponses", answers);
    add_str(answers, "USERNAME", p->username);
    add_str(answers, "SOFTWARE_TOKEN_MFA_CODE", p->code);
    return add_secret_hash(c, answers, "SECRET_HASH", p->username);
}

static bool build_describe_client(const struct cog_client *c, const struct cog_params *p,
                                  struct json_object *req)
{
    (void)p;
    add_str(req, "UserPoolId", c->pool_id);
    add_str(req, "ClientId", c->client_id);
    return true;
}

/* AdminSetUserMFAPreference turning every factor off: the user's next
 * sign-in asks for none (an authenticator lost). */
static bool build_admin_mfa_off(const struct cog_client *c, const struct cog_params *p,
                                struct json_object *req)
{
    static const char *const factors[] = {"SoftwareTokenMfaSettings", "SMSMfaSettings"};
    build_admin_user(c, p, req);
    for (size_t i = 0; i < sizeof(factors) / sizeof(*factors); i++) {
        struct json_object *off = json_object_new_object();
        json_object_object_add(off, "Enabled", json_object_new_boolean(0));
        json_object_object_add(off, "PreferredMfa", json_object_new_boolean(0));
        json_object_object_add(req, factors[i], off);
    }
    return true;
}

/* ListUsersInGroup: one page of the group's members. */
static bool build_group_members(const struct cog_client *c, const struct cog_params *p,
                                struct json_object *req)
{
    add_str(req, "UserPoolId", c->pool_id);
    add_str(req, "GroupName", p->group);
    if (p->next_token && p->next_token[0])
        add_str(req, "NextToken", p->next_token);
    return true;
}

/* AdminDeleteUserAttributes: the names of the attributes removed. */
static bool build_admin_delete_attributes(const struct cog_client *c,
                                          const struct cog_params *p, struct json_object *req)
{
    struct json_object *names = json_object_new_array();
    build_admin_user(c, p, req);
    for (size_t i = 0; i < p->n_attrs; i++)
        json_object_array_add(names, json_object_new_string(p->attrs[i].name));
    json_object_object_add(req, "UserAttributeNames", names);
    return true;
}

/* What a cog_op cannot go without; checked before building. */
enum need {
    NEED_USERNAME = 1 << 0,
    NEED_PASSWORD = 1 << 1,
    NEED_PREVIOUS_PASSWORD = 1 << 2,
    NEED_CODE = 1 << 3,
    NEED_ACCESS_TOKEN = 1 << 4,
    NEED_REFRESH_TOKEN = 1 << 5,
    NEED_SESSION = 1 << 6,
    NEED_GROUP = 1 << 7,
    NEED_ATTRS = 1 << 8,
    NEED_SUB_IF_SECRET = 1 << 9, /* username (the sub) only with a secret */
    NEED_CLIENT = 1 << 10,       /* the client's client_id */
    NEED_POOL = 1 << 11,         /* the client's pool_id */
};

struct run_spec {
    const char *op;
    enum cogerr_ctx ctx;
    unsigned needs;
    build_fn *build;
};

static const struct run_spec run_specs[COG_OP_COUNT] = {
    [COG_SIGN_UP] = {"SignUp", COGERR_CTX_GENERIC,
                     NEED_CLIENT | NEED_USERNAME | NEED_PASSWORD, build_sign_up},
    [COG_CONFIRM_SIGN_UP] = {"ConfirmSignUp", COGERR_CTX_USE_CODE,
                             NEED_CLIENT | NEED_USERNAME | NEED_CODE, build_confirm_sign_up},
    [COG_RESEND_CODE] = {"ResendConfirmationCode", COGERR_CTX_SEND_CODE,
                         NEED_CLIENT | NEED_USERNAME, build_user_request},
    [COG_LOGIN] = {"InitiateAuth", COGERR_CTX_LOGIN,
                   NEED_CLIENT | NEED_USERNAME | NEED_PASSWORD, build_login},
    [COG_REFRESH] = {"InitiateAuth", COGERR_CTX_SESSION,
                     NEED_CLIENT | NEED_REFRESH_TOKEN | NEED_SUB_IF_SECRET, build_refresh},
    [COG_NEW_PASSWORD] = {"RespondToAuthChallenge", COGERR_CTX_SESSION,
                          NEED_CLIENT | NEED_USERNAME | NEED_PASSWORD | NEED_SESSION,
                          build_new_password},
    [COG_GET_USER] = {"GetUser", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN, build_access_token},
    [COG_CHANGE_PASSWORD] = {"ChangePassword", COGERR_CTX_CHANGE_PASSWORD,
                             NEED_ACCESS_TOKEN | NEED_PREVIOUS_PASSWORD | NEED_PASSWORD,
                             build_change_password},
    [COG_FORGOT_PASSWORD] = {"ForgotPassword", COGERR_CTX_SEND_CODE,
                             NEED_CLIENT | NEED_USERNAME, build_user_request},
    [COG_CONFIRM_FORGOT_PASSWORD] = {"ConfirmForgotPassword", COGERR_CTX_USE_CODE,
                                     NEED_CLIENT | NEED_USERNAME | NEED_CODE | NEED_PASSWORD,
                                     build_confirm_forgot},
    [COG_GLOBAL_SIGN_OUT] = {"GlobalSignOut", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN,
                             build_access_token},
    [COG_REVOKE_TOKEN] = {"RevokeToken", COGERR_CTX_SESSION,
                          NEED_CLIENT | NEED_REFRESH_TOKEN, build_revoke},
    [COG_ADMIN_GET_USER] = {"AdminGetUser", COGERR_CTX_ADMIN, NEED_POOL | NEED_USERNAME,
                            build_admin_user},
    [COG_ADMIN_UPDATE_ATTRIBUTES] = {"AdminUpdateUserAttributes", COGERR_CTX_ADMIN,
                                     NEED_POOL | NEED_USERNAME | NEED_ATTRS,
                                     build_admin_update},
    [COG_ADMIN_ADD_TO_GROUP] = {"AdminAddUserToGroup", COGERR_CTX_ADMIN,
                                NEED_POOL | NEED_USERNAME | NEED_GROUP,
                                build_admin_add_to_group},
    [COG_ADMIN_LIST_GROUPS] = {"AdminListGroupsForUser", COGERR_CTX_ADMIN,
                               NEED_POOL | NEED_USERNAME, build_admin_user},
    [COG_ADMIN_GLOBAL_SIGN_OUT] = {"AdminUserGlobalSignOut", COGERR_CTX_ADMIN,
                                   NEED_POOL | NEED_USERNAME, build_admin_user},
    [COG_DESCRIBE_CLIENT] = {"DescribeUserPoolClient", COGERR_CTX_ADMIN,
                             NEED_POOL | NEED_CLIENT, build_describe_client},
    [COG_UPDATE_ATTRIBUTES] = {"UpdateUserAttributes", COGERR_CTX_SESSION,
                               NEED_ACCESS_TOKEN | NEED_ATTRS, build_update_attributes},
    [COG_VERIFY_ATTRIBUTE] = {"VerifyUserAttribute", COGERR_CTX_USE_CODE,
                              NEED_ACCESS_TOKEN | NEED_CODE | NEED_ATTRS, build_verify_attribute},
    [COG_DELETE_USER] = {"DeleteUser", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN, build_access_token},
    [COG_DELETE_ATTRIBUTES] = {"DeleteUserAttributes", COGERR_CTX_SESSION,
                               NEED_ACCESS_TOKEN | NEED_ATTRS, build_delete_attributes},
    [COG_MFA_ASSOCIATE] = {"AssociateSoftwareToken", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN,
                           build_access_token},
    [COG_MFA_VERIFY] = {"VerifySoftwareToken", COGERR_CTX_USE_CODE,
                        NEED_ACCESS_TOKEN | NEED_CODE, build_mfa_verify},
    [COG_MFA_ENABLE] = {"SetUserMFAPreference", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN,
                        build_mfa_enable},
    [COG_MFA_DISABLE] = {"SetUserMFAPreference", COGERR_CTX_SESSION, NEED_ACCESS_TOKEN,
                         build_mfa_disable},
    [COG_MFA_ANSWER] = {"RespondToAuthChallenge", COGERR_CTX_USE_CODE,
                        NEED_CLIENT | NEED_USERNAME | NEED_CODE | NEED_SESSION,
                        build_mfa_answer},
    [COG_ADMIN_DISABLE] = {"AdminDisableUser", COGERR_CTX_ADMIN, NEED_POOL | NEED_USERNAME,
                           build_admin_user},
    [COG_ADMIN_ENABLE] = {"AdminEnableUser", COGERR_CTX_ADMIN, NEED_POOL | NEED_USERNAME,
                          build_admin_user},
    [COG_ADMIN_RESET_PASSWORD] = {"AdminResetUserPassword", COGERR_CTX_ADMIN,
                                  NEED_POOL | NEED_USERNAME, build_admin_user},
    [COG_ADMIN_MFA_OFF] = {"AdminSetUserMFAPreference", COGERR_CTX_ADMIN,
                           NEED_POOL | NEED_USERNAME, build_admin_mfa_off},
    [COG_ADMIN_REMOVE_FROM_GROUP] = {"AdminRemoveUserFromGroup", COGERR_CTX_ADMIN,
                                     NEED_POOL | NEED_USERNAME | NEED_GROUP,
                                     build_admin_add_to_group},
    [COG_ADMIN_DELETE_USER] = {"AdminDeleteUser", COGERR_CTX_ADMIN, NEED_POOL | NEED_USERNAME,
                               build_admin_user},
    [COG_ADMIN_GROUP_MEMBERS] = {"ListUsersInGroup", COGERR_CTX_ADMIN, NEED_POOL | NEED_GROUP,
                                 build_group_members},
    [COG_ADMIN_DELETE_ATTRIBUTES] = {"AdminDeleteUserAttributes", COGERR_CTX_ADMIN,
                                     NEED_POOL | NEED_USERNAME | NEED_ATTRS,
                                     build_admin_delete_attributes},
};

static bool given(const char *s)
{
    return s && s[0];
}

/* missing_param names the first thing op needs that is absent, or NULL. */
static const char *missing_param(const struct cog_client *c, unsigned needs,
                                 const struct cog_params *p)
{
    static const struct {
        unsigned bit;
        size_t offset;
        const char *name;
    } params[] = {
        {NEED_USERNAME, offsetof(struct cog_params, username), "username"},
        {NEED_PASSWORD, offsetof(struct cog_params, password), "password"},
        {NEED_PREVIOUS_PASSWORD, offsetof(struct cog_params, previous_password),
         "previous_password"},
        {NEED_CODE, offsetof(struct cog_params, code), "code"},
        {NEED_ACCESS_TOKEN, offsetof(struct cog_params, access_token), "access_token"},
        {NEED_REFRESH_TOKEN, offsetof(struct cog_params, refresh_token), "refresh_token"},
        {NEED_SESSION, offsetof(struct cog_params, session), "session"},
        {NEED_GROUP, offsetof(struct cog_params, group), "group"},
    };
    for (size_t i = 0; i < sizeof(params) / sizeof(*params); i++) {
        const char *value = *(const char *const *)((const char *)p + params[i].offset);
        if ((needs & params[i].bit) && !given(value))
            return params[i].name;
    }
    if ((needs & NEED_SUB_IF_SECRET) && has_secret(c) && !given(p->username))
        return "username (the user's sub, for SECRET_HASH)";
    if ((needs & NEED_ATTRS) && p->n_attrs == 0)
        return "attrs";
    for (size_t i = 0; i < p->n_attrs; i++)
        if (!given(p->attrs[i].name) || !p->attrs[i].value)
            return "attrs";
    return NULL;
}

/* build_request returns the JSON body for op (the caller puts it), or NULL
 * with the reason in err. */
static struct json_object *build_request(const struct cog_client *c, enum cog_op op,
                                         const struct cog_params *p, char *err,
                                         size_t errlen)
{
    const struct run_spec *rs = &run_specs[op];
    const char *missing = missing_param(c, rs->needs, p);
    if (missing) {
        snprintf(err, errlen, "missing %s", missing);
        return NULL;
    }
    struct json_object *req = json_object_new_object();
    if (!rs->build(c, p, req)) {
        snprintf(err, errlen, "cannot compute SECRET_HASH");
        json_object_put(req);
        return NULL;
    }
    return req;
}

/* ---- retries ----------------------------------------------------------- */

static bool is_throttle(enum cogerr err)
{
    return err == COGERR_TOO_MANY_REQUESTS || err == COGERR_THROTTLING;
}

/* should_retry decides after a failed attempt whose outcome is in r.
 * LimitExceeded and TooManyFailedAttempts are limits the user must see, not
 * load: they are never retried. */
static bool should_retry(enum retry_policy policy, const struct cog_result *r)
{
    /* Worth asking again: no answer at all, Cognito's own InternalError, a
     * typed 5xx, and a gateway's 502-504, which mean "try again" by their
     * very status. Another 5xx without a __type is an implementation's own
     * failure (an emulator's "not implemented" page): the same question
     * gets the same answer. */
    bool gateway = r->http_status >= HTTP_GATEWAY_FIRST && r->http_status <= HTTP_GATEWAY_LAST;
    bool transient = (r->http_status == 0 && r->err == COGERR_UNAVAILABLE) ||
                     r->err == COGERR_INTERNAL_ERROR ||
                     (r->http_status >= HTTP_SERVER_ERROR_MIN && (r->type[0] || gateway));
    switch (policy) {
    case RETRY_NEVER:
        return false;
    case RETRY_THROTTLED:
        return is_throttle(r->err);
    case RETRY_TRANSIENT:
        return is_throttle(r->err) || transient;
    default:
        assert(!"unknown retry policy");
        return false;
    }
}

/* backoff_ms returns the pause before attempt number `done + 1`: "full
 * jitter", uniform in [0, min(cap, base * 2^(done-1))], so that many workers
 * throttled together do not come back together. */
static long backoff_ms(int done)
{
    long ceiling = RETRY_BASE_MS;
    for (int i = 1; i < done && ceiling < RETRY_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > RETRY_CAP_MS)
        ceiling = RETRY_CAP_MS;
    unsigned int r;
    if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
        return ceiling / 2;
    return (long)(r % (unsigned int)(ceiling + 1));
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / MS_PER_S, .tv_nsec = (ms % MS_PER_S) * NS_PER_MS};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* ---- one attempt ------------------------------------------------------- */

/* first_line copies the first line of an answer's body into out, as
 * printable ASCII ('?' for anything else), for the log. */
static void first_line(const char *body, size_t len, char *out, size_t outlen)
{
    size_t n = 0;
    for (size_t i = 0; i < len && body[i] != '\n' && body[i] != '\r' && n + 1 < outlen; i++)
        out[n++] = body[i] >= ' ' && body[i] < 0x7f ? body[i] : '?';
    if (outlen)
        out[n] = '\0';
}

/* classify turns one awshttp outcome into out (err, type, http_status and,
 * on success, reply). detail gets the transport error, or the first line
 * of an answer without a __type. */
static void classify(int rc, struct awshttp_reply *reply, struct cog_result *out,
                     char *detail, size_t detaillen)
{
    struct json_object *obj = NULL;
    out->type[0] = '\0';
    out->http_status = rc == 0 ? reply->status : 0;
    if (rc != 0) {
        /* No answer in time, no connection, or a reply over the cap: to
         * the user all of these are "Cognito is not answering". */
        snprintf(detail, detaillen, "%s", reply->error);
        out->err = COGERR_UNAVAILABLE;
        return;
    }
    if (reply->body.len > 0) {
        struct json_tokener *tok = json_tokener_new_ex(REPLY_DEPTH_MAX);
        obj = json_tokener_parse_ex(tok, reply->body.data, (int)reply->body.len);
        bool complete = json_tokener_get_error(tok) == json_tokener_success &&
                        json_tokener_get_parse_end(tok) == reply->body.len;
        json_tokener_free(tok);
        if (!complete || !json_object_is_type(obj, json_type_object)) {
            json_object_put(obj);
            obj = NULL;
        }
    } else {
        obj = json_object_new_object(); /* an empty body is an empty answer */
    }
    if (reply->status >= HTTP_SUCCESS_MIN && reply->status < HTTP_SUCCESS_END) {
        out->err = obj ? COGERR_NONE : COGERR_UNKNOWN;
        if (!obj)
            snprintf(detail, detaillen, "unreadable answer");
        out->reply = obj;
        return;
    }
    struct json_object *type = NULL;
    if (obj && json_object_object_get_ex(obj, "__type", &type) &&
        json_object_is_type(type, json_type_string)) {
        cogerr_base_type(json_object_get_string(type), out->type, sizeof(out->type));
        out->err = cogerr_from_type(out->type);
        struct json_object *message = NULL;
        /* Cognito's only word that a user is disabled (see cogerr.c). */
        if (out->err == COGERR_NOT_AUTHORIZED &&
            json_object_object_get_ex(obj, "message", &message) &&
            json_object_is_type(message, json_type_string) &&
            !strcmp(json_object_get_string(message), COGNITO_USER_DISABLED))
            out->err = COGERR_USER_DISABLED;
    } else {
        /* A 5xx without a type: to the user, Cognito is not answering.
         * Anything else is not understood. Either way the log says what
         * came back, by its first line. */
        out->err = reply->status >= HTTP_SERVER_ERROR_MIN ? COGERR_UNAVAILABLE
                                                          : COGERR_UNKNOWN;
        first_line(reply->body.data, reply->body.len, detail, detaillen);
    }
    json_object_put(obj);
}

/* authority_and_path splits url into its host[:port] (default ports dropped,
 * as libcurl sends Host) and its path; false when url is not http(s). */
static bool authority_and_path(const char *url, char *host, size_t hostlen,
                               const char **path)
{
    static const struct { const char *scheme, *default_port; } schemes[] = {
        {"https://", ":443"},
        {"http://", ":80"},
    };
    for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncasecmp(url, schemes[i].scheme, n) != 0)
            continue;
        const char *start = url + n;
        size_t len = strcspn(start, "/?#");
        size_t port_len = strlen(schemes[i].default_port);
        *path = start[len] == '/' ? start + len : "/";
        if (len > port_len && !strncmp(start + len - port_len, schemes[i].default_port,
                                       port_len))
            len -= port_len;
        if (len == 0 || len >= hostlen)
            return false;
        memcpy(host, start, len);
        host[len] = '\0';
        return true;
    }
    return false;
}

/* sign_into adds the SigV4 headers for body to lines; false with err on a
 * refused signature. */
static bool sign_into(const struct cog_client *c, const char *url, const char *target,
                      const char *body, size_t body_len, struct buf *lines, size_t *n,
                      char *err, size_t errlen)
{
    char host[URL_MAX];
    const char *path;
    if (!authority_and_path(url, host, sizeof(host), &path)) {
        snprintf(err, errlen, "cannot sign for this endpoint");
        return false;
    }
    char path_only[URL_MAX];
    snprintf(path_only, sizeof(path_only), "%.*s", (int)strcspn(path, "?#"), path);
    struct sigv4_header signed_headers[] = {
        {"Host", host},
        {"Content-Type", CONTENT_TYPE},
        {"X-Amz-Target", target},
    };
    struct sigv4_request req = {
        .method = "POST",
        .path = path_only,
        .headers = signed_headers,
        .n_headers = sizeof(signed_headers) / sizeof(*signed_headers),
        .payload = body,
        .payload_len = body_len,
        .region = c->region,
        .service = SIGNING_SERVICE,
        .when = time(NULL),
    };
    struct sigv4_result res = {0};
    if (!sigv4_sign(&req, &c->cred, &res, err, errlen))
        return false;
    for (size_t i = 0; i < res.n_headers; i++)
        buf_printf(&lines[(*n)++], "%s: %s", res.headers[i].name, res.headers[i].value);
    sigv4_result_free(&res);
    return true;
}

/* ---- the call ---------------------------------------------------------- */

static void log_call(const struct cog_client *c, const struct op_spec *spec,
                     const struct cog_result *out, const char *detail)
{
    char type[COG_TYPE_MAX + 8], quoted_detail[DETAIL_MAX + 8];
    bool trouble = out->err == COGERR_UNAVAILABLE || out->err == COGERR_UNKNOWN ||
                   out->http_status >= HTTP_SERVER_ERROR_MIN;
    const struct cogerr_info *generic = cogerr_get(out->err, COGERR_CTX_GENERIC);
    metrics_observe("cognito", spec->name, generic ? generic->code : "none",
                    (int64_t)out->latency_ms * 1000);
    metrics_phase_add(PHASE_COGNITO, (int64_t)out->latency_ms * 1000);
    log_event(trouble ? LOG_WARN : LOG_INFO, "cognito_call",
              "op=%s pool=%s status=%ld error=%s type=%s attempts=%d latency_ms=%ld%s%s",
              spec->name, given(c->pool_id) ? c->pool_id : "-", out->http_status,
              generic ? generic->code : "none",
              log_quote(type, sizeof(type), out->type), out->attempts, out->latency_ms,
              detail[0] ? " detail=" : "",
              detail[0] ? log_quote(quoted_detail, sizeof(quoted_detail), detail) : "");
}

/* perform sends request as spec's operation with retries inside the budget,
 * fills out, and logs the call. Returns 0 on success, -1 otherwise. */
static int perform(const struct cog_client *c, const struct op_spec *spec,
                   enum cogerr_ctx ctx, struct json_object *request, struct cog_result *out)
{
    char url[URL_MAX], target[TARGET_MAX], detail[DETAIL_MAX] = "";
    struct buf lines[HEADERS_MAX];
    const char *headers[HEADERS_MAX + 1];
    long start = now_ms();
    long deadline = start + call_budget_ms;

    for (size_t i = 0; i < HEADERS_MAX; i++)
        buf_init(&lines[i]);
    int url_len = given(c->endpoint) ? snprintf(url, sizeof(url), "%s", c->endpoint)
                  : given(c->region) ? snprintf(url, sizeof(url), REGIONAL_ENDPOINT_FMT, c->region)
                                     : 0;
    if (url_len <= 0 || (size_t)url_len >= sizeof(url)) {
        snprintf(detail, sizeof(detail), "no usable endpoint or region");
        out->err = COGERR_RESOURCE_NOT_FOUND;
        goto out;
    }
    snprintf(target, sizeof(target), TARGET_PREFIX "%s", spec->name);
    size_t body_len = 0;
    const char *body = json_object_to_json_string_length(
        request, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &body_len);
    bool sign = spec->is_signed && given(c->cred.access_key_id);

    for (;;) {
        size_t n = 0;
        for (size_t i = 0; i < HEADERS_MAX; i++)
            buf_reset(&lines[i]);
        buf_printf(&lines[n++], "Content-Type: %s", CONTENT_TYPE);
        buf_printf(&lines[n++], "X-Amz-Target: %s", target);
        /* Signed again for every attempt: X-Amz-Date moves on. */
        if (sign && !sign_into(c, url, target, body, body_len, lines, &n, detail,
                               sizeof(detail))) {
            out->err = COGERR_UNKNOWN;
            break;
        }
        for (size_t i = 0; i < n; i++)
            headers[i] = buf_cstr(&lines[i]);
        headers[n] = NULL;

        struct awshttp_reply reply;
        out->attempts++;
        long left = deadline - now_ms();
        int rc = awshttp_call("POST", url, headers, body, body_len, COGNITO_RESPONSE_MAX,
                              left > 0 ? left : 1, &reply); /* curl: 0 = no limit */
        detail[0] = '\0';
        classify(rc, &reply, out, detail, sizeof(detail));
        awshttp_reply_free(&reply);
        if (out->err == COGERR_NONE || out->attempts >= RETRY_ATTEMPTS_MAX ||
            !should_retry(spec->retry, out))
            break;
        long pause = backoff_ms(out->attempts);
        if (now_ms() + pause + ATTEMPT_MIN_MS > deadline)
            break;
        sleep_ms(pause);
    }
out:
    for (size_t i = 0; i < HEADERS_MAX; i++)
        buf_free(&lines[i]);
    out->latency_ms = now_ms() - start;
    out->error = cogerr_get(out->err, ctx);
    log_call(c, spec, out, detail);
    return out->err == COGERR_NONE ? 0 : -1;
}

/* refuse fills out for a request that was never sent (a caller's mistake or
 * a client without its settings) and logs why. Such a refusal is never
 * concealed, whatever the operation's context. */
static int refuse(const char *op, enum cogerr err, const char *why, struct cog_result *out)
{
    char quoted[DETAIL_MAX + 8];
    out->err = err;
    out->error = cogerr_get(err, COGERR_CTX_GENERIC);
    log_event(LOG_WARN, "cognito_call_refused", "op=%s reason=%s", op ? op : "-",
              log_quote(quoted, sizeof(quoted), why));
    return -1;
}

int cog_call(const struct cog_client *c, const char *op, struct json_object *request,
             struct cog_result *out)
{
    memset(out, 0, sizeof(*out));
    const struct op_spec *spec = find_op(op);
    if (!spec)
        return refuse(op, COGERR_UNKNOWN, "operation not listed", out);
    if (!request)
        return refuse(op, COGERR_INVALID_PARAMETER, "no request", out);
    return perform(c, spec, spec->ctx, request, out);
}

/* cog_run: see cognito.h. Settings missing from the client read as
 * "sign-in is not set up" (ResourceNotFound), missing parameters as
 * InvalidParameter; neither is sent. */
int cog_run(const struct cog_client *c, enum cog_op op, const struct cog_params *p,
            struct cog_result *out)
{
    static const struct cog_params no_params;
    char why[DETAIL_MAX];
    memset(out, 0, sizeof(*out));
    if (!p)
        p = &no_params;
    if ((int)op < 0 || op >= COG_OP_COUNT)
        return refuse(NULL, COGERR_UNKNOWN, "operation out of range", out);
    const struct run_spec *rs = &run_specs[op];
    if (((rs->needs & NEED_CLIENT) && !given(c->client_id)) ||
        ((rs->needs & NEED_POOL) && !given(c->pool_id)))
        return refuse(rs->op, COGERR_RESOURCE_NOT_FOUND, "client settings missing", out);
    struct json_object *req = build_request(c, op, p, why, sizeof(why));
    if (!req)
        return refuse(rs->op, COGERR_INVALID_PARAMETER, why, out);
    int rc = perform(c, find_op(rs->op), rs->ctx, req, out);
    json_object_put(req);
    return rc;
}

/* ---- reading answers --------------------------------------------------- */

const char *cog_get(const struct cog_result *r, const char *path)
{
    struct json_object *node = r->reply;
    while (node && path && *path) {
        char key[PATH_SEGMENT_MAX];
        size_t len = strcspn(path, ".");
        if (len >= sizeof(key) || !json_object_is_type(node, json_type_object))
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        if (!json_object_object_get_ex(node, key, &node))
            return NULL;
        path += len + (path[len] == '.');
    }
    if (!node || json_object_is_type(node, json_type_object) ||
        json_object_is_type(node, json_type_array) || json_object_is_type(node, json_type_null))
        return NULL;
    return json_object_get_string(node);
}

const char *cog_user_attr(const struct cog_result *r, const char *name)
{
    struct json_object *list, *item, *field;
    if (!r->reply || !json_object_object_get_ex(r->reply, "UserAttributes", &list) ||
        !json_object_is_type(list, json_type_array))
        return NULL;
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        item = json_object_array_get_idx(list, i);
        const char *item_name = json_object_object_get_ex(item, "Name", &field)
                                    ? json_object_get_string(field)
                                    : NULL;
        if (!item_name || strcmp(item_name, name) != 0)
            continue;
        if (json_object_object_get_ex(item, "Value", &field) &&
            json_object_is_type(field, json_type_string))
            return json_object_get_string(field);
        return NULL;
    }
    return NULL;
}

void cog_result_free(struct cog_result *r)
{
    if (!r)
        return;
    json_object_put(r->reply);
    memset(r, 0, sizeof(*r));
}

/* ---- invitations (svc/invite) ------------------------------------------ */

static struct json_object *admin_request(const struct cog_client *c, const char *username)
{
    struct json_object *req = json_object_new_object();
    add_str(req, "UserPoolId", c->pool_id);
    add_str(req, "Username", username);
    return req;
}

int cog_admin_invite(const struct cog_client *c, const char *username,
                     const struct cog_attr *attrs, size_t n_attrs, bool resend,
                     struct cog_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!given(c->pool_id))
        return refuse("AdminCreateUser", COGERR_RESOURCE_NOT_FOUND, "client settings missing",
                      out);
    if (!given(username))
        return refuse("AdminCreateUser", COGERR_INVALID_PARAMETER, "no username", out);
    struct json_object *req = admin_request(c, username);
    if (n_attrs) {
        struct cog_params p = {.attrs = attrs, .n_attrs = n_attrs};
        json_object_object_add(req, "UserAttributes", attributes(&p));
    }
    struct json_object *media = json_object_new_array();
    json_object_array_add(media, json_object_new_string("EMAIL"));
    json_object_object_add(req, "DesiredDeliveryMediums", media);
    if (resend)
        add_str(req, "MessageAction", "RESEND");
    int rc = perform(c, find_op("AdminCreateUser"), COGERR_CTX_ADMIN, req, out);
    json_object_put(req);
    return rc;
}

int cog_admin_confirm_sign_up(const struct cog_client *c, const char *username,
                              struct cog_result *out)
{
    memset(out, 0, sizeof(*out));
    if (!given(c->pool_id))
        return refuse("AdminConfirmSignUp", COGERR_RESOURCE_NOT_FOUND,
                      "client settings missing", out);
    if (!given(username))
        return refuse("AdminConfirmSignUp", COGERR_INVALID_PARAMETER, "no username", out);
    struct json_object *req = admin_request(c, username);
    int rc = perform(c, find_op("AdminConfirmSignUp"), COGERR_CTX_ADMIN, req, out);
    json_object_put(req);
    return rc;
}
