/* SPDX-License-Identifier: MIT */
/* mfa: TOTP enrolment, its state, and the sign-in challenge (see mfa.h).
 *
 * The sealed challenge is JSON {"s","e","n","r","x"} under AES-GCM with a
 * key of its own (HMAC of SESSION_KEY with KEY_LABEL, so it opens nothing
 * else and nothing else opens it) and the tenant's slug as associated
 * data, base64url-encoded for a cookie or a JSON field. It needs no row:
 * Cognito's session inside is single-purpose and short-lived, and the
 * expiry inside stops a replay after MFA_CHALLENGE_TTL_S. Codes, secrets
 * and sessions are never logged. */
#include "svc/mfa.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/seal.h"
#include "http/url.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"
#include "svc/throttle.h"

#define KEY_LABEL "gatehouse mfa challenge v1"
#define MARK_LABEL "gatehouse mfa session mark v1"
#define TOTP_METHOD "SOFTWARE_TOKEN_MFA"
#define OTPAUTH_PREFIX "otpauth://totp/"

/* challenge_key derives the challenge key into out; false without SESSION_KEY. */
static bool challenge_key(unsigned char out[SEAL_KEY_BYTES])
{
    const struct config *cfg = svc_config();
    if (!cfg || !cfg->has_session_key)
        return false;
    seal_hmac_sha256(cfg->session_key, CONFIG_SESSION_KEY_BYTES, KEY_LABEL, strlen(KEY_LABEL),
                     out);
    return true;
}

bool mfa_challenge_seal(const struct tenant *t, struct mfa_challenge *c, struct arena *a,
                        const char **out)
{
    unsigned char key[SEAL_KEY_BYTES];
    struct buf sealed;
    bool ok = false;
    buf_init(&sealed);
    struct json_object *obj = json_object_new_object();
    c->expires_at = time(NULL) + MFA_CHALLENGE_TTL_S;
    json_object_object_add(obj, "s", json_object_new_string(c->session));
    json_object_object_add(obj, "e", json_object_new_string(c->email));
    if (c->next)
        json_object_object_add(obj, "n", json_object_new_string(c->next));
    json_object_object_add(obj, "r", json_object_new_boolean(c->remember));
    json_object_object_add(obj, "x", json_object_new_int64((int64_t)c->expires_at));
    const char *plain = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
    if (!challenge_key(key) ||
        seal_encrypt_ad(key, plain, strlen(plain), t->slug, strlen(t->slug), &sealed) != 0)
        goto out;
    size_t n = SEAL_B64URL_LEN(sealed.len);
    if (n > MFA_CHALLENGE_SEALED_MAX)
        goto out;
    char *text = arena_alloc(a, n + 1);
    if (!seal_b64url_encode(sealed.data, sealed.len, text, n + 1))
        goto out;
    *out = text;
    ok = true;
out:
    seal_wipe(key, sizeof(key));
    seal_wipe_buf(&sealed);
    buf_free(&sealed);
    json_object_put(obj);
    return ok;
}

/* text_of copies the string member name of obj into a, or NULL. */
static const char *text_of(struct json_object *obj, const char *name, struct arena *a)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return arena_strdup(a, json_object_get_string(v));
}

bool mfa_challenge_open(const struct tenant *t, const char *sealed, time_t now,
                        struct arena *a, struct mfa_challenge *c)
{
    unsigned char key[SEAL_KEY_BYTES];
    struct buf plain;
    struct json_object *obj = NULL, *v;
    bool ok = false;
    memset(c, 0, sizeof(*c));
    buf_init(&plain);
    size_t len = sealed ? strlen(sealed) : 0;
    if (!len || len > MFA_CHALLENGE_SEALED_MAX || !challenge_key(key))
        goto out;
    unsigned char *raw = arena_alloc(a, len);
    size_t raw_len = 0;
    if (!seal_b64url_decode(sealed, len, raw, len, &raw_len) ||
        seal_decrypt_ad(key, raw, raw_len, t->slug, strlen(t->slug), &plain) != 0)
        goto out;
    obj = json_tokener_parse(buf_cstr(&plain));
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "x", &v) || !json_object_is_type(v, json_type_int))
        goto out;
    c->expires_at = (time_t)json_object_get_int64(v);
    c->session = text_of(obj, "s", a);
    c->email = text_of(obj, "e", a);
    c->next = text_of(obj, "n", a);
    c->remember = json_object_object_get_ex(obj, "r", &v) && json_object_get_boolean(v);
    ok = c->session && c->email && now < c->expires_at;
