/* SPDX-License-Identifier: MIT */
/* test_cognito: the Cognito client.
 *
 * 1. SECRET_HASH against vectors made with the openssl command line.
 * 2. Request bodies built for the flows' operations (build_request, the seam
 *    between cog_run and the network), parameter checks included.
 * 3. The retry policy: which operations retry on which outcomes, and the
 *    back-off bounds.
 * 4. Reading answers: classify (status + body → error), endpoint parsing,
 *    cog_get and cog_user_attr.
 * 5. Live round trips against a canned HTTP server on a loopback port run by
 *    a thread of this test: error mapping, retries (and their absence),
 *    SigV4 headers on admin calls, a hung server, a closed port, and the log
 *    line (which must never carry a password, secret or hash). */
#include "test.h"

#include "aws/cognito.c"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/xalloc.h"

/* Made with:
 *   printf 'user@example.comclientid' | openssl dgst -sha256 -hmac secret -binary | base64 */
#define VECTOR1_SECRET "secret"
#define VECTOR1_USER "user@example.com"
#define VECTOR1_CLIENT "clientid"
#define VECTOR1_HASH "Ydnp3xPCpTsz7LSFmkut6z1V1m1wewHxO/H7Q04MRAM="
/* Made with (a sub as the username, as REFRESH_TOKEN_AUTH wants):
 *   printf '2f1c8b52-1d34-4b8e-9a61-7e0d5a3c9b10abc123clientid' \
 *     | openssl dgst -sha256 -hmac 'k3y/with+chars=' -binary | base64 */
#define VECTOR2_SECRET "k3y/with+chars="
#define VECTOR2_SUB "2f1c8b52-1d34-4b8e-9a61-7e0d5a3c9b10"
#define VECTOR2_CLIENT "abc123clientid"
#define VECTOR2_HASH "Q/ff+sE7/L9m0PcRNnfwv9Sv5seWVjk9inslVyKfeY8="

#define PASSWORD "Corr3ct-Horse/Battery!"
#define SHORT_BUDGET_MS 400
#define SLACK_MS 1500
#define BACKOFF_SAMPLES 200

