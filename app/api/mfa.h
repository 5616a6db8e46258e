/* SPDX-License-Identifier: MIT */
/* mfa: the bearer's own TOTP two-step verification in the JSON API, under
 * /api/v1/me/mfa — its state, a new secret, its first code, and turning
 * it off (with the password in the body: an API client has no privileged
 * browser session, so the password is asked on the call itself). */
#ifndef GH_API_MFA_H
#define GH_API_MFA_H

#include "http/request.h"
#include "http/response.h"

/* GET /api/v1/me/mfa: {"enabled", "setting"} */
enum http_status me_mfa_get(struct request *req, struct response *resp);
/* POST /api/v1/me/mfa: {"secret", "otpauth_uri"} */
enum http_status me_mfa_begin(struct request *req, struct response *resp);
/* POST /api/v1/me/mfa/verify {"code", "device_name"?}: {"enabled": true} */
enum http_status me_mfa_verify(struct request *req, struct response *resp);
/* DELETE /api/v1/me/mfa {"password"}: {"enabled": false} */
enum http_status me_mfa_delete(struct request *req, struct response *resp);

#endif
