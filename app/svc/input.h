/* SPDX-License-Identifier: MIT */
/* input: the rules for what people type — email addresses, passwords,
 * names and profile attributes, emailed codes — shared by the pages, the
 * JSON API and tenant provisioning, so that one input means the same thing
 * everywhere. The limits are in core/limits.h (INPUT_*).
 *
 * Each check returns NULL when the value is acceptable, else the sentence
 * to tell the person (a static string, or the buffer given for one built
 * from a tenant's password policy). */
#ifndef GH_INPUT_H
#define GH_INPUT_H

#include <stdbool.h>
#include <stddef.h>

struct tenant_password_policy;

const char *input_check_email(const char *email);
/* input_check_password checks a new password against the policy of the
 * tenant's pool (svc/pwpolicy.h); when that is not known, only against what
 * every pool refuses, and Cognito decides the rest. The refusal names only
 * the rules the password breaks ("Your password needs a number."); when it
 * is built it is written to msg (INPUT_PASSWORD_RULE_MAX bytes is enough)
 * and msg is returned. */
const char *input_check_password(const char *password, const struct tenant_password_policy *p,
                                 char *msg, size_t msglen);
/* input_check_text: a free text of at most max bytes without control
 * characters; empty is fine unless required. */
const char *input_check_text(const char *text, size_t max, bool required);
const char *input_check_code(const char *code);
/* input_password_help describes policy p for a password field's help, in
 * buf; input_password_refusal is the sentence that refuses a password p
 * does not accept (Cognito's refusal too). Both return buf. */
const char *input_password_help(const struct tenant_password_policy *p, char *buf, size_t len);
const char *input_password_refusal(const struct tenant_password_policy *p, char *buf,
                                   size_t len);

#endif
