/* SPDX-License-Identifier: MIT */
/* security: the account's security page (see security.h).
 *
 * Whether TOTP is on is asked of Cognito (GetUser with the session's
 * access token) each time the page opens: the page is rarely visited and
 * must not show a stale state after an admin's reset. The secret of an
 * enrolment is shown once, in the answer to the POST that made it (as a
 * QR code drawn here, and as text), never stored by gatehouse: a wrong
 * first code means starting again with a new secret or trying the next
 * code. Turning TOTP off needs a recent password (pages/reauth_page.h), and is
 * refused where the tenant requires it. There, a session may open other
 * signed-in pages only with the mark of a passed code (svc/mfa.h), kept in
 * a cookie beside the session: set at a TOTP sign-in, after enrolment, or
 * here when the user turns out to have TOTP on already. The page also lists
 * the person's recent security events (svc/activity.h); a store that
 * cannot answer hides the list, not the page. */
#include "pages/security.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "pages/browser.h"
#include "pages/fields.h"
#include "pages/qrsvg.h"
#include "pages/reauth_page.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/input.h"
#include "svc/mfa.h"
#include "svc/session.h"

#define TEMPLATE "security"
#define HERE "/account/security"

static struct json_object *security_context(struct request *req)
{
    struct json_object *ctx = render_context(req, "Security");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "code", "6-digit code from the app", "text", NULL, "one-time-code", true,
               NULL);
    fields_add(fields, "device_name", "Name of this device", "text", NULL, "off", false,
               "So you can tell it apart later, for example \"work phone\".");
    json_object_object_add(ctx, "fields", fields);
    if (strcmp(req->tenant->mfa, TENANT_MFA_OFF))
        json_object_object_add(ctx, "mfa_offered", json_object_new_boolean(1));
    if (!strcmp(req->tenant->mfa, TENANT_MFA_REQUIRED))
        json_object_object_add(ctx, "mfa_is_required", json_object_new_boolean(1));
    return ctx;
}

/* not_offered refuses an enrolment where the tenant does not offer TOTP. */
static bool not_offered(struct request *req)
{
    return !strcmp(req->tenant->mfa, TENANT_MFA_OFF);
}

#define NOT_OFFERED "Two-step verification is not offered here."


static void note(struct request *req, const char *kind)
{
    struct activity_origin o = {.client_addr = req->client_addr, .request_id = req->request_id};
    activity_note(req->tenant, req->session->sub, kind, &o);
}

static const struct {
    const char *kind, *text;
} kinds[] = {
    {SECEVENT_SIGN_IN, "Signed in"},
    {SECEVENT_SIGN_IN_FAILED, "Failed sign-in (wrong password)"},
    {SECEVENT_MFA_FAILED, "Failed sign-in (wrong two-step code)"},
    {SECEVENT_PASSWORD_CHANGED, "Password changed"},
    {SECEVENT_MFA_ON, "Two-step verification turned on"},
    {SECEVENT_MFA_OFF, "Two-step verification turned off"},
    {SECEVENT_SIGNED_OUT, "Signed out"},
    {SECEVENT_EMAIL_CHANGED, "Email address changed"},
    {SECEVENT_SESSIONS_ENDED, "Other devices signed out"},
};

/* add_activity lists the person's recent security events; a store that
 * cannot answer leaves the list out (the page says so) rather than failing
 * the whole page. */
static void add_activity(struct request *req, struct json_object *ctx)
{
    struct secevent *ev;
    int n = 0;
    if (activity_recent(req->tenant, req->session->sub, req->arena, &ev, &n) != STORE_OK) {
        json_object_object_add(ctx, "activity_unavailable", json_object_new_boolean(1));
        return;
    }
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < n; i++) {
        const char *text = ev[i].kind;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            if (!strcmp(kinds[k].kind, ev[i].kind))
                text = kinds[k].text;
        char when[32];
        struct tm tm;
        gmtime_r(&ev[i].at, &tm);
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
        char iso[32];
        strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
        struct json_object *item = json_object_new_object();
        json_object_object_add(item, "kind", json_object_new_string(ev[i].kind));
        json_object_object_add(item, "text", json_object_new_string(text));
        json_object_object_add(item, "when", json_object_new_string(when));
        json_object_object_add(item, "iso", json_object_new_string(iso));
        json_object_object_add(item, "via", json_object_new_string(ev[i].api ? "API" : "website"));
        if (ev[i].client_addr)
            json_object_object_add(item, "address", json_object_new_string(ev[i].client_addr));
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "activity", list);
    if (n)
        json_object_object_add(ctx, "has_activity", json_object_new_boolean(1));
}

/* access_token loads the session's access token for a Cognito call. */
static const char *access_token(struct request *req)
{
    return session_tokens(req->session, req->arena) == SESSION_OK
               ? req->session->access_token
               : NULL;
}

/* with_state adds whether TOTP is on to ctx; false (answered) when
 * Cognito could not tell. */
static bool with_state(struct request *req, struct response *resp, struct json_object *ctx,
                       const char *token, enum http_status *status)
{
    struct cog_result r;
    bool on = false;
    int rc = mfa_enabled(req->tenant, token, &on, &r);
    if (rc < 0)
        *status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, TEMPLATE, ctx);
    cog_result_free(&r);
    if (rc < 0)
        return false;
    mfa_note(req->tenant, req->session ? req->session->sub : NULL, on);
    json_object_object_add(ctx, on ? "mfa_on" : "mfa_off", json_object_new_boolean(1));
    return true;
}

