/* SPDX-License-Identifier: MIT */
/* provision: the steps of making a tenant (see provision.h).
 *
 * Steps, in order, each recorded in tenants.provision_step when done:
 *   row     a 'provisioning' row holds the slug (a second run finds it)
 *   pool    the user pool: email as username, auto-verified email, the
 *           password policy (at least POOL_PASSWORD_MIN_LENGTH characters
 *           and every class), custom attributes tenant_id, user_tier and the
 *           work details, and verification and
 *           invitation emails in the tenant's name. Before creating one, a
 *           pool left by a run that died between "created" and "recorded"
 *           is looked for by its name (gatehouse-<slug>), so a retry never
 *           makes a second pool. Two-step verification (TOTP) is set
 *           OPTIONAL, as the tenant's mfa setting defaults to optional.
 *           Then the pool's password policy is read back and kept with
 *           the row (svc/pwpolicy.h); a failure there is only reported, as
 *           workers read it themselves when they need it.
 *   client  the app client: USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH,
 *           PreventUserExistenceErrors, write attributes without the tier
 *           or the tenant (only gatehouse sets those), secret if asked; the
 *           secret is stored sealed
 *   group   the admin group (an existing one is fine)
 *   admin   the first admin (AdminCreateUser: Cognito emails a temporary
 *           password) in that group (an existing user is fine)
 *   schema  t_<slug> with every tenant migration
 *   done    status 'active'
 * Every Cognito and PostgreSQL failure stops the run with the step named;
 * nothing is undone, because the next run picks up exactly there.
 *
 * provision_check_clients is the other side of the client step: at start-up
 * and in check-config it reads every tenant's app client back from Cognito,
 * since a client changed by hand (the console, another tool) could let users
 * write their own tier. A tenant whose client Cognito no longer knows (a
 * half-done delete) is only a warning: it serves nobody and endangers no
 * one, and one broken tenant must not keep every other one down. */
#include "svc/provision.h"

#include <json-c/json.h>
#include <string.h>

#include "aws/appclient.h"
#include "aws/cognito.h"
#include "core/config.h"
#include "core/limits.h"
#include "store/migrate.h"
#include "svc/input.h"
#include "svc/pwpolicy.h"

#define POOL_NAME_PREFIX "gatehouse-"
#define POOL_LIST_PAGE 60
#define POOL_LIST_PAGES_MAX 50
#define ADMIN_TIER "premium"

static const char *const read_attributes[] = {
    "email", "email_verified", "name", "custom:tenant_id", "custom:user_tier",
    "custom:company", "custom:department", "custom:role",
};
static const char *const write_attributes[] = {
    "email", "name", "custom:company", "custom:department", "custom:role",
};

static void say(FILE *report, const char *slug, const char *what)
{
    if (report)
        fprintf(report, "tenant %s: %s\n", slug, what);
}

static void admin_client(const struct config *cfg, const char *pool_id, struct cog_client *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = cfg->cognito_endpoint;
    c->region = cfg->aws_region;
    c->pool_id = pool_id;
    c->cred.access_key_id = cfg->aws_access_key_id;
    c->cred.secret_access_key = cfg->aws_secret_access_key;
    c->cred.session_token = cfg->aws_session_token;
}

static struct json_object *strings(const char *const *list, size_t n)
{
    struct json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_string(list[i]));
    return a;
}

static struct json_object *custom_attribute(const char *name, bool mutable_, const char *max)
{
    struct json_object *a = json_object_new_object();
    struct json_object *limits = json_object_new_object();
    json_object_object_add(a, "Name", json_object_new_string(name));
    json_object_object_add(a, "AttributeDataType", json_object_new_string("String"));
    json_object_object_add(a, "Mutable", json_object_new_boolean(mutable_));
    json_object_object_add(limits, "MinLength", json_object_new_string("0"));
    json_object_object_add(limits, "MaxLength", json_object_new_string(max));
    json_object_object_add(a, "StringAttributeConstraints", limits);
    return a;
}

