/* SPDX-License-Identifier: MIT */
/* flow: helpers shared by the account pages (see flow.h).
 *
 * Sessions start only from tokens that verify: the id token (RS256 against
 * the pool's JWKS, issuer, audience, expiry) gives the user's sub, email,
 * name, tier and groups; the access token is checked too before it is
 * stored. A refresh works the same way and also refreshes tier and groups,
 * which is how an admin's change reaches a signed-in user.
 *
 * Ownership: strings put in json-c objects are copied by json-c; tokens are
 * read from the Cognito reply, which the caller frees; the refresh token is
 * opened into a stack buffer that is wiped right after the call. */
#include "pages/flow.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/jwt.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/seal.h"
#include "core/utf8.h"
#include "http/url.h"
#include "server/visitor.h"
#include "pages/flash.h"
#include "pages/render.h"
#include "store/revoked.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"

#define ISSUER_MAX 512
#define REFRESH_TOKEN_MAX 8192
#define ACCESS_EARLY_REFRESH_S 60 /* refresh this long before expiry */
#define GROUPS_MAX 32
#define CODE_DIGITS 6

static const struct config *config;

void flow_init_worker(const struct config *cfg)
{
    config = cfg;
}

void flow_client(const struct request *req, struct cog_client *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoint = config->cognito_endpoint;
    c->region = req->tenant->region[0] ? req->tenant->region : config->aws_region;
    c->pool_id = req->tenant->user_pool_id;
    c->client_id = req->tenant->client_id;
    c->client_secret = req->tenant->client_secret;
    c->cred.access_key_id = config->aws_access_key_id;
    c->cred.secret_access_key = config->aws_secret_access_key;
    c->cred.session_token = config->aws_session_token;
}

/* ---- fields and validation ------------------------------------------------ */

void flow_field(struct json_object *fields, const char *name, const char *label,
                const char *type, const char *value, const char *autocomplete,
                bool required, const char *help)
{
    struct json_object *f = json_object_new_object();
    json_object_object_add(f, "name", json_object_new_string(name));
    json_object_object_add(f, "label", json_object_new_string(label));
    json_object_object_add(f, "type", json_object_new_string(type));
    if (value && *value && strcmp(type, "password"))
        json_object_object_add(f, "value", json_object_new_string(value));
    if (autocomplete)
        json_object_object_add(f, "autocomplete", json_object_new_string(autocomplete));
    if (required)
        json_object_object_add(f, "required", json_object_new_boolean(1));
    if (help)
        json_object_object_add(f, "help", json_object_new_string(help));
    json_object_object_add(fields, name, f);
}

bool flow_field_error(struct json_object *ctx, const char *field, const char *message)
{
    struct json_object *fields, *f;
    if (field && json_object_object_get_ex(ctx, "fields", &fields) &&
        json_object_object_get_ex(fields, field, &f)) {
        if (!json_object_object_get_ex(f, "error", NULL))
            json_object_object_add(f, "error", json_object_new_string(message));
    } else if (!json_object_object_get_ex(ctx, "form_error", NULL)) {
        json_object_object_add(ctx, "form_error", json_object_new_string(message));
    }
    return false;
}

const char *flow_check_email(const char *email)
{
    if (!email || !*email)
        return "Enter your email address.";
    size_t len = strlen(email);
    const char *at = strchr(email, '@');
    if (len > FLOW_EMAIL_MAX || !at || at == email || strchr(at + 1, '@') ||
        !strchr(at + 1, '.') || at[1] == '.' || email[len - 1] == '.')
        return "Enter a valid email address, like name@example.com.";
    for (const char *p = email; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return "Enter a valid email address, like name@example.com.";
    return NULL;
}

const char *flow_password_help(void)
{
    return "At least 8 characters, with an uppercase letter, a lowercase letter, "
           "a number and a symbol.";
}

const char *flow_check_password(const char *pw)
{
    if (!pw || !*pw)
        return "Enter a password.";
    size_t len = strlen(pw);
    bool upper = false, lower = false, digit = false, symbol = false;
    for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
        upper |= isupper(*p) != 0;
        lower |= islower(*p) != 0;
        digit |= isdigit(*p) != 0;
        symbol |= (ispunct(*p) || *p == ' ' || *p >= 0x80);
    }
    if (len < FLOW_PASSWORD_MIN || len > FLOW_PASSWORD_MAX || !upper || !lower || !digit ||
        !symbol || isspace((unsigned char)pw[0]) || isspace((unsigned char)pw[len - 1]))
        return "Choose a stronger password: at least 8 characters, with an uppercase "
               "letter, a lowercase letter, a number and a symbol, and no space at "
               "either end.";
    return NULL;
}

