/* SPDX-License-Identifier: MIT */
/* test_admintext: CSV cells (RFC 4180 quoting and the formula guard), the
 * quoting of ListUsers filter values, and UTC dates. */
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "pages/admintext.h"
#include "test.h"

/* cell returns the CSV text of s in a static buffer. */
static const char *cell(const char *s)
{
    static struct buf b;
    buf_reset(&b);
    admintext_csv_cell(&b, s);
    return buf_cstr(&b);
}

static const char *filter(const char *attr, const char *op, const char *value, bool *ok)
{
    static struct buf b;
    buf_reset(&b);
    *ok = admintext_list_filter(&b, attr, op, value);
    return buf_cstr(&b);
}

static void test_csv(void)
{
    test_cond("plain text stays bare", !strcmp(cell("alice@example.com"), "alice@example.com"));
    test_cond("NULL is an empty cell", !strcmp(cell(NULL), ""));
    test_cond("empty is an empty cell", !strcmp(cell(""), ""));
    test_cond("a comma is quoted", !strcmp(cell("Liddell, Alice"), "\"Liddell, Alice\""));
    test_cond("quotes are doubled", !strcmp(cell("say \"hi\""), "\"say \"\"hi\"\"\""));
    test_cond("a newline is quoted", !strcmp(cell("two\nlines"), "\"two\nlines\""));
    test_cond("a CR is quoted", !strcmp(cell("a\rb"), "\"a\rb\""));
    test_cond("a leading space is quoted", !strcmp(cell(" x"), "\" x\""));
    test_cond("a trailing space is quoted", !strcmp(cell("premium "), "\"premium \""));
    test_cond("= is guarded", !strcmp(cell("=1+2"), "\"'=1+2\""));
    test_cond("+ is guarded", !strcmp(cell("+SUM(A1)"), "\"'+SUM(A1)\""));
    test_cond("- is guarded", !strcmp(cell("-2"), "\"'-2\""));
    test_cond("@ is guarded", !strcmp(cell("@cmd"), "\"'@cmd\""));
    test_cond("a leading tab is guarded", !strcmp(cell("\t=x"), "\"'\t=x\""));
    test_cond("guard and quotes together",
              !strcmp(cell("=HYPERLINK(\"http://x\",\"y\")"),
                      "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""));
    test_cond("= inside is not guarded", !strcmp(cell("a=b"), "a=b"));
    test_cond("UTF-8 passes through", !strcmp(cell("ünïcödé"), "ünïcödé"));
}

static void test_filter(void)
{
    bool ok;
    const char *f = filter("email", "^=", "ali", &ok);
    test_cond("a plain prefix", ok && !strcmp(f, "email ^= \"ali\""));
    f = filter("email", "^=", "a\"b", &ok);
    test_cond("a quote is escaped", ok && !strcmp(f, "email ^= \"a\\\"b\""));
    f = filter("email", "^=", "a\\", &ok);
    test_cond("a backslash is escaped", ok && !strcmp(f, "email ^= \"a\\\\\""));
    f = filter("email", "^=", "x\" or email ^= \"", &ok);
    test_cond("an injection attempt stays one string",
              ok && !strcmp(f, "email ^= \"x\\\" or email ^= \\\"\""));
    f = filter("cognito:user_status", "=", "CONFIRMED", &ok);
    test_cond("status filter", ok && !strcmp(f, "cognito:user_status = \"CONFIRMED\""));
    f = filter("email", "^=", "", &ok);
    test_cond("empty is refused", !ok && !strcmp(f, ""));
    f = filter("email", "^=", NULL, &ok);
    test_cond("NULL is refused", !ok && !strcmp(f, ""));
    f = filter("email", "^=", "a\nb", &ok);
    test_cond("a control character is refused", !ok && !strcmp(f, ""));
    f = filter("email", "^=", "a\x7f", &ok);
    test_cond("DEL is refused", !ok);
}

static void test_dates(void)
{
    char out[ADMINTEXT_DATE_MAX];
    test_cond("date", !strcmp(admintext_date(out, 1700000000, false), "2023-11-14 22:13 UTC"));
    test_cond("date with seconds",
              !strcmp(admintext_date(out, 1700000000, true), "2023-11-14 22:13:20 UTC"));
    test_cond("no date", !strcmp(admintext_date(out, 0, true), ""));
    test_cond("iso", !strcmp(admintext_iso(out, 1700000000), "2023-11-14T22:13:20Z"));
    test_cond("a leap day", !strcmp(admintext_date(out, 951782400, false), "2000-02-29 00:00 UTC"));
    test_cond("before 1970", !strcmp(admintext_iso(out, -1), "1969-12-31T23:59:59Z"));
    test_cond("a year of five digits", !strcmp(admintext_iso(out, 253402300800), "10000-01-01T00:00:00Z"));
    /* Every format against gmtime_r and strftime: each day's last second and
     * a spread of seconds from year 1 to past 9999. */
    char want[ADMINTEXT_DATE_MAX];
    struct tm tm;
    int wrong = 0;
    for (long long t = -62135596800LL; t < 253402387200LL && wrong < 3; t += 86400 * 37 + 3671) {
        for (int last = 0; last < 2; last++) {
            time_t at = (time_t)(last ? t - t % 86400 + 86399 : t);
            if (at == 0 || !gmtime_r(&at, &tm))
                continue;
            strftime(want, sizeof want, "%Y-%m-%d %H:%M:%S UTC", &tm);
            if (strcmp(admintext_date(out, at, true), want) && ++wrong)
                printf("  %lld: %s, not %s\n", (long long)at, out, want);
            strftime(want, sizeof want, "%Y-%m-%d %H:%M UTC", &tm);
            if (strcmp(admintext_date(out, at, false), want) && ++wrong)
                printf("  %lld: %s, not %s\n", (long long)at, out, want);
            strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (strcmp(admintext_iso(out, at), want) && ++wrong)
                printf("  %lld: %s, not %s\n", (long long)at, out, want);
        }
    }
    test_cond("dates from year 1 to 10000 as gmtime_r and strftime write them", wrong == 0);
}

int main(void)
{
    test_csv();
    test_filter();
    test_dates();
    return test_report();
}