static const char *str_at(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static struct json_object *obj_at(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!obj || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

static bool str_is(const char *actual, const char *expected)
{
    return actual && expected && !strcmp(actual, expected);
}

/* ---- 1. SECRET_HASH ---------------------------------------------------- */

static void test_secret_hash(void)
{
    char out[SECRET_HASH_SIZE];
    test_cond("hash: vector 1", secret_hash(VECTOR1_SECRET, VECTOR1_USER, VECTOR1_CLIENT, out) &&
                                    str_is(out, VECTOR1_HASH));
    test_cond("hash: vector 2 (sub)",
              secret_hash(VECTOR2_SECRET, VECTOR2_SUB, VECTOR2_CLIENT, out) &&
                  str_is(out, VECTOR2_HASH));
    secret_hash(VECTOR1_SECRET, VECTOR1_CLIENT, VECTOR1_USER, out);
    test_cond("hash: order is username then client id", !str_is(out, VECTOR1_HASH));
}

/* ---- 2. request bodies ------------------------------------------------- */

static const struct cog_client secret_client = {
    .region = "us-east-1",
    .pool_id = "us-east-1_TEST",
    .client_id = VECTOR1_CLIENT,
    .client_secret = VECTOR1_SECRET,
};
static const struct cog_client plain_client = {
    .region = "us-east-1",
    .pool_id = "us-east-1_TEST",
    .client_id = "plainclient",
};

static void test_bodies(void)
{
    char err[128];
    struct cog_attr attrs[] = {{"email", VECTOR1_USER}, {"custom:user_tier", "premium"}};
    struct cog_params sign_up = {
        .username = VECTOR1_USER, .password = PASSWORD, .attrs = attrs, .n_attrs = 2};
    struct json_object *req =
        build_request(&secret_client, COG_SIGN_UP, &sign_up, err, sizeof(err));
    test_cond("SignUp: built", req != NULL);
    test_cond("SignUp: ClientId", str_is(str_at(req, "ClientId"), VECTOR1_CLIENT));
    test_cond("SignUp: Username", str_is(str_at(req, "Username"), VECTOR1_USER));
    test_cond("SignUp: Password", str_is(str_at(req, "Password"), PASSWORD));
    test_cond("SignUp: SecretHash", str_is(str_at(req, "SecretHash"), VECTOR1_HASH));
    struct json_object *list = NULL;
    json_object_object_get_ex(req, "UserAttributes", &list);
    test_cond("SignUp: two attributes",
              json_object_is_type(list, json_type_array) && json_object_array_length(list) == 2);
    test_cond("SignUp: attribute name and value",
              list &&
                  str_is(str_at(json_object_array_get_idx(list, 1), "Name"), "custom:user_tier") &&
                  str_is(str_at(json_object_array_get_idx(list, 1), "Value"), "premium"));
    const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE);
    test_cond("SignUp: slashes are sent as they are", strstr(text, PASSWORD) != NULL);
    json_object_put(req);

    req = build_request(&plain_client, COG_SIGN_UP, &sign_up, err, sizeof(err));
    test_cond("SignUp without a secret: no SecretHash", req && !str_at(req, "SecretHash"));
    json_object_put(req);

    struct cog_params login = {.username = VECTOR1_USER, .password = PASSWORD};
    req = build_request(&secret_client, COG_LOGIN, &login, err, sizeof(err));
    struct json_object *auth = obj_at(req, "AuthParameters");
    test_cond("login: USER_PASSWORD_AUTH", str_is(str_at(req, "AuthFlow"), "USER_PASSWORD_AUTH"));
    test_cond("login: USERNAME and PASSWORD", str_is(str_at(auth, "USERNAME"), VECTOR1_USER) &&
                                                  str_is(str_at(auth, "PASSWORD"), PASSWORD));
    test_cond("login: SECRET_HASH in AuthParameters",
              str_is(str_at(auth, "SECRET_HASH"), VECTOR1_HASH) && !str_at(req, "SecretHash"));
    json_object_put(req);

    const struct cog_client refresh_client = {.client_id = VECTOR2_CLIENT,
                                              .client_secret = VECTOR2_SECRET};
    struct cog_params refresh = {.refresh_token = "rt-opaque", .username = VECTOR2_SUB};
    req = build_request(&refresh_client, COG_REFRESH, &refresh, err, sizeof(err));
    auth = obj_at(req, "AuthParameters");
    test_cond("refresh: REFRESH_TOKEN_AUTH", str_is(str_at(req, "AuthFlow"), "REFRESH_TOKEN_AUTH"));
    test_cond("refresh: token", str_is(str_at(auth, "REFRESH_TOKEN"), "rt-opaque"));
    test_cond("refresh: SECRET_HASH made with the sub",
              str_is(str_at(auth, "SECRET_HASH"), VECTOR2_HASH));
    test_cond("refresh: no USERNAME sent", !str_at(auth, "USERNAME"));
    json_object_put(req);
    refresh.username = NULL;
    req = build_request(&refresh_client, COG_REFRESH, &refresh, err, sizeof(err));
    test_cond("refresh with a secret needs the sub", !req && strstr(err, "sub"));
    json_object_put(req);
    req = build_request(&plain_client, COG_REFRESH, &refresh, err, sizeof(err));
    test_cond("refresh without a secret needs no sub",
              req && obj_at(req, "AuthParameters") &&
                  !str_at(obj_at(req, "AuthParameters"), "SECRET_HASH"));
    json_object_put(req);

    struct cog_params challenge = {
        .username = VECTOR1_USER, .password = PASSWORD, .session = "sess-1"};
    req = build_request(&secret_client, COG_NEW_PASSWORD, &challenge, err, sizeof(err));
    struct json_object *answers = obj_at(req, "ChallengeResponses");
    test_cond("new password: challenge name",
              str_is(str_at(req, "ChallengeName"), "NEW_PASSWORD_REQUIRED"));
    test_cond("new password: session", str_is(str_at(req, "Session"), "sess-1"));
    test_cond("new password: responses", str_is(str_at(answers, "USERNAME"), VECTOR1_USER) &&
                                             str_is(str_at(answers, "NEW_PASSWORD"), PASSWORD) &&
                                             str_is(str_at(answers, "SECRET_HASH"), VECTOR1_HASH));
    json_object_put(req);

    struct cog_params confirm = {.username = VECTOR1_USER, .code = "123456", .password = PASSWORD};
    req = build_request(&secret_client, COG_CONFIRM_FORGOT_PASSWORD, &confirm, err, sizeof(err));
    test_cond("confirm forgot: code, password, hash",
              str_is(str_at(req, "ConfirmationCode"), "123456") &&
                  str_is(str_at(req, "Password"), PASSWORD) &&
                  str_is(str_at(req, "SecretHash"), VECTOR1_HASH));
    json_object_put(req);
    req = build_request(&secret_client, COG_CONFIRM_SIGN_UP, &confirm, err, sizeof(err));
    test_cond("confirm sign-up: no password sent",
              req && !str_at(req, "Password") &&
                  str_is(str_at(req, "ConfirmationCode"), "123456") &&
                  str_is(str_at(req, "SecretHash"), VECTOR1_HASH));
    json_object_put(req);

    struct cog_params change = {
        .access_token = "at", .previous_password = "old", .password = "new"};
    req = build_request(&secret_client, COG_CHANGE_PASSWORD, &change, err, sizeof(err));
    test_cond("change password: fields", str_is(str_at(req, "AccessToken"), "at") &&
                                             str_is(str_at(req, "PreviousPassword"), "old") &&
                                             str_is(str_at(req, "ProposedPassword"), "new") &&
                                             !str_at(req, "ClientId"));
    json_object_put(req);

    struct cog_params revoke = {.refresh_token = "rt"};
    req = build_request(&secret_client, COG_REVOKE_TOKEN, &revoke, err, sizeof(err));
    test_cond("revoke: token and the client's secret itself",
              str_is(str_at(req, "Token"), "rt") &&
                  str_is(str_at(req, "ClientSecret"), VECTOR1_SECRET));
    json_object_put(req);

    struct cog_attr tier[] = {{"custom:user_tier", "standard"}};
    struct cog_params update = {.username = VECTOR1_USER, .attrs = tier, .n_attrs = 1};
    req = build_request(&secret_client, COG_ADMIN_UPDATE_ATTRIBUTES, &update, err, sizeof(err));
    test_cond("admin update: pool, user, attributes, no hash",
              str_is(str_at(req, "UserPoolId"), "us-east-1_TEST") &&
                  str_is(str_at(req, "Username"), VECTOR1_USER) && !str_at(req, "SecretHash") &&
                  !str_at(req, "ClientId"));
    json_object_put(req);

    struct cog_params group = {.username = VECTOR1_USER, .group = "admin"};
    req = build_request(&secret_client, COG_ADMIN_ADD_TO_GROUP, &group, err, sizeof(err));
    test_cond("admin add to group: GroupName", str_is(str_at(req, "GroupName"), "admin"));
    json_object_put(req);

    struct cog_params none = {0};
    req = build_request(&secret_client, COG_DESCRIBE_CLIENT, &none, err, sizeof(err));
    test_cond("describe client: pool and client",
              str_is(str_at(req, "UserPoolId"), "us-east-1_TEST") &&
                  str_is(str_at(req, "ClientId"), VECTOR1_CLIENT));
    json_object_put(req);

    /* Refusals. */
    struct cog_params no_password = {.username = VECTOR1_USER};
    req = build_request(&secret_client, COG_LOGIN, &no_password, err, sizeof(err));
    test_cond("login without a password: refused", !req && strstr(err, "password"));
    struct cog_params empty_code = {.username = VECTOR1_USER, .code = ""};
    req = build_request(&secret_client, COG_CONFIRM_SIGN_UP, &empty_code, err, sizeof(err));
    test_cond("confirm with an empty code: refused", !req && strstr(err, "code"));
    struct cog_params no_attrs = {.username = VECTOR1_USER};
    req = build_request(&secret_client, COG_ADMIN_UPDATE_ATTRIBUTES, &no_attrs, err, sizeof(err));
    test_cond("admin update without attributes: refused", !req && strstr(err, "attrs"));
    struct cog_attr bad[] = {{NULL, "x"}};
    struct cog_params bad_attr = {
        .username = VECTOR1_USER, .password = "p", .attrs = bad, .n_attrs = 1};
    req = build_request(&secret_client, COG_SIGN_UP, &bad_attr, err, sizeof(err));
    test_cond("attribute without a name: refused", !req && strstr(err, "attrs"));

    /* Every operation the flows run is a listed operation with a builder. */
    for (int op = 0; op < COG_OP_COUNT; op++)
        test_cond("run spec is complete",
                  run_specs[op].op && find_op(run_specs[op].op) && run_specs[op].build);
}

/* ---- 3. retry policy --------------------------------------------------- */

static const char *const public_ops[] = {
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "InitiateAuth",
    "RespondToAuthChallenge",
    "GetUser",
    "ChangePassword",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "GlobalSignOut",
    "RevokeToken",
    "UpdateUserAttributes",
    "VerifyUserAttribute",
    "DeleteUser",
    "DeleteUserAttributes",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
    "SetUserMFAPreference",
};
static const char *const admin_ops[] = {
    "AdminGetUser",           "AdminUpdateUserAttributes", "ListUsers",      "AdminCreateUser",
    "AdminAddUserToGroup",    "AdminListGroupsForUser",    "CreateUserPool", "CreateUserPoolClient",
    "DescribeUserPoolClient", "DescribeUserPool",          "CreateGroup",    "DeleteUserPool",
    "ListUserPools",          "AdminUserGlobalSignOut",    "SetUserPoolMfaConfig",
    "AdminConfirmSignUp",
    "AdminDisableUser",       "AdminEnableUser",           "AdminResetUserPassword",
    "AdminSetUserMFAPreference", "AdminRemoveUserFromGroup", "AdminDeleteUser",
    "ListUsersInGroup",       "AdminDeleteUserAttributes",
};
/* Each would send a second email or create a second thing. */
static const char *const never_retried[] = {
    "SignUp",      "AdminCreateUser", "CreateUserPool",         "CreateUserPoolClient",
    "CreateGroup", "ForgotPassword",  "ResendConfirmationCode", "AssociateSoftwareToken",
    "AdminResetUserPassword",
};
static const char *const reads[] = {
    "GetUser",          "InitiateAuth",           "AdminGetUser",
    "ListUsers",        "AdminListGroupsForUser", "DescribeUserPoolClient",
    "DescribeUserPool", "ListUserPools",
};

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

struct outcome {
    const char *name;
    enum cogerr err;
    long status;
    bool transient, throttle;
};

static const struct outcome outcomes[] = {
    {"throttled (TooManyRequests)", COGERR_TOO_MANY_REQUESTS, 400, false, true},
    {"throttled (Throttling)", COGERR_THROTTLING, 400, false, true},
    {"InternalError", COGERR_INTERNAL_ERROR, 500, true, false},
    {"503 without type", COGERR_UNAVAILABLE, 503, true, false},
    {"504 without type", COGERR_UNAVAILABLE, 504, true, false},
    {"500 without type (not implemented)", COGERR_UNAVAILABLE, 500, false, false},
    {"501 without type", COGERR_UNAVAILABLE, 501, false, false},
    {"502 unknown type", COGERR_UNKNOWN, 502, true, false},
    {"no answer", COGERR_UNAVAILABLE, 0, true, false},
    {"LimitExceeded", COGERR_LIMIT_EXCEEDED, 400, false, false},
    {"TooManyFailedAttempts", COGERR_TOO_MANY_FAILED_ATTEMPTS, 400, false, false},
    {"UsernameExists", COGERR_USERNAME_EXISTS, 400, false, false},
    {"NotAuthorized", COGERR_NOT_AUTHORIZED, 400, false, false},
    {"unreadable 200", COGERR_UNKNOWN, 200, false, false},
};

static void test_retry_policy(void)
{
    char name[160];
    for (size_t i = 0; i < COUNT(public_ops); i++) {
        const struct op_spec *s = find_op(public_ops[i]);
        snprintf(name, sizeof(name), "%s: listed, unsigned", public_ops[i]);
        test_cond(name, s && !s->is_signed);
    }
    for (size_t i = 0; i < COUNT(admin_ops); i++) {
        const struct op_spec *s = find_op(admin_ops[i]);
        snprintf(name, sizeof(name), "%s: listed, signed", admin_ops[i]);
        test_cond(name, s && s->is_signed);
    }
    test_cond("nothing else is listed", OP_SPECS_COUNT == COUNT(public_ops) + COUNT(admin_ops));
    test_cond("unlisted operation not found",
              find_op("AdminLinkProviderForUser") == NULL && find_op(NULL) == NULL);
    for (size_t i = 0; i < COUNT(never_retried); i++) {
        const struct op_spec *s = find_op(never_retried[i]);
        snprintf(name, sizeof(name), "%s: never retried", never_retried[i]);
        test_cond(name, s && s->retry == RETRY_NEVER);
    }
    for (size_t i = 0; i < COUNT(reads); i++) {
        const struct op_spec *s = find_op(reads[i]);
        snprintf(name, sizeof(name), "%s: retried on transient trouble", reads[i]);
        test_cond(name, s && s->retry == RETRY_TRANSIENT);
    }
    static const char *const one_shot[] = {"ConfirmSignUp", "ConfirmForgotPassword",
                                           "ChangePassword", "RespondToAuthChallenge"};
    for (size_t i = 0; i < COUNT(one_shot); i++) {
        const struct op_spec *s = find_op(one_shot[i]);
        snprintf(name, sizeof(name), "%s: retried on throttling only", one_shot[i]);
        test_cond(name, s && s->retry == RETRY_THROTTLED);
    }

    /* The decision for every policy and outcome. */
    for (size_t i = 0; i < COUNT(outcomes); i++) {
        struct cog_result r = {.err = outcomes[i].err, .http_status = outcomes[i].status};
        snprintf(name, sizeof(name), "never: %s", outcomes[i].name);
        test_cond(name, !should_retry(RETRY_NEVER, &r));
        snprintf(name, sizeof(name), "throttled: %s", outcomes[i].name);
        test_cond(name, should_retry(RETRY_THROTTLED, &r) == outcomes[i].throttle);
        snprintf(name, sizeof(name), "transient: %s", outcomes[i].name);
        test_cond(name, should_retry(RETRY_TRANSIENT, &r) ==
                            (outcomes[i].throttle || outcomes[i].transient));
    }

    /* Full jitter: within [0, min(cap, base * 2^(n-1))], and not constant. */
    for (int done = 1; done <= 5; done++) {
        long ceiling = RETRY_BASE_MS << (done - 1);
        if (ceiling > RETRY_CAP_MS)
            ceiling = RETRY_CAP_MS;
        bool in_range = true, varies = false;
        long first = backoff_ms(done);
        for (int i = 0; i < BACKOFF_SAMPLES; i++) {
            long d = backoff_ms(done);
            in_range = in_range && d >= 0 && d <= ceiling;
            varies = varies || d != first;
        }
        snprintf(name, sizeof(name), "backoff after %d: within [0, %ld]", done, ceiling);
        test_cond(name, in_range);
        snprintf(name, sizeof(name), "backoff after %d: jittered", done);
        test_cond(name, varies);
    }
    test_cond("the budget is the total HTTP timeout", call_budget_ms == HTTP_TOTAL_TIMEOUT_MS);
}

/* ---- 4. reading answers ------------------------------------------------ */

static char last_detail[DETAIL_MAX]; /* what classify_text's call said */

static void classify_text(long status, int rc, const char *body, struct cog_result *out)
{
    struct awshttp_reply reply = {.status = status};
    char *detail = last_detail;
    detail[0] = '\0';
    buf_init(&reply.body);
    if (body)
        buf_puts(&reply.body, body);
    snprintf(reply.error, sizeof(reply.error), "%s", rc ? "Connection refused" : "");
    memset(out, 0, sizeof(*out));
    classify(rc, &reply, out, detail, sizeof(last_detail));
    buf_free(&reply.body);
}

static void test_classify(void)
{
    struct cog_result r;
    classify_text(
        400, 0,
        "{\"__type\":\"com.amazonaws.cognito.identity.idp.model#UsernameExistsException\","
        "\"message\":\"An account with the given email already exists.\"}",
        &r);
    test_cond("400 with prefixed type", r.err == COGERR_USERNAME_EXISTS &&
                                            str_is(r.type, "UsernameExistsException") &&
                                            r.http_status == 400 && !r.reply);
    classify_text(400, 0, "{\"__type\":\"CodeMismatchException\"}", &r);
    test_cond("400 with bare type", r.err == COGERR_CODE_MISMATCH);
    classify_text(400, 0,
                  "{\"__type\":\"NotAuthorizedException\",\"message\":\"User is disabled.\"}", &r);
    test_cond("NotAuthorized for a disabled user: user_disabled", r.err == COGERR_USER_DISABLED);
    classify_text(400, 0,
                  "{\"__type\":\"NotAuthorizedException\","
                  "\"message\":\"Incorrect username or password.\"}",
                  &r);
    test_cond("NotAuthorized otherwise: not_authorized", r.err == COGERR_NOT_AUTHORIZED);
    classify_text(400, 0, "{\"__type\":\"BrandNewException\"}", &r);
    test_cond("unlisted type: unknown, type kept for the log",
              r.err == COGERR_UNKNOWN && str_is(r.type, "BrandNewException"));
    classify_text(500, 0, "{\"__type\":\"CognitoLocal#Unsupported\",\"message\":\"x\"}", &r);
    test_cond("cognito-local's unsupported: unknown",
              r.err == COGERR_UNKNOWN && str_is(r.type, "Unsupported"));
    classify_text(200, 0, "{\"UserSub\":\"abc\",\"UserConfirmed\":false}", &r);
    test_cond("200: success with the answer", r.err == COGERR_NONE && r.reply &&
                                                  str_is(cog_get(&r, "UserSub"), "abc") &&
                                                  str_is(cog_get(&r, "UserConfirmed"), "false"));
    cog_result_free(&r);
    test_cond("free zeroes", r.reply == NULL && r.err == COGERR_NONE);
    cog_result_free(&r);
    classify_text(200, 0, "", &r);
    test_cond("200 empty body: success", r.err == COGERR_NONE && r.reply);
    cog_result_free(&r);
    classify_text(200, 0, "not json", &r);
    test_cond("200 garbage: unknown", r.err == COGERR_UNKNOWN && !r.reply);
    classify_text(200, 0, "[1,2]", &r);
    test_cond("200 array: unknown", r.err == COGERR_UNKNOWN && !r.reply);
    classify_text(200, 0, "{} {}", &r);
    test_cond("200 trailing data: unknown", r.err == COGERR_UNKNOWN && !r.reply);
    char deep[2 * (REPLY_DEPTH_MAX + 2) + 8] = "";
    for (int i = 0; i <= REPLY_DEPTH_MAX; i++)
        strcat(deep, "[");
    for (int i = 0; i <= REPLY_DEPTH_MAX; i++)
        strcat(deep, "]");
    char wrapped[sizeof(deep) + 16];
    snprintf(wrapped, sizeof(wrapped), "{\"a\":%s}", deep);
    classify_text(200, 0, wrapped, &r);
    test_cond("200 too deep: unknown", r.err == COGERR_UNKNOWN && !r.reply);
    classify_text(500, 0, "", &r);
    test_cond("500 without type: unavailable", r.err == COGERR_UNAVAILABLE && r.http_status == 500);
    classify_text(500, 0, "Error: AdminUserGlobalSignOut has not been implemented\r\n<pre>\x01", &r);
    test_cond("500 html: unavailable, its first line for the log",
              r.err == COGERR_UNAVAILABLE &&
                  !strcmp(last_detail, "Error: AdminUserGlobalSignOut has not been implemented"));
    classify_text(403, 0, "<html>Forbidden</html>", &r);
    test_cond("403 html: unknown", r.err == COGERR_UNKNOWN);
    classify_text(400, 0, "{\"__type\":42}", &r);
    test_cond("non-string type: unknown", r.err == COGERR_UNKNOWN && r.type[0] == '\0');
    classify_text(0, -1, NULL, &r);
    test_cond("no answer: unavailable, status 0",
              r.err == COGERR_UNAVAILABLE && r.http_status == 0);

    char host[64];
    const char *path = NULL;
    test_cond("endpoint: local",
              authority_and_path("http://127.0.0.1:9229/", host, sizeof(host), &path) &&
                  str_is(host, "127.0.0.1:9229") && str_is(path, "/"));
    test_cond("endpoint: AWS", authority_and_path("https://cognito-idp.eu-west-1.amazonaws.com/",
                                                  host, sizeof(host), &path) &&
                                   str_is(host, "cognito-idp.eu-west-1.amazonaws.com"));
    test_cond("endpoint: default port dropped",
              authority_and_path("https://h.example:443/x", host, sizeof(host), &path) &&
                  str_is(host, "h.example") && str_is(path, "/x"));
    test_cond("endpoint: no path", authority_and_path("http://h", host, sizeof(host), &path) &&
                                       str_is(host, "h") && str_is(path, "/"));
    test_cond("endpoint: other scheme refused",
              !authority_and_path("ftp://h/", host, sizeof(host), &path));
    test_cond("endpoint: empty host refused",
              !authority_and_path("http:///", host, sizeof(host), &path));

    struct cog_result user = {
        .reply = json_tokener_parse(
            "{\"AuthenticationResult\":{\"IdToken\":\"id.t.k\",\"ExpiresIn\":3600},"
            "\"UserAttributes\":[{\"Name\":\"sub\",\"Value\":\"s-1\"},{\"Name\":7},"
            "{\"Name\":\"email\",\"Value\":\"a@b.c\"},{\"Name\":\"x\"}],"
            "\"Nothing\":null}")};
    test_cond("get: nested string",
              str_is(cog_get(&user, "AuthenticationResult.IdToken"), "id.t.k"));
    test_cond("get: number as text",
              str_is(cog_get(&user, "AuthenticationResult.ExpiresIn"), "3600"));
    test_cond("get: object is not a scalar", cog_get(&user, "AuthenticationResult") == NULL);
    test_cond("get: array is not a scalar", cog_get(&user, "UserAttributes") == NULL);
    test_cond("get: null", cog_get(&user, "Nothing") == NULL);
    test_cond("get: missing", cog_get(&user, "AuthenticationResult.Nope") == NULL);
    test_cond("get: through a scalar", cog_get(&user, "AuthenticationResult.IdToken.x") == NULL);
    test_cond("attr: email", str_is(cog_user_attr(&user, "email"), "a@b.c"));
    test_cond("attr: sub", str_is(cog_user_attr(&user, "sub"), "s-1"));
    test_cond("attr: without value", cog_user_attr(&user, "x") == NULL);
    test_cond("attr: missing", cog_user_attr(&user, "name") == NULL);
    cog_result_free(&user);
    test_cond("get on an empty result",
              cog_get(&user, "a") == NULL && cog_user_attr(&user, "a") == NULL);
}

/* ---- 5. a canned Cognito on loopback ----------------------------------- */

#define SERVER_SCRIPT_MAX 8
#define SERVER_REQUESTS_MAX 8
#define SERVER_HEAD_MAX 16384
#define SERVER_BODY_MAX 65536
#define HANG_LIMIT_MS 5000

struct canned {
    int status; /* 0: hang until the client gives up */
    const char *body;
};

struct seen {
    char head[SERVER_HEAD_MAX];
    char body[SERVER_BODY_MAX];
};

struct server {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    struct canned script[SERVER_SCRIPT_MAX];
    int n_script, next;
    struct seen seen[SERVER_REQUESTS_MAX];
    int n_seen;
};

/* read_request reads one HTTP/1.1 request (head, then Content-Length bytes). */
static bool read_request(int fd, struct seen *s)
{
    size_t got = 0;
    char *end = NULL;
    while (!end) {
        if (got + 1 >= sizeof(s->head))
            return false;
        ssize_t n = recv(fd, s->head + got, sizeof(s->head) - 1 - got, 0);
        if (n <= 0)
            return false;
        got += (size_t)n;
        s->head[got] = '\0';
        end = strstr(s->head, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - s->head) + 4;
    const char *cl = strcasestr(s->head, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + strlen("\r\nContent-Length:"), NULL, 10) : 0;
    if (want >= sizeof(s->body))
        return false;
    size_t have = got - head_len;
    memcpy(s->body, s->head + head_len, have);
    while (have < want) {
        ssize_t n = recv(fd, s->body + have, want - have, 0);
        if (n <= 0)
            return false;
        have += (size_t)n;
    }
    s->body[want] = '\0';
    s->head[head_len] = '\0';
    return true;
}

static void answer(int fd, const struct canned *c)
{
    if (c->status == 0) {
        /* Hang: wait for the client to give up and close. */
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char sink[256];
        while (poll(&p, 1, HANG_LIMIT_MS) > 0 && recv(fd, sink, sizeof(sink), 0) > 0)
            ;
        return;
    }
    char head[256];
    size_t len = strlen(c->body);
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.1\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     c->status, len);
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) < 0 || send(fd, c->body, len, MSG_NOSIGNAL) < 0)
        return;
}

