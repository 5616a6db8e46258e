/* SPDX-License-Identifier: MIT */
/* admintext: the text formats of the admin panel — CSV cells for the audit
 * download, the quoted value of a Cognito ListUsers filter, and dates in
 * UTC. Pure functions: no I/O, no state, any thread. */
#ifndef GH_ADMINTEXT_H
#define GH_ADMINTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct buf;

#define ADMINTEXT_DATE_MAX 32 /* "2024-05-01 12:34:56 UTC" and NUL */

/* admintext_csv_cell appends s (NULL: an empty cell) to out as one RFC 4180
 * field: quoted when it holds a comma, a quote, CR or LF, or starts or ends
 * with a space, quotes doubled. A cell a spreadsheet would read as a formula
 * (starting with = + - @, a tab or CR) is prefixed with a single quote
 * first, so opening the file can never run anything. */
void admintext_csv_cell(struct buf *out, const char *s);
/* admintext_list_filter appends `attr op "value"` to out, the Filter of a
 * ListUsers call, with backslashes and double quotes in value escaped by a
 * backslash. It appends nothing and returns false when value is empty or
 * holds a control character (Cognito could not match it anyway). */
bool admintext_list_filter(struct buf *out, const char *attr, const char *op,
                           const char *value);
/* admintext_date writes t as "YYYY-MM-DD HH:MM UTC" (with_seconds: with
 * ":SS") into out, or "" when t is 0; returns out. */
const char *admintext_date(char out[ADMINTEXT_DATE_MAX], time_t t, bool with_seconds);
/* admintext_status_label names a Cognito UserStatus for people
 * ("FORCE_CHANGE_PASSWORD": "Must change password"); an unknown or NULL
 * status reads as itself or "Unknown". admintext_status_at returns the
 * status value at index i of the known ones, or NULL past the last. */
const char *admintext_status_label(const char *status);
const char *admintext_status_at(size_t i);
/* admintext_iso writes t as ISO 8601 "YYYY-MM-DDTHH:MM:SSZ" into out. */
const char *admintext_iso(char out[ADMINTEXT_DATE_MAX], time_t t);

#endif
