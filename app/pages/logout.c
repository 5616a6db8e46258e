/* SPDX-License-Identifier: MIT */
/* logout: ending a browser's sign-in (see logout.h). The session is signed
 * out at Cognito and in the API's revocation list and deleted
 * (svc/session.c); the browser is told to drop its cookie whatever came of
 * that, so a logout always ends what the browser holds.
 *
 * GET /logout (a typed address, an old bookmark) asks first: a page with
 * the one button, a form POST with the CSRF token, since a GET that signed
 * out would let any page sign a visitor out with an image. */
#include "pages/logout.h"

#include "core/log.h"
#include "pages/browser.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "svc/activity.h"
#include "svc/session.h"

enum http_status logout_submit(struct request *req, struct response *resp)
{
    if (req->session) {
        struct activity_origin o = {.client_addr = req->client_addr,
                                    .request_id = req->request_id};
        log_event(LOG_INFO, "logged_out", "id=%s tenant=%s", req->request_id,
                  req->tenant->slug);
        activity_note(req->tenant, req->session->sub, SECEVENT_SIGNED_OUT, &o);
    }
    /* The two-step mark goes with the session. */
    browser_forget_side(req, resp, BROWSER_MFA_DONE);
    session_end(req->tenant, req->session, req->session_cookie, req->arena, req->request_id);
    browser_forget_session(req, resp);
    req->session = NULL;
    return render_redirect(req, resp, "/", "logged_out");
}

enum http_status logout_form(struct request *req, struct response *resp)
{
    if (!req->session)
        return render_redirect(req, resp, "/login", NULL);
    struct json_object *ctx = render_context(req, "Log out?");
    return render_page(req, resp, HTTP_OK, "logout", ctx);
}
