/* SPDX-License-Identifier: MIT */
/* Unit tests of filekey: safe filenames, key making, and the access check
 * that download URLs rely on (traversal, control characters, other tenants'
 * and other users' prefixes, admins). */
#include <stdio.h>
#include <string.h>

#include "svc/filekey.h"
#include "test.h"

#define SUB "0b7c1f2e-1111-4222-8333-444455556666"
#define OTHER "9d9d9d9d-aaaa-4bbb-8ccc-dddddddddddd"
#define UUID "123e4567-e89b-42d3-a456-426614174000"

static void expect_name(const char *in, const char *want)
{
    char out[FILEKEY_NAME_MAX + 1], label[400];
    filekey_safe_name(in, out);
    snprintf(label, sizeof(label), "safe name of \"%.60s\" is \"%s\" (got \"%s\")",
             in ? in : "(null)", want, out);
    test_cond(label, !strcmp(out, want));
}

static void test_safe_names(void)
{
    expect_name("report.pdf", "report.pdf");
    expect_name("My Report (final).pdf", "My-Report-final.pdf");
    expect_name("../../etc/passwd", "etc-passwd");
    expect_name("..", FILEKEY_FALLBACK_NAME);
    expect_name("", FILEKEY_FALLBACK_NAME);
    expect_name(NULL, FILEKEY_FALLBACK_NAME);
    expect_name("a..b", "a.b");
    expect_name("a.-.b", "a.b");
    expect_name(".hidden", "hidden");
    expect_name("trailing.", "trailing");
    expect_name("dir/sub\\file.txt", "dir-sub-file.txt");
    expect_name("tab\there\nnew\x01line", "tab-here-new-line");
    expect_name("caf\xc3\xa9.txt", "caf.txt");
    expect_name("%2e%2e%2fsecret", "2e-2e-2fsecret");
    expect_name("---", FILEKEY_FALLBACK_NAME);
    expect_name("a - .b", "a.b");
    expect_name("under_score-dash.tar.gz", "under_score-dash.tar.gz");

    /* A long name keeps its extension and stays within the limit. */
    char longname[400], out[FILEKEY_NAME_MAX + 1];
    memset(longname, 'x', 300);
    strcpy(longname + 300, ".jpeg");
    filekey_safe_name(longname, out);
    test_cond("long name fits", strlen(out) == FILEKEY_NAME_MAX);
    test_cond("long name keeps its extension", !strcmp(out + strlen(out) - 5, ".jpeg"));
    /* A cut that lands on a dash leaves no dash before the extension. */
    memset(longname, 'y', 300);
    longname[FILEKEY_NAME_MAX - 4 - 1] = ' ';
    strcpy(longname + 300, ".png");
    filekey_safe_name(longname, out);
    test_cond("no dash before the kept extension", !strstr(out, "-.png") && strstr(out, ".png"));
    /* An absurd extension is not kept whole. */
    memset(longname, 'z', 50);
    longname[50] = '.';
    memset(longname + 51, 'e', 200);
    longname[251] = '\0';
    filekey_safe_name(longname, out);
    test_cond("a long extension is cut like the rest", strlen(out) == FILEKEY_NAME_MAX);
}

