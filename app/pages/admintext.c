/* SPDX-License-Identifier: MIT */
/* admintext: text formats of the admin panel (see admintext.h).
 *
 * CSV follows RFC 4180 (CRLF between records is the caller's) and adds the
 * usual guard against formula injection: an audit row holds what admins and
 * users typed (emails, names), and a cell that starts with "=" would run as
 * a formula in the spreadsheet the file is opened in. The guard is a single
 * quote in front, which spreadsheets show as plain text and which keeps the
 * value readable; it is applied before quoting so the quote sits inside.
 *
 * Filter values: Cognito's ListUsers takes `attr op "value"`; a quote or a
 * backslash inside the value is escaped with a backslash, so a search term
 * can never close the string and add to the expression.
 *
 * Status names: Cognito's UserStatus values, worded for people, in one
 * table that the list's filter and the user page share.
 *
 * Everything is appended to the caller's buffer; nothing is allocated here
 * beyond what buf does. */
#include "pages/admintext.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"

static bool starts_formula(const char *s)
{
    return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
           s[0] == '\r';
}

static bool needs_quotes(const char *s, size_t len)
{
    if (len && (s[0] == ' ' || s[len - 1] == ' '))
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

void admintext_csv_cell(struct buf *out, const char *s)
{
    if (!s || !*s)
        return;
    size_t len = strlen(s);
    bool guard = starts_formula(s);
    bool quote = needs_quotes(s, len) || guard;
    if (quote)
        buf_putc(out, '"');
    if (guard)
        buf_putc(out, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            buf_putc(out, '"');
        buf_putc(out, *p);
    }
    if (quote)
        buf_putc(out, '"');
}

bool admintext_list_filter(struct buf *out, const char *attr, const char *op,
                           const char *value)
{
    if (!value || !*value)
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    buf_printf(out, "%s %s \"", attr, op);
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    buf_putc(out, '"');
    return true;
}

static const struct {
    const char *value, *label;
} statuses[] = {
    {"CONFIRMED", "Confirmed"},
    {"UNCONFIRMED", "Waiting for email confirmation"},
    {"FORCE_CHANGE_PASSWORD", "Must change password"},
    {"RESET_REQUIRED", "Reset required"},
    {"ARCHIVED", "Archived"},
    {"COMPROMISED", "Compromised"},
    {"EXTERNAL_PROVIDER", "Signs in with another provider"},
    {"UNKNOWN", "Unknown"},
    {"DELETED", "Deleted"}, /* the person deleted their account (users_mark_deleted) */
};
#define STATUSES (sizeof(statuses) / sizeof(statuses[0]))

const char *admintext_status_label(const char *status)
{
    for (size_t i = 0; status && i < STATUSES; i++)
        if (!strcmp(statuses[i].value, status))
            return statuses[i].label;
    return status ? status : "Unknown";
}

const char *admintext_status_at(size_t i)
{
    return i < STATUSES ? statuses[i].value : NULL;
}

const char *admintext_date(char out[ADMINTEXT_DATE_MAX], time_t t, bool with_seconds)
{
    struct tm tm;
    out[0] = '\0';
    if (t == 0 || !gmtime_r(&t, &tm))
        return out;
    strftime(out, ADMINTEXT_DATE_MAX, with_seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC",
             &tm);
    return out;
}

const char *admintext_iso(char out[ADMINTEXT_DATE_MAX], time_t t)
{
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm))
        return out;
    strftime(out, ADMINTEXT_DATE_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}