static struct json_object *pool_request(const struct provision_request *r)
{
    char text[512];
    struct json_object *req = json_object_new_object();
    snprintf(text, sizeof(text), POOL_NAME_PREFIX "%s", r->slug);
    json_object_object_add(req, "PoolName", json_object_new_string(text));
    const char *email[] = {"email"};
    json_object_object_add(req, "UsernameAttributes", strings(email, 1));
    json_object_object_add(req, "AutoVerifiedAttributes", strings(email, 1));
    /* A new email is not the sign-in address until its code is entered:
     * until then the old one stays (a typo cannot lock a person out, nor
     * can a stolen session move the account to an address it owns). */
    struct json_object *update = json_object_new_object();
    json_object_object_add(update, "AttributesRequireVerificationBeforeUpdate", strings(email, 1));
    json_object_object_add(req, "UserAttributeUpdateSettings", update);

    struct json_object *policy = json_object_new_object();
    json_object_object_add(policy, "MinimumLength", json_object_new_int(POOL_PASSWORD_MIN_LENGTH));
    json_object_object_add(policy, "RequireUppercase", json_object_new_boolean(1));
    json_object_object_add(policy, "RequireLowercase", json_object_new_boolean(1));
    json_object_object_add(policy, "RequireNumbers", json_object_new_boolean(1));
    json_object_object_add(policy, "RequireSymbols", json_object_new_boolean(1));
    json_object_object_add(policy, "TemporaryPasswordValidityDays", json_object_new_int(7));
    struct json_object *policies = json_object_new_object();
    json_object_object_add(policies, "PasswordPolicy", policy);
    json_object_object_add(req, "Policies", policies);

    struct json_object *schema = json_object_new_array();
    /* tenant_id is immutable for users (no app client may write it) but
     * not in Cognito's sense: an attribute Cognito calls immutable can only
     * be given when the user is created, and a self sign-up is created by
     * SignUp, which may only carry what the client can write. So gatehouse
     * writes it with an admin call right after, as it does the tier. */
    json_object_array_add(schema, custom_attribute("tenant_id", true, "64"));
    json_object_array_add(schema, custom_attribute("user_tier", true, "32"));
    json_object_array_add(schema, custom_attribute("company", true, "100"));
    json_object_array_add(schema, custom_attribute("department", true, "100"));
    json_object_array_add(schema, custom_attribute("role", true, "100"));
    json_object_object_add(req, "Schema", schema);

    struct json_object *verify = json_object_new_object();
    json_object_object_add(verify, "DefaultEmailOption", json_object_new_string("CONFIRM_WITH_CODE"));
    snprintf(text, sizeof(text), "Your %s verification code", r->name);
    json_object_object_add(verify, "EmailSubject", json_object_new_string(text));
    snprintf(text, sizeof(text), "Welcome to %s. Your verification code is {####}.", r->name);
    json_object_object_add(verify, "EmailMessage", json_object_new_string(text));
    json_object_object_add(req, "VerificationMessageTemplate", verify);

    struct json_object *invite = json_object_new_object();
    snprintf(text, sizeof(text), "Your %s administrator account", r->name);
    json_object_object_add(invite, "EmailSubject", json_object_new_string(text));
    snprintf(text, sizeof(text), "You administer %s. Sign in as {username} with the temporary "
             "password {####}; you will choose your own.", r->name);
    json_object_object_add(invite, "EmailMessage", json_object_new_string(text));
    struct json_object *admin_config = json_object_new_object();
    json_object_object_add(admin_config, "InviteMessageTemplate", invite);
    json_object_object_add(req, "AdminCreateUserConfig", admin_config);
    return req;
}