static void *serve(void *arg)
{
    struct server *s = arg;
    static const struct canned exhausted = {418, "{\"message\":\"script exhausted\"}"};
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            break;
        struct seen *rec = xmalloc(sizeof(*rec));
        if (read_request(fd, rec)) {
            pthread_mutex_lock(&s->lock);
            const struct canned *c = s->next < s->n_script ? &s->script[s->next++] : &exhausted;
            if (s->n_seen < SERVER_REQUESTS_MAX)
                s->seen[s->n_seen++] = *rec;
            pthread_mutex_unlock(&s->lock);
            answer(fd, c);
        }
        free(rec);
        close(fd);
    }
    return NULL;
}

static bool server_start(struct server *s)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(s->fd, 8) != 0 || getsockname(s->fd, (struct sockaddr *)&addr, &len) != 0)
        return false;
    s->port = ntohs(addr.sin_port);
    return pthread_create(&s->thread, NULL, serve, s) == 0;
}

static void server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR); /* makes the blocked accept return */
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->lock);
}

/* server_script replaces the canned answers (NULL-terminated by status -1). */
static void server_script(struct server *s, const struct canned *script)
{
    pthread_mutex_lock(&s->lock);
    s->n_script = s->next = s->n_seen = 0;
    for (; script[s->n_script].status >= 0 && s->n_script < SERVER_SCRIPT_MAX; s->n_script++)
        s->script[s->n_script] = script[s->n_script];
    pthread_mutex_unlock(&s->lock);
}

