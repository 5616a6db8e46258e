/* SPDX-License-Identifier: MIT */
/* input: the rules for what people type — email addresses, passwords,
 * names and profile attributes, emailed codes — shared by the pages, the
 * JSON API and tenant provisioning, so that one input means the same thing
 * everywhere. The limits are in core/limits.h (INPUT_*).
 *
 * Each check returns NULL when the value is acceptable, else the sentence
 * to tell the person (a static string). */
#ifndef GH_INPUT_H
#define GH_INPUT_H

#include <stdbool.h>
#include <stddef.h>

const char *input_check_email(const char *email);
const char *input_check_password(const char *password);
/* input_check_text: a free text of at most max bytes without control
 * characters; empty is fine unless required. */
const char *input_check_text(const char *text, size_t max, bool required);
const char *input_check_code(const char *code);
/* input_password_help describes the password policy, for a field's help. */
const char *input_password_help(void);

#endif
