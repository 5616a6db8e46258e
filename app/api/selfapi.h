/* SPDX-License-Identifier: MIT */
/* selfapi: the bearer's own account through the JSON API — PATCH
 * /api/v1/me (name and work details), GET /api/v1/me/sessions, DELETE
 * /api/v1/me/sessions/{id} and DELETE /api/v1/me/sessions (their devices:
 * one, or every other one; the asking device's tokens renewed), POST /api/v1/me/email and
 * /api/v1/me/email/verify (a new email, with the password and then the
 * code sent to it), DELETE /api/v1/me (with the password). */
#ifndef GH_SELFAPI_H
#define GH_SELFAPI_H

#include "http/request.h"
#include "http/response.h"

enum http_status selfapi_profile(struct request *req, struct response *resp);
enum http_status selfapi_sessions(struct request *req, struct response *resp);
enum http_status selfapi_session_end(struct request *req, struct response *resp);
enum http_status selfapi_sessions_end_others(struct request *req, struct response *resp);
enum http_status selfapi_email(struct request *req, struct response *resp);
enum http_status selfapi_email_verify(struct request *req, struct response *resp);
enum http_status selfapi_delete(struct request *req, struct response *resp);

#endif