out:
    seal_wipe(key, sizeof(key));
    seal_wipe_buf(&plain);
    buf_free(&plain);
    json_object_put(obj);
    return ok;
}

void mfa_answer(const struct tenant *t, const struct mfa_challenge *c, const char *code,
                const char *client_addr, const char *request_id, struct signin *out)
{
    struct throttle th;
    struct cog_client cl;
    memset(out, 0, sizeof(*out));
    switch (throttle_check(t->slug, c->email, client_addr, request_id, &th)) {
    case THROTTLE_GO:
        break;
    case THROTTLE_LOCKED:
        out->outcome = SIGNIN_LOCKED;
        out->retry_after_s = th.state.wait_s;
        return;
    case THROTTLE_UNAVAILABLE:
    default:
        out->outcome = SIGNIN_UNAVAILABLE;
        return;
    }
    svc_client(t, &cl);
    struct cog_params p = {.username = c->email, .code = code, .session = c->session};
    if (cog_run(&cl, COG_MFA_ANSWER, &p, &out->result) < 0) {
        out->outcome = SIGNIN_REFUSED;
        /* Cognito limits codes per session too; ours add up per account. */
        if (out->result.err == COGERR_CODE_MISMATCH)
            throttle_failed(t->slug, &th, request_id);
        return;
    }
    if (cog_get(&out->result, "ChallengeName")) {
        out->outcome = SIGNIN_OTHER_CHALLENGE;
        return;
    }
    out->outcome = SIGNIN_TOKENS;
    throttle_passed(t->slug, &th, request_id);
}

int mfa_enabled(const struct tenant *t, const char *access_token, bool *on,
                struct cog_result *r)
{
    struct cog_client c;
    struct json_object *list;
    *on = false;
    svc_client(t, &c);
    struct cog_params p = {.access_token = access_token};
    if (cog_run(&c, COG_GET_USER, &p, r) < 0)
        return -1;
    if (json_object_object_get_ex(r->reply, "UserMFASettingList", &list) &&
        json_object_is_type(list, json_type_array))
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            const char *m = json_object_get_string(json_object_array_get_idx(list, i));
            if (m && !strcmp(m, TOTP_METHOD))
                *on = true;
        }
    return 0;
}

/* otpauth_uri writes the key URI authenticator apps read (Google's "Key
 * Uri Format"): the label is "<tenant>:<email>", the issuer the tenant. */
static const char *otpauth_uri(const struct tenant *t, const char *email, const char *secret,
                               struct arena *a)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, OTPAUTH_PREFIX);
    url_encode(&b, t->slug);
    buf_putc(&b, ':');
    url_encode(&b, email);
    buf_puts(&b, "?secret=");
    url_encode(&b, secret);
    buf_puts(&b, "&issuer=");
    url_encode(&b, t->slug);
    const char *uri = b.len <= MFA_URI_MAX ? arena_strdup(a, buf_cstr(&b)) : NULL;
    buf_free(&b);
    return uri;
}