/* find_pool looks for a pool named gatehouse-<slug> left by a failed run. */
static bool find_pool(const struct cog_client *c, const char *slug, char *id, size_t idlen)
{
    char name[256], next[1024] = "";
    snprintf(name, sizeof(name), POOL_NAME_PREFIX "%s", slug);
    for (int page = 0; page < POOL_LIST_PAGES_MAX; page++) {
        struct json_object *req = json_object_new_object();
        struct cog_result r;
        json_object_object_add(req, "MaxResults", json_object_new_int(POOL_LIST_PAGE));
        if (next[0])
            json_object_object_add(req, "NextToken", json_object_new_string(next));
        int rc = cog_call(c, "ListUserPools", req, &r);
        json_object_put(req);
        struct json_object *pools;
        bool found = false;
        if (rc == 0 && json_object_object_get_ex(r.reply, "UserPools", &pools)) {
            for (size_t i = 0; i < json_object_array_length(pools) && !found; i++) {
                struct json_object *p = json_object_array_get_idx(pools, i), *n, *pid;
                if (json_object_object_get_ex(p, "Name", &n) &&
                    !strcmp(json_object_get_string(n), name) &&
                    json_object_object_get_ex(p, "Id", &pid)) {
                    snprintf(id, idlen, "%s", json_object_get_string(pid));
                    found = true;
                }
            }
        }
        const char *token = rc == 0 ? cog_get(&r, "NextToken") : NULL;
        snprintf(next, sizeof(next), "%s", token ? token : "");
        cog_result_free(&r);
        if (found)
            return true;
        if (!next[0])
            return false;
    }
    return false;
}

/* pool_mfa sets the two-step verification of pool_id: OPTIONAL with
 * software tokens (on), or OFF. Setting it again sets it: safe to repeat. */
static int pool_mfa(const struct config *cfg, const char *pool_id, bool on, char *err,
                    size_t errlen)
{
    struct cog_client c;
    struct cog_result r;
    admin_client(cfg, pool_id, &c);
    struct json_object *req = json_object_new_object(), *totp = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(pool_id));
    json_object_object_add(req, "MfaConfiguration", json_object_new_string(on ? "OPTIONAL" : "OFF"));
    json_object_object_add(totp, "Enabled", json_object_new_boolean(on));
    json_object_object_add(req, "SoftwareTokenMfaConfiguration", totp);
    int rc = cog_call(&c, "SetUserPoolMfaConfig", req, &r);
    json_object_put(req);
    if (rc < 0)
        snprintf(err, errlen, "Cognito refused SetUserPoolMfaConfig (%s)",
                 r.type[0] ? r.type : "no answer");
    cog_result_free(&r);
    return rc < 0 ? -1 : 0;
}

static int step_pool(const struct config *cfg, const struct provision_request *r, struct tenant *t,
                     char *err, size_t errlen)
{
    struct cog_client c;
    struct cog_result res;
    admin_client(cfg, NULL, &c);
    if (t->user_pool_id[0])
        return 0;
    char id[128];
    if (!find_pool(&c, r->slug, id, sizeof(id))) {
        struct json_object *req = pool_request(r);
        int rc = cog_call(&c, "CreateUserPool", req, &res);
        json_object_put(req);
        const char *made = rc == 0 ? cog_get(&res, "UserPool.Id") : NULL;
        if (!made) {
            snprintf(err, errlen, "creating the user pool failed (%s)",
                     res.type[0] ? res.type : "no answer");
            cog_result_free(&res);
            return -1;
        }
        snprintf(id, sizeof(id), "%s", made);
        cog_result_free(&res);
    }
    /* A new tenant offers TOTP (its setting defaults to optional). */
    if (pool_mfa(cfg, id, true, err, errlen) < 0)
        return -1;
    if (tenants_record(r->slug, "pool", id, NULL, NULL) != STORE_OK) {
        snprintf(err, errlen, "recording the user pool %s failed (PostgreSQL)", id);
        return -1;
    }
    snprintf(t->user_pool_id, sizeof(t->user_pool_id), "%s", id);
    return 0;
}

