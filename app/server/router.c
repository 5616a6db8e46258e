/* SPDX-License-Identifier: MIT */
/* router: route table and lookup (see router.h).
 *
 * Patterns are literal paths with at most one "{name}" segment; a segment
 * parameter never contains '/'. The table is short, so lookup is a linear
 * scan with a cheap first-byte check: there is nothing to gain from a trie
 * here that a profile has shown. HEAD is allowed wherever GET is. */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

#include "api/auth.h"
#include "api/health.h"
#include "api/me.h"
#include "api/mfa.h"
#include "api/openapi.h"
#include "api/s3files.h"
#include "api/selfapi.h"
#include "api/status.h"
#include "api/tenantapi.h"
#include "api/upgradeapi.h"
#include "core/arena.h"
#include "pages/account.h"
#include "pages/admin.h"
#include "pages/admin_actions.h"
#include "pages/admin_audit.h"
#include "pages/admin_bulk.h"
#include "pages/admin_import.h"
#include "pages/admin_invite.h"
#include "pages/admin_requests.h"
#include "pages/admin_tier.h"
#include "pages/admin_user.h"
#include "pages/admin_users.h"
#include "pages/brand.h"
#include "pages/confirm.h"
#include "pages/devices.h"
#include "pages/forgot.h"
#include "pages/home.h"
#include "pages/login.h"
#include "pages/logout.h"
#include "pages/myfiles.h"
#include "pages/reauth_page.h"
#include "pages/reset.h"
#include "pages/selfservice_pages.h"
#include "pages/security.h"
#include "pages/signup.h"
#include "pages/upsell.h"

#define GET_OR_HEAD (HTTP_GET | HTTP_HEAD)

