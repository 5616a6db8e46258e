/* SPDX-License-Identifier: MIT */
/* security: the signed-in user's security page, /account/security — TOTP
 * two-step verification (enrol with a QR code, turn off after the password
 * again) and the account's recent activity. */
#ifndef GH_SECURITY_H
#define GH_SECURITY_H

#include "http/request.h"
#include "http/response.h"

enum http_status security_page(struct request *req, struct response *resp);
/* POST /account/security/mfa/start: a new secret, shown as a QR code. */
enum http_status security_mfa_start(struct request *req, struct response *resp);
/* POST /account/security/mfa/verify: its first code turns TOTP on. */
enum http_status security_mfa_verify(struct request *req, struct response *resp);
/* POST /account/security/mfa/disable: TOTP off, after a recent password. */
enum http_status security_mfa_disable(struct request *req, struct response *resp);

/* security_mfa_settled is false only where the tenant requires TOTP and
 * the request's session has not passed it (svc/mfa.h): the pipeline then
 * sends every signed-in page but the enrolment here (ROUTE_MFA_SETUP). */
bool security_mfa_settled(struct request *req);
/* security_mfa_keep marks the request's session (s, or req->session when
 * NULL) as having passed TOTP, in a cookie beside its own. */
struct sess_session;
void security_mfa_keep(struct request *req, struct response *resp,
                       const struct sess_session *s);

#endif
