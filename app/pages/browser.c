/* SPDX-License-Identifier: MIT */
/* browser: the session cookie (see browser.h).
 *
 * The cookie is __Host- (Secure, Path=/, no Domain), HttpOnly and
 * SameSite=Lax. A remember-me session gets a persistent cookie that lasts
 * until its absolute deadline (Max-Age and Expires); any other a
 * browser-session cookie, which dies with the browser before the session
 * row does. The default tenant keeps the plain name; any other tenant's is
 * the plain name, "-" and its slug. */
#include "pages/browser.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/cookies.h"
#include "http/csrf.h"
#include "store/sessions.h"
#include "store/tenants.h"

#define SESSION_COOKIE_TENANT_SEP "-"

const char *browser_session_cookie_name(struct request *req)
{
    if (!req->tenant || !strcmp(req->tenant->slug, TENANT_DEFAULT))
        return SESS_COOKIE_NAME;
    size_t n = strlen(SESS_COOKIE_NAME) + strlen(req->tenant->slug) + 2;
    char *name = arena_alloc(req->arena, n);
    snprintf(name, n, "%s" SESSION_COOKIE_TENANT_SEP "%s", SESS_COOKIE_NAME, req->tenant->slug);
    return name;
}

void browser_session_cookie(struct cookie_attrs *c, const char *name, const char *id,
                            const struct sess_session *s, time_t now)
{
    memset(c, 0, sizeof *c);
    c->name = name;
    c->path = "/";
    c->secure = true;
    c->http_only = true;
    c->same_site = COOKIE_SAMESITE_LAX;
    if (!s) {
        c->value = "";
        c->max_age = COOKIE_EXPIRE_NOW;
        return;
    }
    c->value = id;
    if (s->remember) {
        long left = (long)(s->absolute_expires_at - now);
        c->max_age = left > 0 ? left : COOKIE_EXPIRE_NOW;
        c->now = now;
    }
}

static void send_cookie(struct response *resp, const struct cookie_attrs *attrs)
{
    struct buf value;
    buf_init(&value);
    if (cookie_format(&value, attrs) == 0)
        resp_header(resp, "Set-Cookie", buf_cstr(&value));
    buf_free(&value);
}

void browser_keep_session(struct request *req, struct response *resp, const char *id,
                          const struct sess_session *s)
{
    struct cookie_attrs attrs;
    browser_session_cookie(&attrs, browser_session_cookie_name(req), id, s, time(NULL));
    send_cookie(resp, &attrs);
}

void browser_forget_session(struct request *req, struct response *resp)
{
    struct cookie_attrs attrs;
    browser_session_cookie(&attrs, browser_session_cookie_name(req), "", NULL, time(NULL));
    send_cookie(resp, &attrs);
}

void browser_keep_csrf(struct response *resp, const char *value)
{
    struct cookie_attrs attrs;
    csrf_cookie(&attrs, value);
    send_cookie(resp, &attrs);
}

/* side_name is the session cookie's name with suffix. */
static const char *side_name(struct request *req, const char *suffix)
{
    const char *base = browser_session_cookie_name(req);
    size_t n = strlen(base) + strlen(suffix) + 1;
    char *name = arena_alloc(req->arena, n);
    snprintf(name, n, "%s%s", base, suffix);
    return name;
}

const char *browser_side_cookie(struct request *req, const char *suffix)
{
    return req_cookie(req, side_name(req, suffix));
}

void browser_keep_side(struct request *req, struct response *resp, const char *suffix,
                       const char *value, long max_age)
{
    struct cookie_attrs attrs = {.name = side_name(req, suffix), .value = value, .path = "/",
                                 .max_age = max_age, .secure = true, .http_only = true,
                                 .same_site = COOKIE_SAMESITE_LAX};
    send_cookie(resp, &attrs);
}

void browser_forget_side(struct request *req, struct response *resp, const char *suffix)
{
    browser_keep_side(req, resp, suffix, "", COOKIE_EXPIRE_NOW);
}