static const struct route routes[] = {
    {GET_OR_HEAD, "/", home_page, 0, "home"},
    {GET_OR_HEAD, "/brand.css", brand_css, 0, "brand_css"},
    {GET_OR_HEAD, "/signup", signup_form, 0, "signup"},
    {HTTP_POST, "/signup", signup_submit, 0, "signup_submit"},
    {GET_OR_HEAD, "/confirm", confirm_form, 0, "confirm"},
    {HTTP_POST, "/confirm", confirm_submit, 0, "confirm_submit"},
    {HTTP_POST, "/confirm/resend", confirm_resend, 0, "confirm_resend"},
    {GET_OR_HEAD, "/login", login_form, 0, "login"},
    {HTTP_POST, "/login", login_submit, 0, "login_submit"},
    {GET_OR_HEAD, "/login/new-password", login_new_password_form, 0, "login_new_password"},
    {HTTP_POST, "/login/new-password", login_new_password_submit, 0, "login_new_password_submit"},
    {GET_OR_HEAD, "/login/mfa", login_mfa_form, 0, "login_mfa"},
    {HTTP_POST, "/login/mfa", login_mfa_submit, 0, "login_mfa_submit"},
    {HTTP_POST, "/logout", logout_submit, 0, "logout"},
    {GET_OR_HEAD, "/logout", logout_form, 0, "logout_form"},
    {GET_OR_HEAD, "/forgot", forgot_form, 0, "forgot"},
    {HTTP_POST, "/forgot", forgot_submit, 0, "forgot_submit"},
    {GET_OR_HEAD, "/reset", reset_form, 0, "reset"},
    {HTTP_POST, "/reset", reset_submit, 0, "reset_submit"},
    {GET_OR_HEAD, "/account", account_page, ROUTE_LOGIN, "account"},
    {HTTP_POST, "/account/password", account_password, ROUTE_LOGIN, "account_password"},
    {GET_OR_HEAD, "/account/sessions", devices_page, ROUTE_LOGIN, "account_sessions"},
    {HTTP_POST, "/account/sessions/end", devices_end_submit, ROUTE_LOGIN, "account_sessions_end"},
    {HTTP_POST, "/account/sessions/end-others", devices_end_others_submit, ROUTE_LOGIN, "account_sessions_end_others"},
    {GET_OR_HEAD, "/account/reauth", reauth_page_form, ROUTE_LOGIN | ROUTE_MFA_SETUP, "account_reauth"},
    {HTTP_POST, "/account/reauth", reauth_page_submit, ROUTE_LOGIN | ROUTE_MFA_SETUP, "account_reauth_submit"},
    {GET_OR_HEAD, "/account/profile", selfservice_pages_profile, ROUTE_LOGIN, "account_profile"},
    {HTTP_POST, "/account/profile", selfservice_pages_profile_submit, ROUTE_LOGIN, "account_profile_submit"},
    {GET_OR_HEAD, "/account/email", selfservice_pages_email, ROUTE_LOGIN, "account_email"},
    {HTTP_POST, "/account/email", selfservice_pages_email_submit, ROUTE_LOGIN, "account_email_submit"},
    {HTTP_POST, "/account/email/verify", selfservice_pages_email_verify, ROUTE_LOGIN, "account_email_verify"},
    {GET_OR_HEAD, "/account/delete", selfservice_pages_delete, ROUTE_LOGIN, "account_delete"},
    {HTTP_POST, "/account/delete", selfservice_pages_delete_submit, ROUTE_LOGIN, "account_delete_submit"},
    {GET_OR_HEAD, "/account/security", security_page, ROUTE_LOGIN | ROUTE_MFA_SETUP | ROUTE_WAITS, "account_security"},
    {HTTP_POST, "/account/security/mfa/start", security_mfa_start, ROUTE_LOGIN | ROUTE_MFA_SETUP, "account_mfa_start"},
    {HTTP_POST, "/account/security/mfa/verify", security_mfa_verify, ROUTE_LOGIN | ROUTE_MFA_SETUP, "account_mfa_verify"},
    {HTTP_POST, "/account/security/mfa/disable", security_mfa_disable, ROUTE_LOGIN | ROUTE_MFA_SETUP, "account_mfa_disable"},
    {GET_OR_HEAD, "/account/upgrade", upsell_request_page, ROUTE_LOGIN, "account_upgrade"},
    {HTTP_POST, "/account/upgrade-request", upsell_request_submit, ROUTE_LOGIN, "account_upgrade_request"},
    /* ---- admin panel (pages/admin) ---- */
    {GET_OR_HEAD, "/admin", admin_home, ROUTE_ADMIN, "admin"},
    {GET_OR_HEAD, "/admin/users", admin_users_page, ROUTE_ADMIN, "admin_users"},
    {HTTP_POST, "/admin/users/sync", admin_users_sync, ROUTE_ADMIN, "admin_users_sync"},
    {GET_OR_HEAD, "/admin/users/{username}", admin_user_page, ROUTE_ADMIN | ROUTE_WAITS, "admin_user"},
    {HTTP_POST, "/admin/user-info", admin_user_info, ROUTE_ADMIN, "admin_user_info"},
    {HTTP_POST, "/admin/update-tier", admin_tier_update, ROUTE_ADMIN, "admin_update_tier"},
    {GET_OR_HEAD, "/admin/audit", admin_audit_page, ROUTE_ADMIN, "admin_audit"},
    {GET_OR_HEAD, "/admin/audit.csv", admin_audit_csv, ROUTE_ADMIN, "admin_audit_csv"},
    {GET_OR_HEAD, "/admin/invite", admin_invite_form, ROUTE_ADMIN, "admin_invite"},
    {HTTP_POST, "/admin/invite", admin_invite_submit, ROUTE_ADMIN, "admin_invite_submit"},
    {HTTP_POST, "/admin/users/{username}/resend-invitation", admin_invite_resend, ROUTE_ADMIN, "admin_resend_invitation"},
    {HTTP_POST, "/admin/users/{username}/confirm", admin_invite_confirm, ROUTE_ADMIN, "admin_confirm_signup"},
    {GET_OR_HEAD, "/admin/import", admin_import_form, ROUTE_ADMIN, "admin_import"},
    {HTTP_POST, "/admin/import", admin_import_submit, ROUTE_ADMIN, "admin_import_submit"},
    {GET_OR_HEAD, "/admin/users.csv", admin_bulk_users_csv, ROUTE_ADMIN, "admin_users_csv"},
    {HTTP_POST, "/admin/users/bulk-tier", admin_bulk_tier, ROUTE_ADMIN, "admin_bulk_tier"},
    {GET_OR_HEAD, "/admin/requests", admin_requests_page, ROUTE_ADMIN, "admin_requests"},
    {HTTP_POST, "/admin/requests/{id}/approve", admin_requests_approve, ROUTE_ADMIN, "admin_request_approve"},
    {HTTP_POST, "/admin/requests/{id}/decline", admin_requests_decline, ROUTE_ADMIN, "admin_request_decline"},
    /* an admin's actions on one user (pages/admin_actions) */
    {HTTP_POST, "/admin/users/{username}/disable", admin_actions_disable, ROUTE_ADMIN, "admin_user_disable"},
    {HTTP_POST, "/admin/users/{username}/enable", admin_actions_enable, ROUTE_ADMIN, "admin_user_enable"},
    {HTTP_POST, "/admin/users/{username}/reset-password", admin_actions_reset_password, ROUTE_ADMIN, "admin_user_reset_password"},
    {HTTP_POST, "/admin/users/{username}/sign-out", admin_actions_sign_out, ROUTE_ADMIN, "admin_user_sign_out"},
    {HTTP_POST, "/admin/users/{username}/reset-mfa", admin_actions_reset_mfa, ROUTE_ADMIN, "admin_user_reset_mfa"},
    {HTTP_POST, "/admin/users/{username}/edit", admin_actions_edit, ROUTE_ADMIN, "admin_user_edit"},
    {HTTP_POST, "/admin/users/{username}/grant-admin", admin_actions_grant_admin, ROUTE_ADMIN, "admin_user_grant_admin"},
    {HTTP_POST, "/admin/users/{username}/revoke-admin", admin_actions_revoke_admin, ROUTE_ADMIN, "admin_user_revoke_admin"},
    {HTTP_POST, "/admin/users/{username}/delete", admin_actions_delete, ROUTE_ADMIN, "admin_user_delete"},
    /* ---- JSON API and files (api) ---- */
    {HTTP_POST, "/api/v1/auth/register", auth_register, ROUTE_JSON, "api_register"},
    {HTTP_POST, "/api/v1/auth/verify-otp", auth_verify_otp, ROUTE_JSON, "api_verify_otp"},
    {HTTP_POST, "/api/v1/auth/login", auth_login, ROUTE_JSON, "api_login"},
    {HTTP_POST, "/api/v1/auth/request-otp", auth_request_otp, ROUTE_JSON, "api_request_otp"},
    {HTTP_POST, "/api/v1/auth/refresh", auth_refresh, ROUTE_JSON, "api_refresh"},
    {HTTP_POST, "/api/v1/auth/logout", auth_logout, ROUTE_JSON, "api_logout"},
    {HTTP_POST, "/api/v1/auth/forgot-password", auth_forgot_password, ROUTE_JSON, "api_forgot_password"},
    {HTTP_POST, "/api/v1/auth/reset-password", auth_reset_password, ROUTE_JSON, "api_reset_password"},
    {GET_OR_HEAD, "/api/v1/me", me_get, ROUTE_JSON, "api_me"},
    {HTTP_PATCH, "/api/v1/me", selfapi_profile, ROUTE_JSON, "api_me_profile"},
    {HTTP_DELETE, "/api/v1/me", selfapi_delete, ROUTE_JSON, "api_me_delete"},
    {GET_OR_HEAD, "/api/v1/me/sessions", selfapi_sessions, ROUTE_JSON, "api_me_sessions"},
    {HTTP_DELETE, "/api/v1/me/sessions/{id}", selfapi_session_end, ROUTE_JSON, "api_me_session_end"},
    {HTTP_DELETE, "/api/v1/me/sessions", selfapi_sessions_end_others, ROUTE_JSON, "api_me_sessions_end_others"},
    {HTTP_POST, "/api/v1/me/email", selfapi_email, ROUTE_JSON, "api_me_email"},
    {HTTP_POST, "/api/v1/me/email/verify", selfapi_email_verify, ROUTE_JSON, "api_me_email_verify"},
    {HTTP_POST, "/api/v1/auth/mfa", auth_mfa, ROUTE_JSON, "api_mfa"},
    {GET_OR_HEAD, "/api/v1/me/mfa", me_mfa_get, ROUTE_JSON | ROUTE_WAITS, "api_me_mfa"},
    {HTTP_POST, "/api/v1/me/mfa", me_mfa_begin, ROUTE_JSON, "api_me_mfa_begin"},
    {HTTP_DELETE, "/api/v1/me/mfa", me_mfa_delete, ROUTE_JSON, "api_me_mfa_delete"},
    {HTTP_POST, "/api/v1/me/mfa/verify", me_mfa_verify, ROUTE_JSON, "api_me_mfa_verify"},
    {GET_OR_HEAD, "/api/v1/me/upgrade-request", upgradeapi_get, ROUTE_JSON, "api_me_upgrade_request"},
    {HTTP_POST, "/api/v1/me/upgrade-request", upgradeapi_ask, ROUTE_JSON, "api_me_upgrade_ask"},
    {GET_OR_HEAD, "/api/v1/openapi.json", openapi_get, ROUTE_JSON | ROUTE_BARE, "api_openapi"},
    {HTTP_POST, "/auth/signup", auth_register, ROUTE_JSON, "auth_signup"},
    {HTTP_POST, "/auth/signin", auth_login, ROUTE_JSON, "auth_signin"},
    {GET_OR_HEAD, "/files", myfiles_page, ROUTE_LOGIN, "files"},
    {HTTP_POST, "/files/upload-url", s3files_upload_url, ROUTE_JSON, "files_upload_url"},
    {GET_OR_HEAD, "/files/download-url", s3files_download_url, ROUTE_JSON, "files_download_url"},
    {GET_OR_HEAD, "/files/list", s3files_list, ROUTE_JSON, "files_list"},
    /* ---- tenants (api/tenants) ---- */
    {HTTP_POST, "/auth/tenants", tenantapi_create, ROUTE_JSON, "tenant_create"},
    {GET_OR_HEAD, "/api/getTenant", tenantapi_lookup_query, ROUTE_JSON, "tenant_lookup"},
    {GET_OR_HEAD, "/api/v1/tenants/{slug}", tenantapi_lookup_path, ROUTE_JSON, "tenant_lookup"},
    /* ---- operations ---- */
    {GET_OR_HEAD, "/healthz", health_live, ROUTE_JSON | ROUTE_BARE, "healthz"},
    {GET_OR_HEAD, "/readyz", health_ready, ROUTE_JSON | ROUTE_BARE, "readyz"},
    {GET_OR_HEAD, "/status", status_page, ROUTE_JSON | ROUTE_BARE | ROUTE_LOOPBACK, "status"},
    {GET_OR_HEAD, "/metrics", status_metrics, ROUTE_JSON | ROUTE_BARE | ROUTE_LOOPBACK, "metrics"},
};