static int step_client(const struct config *cfg, const struct provision_request *r,
                       struct tenant *t, char *err, size_t errlen)
{
    if (t->client_id[0])
        return 0;
    struct cog_client c;
    struct cog_result res;
    admin_client(cfg, t->user_pool_id, &c);
    struct json_object *req = json_object_new_object();
    char name[256];
    snprintf(name, sizeof(name), POOL_NAME_PREFIX "%s", r->slug);
    const char *flows[] = {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"};
    json_object_object_add(req, "UserPoolId", json_object_new_string(t->user_pool_id));
    json_object_object_add(req, "ClientName", json_object_new_string(name));
    json_object_object_add(req, "GenerateSecret", json_object_new_boolean(r->with_secret));
    json_object_object_add(req, "ExplicitAuthFlows", strings(flows, 2));
    json_object_object_add(req, "PreventUserExistenceErrors", json_object_new_string("ENABLED"));
    json_object_object_add(req, "EnableTokenRevocation", json_object_new_boolean(1));
    json_object_object_add(req, "ReadAttributes",
                           strings(read_attributes, sizeof(read_attributes) / sizeof(char *)));
    json_object_object_add(req, "WriteAttributes",
                           strings(write_attributes, sizeof(write_attributes) / sizeof(char *)));
    int rc = cog_call(&c, "CreateUserPoolClient", req, &res);
    json_object_put(req);
    const char *id = rc == 0 ? cog_get(&res, "UserPoolClient.ClientId") : NULL;
    if (!id) {
        snprintf(err, errlen, "creating the app client failed (%s)",
                 res.type[0] ? res.type : "no answer");
        cog_result_free(&res);
        return -1;
    }
    const char *secret = cog_get(&res, "UserPoolClient.ClientSecret");
    enum store_result tr = tenants_record(r->slug, "client", NULL, id, secret);
    if (tr == STORE_OK) {
        snprintf(t->client_id, sizeof(t->client_id), "%s", id);
        snprintf(t->client_secret, sizeof(t->client_secret), "%s", secret ? secret : "");
    }
    cog_result_free(&res);
    if (tr != STORE_OK) {
        snprintf(err, errlen, "recording the app client failed (PostgreSQL)");
        return -1;
    }
    return 0;
}

/* admin_call runs an admin operation where "already there" is success. */
static int admin_call(const struct cog_client *c, const char *op, struct json_object *req,
                      enum cogerr already, const char *what, char *err, size_t errlen)
{
    struct cog_result res;
    int rc = cog_call(c, op, req, &res);
    json_object_put(req);
    if (rc < 0 && res.err != already) {
        snprintf(err, errlen, "%s failed (%s)", what, res.type[0] ? res.type : "no answer");
        cog_result_free(&res);
        return -1;
    }
    cog_result_free(&res);
    return rc < 0 ? 1 : 0;
}

static int step_group_and_admin(const struct config *cfg, const struct provision_request *r,
                                const struct tenant *t, char *err, size_t errlen)
{
    struct cog_client c;
    admin_client(cfg, t->user_pool_id, &c);
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(t->user_pool_id));
    json_object_object_add(req, "GroupName", json_object_new_string(cfg->admin_group));
    json_object_object_add(req, "Description", json_object_new_string("Tenant administrators"));
    if (admin_call(&c, "CreateGroup", req, COGERR_GROUP_EXISTS, "creating the admin group",
                   err, errlen) < 0)
        return -1;
    if (tenants_record(r->slug, "group", NULL, NULL, NULL) != STORE_OK)
        goto db_failed;

