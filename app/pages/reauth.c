/* SPDX-License-Identifier: MIT */
/* reauth: the "enter your password again" page (see reauth.h).
 *
 * The return path travels in the query string and a hidden field: it is
 * only ever a local path (url_is_local_path), so the page cannot send
 * anyone elsewhere. A wrong password keeps the person here; too many lock
 * as at the login form (the same counts: svc/throttle.h). */
#include "pages/reauth.h"

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/seal.h"
#include "http/url.h"
#include "pages/browser.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "svc/reauth.h"
#include "svc/throttle.h"

#define DEFAULT_RETURN "/account"

static const char *safe_return(const char *back_to)
{
    return back_to && url_is_local_path(back_to) ? back_to : DEFAULT_RETURN;
}

bool reauth_page_fresh(struct request *req)
{
    return req->session && reauth_fresh(req->tenant, req->session,
                                        browser_side_cookie(req, BROWSER_REAUTH), time(NULL));
}

enum http_status reauth_page_demand(struct request *req, struct response *resp,
                                    const char *back_to)
{
    struct buf path;
    buf_init(&path);
    buf_puts(&path, "/account/reauth?return=");
    url_encode(&path, safe_return(back_to));
    enum http_status status = render_redirect(req, resp, buf_cstr(&path), "reauth_needed");
    buf_free(&path);
    return status;
}

static struct json_object *reauth_context(struct request *req, const char *back_to)
{
    struct json_object *ctx = render_context(req, "Confirm it is you");
    struct json_object *fields = json_object_new_object();
    fields_add(fields, "password", "Password", "password", NULL, "current-password", true,
               NULL);
    json_object_object_add(ctx, "fields", fields);
    json_object_object_add(ctx, "return", json_object_new_string(safe_return(back_to)));
    json_object_object_add(ctx, "email", json_object_new_string(req->session->email));
    return ctx;
}

enum http_status reauth_form(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "reauth",
                       reauth_context(req, req_query(req, "return")));
}

enum http_status reauth_submit(struct request *req, struct response *resp)
{
    const char *back_to = safe_return(req_form(req, "return"));
    const char *password = req_form(req, "password");
    struct json_object *ctx = reauth_context(req, back_to);
    if (!password || !*password) {
        fields_error(ctx, "password", "Enter your password.");
        return render_page(req, resp, HTTP_BAD_REQUEST, "reauth", ctx);
    }
    char proof[REAUTH_PROOF_MAX + 1], wait[NUM_TEXT_MAX], message[THROTTLE_MESSAGE_MAX];
    long long retry_after = 0;
    enum http_status status;
    switch (reauth_prove(req->tenant, req->session, password, req->client_addr,
                         req->request_id, proof, &retry_after)) {
    case REAUTH_OK:
        browser_keep_side(req, resp, BROWSER_REAUTH, proof, REAUTH_WINDOW_S);
        seal_wipe(proof, sizeof(proof));
        return render_redirect(req, resp, back_to, "reauth_done");
    case REAUTH_WRONG:
        fields_error(ctx, "password", "That password is not right.");
        return render_page(req, resp, HTTP_BAD_REQUEST, "reauth", ctx);
    case REAUTH_LOCKED:
        snprintf(wait, sizeof(wait), "%lld", retry_after);
        resp_header(resp, "Retry-After", wait);
        throttle_message(retry_after, message);
        fields_error(ctx, NULL, message);
        return render_page(req, resp, HTTP_TOO_MANY_REQUESTS, "reauth", ctx);
    case REAUTH_UNAVAILABLE:
    default:
        status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
        return status;
    }
}
