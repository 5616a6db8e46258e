/* SPDX-License-Identifier: MIT */
/* reauth_page: the re-authentication page (see reauth_page.h).
 *
 * The return path comes from the query or the form, so it is checked as
 * an open redirect would be: only a path of this site's account pages,
 * made of plain path characters (no scheme, host, "//", backslash, query
 * or fragment) is followed; anything else goes back to /account. */
#include "pages/reauth_page.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "pages/fields.h"
#include "pages/render.h"
#include "svc/reauth.h"

#define RETURN_PREFIX "/account"
#define RETURN_DEFAULT "/account"
#define RETURN_MAX 128 /* bytes of a return path: the account pages' are short */

static const char *safe_return(const char *path)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0 || n > RETURN_MAX || strncmp(path, RETURN_PREFIX, strlen(RETURN_PREFIX)) ||
        strstr(path, "//") || strstr(path, "/.") ||
        strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-_") != n)
        return RETURN_DEFAULT;
    const char *rest = path + strlen(RETURN_PREFIX);
    return *rest == '\0' || *rest == '/' ? path : RETURN_DEFAULT;
}

static struct json_object *reauth_context(struct request *req, const char *back_to)
{
    struct json_object *ctx = render_context(req, "Confirm it is you");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "password", "Password", "password", NULL, "current-password", true,
               NULL);
    json_object_object_add(ctx, "fields", fields);
    json_object_object_add(ctx, "return_to", json_object_new_string(back_to));
    return ctx;
}

enum http_status reauth_page_form(struct request *req, struct response *resp)
{
    const char *back_to = safe_return(req_query(req, "return"));
    return render_page(req, resp, HTTP_OK, "reauth", reauth_context(req, back_to));
}

enum http_status reauth_page_submit(struct request *req, struct response *resp)
{
    const char *back_to = safe_return(req_form(req, "return"));
    struct json_object *ctx = reauth_context(req, back_to);
    const char *password = req_form(req, "password");
    if (!password || !*password) {
        fields_error(ctx, "password", "Enter your password.");
        return render_page(req, resp, HTTP_BAD_REQUEST, "reauth", ctx);
    }
    struct cog_result r;
    enum http_status status;
    if (reauth_prove(req->tenant, req->session, password, req->request_id, &r) == 0) {
        status = render_redirect(req, resp, back_to, "reauthenticated");
    } else if (r.err == COGERR_NOT_AUTHORIZED || r.err == COGERR_INVALID_PASSWORD ||
               r.err == COGERR_USER_NOT_FOUND) {
        /* Only the password can be wrong here: the account is the session's. */
        fields_error(ctx, "password", "That is not the right password. Please try again.");
        status = render_page(req, resp, HTTP_UNAUTHORIZED, "reauth", ctx);
    } else {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_LOGIN, "reauth", ctx);
    }
    cog_result_free(&r);
    return status;
}

bool reauth_page_require(struct request *req, struct response *resp, const char *back_to,
                         enum http_status *status)
{
    if (reauth_fresh(req->session))
        return true;
    char path[RETURN_MAX + sizeof "/account/reauth?return="];
    /* A safe return path is plain path characters: nothing to escape. */
    snprintf(path, sizeof path, "/account/reauth?return=%s", safe_return(back_to));
    *status = render_redirect(req, resp, path, "reauth_required");
    return false;
}