static int server_seen(struct server *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->n_seen;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static const char *header_value(const char *head, const char *name, char *out, size_t outlen)
{
    char needle[64];
    snprintf(needle, sizeof(needle), "\r\n%s:", name);
    const char *p = strcasestr(head, needle);
    if (!p)
        return NULL;
    p += strlen(needle);
    while (*p == ' ')
        p++;
    snprintf(out, outlen, "%.*s", (int)strcspn(p, "\r\n"), p);
    return out;
}

#define USERNAME_EXISTS_BODY                                                                       \
    "{\"__type\":\"UsernameExistsException\",\"message\":\"User already exists\"}"
#define INTERNAL_BODY "{\"__type\":\"InternalErrorException\",\"message\":\"oops\"}"
#define THROTTLE_BODY "{\"__type\":\"TooManyRequestsException\",\"message\":\"Rate exceeded\"}"
#define LIMIT_BODY "{\"__type\":\"LimitExceededException\",\"message\":\"Attempt limit\"}"
#define USER_BODY                                                                                  \
    "{\"Username\":\"2f1c\",\"UserAttributes\":[{\"Name\":\"email\",\"Value\":\"user@example."     \
    "com\"}]}"

/* read_all returns what was written to fd from offset 0 (malloc'd). */
static char *read_all(int fd)
{
    struct buf b;
    char chunk[1024];
    ssize_t n;
    buf_init(&b);
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        buf_append(&b, chunk, (size_t)n);
    buf_putc(&b, '\0');
    return b.data;
}

static void test_live(void)
{
    struct server srv;
    char url[64], value[512];
    if (!server_start(&srv)) {
        test_cond("loopback server starts", false);
        return;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
    struct cog_client c = {
        .endpoint = url,
        .region = "us-east-1",
        .pool_id = "us-east-1_TEST",
        .client_id = VECTOR1_CLIENT,
        .client_secret = VECTOR1_SECRET,
        .cred = {.access_key_id = "AKIDTEST",
                 .secret_access_key = "wJalrXUtnFEMI/TEST",
                 .session_token = "session-token-TEST"},
    };
    struct cog_result r;
    struct cog_params sign_up = {.username = VECTOR1_USER, .password = PASSWORD};

    /* A Cognito-style 400, with the log line captured on the way. */
    server_script(&srv, (struct canned[]){{400, USERNAME_EXISTS_BODY}, {-1, NULL}});
    char log_path[] = "/tmp/test_cognito_log.XXXXXX";
    int log_fd = mkstemp(log_path);
    int saved_stderr = dup(STDERR_FILENO);
    unlink(log_path);
    dup2(log_fd, STDERR_FILENO);
    log_set_level(LOG_INFO);
    int rc = cog_run(&c, COG_SIGN_UP, &sign_up, &r);
    log_set_level(LOG_ERROR);
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    char *logged = read_all(log_fd);
    close(log_fd);
    test_cond("400: call fails", rc == -1);
    test_cond("400: mapped to username_exists", r.err == COGERR_USERNAME_EXISTS && r.error &&
                                                    r.error->status == 409 &&
                                                    str_is(r.error->code, "username_exists"));
    test_cond("400: type and status kept",
              str_is(r.type, "UsernameExistsException") && r.http_status == 400 && r.attempts == 1);
    test_cond("400: one request", server_seen(&srv) == 1);
    test_cond("request: target header",
              str_is(header_value(srv.seen[0].head, "X-Amz-Target", value, sizeof(value)),
                     "AWSCognitoIdentityProviderService.SignUp"));
    test_cond("request: content type",
              str_is(header_value(srv.seen[0].head, "Content-Type", value, sizeof(value)),
                     "application/x-amz-json-1.1"));
    test_cond("request: POST /", !strncmp(srv.seen[0].head, "POST / HTTP/1.1\r\n", 17));
    test_cond("request: public call is unsigned",
              !header_value(srv.seen[0].head, "Authorization", value, sizeof(value)));
    struct json_object *sent = json_tokener_parse(srv.seen[0].body);
    test_cond("request: body is the built JSON", str_is(str_at(sent, "SecretHash"), VECTOR1_HASH) &&
                                                     str_is(str_at(sent, "Password"), PASSWORD));
    json_object_put(sent);
    test_cond("log: one cognito_call line", strstr(logged, "event=cognito_call ") &&
                                                strchr(logged, '\n') == strrchr(logged, '\n'));
    test_cond("log: op, status, error, type, attempts, latency",
              strstr(logged, "op=SignUp") && strstr(logged, "status=400") &&
                  strstr(logged, "error=username_exists") &&
                  strstr(logged, "type=\"UsernameExistsException\"") &&
                  strstr(logged, "attempts=1") && strstr(logged, "latency_ms="));
    test_cond("log: no password, secret, hash or email",
              !strstr(logged, PASSWORD) && !strstr(logged, VECTOR1_SECRET "\"") &&
                  !strstr(logged, "=" VECTOR1_SECRET) && !strstr(logged, VECTOR1_HASH) &&
                  !strstr(logged, VECTOR1_USER));
    free(logged);
    cog_result_free(&r);

    /* A retryable read: 500 twice, then 200. */
    struct cog_params get_user = {.access_token = "eyJ.access.token"};
    server_script(&srv,
                  (struct canned[]){
                      {500, INTERNAL_BODY}, {500, INTERNAL_BODY}, {200, USER_BODY}, {-1, NULL}});
    rc = cog_run(&c, COG_GET_USER, &get_user, &r);
    test_cond("retry: success after two 500s", rc == 0 && r.err == COGERR_NONE && !r.error);
    test_cond("retry: three attempts, three requests", r.attempts == 3 && server_seen(&srv) == 3);
    test_cond("retry: answer readable", str_is(cog_user_attr(&r, "email"), "user@example.com") &&
                                            str_is(cog_get(&r, "Username"), "2f1c"));
    test_cond("retry: within the budget", r.latency_ms < call_budget_ms);
    cog_result_free(&r);

    /* Never past three attempts. */
    server_script(&srv, (struct canned[]){{500, INTERNAL_BODY},
                                          {500, INTERNAL_BODY},
                                          {500, INTERNAL_BODY},
                                          {200, USER_BODY},
                                          {-1, NULL}});
    rc = cog_run(&c, COG_GET_USER, &get_user, &r);
    test_cond("retry: gives up after three",
              rc == -1 && r.attempts == 3 && server_seen(&srv) == 3 &&
                  r.err == COGERR_INTERNAL_ERROR && r.error->status == 503);
    cog_result_free(&r);

    /* SignUp is never retried: a second one could send a second email. */
    server_script(&srv, (struct canned[]){{500, INTERNAL_BODY}, {200, "{}"}, {-1, NULL}});
    rc = cog_run(&c, COG_SIGN_UP, &sign_up, &r);
    test_cond("no retry: SignUp fails on the first 500",
              rc == -1 && r.attempts == 1 && server_seen(&srv) == 1 && r.http_status == 500);
    cog_result_free(&r);

    /* A one-shot action: retried when throttled, not after a 500. */
    struct cog_params confirm = {.username = VECTOR1_USER, .code = "123456"};
    server_script(&srv, (struct canned[]){{400, THROTTLE_BODY}, {200, "{}"}, {-1, NULL}});
    rc = cog_run(&c, COG_CONFIRM_SIGN_UP, &confirm, &r);
    test_cond("throttled: ConfirmSignUp retried",
              rc == 0 && r.attempts == 2 && server_seen(&srv) == 2);
    cog_result_free(&r);
    server_script(&srv, (struct canned[]){{500, INTERNAL_BODY}, {200, "{}"}, {-1, NULL}});
    rc = cog_run(&c, COG_CONFIRM_SIGN_UP, &confirm, &r);
    test_cond("500: ConfirmSignUp not retried",
              rc == -1 && r.attempts == 1 && server_seen(&srv) == 1);
    cog_result_free(&r);

    /* LimitExceeded is the user's limit, not load. */
    server_script(&srv, (struct canned[]){{400, LIMIT_BODY}, {200, USER_BODY}, {-1, NULL}});
    rc = cog_run(&c, COG_GET_USER, &get_user, &r);
    test_cond("limit: not retried, 429", rc == -1 && r.attempts == 1 && r.error->status == 429);
    cog_result_free(&r);

    /* Context: an unknown user at login reads as a wrong password. */
    struct cog_params login = {.username = VECTOR1_USER, .password = PASSWORD};
    server_script(&srv,
                  (struct canned[]){{400, "{\"__type\":\"UserNotFoundException\"}"}, {-1, NULL}});
    rc = cog_run(&c, COG_LOGIN, &login, &r);
    test_cond("login: unknown user worded as bad credentials",
              rc == -1 && r.err == COGERR_USER_NOT_FOUND &&
                  str_is(r.error->code, "not_authorized") && r.error->status == 401);
    cog_result_free(&r);

    /* An admin call carries SigV4 headers. */
    struct cog_params admin = {.username = VECTOR1_USER};
    server_script(&srv, (struct canned[]){{200, USER_BODY}, {-1, NULL}});
    rc = cog_run(&c, COG_ADMIN_GET_USER, &admin, &r);
    test_cond("admin: success", rc == 0 && server_seen(&srv) == 1);
    const char *head = srv.seen[0].head;
    const char *authz = header_value(head, "Authorization", value, sizeof(value));
    test_cond("admin: SigV4 authorization",
              authz && !strncmp(authz, "AWS4-HMAC-SHA256 Credential=AKIDTEST/", 37) &&
                  strstr(authz, "/us-east-1/cognito-idp/aws4_request") &&
                  strstr(authz, "SignedHeaders=content-type;host;x-amz-date;"
                                "x-amz-security-token;x-amz-target"));
    test_cond("admin: date and token headers",
              header_value(head, "X-Amz-Date", value, sizeof(value)) && strlen(value) == 16 &&
                  str_is(header_value(head, "X-Amz-Security-Token", value, sizeof(value)),
                         "session-token-TEST"));
    char host_expected[32];
    snprintf(host_expected, sizeof(host_expected), "127.0.0.1:%d", srv.port);
    test_cond("admin: Host as signed",
              str_is(header_value(head, "Host", value, sizeof(value)), host_expected));
    cog_result_free(&r);

    /* cog_call with a caller-built request; unlisted operations refused. */
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string("us-east-1_TEST"));
    server_script(
        &srv, (struct canned[]){{200, "{\"UserPool\":{\"Id\":\"us-east-1_TEST\"}}"}, {-1, NULL}});
    rc = cog_call(&c, "DescribeUserPool", req, &r);
    test_cond("cog_call: sent and read",
              rc == 0 && str_is(cog_get(&r, "UserPool.Id"), "us-east-1_TEST"));
    test_cond("cog_call: request left to the caller",
              json_object_get_type(req) == json_type_object);
    cog_result_free(&r);
    rc = cog_call(&c, "AdminLinkProviderForUser", req, &r);
    test_cond("cog_call: unlisted refused, nothing sent",
              rc == -1 && r.attempts == 0 && server_seen(&srv) == 1 && r.error);
    cog_result_free(&r);
    json_object_put(req);

    /* Refusals send nothing. */
    struct cog_params empty = {0};
    server_script(&srv, (struct canned[]){{-1, NULL}});
    rc = cog_run(&c, COG_LOGIN, &empty, &r);
    test_cond("missing parameter: refused, not concealed",
              rc == -1 && r.err == COGERR_INVALID_PARAMETER && server_seen(&srv) == 0 &&
                  !r.error->conceal);
    cog_result_free(&r);
    rc = cog_run(&c, COG_DESCRIBE_CLIENT, NULL, &r);
    test_cond("no parameters: NULL is an empty set",
              rc == -1 && server_seen(&srv) == 1 && r.http_status == 418);
    cog_result_free(&r);
    server_script(&srv, (struct canned[]){{-1, NULL}});
    rc = cog_run(&c, COG_GET_USER, NULL, &r);
    test_cond("no parameters: refused when one is needed",
              rc == -1 && r.err == COGERR_INVALID_PARAMETER && server_seen(&srv) == 0);
    cog_result_free(&r);
    struct cog_client no_client = c;
    no_client.client_id = NULL;
    rc = cog_run(&no_client, COG_FORGOT_PASSWORD, &admin, &r);
    test_cond("client without id: refused as not set up",
              rc == -1 && r.err == COGERR_RESOURCE_NOT_FOUND && server_seen(&srv) == 0);
    cog_result_free(&r);

    struct cog_client nowhere = c;
    nowhere.endpoint = NULL;
    nowhere.region = NULL;
    rc = cog_run(&nowhere, COG_GET_USER, &get_user, &r);
    test_cond("no endpoint and no region: not set up, nothing sent",
              rc == -1 && r.err == COGERR_RESOURCE_NOT_FOUND && r.attempts == 0 &&
                  server_seen(&srv) == 0 && r.error->status == 500);
    cog_result_free(&r);

    /* A hung Cognito costs at most the budget. */
    call_budget_ms = SHORT_BUDGET_MS;
    server_script(&srv, (struct canned[]){{0, NULL}, {0, NULL}, {0, NULL}, {-1, NULL}});
    rc = cog_run(&c, COG_GET_USER, &get_user, &r);
    test_cond("hang: unavailable, 503", rc == -1 && r.err == COGERR_UNAVAILABLE &&
                                            r.http_status == 0 && r.error->status == 503);
    test_cond("hang: within the budget",
              r.latency_ms >= SHORT_BUDGET_MS - 50 && r.latency_ms < SHORT_BUDGET_MS + SLACK_MS);
    test_cond("hang: no retry without budget left", r.attempts == 1);
    cog_result_free(&r);
    call_budget_ms = HTTP_TOTAL_TIMEOUT_MS;

    server_stop(&srv);

    /* Nobody listening any more: a read is retried, SignUp is not. */
    rc = cog_run(&c, COG_GET_USER, &get_user, &r);
    test_cond("closed port: unavailable after three attempts",
              rc == -1 && r.err == COGERR_UNAVAILABLE && r.attempts == 3);
    cog_result_free(&r);
    rc = cog_run(&c, COG_SIGN_UP, &sign_up, &r);
    test_cond("closed port: SignUp tried once", rc == -1 && r.attempts == 1);
    cog_result_free(&r);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* the live calls log; keep the output to results */
    awshttp_global_init();
    test_secret_hash();
    test_bodies();
    test_retry_policy();
    test_classify();
    test_live();
    awshttp_thread_cleanup();
    return test_report();
}