static void test_uuid(void)
{
    char a[FILEKEY_UUID_LEN + 1], b[FILEKEY_UUID_LEN + 1];
    test_cond("uuid made", filekey_uuid(a) && filekey_uuid(b));
    test_cond("uuid length", strlen(a) == FILEKEY_UUID_LEN);
    test_cond("uuid version 4", a[14] == '4');
    test_cond("uuid variant", strchr("89ab", a[19]) != NULL);
    test_cond("uuid dashes", a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    test_cond("two uuids differ", strcmp(a, b) != 0);
}

static void test_make(void)
{
    char key[FILEKEY_MAX + 1];
    test_cond("make a key", filekey_make("acme", SUB, UUID, "My file.txt", key, sizeof(key)));
    test_cond("key shape", !strcmp(key, "acme/" SUB "/" UUID "-My-file.txt"));
    test_cond("a made key passes the check", filekey_check(key, "acme", SUB, false) == FILEKEY_OK);
    test_cond("traversal in the name is defused",
              filekey_make("acme", SUB, UUID, "../../other/x", key, sizeof(key)) &&
                  filekey_check(key, "acme", SUB, false) == FILEKEY_OK);
    test_cond("no key for an empty tenant", !filekey_make("", SUB, UUID, "a", key, sizeof(key)));
    test_cond("no key for a sub with '/'", !filekey_make("acme", "a/b", UUID, "a", key, sizeof(key)));
    test_cond("no key for a '..' sub", !filekey_make("acme", "..", UUID, "a", key, sizeof(key)));
    test_cond("no key when it does not fit", !filekey_make("acme", SUB, UUID, "a", key, 20));
}

static void expect_check(const char *label, const char *key, bool admin, enum filekey_access want)
{
    test_cond(label, filekey_check(key, "acme", SUB, admin) == want);
}

static void test_check(void)
{
    expect_check("own key", "acme/" SUB "/" UUID "-a.txt", false, FILEKEY_OK);
    expect_check("another user's key", "acme/" OTHER "/" UUID "-a.txt", false, FILEKEY_FOREIGN);
    expect_check("an admin reaches another user's key", "acme/" OTHER "/" UUID "-a.txt", true,
                 FILEKEY_OK);
    expect_check("another tenant's key", "other/" SUB "/" UUID "-a.txt", false, FILEKEY_FOREIGN);
    expect_check("an admin cannot leave the tenant", "other/" SUB "/" UUID "-a.txt", true,
                 FILEKEY_FOREIGN);
    expect_check("a tenant whose name starts like ours", "acme2/" SUB "/x", true, FILEKEY_FOREIGN);
    expect_check("a tenant prefix of ours", "acm/" SUB "/x", true, FILEKEY_FOREIGN);
    expect_check("traversal out of the prefix", "acme/" SUB "/../../other/" SUB "/x", false,
                 FILEKEY_INVALID);
    expect_check("'..' as the name", "acme/" SUB "/..", false, FILEKEY_INVALID);
    expect_check("'..' inside a name", "acme/" SUB "/a..b", false, FILEKEY_INVALID);
    expect_check("leading slash", "/acme/" SUB "/x", false, FILEKEY_INVALID);
    expect_check("empty owner segment", "acme//x", true, FILEKEY_INVALID);
    expect_check("trailing slash", "acme/" SUB "/", false, FILEKEY_INVALID);
    expect_check("an extra segment", "acme/" SUB "/dir/x", false, FILEKEY_INVALID);
    expect_check("too few segments", "acme/" SUB, false, FILEKEY_INVALID);
    expect_check("tenant only", "acme", true, FILEKEY_INVALID);
    expect_check("empty key", "", false, FILEKEY_INVALID);
    expect_check("a control character", "acme/" SUB "/a\x01z", false, FILEKEY_INVALID);
    expect_check("a newline", "acme/" SUB "/a\nz", false, FILEKEY_INVALID);
    expect_check("DEL", "acme/" SUB "/a\x7fz", false, FILEKEY_INVALID);
    expect_check("a C1 control", "acme/" SUB "/a\xc2\x85z", false, FILEKEY_INVALID);
    expect_check("a backslash", "acme/" SUB "/a\\..\\z", false, FILEKEY_INVALID);
    expect_check("invalid UTF-8", "acme/" SUB "/a\xff", false, FILEKEY_INVALID);
    test_cond("NULL key", filekey_check(NULL, "acme", SUB, false) == FILEKEY_INVALID);
    test_cond("no caller", filekey_check("acme/" SUB "/x", "acme", "", false) == FILEKEY_INVALID);
    char big[FILEKEY_MAX + 10];
    snprintf(big, sizeof(big), "acme/%s/", SUB);
    memset(big + strlen(big), 'a', sizeof(big) - strlen(big) - 1);
    big[sizeof(big) - 1] = '\0';
    expect_check("a key longer than S3 allows", big, false, FILEKEY_INVALID);
}

int main(void)
{
    test_safe_names();
    test_uuid();
    test_make();
    test_check();
    return test_report();
}