    req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(t->user_pool_id));
    json_object_object_add(req, "Username", json_object_new_string(r->admin_email));
    struct json_object *attrs = json_object_new_array();
    const char *pairs[][2] = {{"email", r->admin_email}, {"email_verified", "true"},
                              {"custom:tenant_id", r->slug}, {"custom:user_tier", ADMIN_TIER}};
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct json_object *a = json_object_new_object();
        json_object_object_add(a, "Name", json_object_new_string(pairs[i][0]));
        json_object_object_add(a, "Value", json_object_new_string(pairs[i][1]));
        json_object_array_add(attrs, a);
    }
    json_object_object_add(req, "UserAttributes", attrs);
    if (r->admin_password) {
        json_object_object_add(req, "TemporaryPassword",
                               json_object_new_string(r->admin_password));
        json_object_object_add(req, "MessageAction", json_object_new_string("SUPPRESS"));
    } else {
        const char *email[] = {"EMAIL"};
        json_object_object_add(req, "DesiredDeliveryMediums", strings(email, 1));
    }
    /* On a re-run the admin may exist already: their password stays. */
    int made = admin_call(&c, "AdminCreateUser", req, COGERR_USERNAME_EXISTS,
                          "creating the first admin", err, errlen);
    if (made < 0)
        return -1;
    if (r->admin_created)
        *r->admin_created = made == 0;
    req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(t->user_pool_id));
    json_object_object_add(req, "Username", json_object_new_string(r->admin_email));
    json_object_object_add(req, "GroupName", json_object_new_string(cfg->admin_group));
    if (admin_call(&c, "AdminAddUserToGroup", req, COGERR_NONE, "adding the admin to the group",
                   err, errlen) < 0)
        return -1;
    if (tenants_record(r->slug, "admin", NULL, NULL, NULL) != STORE_OK)
        goto db_failed;
    return 0;
db_failed:
    snprintf(err, errlen, "recording the progress failed (PostgreSQL)");
    return -1;
}

/* keep_policy reads the pool's password policy into t's row; what went
 * wrong is reported, never fatal (see the head comment). */
static void keep_policy(const struct config *cfg, struct tenant *t, FILE *report)
{
    struct cog_client c;
    char err[256], line[INPUT_PASSWORD_RULE_MAX + 64];
    admin_client(cfg, t->user_pool_id, &c);
    if (pwpolicy_refresh(&c, t->slug, &t->password, err, sizeof(err)) < 0) {
        snprintf(line, sizeof(line), "password policy not read: %s (workers read it later)", err);
        say(report, t->slug, line);
        return;
    }
    char rules[INPUT_PASSWORD_RULE_MAX];
    snprintf(line, sizeof(line), "password policy: %s",
             input_password_help(&t->password, rules, sizeof(rules)));
    say(report, t->slug, line);
}

int provision_refresh(const struct config *cfg, const char *slug, FILE *report, char *err,
                      size_t errlen)
{
    struct tenant t;
    tenants_forget();
    switch (tenants_find(slug, &t)) {
    case STORE_OK:
        break;
    case STORE_NOT_FOUND:
        snprintf(err, errlen, "no tenant %s", slug);
        return -1;
    default:
        snprintf(err, errlen, "PostgreSQL is unavailable");
        return -1;
    }
    if (!t.user_pool_id[0]) {
        snprintf(err, errlen, "tenant %s has no user pool yet", slug);
        return -1;
    }
    struct cog_client c;
    admin_client(cfg, t.user_pool_id, &c);
    if (pwpolicy_refresh(&c, slug, &t.password, err, errlen) < 0)
        return -1;
    char rules[INPUT_PASSWORD_RULE_MAX], line[INPUT_PASSWORD_RULE_MAX + 64];
    snprintf(line, sizeof(line), "password policy of pool %s: %s", t.user_pool_id,
             input_password_help(&t.password, rules, sizeof(rules)));
    say(report, slug, line);
    return 0;
}

static const char *request_problem(const struct provision_request *r)
{
    const char *problem = tenants_slug_problem(r->slug);
    if (problem)
        return problem;
    if (input_check_text(r->name, INPUT_NAME_MAX, true))
        return "the name must be 1 to 100 characters of text";
    if (input_check_email(r->admin_email))
        return "the admin email is not a valid email address";
    return NULL;
}