int mfa_begin(const struct tenant *t, const char *access_token, const char *email,
              struct arena *a, struct mfa_secret *out, struct cog_result *r)
{
    struct cog_client c;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_params p = {.access_token = access_token};
    if (cog_run(&c, COG_MFA_ASSOCIATE, &p, r) < 0)
        return -1;
    const char *secret = cog_get(r, "SecretCode");
    if (!secret || !*secret || strlen(secret) > MFA_SECRET_MAX ||
        !(out->uri = otpauth_uri(t, email, secret, a))) {
        /* An answer without a usable secret: as if Cognito had failed. */
        cog_result_free(r);
        r->err = COGERR_UNKNOWN;
        r->error = cogerr_get(COGERR_UNKNOWN, COGERR_CTX_SESSION);
        return -1;
    }
    out->secret = arena_strdup(a, secret);
    return 0;
}

int mfa_confirm(const struct tenant *t, const char *access_token, const char *code,
                const char *device_name, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.access_token = access_token, .code = code,
                           .device_name = device_name};
    if (cog_run(&c, COG_MFA_VERIFY, &p, r) < 0)
        return -1;
    cog_result_free(r);
    struct cog_params on = {.access_token = access_token};
    return cog_run(&c, COG_MFA_ENABLE, &on, r);
}

int mfa_disable(const struct tenant *t, const char *access_token, struct cog_result *r)
{
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params p = {.access_token = access_token};
    return cog_run(&c, COG_MFA_DISABLE, &p, r);
}

const char *mfa_check_code(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (!n)
        return "Enter the 6-digit code from your authenticator app.";
    if (n != MFA_CODE_DIGITS || strspn(code, "0123456789") != n)
        return "The code is the 6 digits your authenticator app shows.";
    return NULL;
}

/* mark_mac computes s's mark at t into out; false without SESSION_KEY. */
static bool mark_mac(const struct tenant *t, const struct sess_session *s,
                     unsigned char out[SEAL_SHA256_BYTES])
{
    const struct config *cfg = svc_config();
    unsigned char key[SEAL_SHA256_BYTES];
    unsigned char msg[TENANT_SLUG_MAX + 1 + SEAL_SHA256_BYTES];
    size_t slug = strlen(t->slug);
    if (!cfg || !cfg->has_session_key || slug >= TENANT_SLUG_MAX)
        return false;
    memcpy(msg, t->slug, slug);
    msg[slug] = '\n';
    memcpy(msg + slug + 1, s->id_hash, SEAL_SHA256_BYTES);
    seal_hmac_sha256(cfg->session_key, CONFIG_SESSION_KEY_BYTES, MARK_LABEL,
                     strlen(MARK_LABEL), key);
    seal_hmac_sha256(key, sizeof(key), msg, slug + 1 + SEAL_SHA256_BYTES, out);
    seal_wipe(key, sizeof(key));
    return true;
}

_Static_assert(SEAL_B64URL_LEN(SEAL_SHA256_BYTES) <= MFA_MARK_MAX, "MFA_MARK_MAX too small");

bool mfa_session_mark(const struct tenant *t, const struct sess_session *s,
                      char mark[MFA_MARK_MAX + 1])
{
    unsigned char mac[SEAL_SHA256_BYTES];
    mark[0] = '\0';
    return mark_mac(t, s, mac) && seal_b64url_encode(mac, sizeof(mac), mark, MFA_MARK_MAX + 1);
}

bool mfa_session_marked(const struct tenant *t, const struct sess_session *s,
                        const char *mark)
{
    unsigned char want[SEAL_SHA256_BYTES], got[SEAL_SHA256_BYTES];
    size_t n = 0;
    return mark && strlen(mark) == SEAL_B64URL_LEN(SEAL_SHA256_BYTES) &&
           seal_b64url_decode(mark, strlen(mark), got, sizeof(got), &n) && n == sizeof(got) &&
           mark_mac(t, s, want) && seal_equal(want, got, sizeof(want));
}

void mfa_note(const struct tenant *t, const char *sub, bool on)
{
    if (!sub)
        return;
    enum store_result rc = users_set_mfa(t->slug, sub, on);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        log_event(LOG_WARN, "mfa_mirror_not_written", "tenant=%s", t->slug);
}