/* match compares path with pattern; a "{…}" segment matches one non-empty
 * segment, whose start and length are returned through param. */
static bool match(const char *pattern, const char *path, const char **param,
                  size_t *param_len)
{
    while (*pattern && *path) {
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            size_t n = strcspn(path, "/");
            if (!close || n == 0)
                return false;
            *param = path;
            *param_len = n;
            pattern = close + 1;
            path += n;
            continue;
        }
        if (*pattern++ != *path++)
            return false;
    }
    return *pattern == '\0' && *path == '\0';
}

enum route_result route_lookup(struct request *req, const struct route **route,
                               unsigned *allowed)
{
    *allowed = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const char *param = NULL;
        size_t param_len = 0;
        if (routes[i].pattern[1] != req->path[1] ||
            !match(routes[i].pattern, req->path, &param, &param_len))
            continue;
        if (!(routes[i].methods & req->method)) {
            *allowed |= routes[i].methods;
            continue;
        }
        *route = &routes[i];
        if (param)
            req->path_param = arena_strndup(req->arena, param, param_len);
        return ROUTE_FOUND;
    }
    return *allowed ? ROUTE_METHOD_NOT_ALLOWED : ROUTE_NOT_FOUND;
}

unsigned route_path_flags(const char *path)
{
    unsigned flags = 0;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const char *param = NULL;
        size_t param_len = 0;
        if (routes[i].pattern[1] == path[1] && match(routes[i].pattern, path, &param, &param_len))
            flags |= routes[i].flags;
    }
    return flags;
}