const char *flow_check_text(const char *text, size_t max, bool required)
{
    if (!text || !*text)
        return required ? "This field is required." : NULL;
    size_t len = strlen(text);
    if (len > max)
        return "This is too long.";
    if (utf8_has_control(text, len))
        return "This contains characters that are not allowed.";
    return NULL;
}

bool flow_check_new_password(struct request *req, struct json_object *ctx)
{
    const char *password = req_form(req, "password"), *msg;
    bool ok = true;
    if ((msg = flow_check_password(password)))
        ok = flow_field_error(ctx, "password", msg);
    const char *again = req_form(req, "confirm_password");
    if (!again || !password || strcmp(again, password))
        ok = flow_field_error(ctx, "confirm_password", "The two passwords do not match.");
    return ok;
}

const char *flow_check_code(const char *code)
{
    if (!code || strlen(code) != CODE_DIGITS)
        return "Enter the 6-digit code from the email.";
    for (const char *p = code; *p; p++)
        if (!isdigit((unsigned char)*p))
            return "Enter the 6-digit code from the email.";
    return NULL;
}

/* ---- Cognito errors ----------------------------------------------------------- */

int flow_cognito_error(struct request *req, struct response *resp, const struct cog_result *r,
                       enum cogerr_ctx what, const char *template, struct json_object *ctx)
{
    const struct cogerr_info *info = cogerr_get(r->err, what);
    log_event(LOG_INFO, "cognito_refused", "id=%s route=%s type=%s code=%s", req->request_id,
              req->route_name, r->type[0] ? r->type : "-", info->code);
    if (info->status == HTTP_TOO_MANY_REQUESTS || info->status >= 500) {
        json_object_put(ctx);
        if (info->status == HTTP_TOO_MANY_REQUESTS)
            resp_header(resp, "Retry-After", "30");
        return render_error(req, resp, info->status, info->message, false);
    }
    flow_field_error(ctx, info->field, info->message);
    return render_page(req, resp, info->status, template, ctx);
}

/* ---- sessions ---------------------------------------------------------------------- */

static bool expect_for(const struct request *req, enum jwt_use use, char *issuer,
                       struct jwt_expect *e)
{
    if (jwt_issuer(issuer, ISSUER_MAX, config->cognito_endpoint, req->tenant->region[0] ? req->tenant->region : config->aws_region,
                   req->tenant->user_pool_id) < 0)
        return false;
    e->issuer = issuer;
    e->client_id = req->tenant->client_id;
    e->use = use;
    return true;
}

/* verify_pair checks the id and access tokens of an authentication result
 * and returns the id token's claims (caller puts), or NULL. */
static struct json_object *verify_pair(struct request *req, const char *id_token,
                                       const char *access_token)
{
    char issuer[ISSUER_MAX];
    struct jwt_expect e;
    struct json_object *claims = NULL, *access_claims = NULL;
    time_t now = time(NULL);
    if (!id_token || !access_token || !expect_for(req, JWT_USE_ID, issuer, &e))
        return NULL;
    enum jwt_status st = jwt_verify(id_token, &e, now, &claims);
    if (st == JWT_OK) {
        e.use = JWT_USE_ACCESS;
        st = jwt_verify(access_token, &e, now, &access_claims);
        json_object_put(access_claims);
    }
    if (st != JWT_OK) {
        log_event(LOG_WARN, "token_refused", "id=%s reason=%s", req->request_id,
                  jwt_status_name(st));
        json_object_put(claims);
        return NULL;
    }
    return claims;
}

