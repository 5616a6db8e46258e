/* SPDX-License-Identifier: MIT */
/* router: route table and lookup (see router.h).
 *
 * Patterns are literal paths with at most one "{name}" segment; a segment
 * parameter never contains '/'. The table is short, so lookup is a linear
 * scan with a cheap first-byte check: there is nothing to gain from a trie
 * here that a profile has shown. HEAD is allowed wherever GET is. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "api/health.h"
#include "core/arena.h"
#include "pages/account.h"
#include "pages/home.h"
#include "pages/login.h"
#include "pages/password.h"
#include "pages/signup.h"

#define GET_OR_HEAD (HTTP_GET | HTTP_HEAD)

static const struct route routes[] = {
    {GET_OR_HEAD, "/", home_page, 0, "home"},
    {GET_OR_HEAD, "/signup", signup_form, 0, "signup"},
    {HTTP_POST, "/signup", signup_submit, 0, "signup_submit"},
    {GET_OR_HEAD, "/confirm", confirm_form, 0, "confirm"},
    {HTTP_POST, "/confirm", confirm_submit, 0, "confirm_submit"},
    {HTTP_POST, "/confirm/resend", confirm_resend, 0, "confirm_resend"},
    {GET_OR_HEAD, "/login", login_form, 0, "login"},
    {HTTP_POST, "/login", login_submit, 0, "login_submit"},
    {GET_OR_HEAD, "/login/new-password", login_new_password_form, 0, "login_new_password"},
    {HTTP_POST, "/login/new-password", login_new_password_submit, 0, "login_new_password_submit"},
    {HTTP_POST, "/logout", logout_submit, 0, "logout"},
    {GET_OR_HEAD, "/forgot", forgot_form, 0, "forgot"},
    {HTTP_POST, "/forgot", forgot_submit, 0, "forgot_submit"},
    {GET_OR_HEAD, "/reset", reset_form, 0, "reset"},
    {HTTP_POST, "/reset", reset_submit, 0, "reset_submit"},
    {GET_OR_HEAD, "/account", account_page, ROUTE_LOGIN, "account"},
    {HTTP_POST, "/account/password", account_password, ROUTE_LOGIN, "account_password"},
    /* ---- admin panel (pages/admin) ---- */
    /* ---- JSON API and files (api) ---- */
    /* ---- tenants (api/tenants) ---- */
    /* ---- operations ---- */
    {GET_OR_HEAD, "/healthz", health_live, ROUTE_JSON | ROUTE_BARE, "healthz"},
    {GET_OR_HEAD, "/readyz", health_ready, ROUTE_JSON | ROUTE_BARE, "readyz"},
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

void route_allow_header(unsigned methods, char *out, size_t outlen)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {HTTP_GET, "GET"},       {HTTP_HEAD, "HEAD"},     {HTTP_POST, "POST"},
        {HTTP_PUT, "PUT"},       {HTTP_DELETE, "DELETE"}, {HTTP_PATCH, "PATCH"},
        {HTTP_OPTIONS, "OPTIONS"},
    };
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(methods & names[i].bit))
            continue;
        int n = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "",
                         names[i].name);
        if (n < 0 || (size_t)n >= outlen - used)
            break;
        used += (size_t)n;
    }
}
