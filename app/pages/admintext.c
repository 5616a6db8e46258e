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
 * Dates: a list page shows two per row, so they are written digit by digit
 * from the day count (the proleptic Gregorian calendar, UTC) rather than
 * through gmtime_r, which takes glibc's time-zone lock, and strftime, which
 * reads the locale; a year outside 1000-9999 goes the slow way.
 *
 * Everything is appended to the caller's buffer; nothing is allocated here
 * beyond what buf does. */
#include "pages/admintext.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The date of day days after 1970-01-01: year, month 1-12, day 1-31. The
 * days are counted in 400-year eras from 0000-03-01, so that a leap day is
 * the last day of its year and each month's start follows one formula. */
#define DAYS_0000_03_01_TO_EPOCH 719468
#define DAYS_PER_ERA 146097 /* 400 years */
static void civil_date(long long days, long long *year, int *month, int *day)
{
    days += DAYS_0000_03_01_TO_EPOCH;
    long long era = (days >= 0 ? days : days - (DAYS_PER_ERA - 1)) / DAYS_PER_ERA;
    /* 0-146096; 0-399 (a leap day counted as the 365th of its year); 0-365;
     * 0-11 (March is 0). */
    long long day_of_era = days - era * DAYS_PER_ERA;
    long long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                             day_of_era / (DAYS_PER_ERA - 1)) /
                            365;
    long long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    long long month_from_march = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    *month = (int)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *year = era * 400 + year_of_era + (*month <= 2);
}

static char *put_number(char *p, long long value, int width)
{
    for (int i = width - 1; i >= 0; i--, value /= 10)
        p[i] = (char)('0' + value % 10);
    return p + width;
}

#define SECONDS_PER_DAY 86400
#define YEAR_WRITTEN_MIN 1000 /* strftime's %Y pads no year: four digits, as it writes them */
#define YEAR_WRITTEN_MAX 9999

/* format_time writes t as "YYYY-MM-DD<between>HH:MM[:SS]<after>". False
 * for a year of more (or fewer) than four digits. */
static bool format_time(char out[ADMINTEXT_DATE_MAX], time_t t, char between, bool with_seconds,
                        const char *after)
{
    long long days = (long long)t / SECONDS_PER_DAY, seconds = (long long)t % SECONDS_PER_DAY;
    if (seconds < 0)
        seconds += SECONDS_PER_DAY, days--;
    long long year;
    int month, day;
    civil_date(days, &year, &month, &day);
    if (year < YEAR_WRITTEN_MIN || year > YEAR_WRITTEN_MAX)
        return false;
    char *p = put_number(out, year, 4);
    *p++ = '-';
    p = put_number(p, month, 2);
    *p++ = '-';
    p = put_number(p, day, 2);
    *p++ = between;
    p = put_number(p, seconds / 3600, 2);
    *p++ = ':';
    p = put_number(p, seconds / 60 % 60, 2);
    if (with_seconds) {
        *p++ = ':';
        p = put_number(p, seconds % 60, 2);
    }
    strcpy(p, after);
    return true;
}

/* The slow way, for the years format_time does not write. */
static const char *format_with_strftime(char out[ADMINTEXT_DATE_MAX], time_t t, const char *format)
{
    struct tm tm;
    out[0] = '\0';
    if (gmtime_r(&t, &tm))
        strftime(out, ADMINTEXT_DATE_MAX, format, &tm);
    return out;
}

const char *admintext_date(char out[ADMINTEXT_DATE_MAX], time_t t, bool with_seconds)
{
    out[0] = '\0';
    if (t == 0 || format_time(out, t, ' ', with_seconds, " UTC"))
        return out;
    return format_with_strftime(out, t,
                                with_seconds ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d %H:%M UTC");
}

const char *admintext_iso(char out[ADMINTEXT_DATE_MAX], time_t t)
{
    if (format_time(out, t, 'T', true, "Z"))
        return out;
    return format_with_strftime(out, t, "%Y-%m-%dT%H:%M:%SZ");
}