static const char *claim(struct json_object *claims, const char *name)
{
    struct json_object *v;
    if (!json_object_object_get_ex(claims, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static size_t claim_groups(struct json_object *claims, const char **groups)
{
    struct json_object *v;
    size_t n = 0;
    if (!json_object_object_get_ex(claims, "cognito:groups", &v) ||
        !json_object_is_type(v, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(v) && n < GROUPS_MAX; i++) {
        struct json_object *g = json_object_array_get_idx(v, i);
        if (json_object_is_type(g, json_type_string))
            groups[n++] = json_object_get_string(g);
    }
    return n;
}

static const char *claim_tier(struct json_object *claims)
{
    const char *tier = claim(claims, "custom:user_tier");
    return tier && (!strcmp(tier, "premium") || !strcmp(tier, "standard")) ? tier : "standard";
}

/* profile_attributes keeps what the account page shows from the id token:
 * its custom attributes (company, department, role...) other than the two
 * gatehouse manages itself, as a JSON object in the request's arena. The
 * session stores it so that pages need not read the token again. */
static const char *profile_attributes(struct request *req, struct json_object *claims)
{
    struct json_object *attributes = json_object_new_object();
    json_object_object_foreach(claims, name, value) {
        if (strncmp(name, "custom:", 7) || !strcmp(name, "custom:user_tier") ||
            !strcmp(name, "custom:tenant_id") || !json_object_is_type(value, json_type_string))
            continue;
        json_object_object_add(attributes, name, json_object_get(value));
    }
    const char *text = arena_strdup(
        req->arena, json_object_to_json_string_ext(attributes, JSON_C_TO_STRING_PLAIN));
    json_object_put(attributes);
    return text;
}

static long expires_in(const struct cog_result *auth)
{
    const char *text = cog_get(auth, "AuthenticationResult.ExpiresIn");
    long n = text ? strtol(text, NULL, 10) : 0;
    return n > 0 ? n : 3600;
}

int flow_start_session(struct request *req, struct response *resp, const struct cog_result *auth,
                       bool remember, const char *next)
{
    const char *id_token = cog_get(auth, "AuthenticationResult.IdToken");
    const char *access = cog_get(auth, "AuthenticationResult.AccessToken");
    const char *refresh = cog_get(auth, "AuthenticationResult.RefreshToken");
    struct json_object *claims = verify_pair(req, id_token, access);
    if (!claims)
        return render_error(req, resp, HTTP_BAD_GATEWAY,
                            "We could not verify your sign-in. Please try again.", false);
    const char *groups[GROUPS_MAX];
    time_t now = time(NULL);
    struct sess_new in = {
        .tenant_id = req->tenant->id,
        .sub = claim(claims, "sub"),
        .email = claim(claims, "email"),
        .name = claim(claims, "name"),
        .tier = claim_tier(claims),
        .groups = groups,
        .ngroups = claim_groups(claims, groups),
        .tokens = {.id_token = id_token, .access_token = access, .refresh_token = refresh,
                   .attributes = profile_attributes(req, claims),
                   .access_expires_at = now + expires_in(auth)},
        .remember = remember,
        .user_agent = req_env(req, "HTTP_USER_AGENT"),
        .client_addr = req->client_addr,
    };
    char id[SESS_ID_LEN + 1];
    struct sess_session *s = arena_alloc(req->arena, sizeof(*s));
    int status = HTTP_SEE_OTHER;
    if (!in.sub || !in.email) {
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    /* Some pools (and cognito-local) leave the name out of the id token;
     * the users mirror has the one given at sign-up. */
    struct users_user known;
    if (!in.name && users_get(req->tenant->slug, in.sub, req->arena, &known) == USERS_OK)
        in.name = known.name;
    enum sess_result sr = sess_create(&in, now, req->arena, id, s);
    if (sr != SESS_OK) {
        status = render_error(req, resp, sr == SESS_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                               : HTTP_INTERNAL_ERROR, NULL, false);
        goto out;
    }
    struct users_user u = {.sub = in.sub, .email = in.email, .name = in.name, .tier = in.tier,
                           .status = "CONFIRMED", .enabled = true};
    if (users_upsert(req->tenant->slug, &u, now) != USERS_OK ||
        users_touch_login(req->tenant->slug, in.sub, now) != USERS_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
    log_event(LOG_INFO, "session_started", "id=%s tenant=%s remember=%d", req->request_id,
              req->tenant->slug, remember);
    visitor_set_session_cookie(req, resp, id, s);
    seal_wipe(id, sizeof(id));
    if (next && url_is_local_path(next)) {
        resp_redirect(resp, HTTP_SEE_OTHER, next);
    } else {
        flash_set(resp, "logged_in");
        struct buf location;
        buf_init(&location);
        buf_printf(&location, "%s/account", req->base);
        resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&location));
        buf_free(&location);
    }
out:
    json_object_put(claims);
    return status;
}

static void end_locally(struct request *req, struct response *resp)
{
    if (req->session_cookie)
        sess_delete(req->session_cookie, req->tenant->id);
    visitor_clear_session_cookie(req, resp);
    req->session = NULL;
}

enum flow_fresh flow_fresh_tokens(struct request *req, struct response *resp)
{
    struct sess_session *s = req->session;
    time_t now = time(NULL);
    if (!s)
        return FLOW_FRESH_ENDED;
    if (s->access_expires_at > now + ACCESS_EARLY_REFRESH_S)
        return FLOW_FRESH_OK;

    enum sess_result loaded = sess_load_tokens(s, req->arena);
    if (loaded == SESS_UNAVAILABLE)
        return FLOW_FRESH_UNAVAILABLE;
    char refresh[REFRESH_TOKEN_MAX];
    if (loaded != SESS_OK || sess_refresh_token(s, refresh, sizeof(refresh)) != SESS_OK) {
        end_locally(req, resp);
        return FLOW_FRESH_ENDED;
    }
    struct cog_client c;
    struct cog_result r;
    flow_client(req, &c);
    struct cog_params p = {.refresh_token = refresh, .username = s->sub};
    int rc = cog_run(&c, COG_REFRESH, &p, &r);
    seal_wipe(refresh, sizeof(refresh));
    enum flow_fresh result = FLOW_FRESH_OK;
    struct json_object *claims = NULL;
    if (rc < 0) {
        const struct cogerr_info *info = cogerr_get(r.err, COGERR_CTX_SESSION);
        if (info->status >= 500 || info->status == HTTP_TOO_MANY_REQUESTS) {
            result = FLOW_FRESH_UNAVAILABLE;
        } else {
            end_locally(req, resp);
            result = FLOW_FRESH_ENDED;
        }
        goto out;
    }
    const char *id_token = cog_get(&r, "AuthenticationResult.IdToken");
    const char *access = cog_get(&r, "AuthenticationResult.AccessToken");
    claims = verify_pair(req, id_token, access);
    if (!claims) {
        end_locally(req, resp);
        result = FLOW_FRESH_ENDED;
        goto out;
    }
    struct sess_tokens t = {.id_token = id_token, .access_token = access,
                            .refresh_token = cog_get(&r, "AuthenticationResult.RefreshToken"),
                            .attributes = profile_attributes(req, claims),
                            .access_expires_at = now + expires_in(&r)};
    const char *groups[GROUPS_MAX];
    struct sess_profile profile = {.name = claim(claims, "name"), .tier = claim_tier(claims),
                                   .groups = groups, .ngroups = claim_groups(claims, groups),
                                   .set_groups = true};
    if (sess_update_tokens(s, req->arena, &t) != SESS_OK ||
        sess_update_profile(req->tenant->id, s->sub, &profile) != SESS_OK) {
        result = FLOW_FRESH_UNAVAILABLE;
        goto out;
    }
    s->tier = arena_strdup(req->arena, profile.tier);
    s->groups = arena_alloc(req->arena, sizeof(char *) * (profile.ngroups + 1));
    for (size_t i = 0; i < profile.ngroups; i++)
        s->groups[i] = arena_strdup(req->arena, groups[i]);
    s->ngroups = profile.ngroups;
    log_event(LOG_INFO, "session_refreshed", "id=%s tenant=%s", req->request_id,
              req->tenant->slug);
out:
    json_object_put(claims);
    cog_result_free(&r);
    return result;
}

/* deny_api_tokens records the sign-out in the revocation list the JSON API
 * checks, so that the user's bearer tokens issued before now stop working
 * here too, as GlobalSignOut makes them stop at Cognito. */
static void deny_api_tokens(struct request *req, const struct sess_session *s)
{
    struct json_object *claims = jwt_stored_claims(s->access_token), *v;
    if (!claims)
        return;
    struct revoked_token t = {.sub = s->sub, .jti = claim(claims, "jti"),
                              .origin_jti = claim(claims, "origin_jti")};
    if (json_object_object_get_ex(claims, "iat", &v))
        t.iat = (time_t)json_object_get_int64(v);
    if (json_object_object_get_ex(claims, "exp", &v))
        t.exp = (time_t)json_object_get_int64(v);
    if (t.jti && revoked_sign_out(req->tenant->slug, &t, time(NULL)) != REVOKED_NO)
        log_event(LOG_WARN, "revocation_not_recorded", "id=%s", req->request_id);
    json_object_put(claims);
}

void flow_end_session(struct request *req, struct response *resp)
{
    struct sess_session *s = req->session;
    /* Without its tokens (the row is already gone, or the database is
     * down) there is nothing to revoke, but the cookie still goes. */
    if (s && (s->access_token || sess_load_tokens(s, req->arena) == SESS_OK)) {
        deny_api_tokens(req, s);
        /* GlobalSignOut invalidates every token of the user's sign-in; when
         * the access token is already dead, revoking the refresh token does
         * the same for this session. Either way the row goes. */
        struct cog_client c;
        struct cog_result r;
        flow_client(req, &c);
        struct cog_params p = {.access_token = s->access_token};
        int rc = -1;
        if (s->access_token && s->access_expires_at > time(NULL))
            rc = cog_run(&c, COG_GLOBAL_SIGN_OUT, &p, &r);
        else
            memset(&r, 0, sizeof(r));
        if (rc < 0) {
            char refresh[REFRESH_TOKEN_MAX];
            cog_result_free(&r);
            if (sess_refresh_token(s, refresh, sizeof(refresh)) == SESS_OK) {
                struct cog_params rp = {.refresh_token = refresh};
                cog_run(&c, COG_REVOKE_TOKEN, &rp, &r);
            }
            seal_wipe(refresh, sizeof(refresh));
        }
        cog_result_free(&r);
    }
    end_locally(req, resp);
}

int flow_redirect(struct request *req, struct response *resp, const char *path,
                  const char *flash_key)
{
    struct buf location;
    buf_init(&location);
    buf_printf(&location, "%s%s", req->base, path);
    if (flash_key)
        flash_set(resp, flash_key);
    resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&location));
    buf_free(&location);
    return HTTP_SEE_OTHER;
}

int flow_redirect_email(struct request *req, struct response *resp, const char *path,
                        const char *email, const char *flash_key)
{
    struct buf target;
    buf_init(&target);
    buf_printf(&target, "%s?email=", path);
    url_encode(&target, email);
    int status = flow_redirect(req, resp, buf_cstr(&target), flash_key);
    buf_free(&target);
    return status;
}

/* ---- sign-up attributes (shared by the sign-up page and the JSON API) ---- */

static bool set_attribute(const struct request *req, const struct cog_client *c,
                          const char *email, const char *name, const char *value)
{
    struct cog_attr attrs[] = {{name, value}};
    struct cog_params p = {.username = email, .attrs = attrs, .n_attrs = 1};
    struct cog_result r;
    bool ok = cog_run(c, COG_ADMIN_UPDATE_ATTRIBUTES, &p, &r) == 0;
    if (!ok)
        log_event(LOG_ERROR, "attribute_not_set", "id=%s attribute=%s type=%s", req->request_id,
                  name, r.type[0] ? r.type : "-");
    cog_result_free(&r);
    return ok;
}

/* flow_set_signup_attributes writes, with admin calls right after SignUp,
 * what the app client may not write (so that no user can ever set them
 * with their own token): custom:user_tier, the tier chosen, and
 * custom:tenant_id, the request's tenant. They go one by one: on real
 * Cognito an immutable tenant_id the pool already holds refuses a change,
 * and that must not cost the tier. A failure is logged and leaves the
 * default, never a lost account. Returns true when both were written. */
bool flow_set_signup_attributes(const struct request *req, const struct cog_client *c,
                                const char *email, const char *tier)
{
    bool tier_set = set_attribute(req, c, email, "custom:user_tier", tier);
    bool tenant_set = set_attribute(req, c, email, "custom:tenant_id", req->tenant->slug);
    return tier_set && tenant_set;
}
