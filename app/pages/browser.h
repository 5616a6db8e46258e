/* SPDX-License-Identifier: MIT */
/* browser: what gatehouse asks a browser to keep — the session cookie and
 * the anonymous CSRF cookie.
 *
 * Every tenant has a cookie name of its own, so tenants that share a host
 * (the /t/<slug> form) never overwrite or clear each other's sessions. The
 * pipeline reads the cookie by browser_session_cookie_name; login sets it
 * and logout (or a session found dead) clears it. Names live in the
 * request's arena. */
#ifndef GH_BROWSER_H
#define GH_BROWSER_H

#include <time.h>

#include "http/request.h"
#include "http/response.h"

struct cookie_attrs;
struct sess_session;

/* browser_session_cookie_name is the request tenant's session cookie name. */
const char *browser_session_cookie_name(struct request *req);
/* browser_session_cookie fills *c for cookie_format: the cookie called name
 * carrying id for session s, or, when s is NULL, the Set-Cookie that
 * deletes it (id is ignored). */
void browser_session_cookie(struct cookie_attrs *c, const char *name, const char *id,
                            const struct sess_session *s, time_t now);
/* browser_keep_session sends the cookie of a new session id. */
void browser_keep_session(struct request *req, struct response *resp, const char *id,
                          const struct sess_session *s);
/* browser_forget_session tells the browser to drop its session cookie. */
void browser_forget_session(struct request *req, struct response *resp);
/* Companions of the session cookie, named after it with a suffix
 * (BROWSER_MFA: the sealed MFA challenge; BROWSER_MFA_DONE: the session's
 * mark of a passed TOTP): __Host-, HttpOnly, SameSite=Lax, max_age seconds.
 * They carry short-lived state a page must never put in a URL or a form. */
#define BROWSER_MFA "_mfa"
#define BROWSER_MFA_DONE "_mfadone" /* the session passed TOTP (svc/mfa.h) */
const char *browser_side_cookie(struct request *req, const char *suffix);
void browser_keep_side(struct request *req, struct response *resp, const char *suffix,
                       const char *value, long max_age);
void browser_forget_side(struct request *req, struct response *resp, const char *suffix);
/* browser_keep_csrf sends the anonymous CSRF cookie holding value. */
void browser_keep_csrf(struct response *resp, const char *value);

#endif