enum provision_result provision_tenant(const struct config *cfg, const struct provision_request *r,
                                       FILE *report, struct tenant *out, char *err, size_t errlen)
{
    const char *problem = request_problem(r);
    if (problem) {
        snprintf(err, errlen, "%s", problem);
        return PROVISION_INVALID;
    }
    switch (tenants_begin(r->slug, r->name, r->admin_email, cfg->aws_region, out)) {
    case STORE_OK:
        break;
    case STORE_CONFLICT:
        snprintf(err, errlen, "tenant %s already exists", r->slug);
        return PROVISION_EXISTS;
    case STORE_NOT_FOUND:
    case STORE_UNAVAILABLE:
    default:
        snprintf(err, errlen, "PostgreSQL is unavailable");
        return PROVISION_FAILED;
    }
    if (out->provision_step[0] && strcmp(out->provision_step, "row"))
        say(report, r->slug, "resuming an earlier run");
    if (step_pool(cfg, r, out, err, errlen) < 0)
        return PROVISION_FAILED;
    say(report, r->slug, "user pool ready");
    keep_policy(cfg, out, report);
    if (step_client(cfg, r, out, err, errlen) < 0)
        return PROVISION_FAILED;
    say(report, r->slug, "app client ready");
    if (step_group_and_admin(cfg, r, out, err, errlen) < 0)
        return PROVISION_FAILED;
    say(report, r->slug,
        r->admin_password ? "admin group and first admin ready (no email sent)"
                          : "admin group and first admin ready (Cognito emails the temporary password)");
    char merr[512];
    if (migrate_tenant(config_session_url(cfg), cfg->sql_dir, r->slug, NULL, merr, sizeof(merr)) < 0) {
        snprintf(err, errlen, "creating the schema failed: %s", merr);
        return PROVISION_FAILED;
    }
    if (!tenants_schema_ready(r->slug)) {
        snprintf(err, errlen, "the schema t_%s has no tables after migrating it", r->slug);
        return PROVISION_FAILED;
    }
    if (tenants_record(r->slug, "done", NULL, NULL, NULL) != STORE_OK ||
        tenants_set_status(r->slug, "active") != STORE_OK) {
        snprintf(err, errlen, "recording the progress failed (PostgreSQL)");
        return PROVISION_FAILED;
    }
    say(report, r->slug, "schema ready; the tenant is active");
    snprintf(out->status, sizeof(out->status), "active");
    out->active = true;
    return PROVISION_OK;
}

int provision_delete(const struct config *cfg, const char *slug, FILE *report, char *err,
                     size_t errlen)
{
    struct tenant t;
    if (!strcmp(slug, TENANT_DEFAULT)) {
        snprintf(err, errlen, "the default tenant cannot be deleted");
        return -1;
    }
    tenants_forget();
    switch (tenants_find(slug, &t)) {
    case STORE_OK:
        break;
    case STORE_NOT_FOUND:
        snprintf(err, errlen, "no tenant %s", slug);
        return -1;
    default:
        snprintf(err, errlen, "PostgreSQL is unavailable");
        return -1;
    }
    if (t.user_pool_id[0]) {
        struct cog_client c;
        admin_client(cfg, t.user_pool_id, &c);
        struct json_object *req = json_object_new_object();
        json_object_object_add(req, "UserPoolId", json_object_new_string(t.user_pool_id));
        if (admin_call(&c, "DeleteUserPool", req, COGERR_RESOURCE_NOT_FOUND,
                       "deleting the user pool", err, errlen) < 0)
            return -1;
        say(report, slug, "user pool deleted");
    }
    if (!tenants_drop_schema(slug)) {
        snprintf(err, errlen, "dropping the schema failed (PostgreSQL)");
        return -1;
    }
    say(report, slug, "schema dropped");
    if (tenants_delete_row(slug) != STORE_OK) {
        snprintf(err, errlen, "deleting the tenant's row failed (PostgreSQL)");
        return -1;
    }
    say(report, slug, "deleted, with its sessions");
    return 0;
}

