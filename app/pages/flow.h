/* SPDX-License-Identifier: MIT */
/* flow: what the account pages share — the tenant's Cognito client, form
 * fields and their validation, turning a Cognito error into the right form
 * message or error page, and starting or refreshing a session.
 *
 * Field objects are json-c values the caller adds to a page context, which
 * render_page consumes. */
#ifndef GH_FLOW_H
#define GH_FLOW_H

#include <stdbool.h>

#include "aws/cognito.h"
#include "http/request.h"
#include "http/response.h"

struct config;
struct json_object;

#define FLOW_PASSWORD_MIN 8
#define FLOW_PASSWORD_MAX 256
#define FLOW_EMAIL_MAX 254
#define FLOW_NAME_MAX 100
#define FLOW_ATTRIBUTE_MAX 100

void flow_init_worker(const struct config *cfg);
/* flow_client fills c for the request's tenant; c borrows from req. */
void flow_client(const struct request *req, struct cog_client *c);

/* flow_field adds the field called name to fields with the given look and
 * value (value NULL: empty). */
void flow_field(struct json_object *fields, const char *name, const char *label,
                const char *type, const char *value, const char *autocomplete,
                bool required, const char *help);
/* flow_field_error marks a field as wrong; returns false for chaining into
 * an "ok" flag. A NULL or unknown field becomes the form's error. */
bool flow_field_error(struct json_object *ctx, const char *field, const char *message);
/* Validators: NULL when the value is acceptable, else what to tell. */
const char *flow_check_email(const char *email);
const char *flow_check_password(const char *password);
const char *flow_check_text(const char *text, size_t max, bool required);
const char *flow_check_code(const char *code);
/* flow_check_new_password checks the form's password and confirm_password
 * fields, marking the problems on ctx; true when both are fine. */
bool flow_check_new_password(struct request *req, struct json_object *ctx);
/* flow_password_help describes the password policy for the field's help. */
const char *flow_password_help(void);

/* flow_cognito_error answers a failed Cognito call made in ctx: statuses a
 * form cannot fix (429, 5xx) become the error page; the others mark the
 * field the catalogue names and re-render template (ctx consumed). */
int flow_cognito_error(struct request *req, struct response *resp, const struct cog_result *r,
                       enum cogerr_ctx what, const char *template, struct json_object *ctx);
/* flow_start_session verifies the tokens of a successful authentication,
 * makes a session (a new id), updates the users mirror, sets the cookie and
 * redirects to next (a local path) or the account page. Returns the status. */
int flow_start_session(struct request *req, struct response *resp, const struct cog_result *auth,
                       bool remember, const char *next);

enum flow_fresh { FLOW_FRESH_OK, FLOW_FRESH_ENDED, FLOW_FRESH_UNAVAILABLE };
/* flow_fresh_tokens makes sure the session's access token is valid for a
 * while, refreshing it with the refresh token when it is not; a refresh
 * Cognito refuses ends the session (cookie cleared). */
enum flow_fresh flow_fresh_tokens(struct request *req, struct response *resp);
/* flow_end_session revokes the session's tokens at Cognito (best effort),
 * deletes it and clears the cookie. */
void flow_end_session(struct request *req, struct response *resp);
/* flow_redirect answers 303 to base + path, after flash_set(key) if key. */
int flow_redirect(struct request *req, struct response *resp, const char *path,
                  const char *flash_key);
/* flow_redirect_email is flow_redirect to path?email=<email>. */
int flow_redirect_email(struct request *req, struct response *resp, const char *path,
                        const char *email, const char *flash_key);

/* flow_set_signup_attributes writes a new user's tier and tenant with admin
 * calls right after SignUp (see flow.c); true when both were written. */
bool flow_set_signup_attributes(const struct request *req, const struct cog_client *c,
                                const char *email, const char *tier);

#endif