bool security_mfa_settled(struct request *req)
{
    return !req->session || strcmp(req->tenant->mfa, TENANT_MFA_REQUIRED) ||
           mfa_session_marked(req->tenant, req->session,
                              browser_side_cookie(req, BROWSER_MFA_DONE));
}

void security_mfa_keep(struct request *req, struct response *resp,
                       const struct sess_session *s)
{
    char mark[MFA_MARK_MAX + 1];
    if (!s)
        s = req->session;
    if (!s || !mfa_session_mark(req->tenant, s, mark))
        return;
    /* As long as the session cookie: until the browser closes, or the
     * remembered session's deadline. */
    long left = s->remember ? (long)(s->absolute_expires_at - time(NULL)) : 0;
    browser_keep_side(req, resp, BROWSER_MFA_DONE, mark, left > 0 ? left : 0);
}

enum http_status security_page(struct request *req, struct response *resp)
{
    const char *token = access_token(req);
    enum http_status status = HTTP_OK;
    if (!token)
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct json_object *ctx = security_context(req);
    if (!with_state(req, resp, ctx, token, &status))
        return status;
    add_activity(req, ctx);
    /* A user who has TOTP on already (turned on elsewhere, or before the
     * tenant required it) has nothing to enrol. */
    if (json_object_object_get_ex(ctx, "mfa_on", NULL) && !security_mfa_settled(req))
        security_mfa_keep(req, resp, NULL);
    else if (!security_mfa_settled(req))
        json_object_object_add(ctx, "mfa_required", json_object_new_boolean(1));
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

enum http_status security_mfa_start(struct request *req, struct response *resp)
{
    if (not_offered(req))
        return render_error(req, resp, HTTP_FORBIDDEN, NOT_OFFERED, false);
    const char *token = access_token(req);
    if (!token)
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct json_object *ctx = security_context(req);
    struct mfa_secret secret;
    struct cog_result r;
    enum http_status status;
    if (mfa_begin(req->tenant, token, req->session->email, req->arena, &secret, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, TEMPLATE, ctx);
        cog_result_free(&r);
        return status;
    }
    cog_result_free(&r);
    struct buf svg;
    buf_init(&svg);
    struct json_object *enrol = json_object_new_object();
    json_object_object_add(enrol, "secret", json_object_new_string(secret.secret));
    json_object_object_add(enrol, "uri", json_object_new_string(secret.uri));
    if (qrsvg_draw(secret.uri, "QR code of your new two-step verification key", &svg))
        json_object_object_add(enrol, "qr_svg", json_object_new_string(buf_cstr(&svg)));
    buf_free(&svg);
    json_object_object_add(ctx, "enrol", enrol);
    json_object_object_add(ctx, "mfa_off", json_object_new_boolean(1));
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

enum http_status security_mfa_verify(struct request *req, struct response *resp)
{
    if (not_offered(req))
        return render_error(req, resp, HTTP_FORBIDDEN, NOT_OFFERED, false);
    const char *token = access_token(req);
    if (!token)
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    const char *code = req_form(req, "code"), *device = req_form(req, "device_name");
    struct json_object *ctx = security_context(req);
    struct json_object *enrol = json_object_new_object();
    json_object_object_add(ctx, "enrol", enrol);
    json_object_object_add(ctx, "mfa_off", json_object_new_boolean(1));
    bool ok = fields_check(ctx, "code", mfa_check_code(code));
    if (device && !*device)
        device = NULL;
    ok = fields_check(ctx, "device_name", input_check_text(device, MFA_DEVICE_NAME_MAX, false)) &&
         ok;
    if (!ok)
        return render_page(req, resp, HTTP_BAD_REQUEST, TEMPLATE, ctx);
    struct cog_result r;
    enum http_status status;
    if (mfa_confirm(req->tenant, token, code, device, &r) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_USE_CODE, TEMPLATE, ctx);
    else {
        log_event(LOG_INFO, "mfa_enabled", "id=%s tenant=%s", req->request_id,
                  req->tenant->slug);
        security_mfa_keep(req, resp, NULL);
        note(req, SECEVENT_MFA_ON);
        mfa_note(req->tenant, req->session->sub, true);
        status = render_redirect(req, resp, HERE, "mfa_on");
    }
    cog_result_free(&r);
    return status;
}

enum http_status security_mfa_disable(struct request *req, struct response *resp)
{
    if (!strcmp(req->tenant->mfa, TENANT_MFA_REQUIRED))
        return render_error(req, resp, HTTP_FORBIDDEN,
                            "Two-step verification is required here and cannot be turned off.",
                            false);
    enum http_status demanded;
    if (!reauth_page_require(req, resp, HERE, &demanded))
        return demanded;
    const char *token = access_token(req);
    if (!token)
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    struct cog_result r;
    enum http_status status;
    if (mfa_disable(req->tenant, token, &r) < 0)
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_SESSION, TEMPLATE,
                                      security_context(req));
    else {
        log_event(LOG_INFO, "mfa_disabled", "id=%s tenant=%s", req->request_id,
                  req->tenant->slug);
        note(req, SECEVENT_MFA_OFF);
        mfa_note(req->tenant, req->session->sub, false);
        status = render_redirect(req, resp, HERE, "mfa_off");
    }
    cog_result_free(&r);
    return status;
}
