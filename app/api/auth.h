/* SPDX-License-Identifier: MIT */
/* auth: the JSON sign-up and sign-in API for single-page and mobile apps:
 * POST /api/v1/auth/{register,verify-otp,login,request-otp,refresh,logout,
 * forgot-password,reset-password}, and the seed-001 names /auth/signup and
 * /auth/signin (the same handlers as register and login). JSON in, JSON
 * out, errors in the one shape of api.h; tokens go to the client, which
 * keeps them (nothing is stored server-side but the revocation list). */
#ifndef GH_AUTH_H
#define GH_AUTH_H

#include "http/request.h"
#include "http/response.h"

struct cog_result;
struct json_object;

enum http_status auth_register(struct request *req, struct response *resp);
enum http_status auth_verify_otp(struct request *req, struct response *resp);
enum http_status auth_login(struct request *req, struct response *resp);
enum http_status auth_request_otp(struct request *req, struct response *resp);
enum http_status auth_refresh(struct request *req, struct response *resp);
enum http_status auth_logout(struct request *req, struct response *resp);
enum http_status auth_forgot_password(struct request *req, struct response *resp);
enum http_status auth_reset_password(struct request *req, struct response *resp);

/* POST /api/v1/auth/mfa {"session","code"}: the TOTP step of a login that
 * answered {"challenge":"mfa"}; answers the tokens as a login does. */
enum http_status auth_mfa(struct request *req, struct response *resp);

/* auth_renewed_tokens verifies the tokens of a refresh done for the
 * client (r, an AuthenticationResult) and returns them as a refresh
 * answers them (a new object the caller owns), or NULL when they do not
 * verify. */
struct json_object *auth_renewed_tokens(struct request *req, const struct cog_result *r);

#endif