/* ---- checking the app clients ------------------------------------------- */

struct check_run {
    const struct config *cfg;
    FILE *report;
    const char *problem, *warning;
    struct provision_checks *out;
};

/* judge checks client c, described in lines as what (the settings, a
 * tenant). A missing client is fatal only for the settings' own. */
static void judge(struct check_run *run, const struct cog_client *c, const char *what,
                  bool missing_is_unsafe)
{
    char err[512];
    enum appclient_verdict v = appclient_check(c, err, sizeof(err));
    if (v == APPCLIENT_MISSING && missing_is_unsafe)
        v = APPCLIENT_UNSAFE;
    switch (v) {
    case APPCLIENT_SAFE:
        run->out->checked++;
        break;
    case APPCLIENT_UNSAFE:
        run->out->checked++;
        run->out->unsafe++;
        fprintf(run->report, "%s%s: %s\n", run->problem, what, err);
        break;
    case APPCLIENT_MISSING:
        run->out->unchecked++;
        fprintf(run->report, "%s%s: %s (Cognito knows no such client: disable or delete "
                "the tenant)\n", run->warning, what, err);
        break;
    case APPCLIENT_UNREACHABLE:
    default:
        run->out->unchecked++;
        fprintf(run->report, "%s%s: %s\n", run->warning, what, err);
        break;
    }
}

static bool check_tenant(const struct tenant *t, void *ctx)
{
    struct check_run *run = ctx;
    const struct config *cfg = run->cfg;
    struct cog_client c;
    char what[TENANT_SLUG_MAX + 16];
    /* A tenant still being made has no client yet; the default tenant
     * running on the settings' client was judged as that. */
    if (!t->user_pool_id[0] || !t->client_id[0])
        return true;
    if (cfg->cognito_client_id && !strcmp(t->client_id, cfg->cognito_client_id) &&
        cfg->cognito_user_pool_id && !strcmp(t->user_pool_id, cfg->cognito_user_pool_id))
        return true;
    admin_client(cfg, t->user_pool_id, &c);
    c.region = t->region[0] ? t->region : cfg->aws_region;
    c.client_id = t->client_id;
    snprintf(what, sizeof(what), "tenant %s", t->slug);
    judge(run, &c, what, false);
    return true;
}

void provision_check_clients(const struct config *cfg, bool with_tenants, FILE *report,
                             const char *problem, const char *warning,
                             struct provision_checks *out)
{
    struct check_run run = {cfg, report, problem, warning, out};
    memset(out, 0, sizeof(*out));
    if (cfg->cognito_user_pool_id && cfg->cognito_client_id) {
        struct cog_client c;
        admin_client(cfg, cfg->cognito_user_pool_id, &c);
        c.client_id = cfg->cognito_client_id;
        c.client_secret = cfg->cognito_client_secret;
        judge(&run, &c, "the settings' COGNITO_CLIENT_ID", true);
    }
    if (!with_tenants)
        return;
    tenants_init_worker(cfg); /* the default tenant's row reads the settings */
    if (tenants_each(check_tenant, &run) != STORE_OK) {
        out->unchecked++;
        fprintf(report, "%sthe tenants' app clients: PostgreSQL is unavailable\n", warning);
    }
}

int provision_set_mfa(const struct config *cfg, const char *slug, const char *setting,
                      char *err, size_t errlen)
{
    struct tenant t;
    tenants_forget();
    if (tenants_find(slug, &t) != STORE_OK || !t.user_pool_id[0]) {
        snprintf(err, errlen, "no tenant %s with a user pool", slug);
        return -1;
    }
    if (pool_mfa(cfg, t.user_pool_id, strcmp(setting, TENANT_MFA_OFF) != 0, err, errlen) < 0)
        return -1;
    if (tenants_set_mfa(slug, setting) != STORE_OK) {
        snprintf(err, errlen, "the change was refused (PostgreSQL unavailable)");
        return -1;
    }
    tenants_forget();
    return 0;
}
