/* SPDX-License-Identifier: MIT */
/* fields: the fields of a page's form — how each looks, the value it keeps
 * after a failed submit (never a password), the error it shows — and a
 * Cognito refusal told on the form it came from.
 *
 * Fields are json-c objects in the page context's "fields" object; the
 * context belongs to the request (pages/render.h). */
#ifndef GH_FIELDS_H
#define GH_FIELDS_H

#include <stdbool.h>

#include "aws/cognito.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

/* fields_add adds the field called name to fields with the given look and
 * value (value NULL: empty; a password field never keeps one). A code
 * field (autocomplete one-time-code) asks phones for the digit keypad, takes
 * INPUT_CODE_DIGITS digits and has the focus when the page opens; a handler
 * may replace its attrs. */
void fields_add(struct json_object *fields, const char *name, const char *label,
                const char *type, const char *value, const char *autocomplete, bool required,
                const char *help);
/* fields_unfocus takes the focus a code field opens with off the field
 * called name, for a page where something else must be typed first. */
void fields_unfocus(struct json_object *fields, const char *name);
/* fields_error marks a field of ctx as wrong (its first error stays);
 * returns false for chaining into an "ok" flag. A NULL or unknown field
 * becomes the form's error. */
bool fields_error(struct json_object *ctx, const char *field, const char *message);
/* fields_check marks field with what check said, unless it said nothing
 * (NULL: fine); returns whether it was fine. */
bool fields_check(struct json_object *ctx, const char *field, const char *problem);
/* fields_password_help describes the tenant's password policy for a new
 * password's field (svc/pwpolicy.h); the text is in the request's arena. */
const char *fields_password_help(struct request *req);
/* fields_check_new_password checks the form's password (against the
 * tenant's policy) and confirm_password fields, marking the problems on
 * ctx; true when both are fine. */
bool fields_check_new_password(struct request *req, struct json_object *ctx);
/* fields_query_email is the ?email= of the request when it is a valid
 * address (to fill a form in), else NULL. */
const char *fields_query_email(struct request *req);
/* fields_cognito_error answers a failed Cognito call made for the form of
 * template: it marks the field the catalogue names (or the form) and
 * re-renders template with the catalogue's status. Cognito down, slow or
 * throttling (503, 429) re-renders the form too, with Retry-After, the
 * message that sign-in is briefly unavailable and "unavailable" set in
 * ctx; only the other 5xx (the app cannot handle them) become the error
 * page. A password Cognito refuses is told with the tenant's policy. */
enum http_status fields_cognito_error(struct request *req, struct response *resp,
                                      const struct cog_result *r, enum cogerr_ctx what,
                                      const char *template, struct json_object *ctx);
/* fields_code_state puts what a page of emailed codes tells into ctx:
 * code_expiry (how long a code lasts, in words) and, when a new code must
 * wait, resend_wait_s (the seconds left, for the page to count down). */
void fields_code_state(struct json_object *ctx, const char *expiry, long long wait_s);
/* fields_resend_wait answers a new code asked for inside the wait: the
 * form of template again with the seconds left, 429 and Retry-After. */
enum http_status fields_resend_wait(struct request *req, struct response *resp,
                                    const char *template, struct json_object *ctx,
                                    long long wait_s);

/* fields_dress finishes the form of a page context before it is rendered:
 * the tenant's password rules on a new password (a checklist that script
 * ticks, a plain list without it), the "passwords match" hook on its
 * confirmation, and the error summary: errors [{id, label, message}] in
 * the order of the fields with has_errors and errors_many, and error_state (which prefixes the title with
 * "Error: ") when any field or the form has an error. Called by
 * render_page for every page; a context without fields or errors is left
 * as it is. */
void fields_dress(struct request *req, struct json_object *ctx);

#endif
