/* SPDX-License-Identifier: MIT */
/* test_cookies: cookie_parse over tables of well-formed, quoted, duplicate
 * and malformed pairs and the header/count limits; cookie_format's output
 * for the session cookie, persistent and deleting cookies, and its refusal
 * of every header-injection and prefix-rule violation we could think of. */
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "http/cookies.h"
#include "test.h"

#define SESSION_COOKIE "__Host-gh_session"
#define THIRTY_DAYS (30L * 24 * 60 * 60)
#define FOUR_HUNDRED_DAYS (400L * 24 * 60 * 60)
#define RFC_EXAMPLE_TIME 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

/* True when got is a string equal to want (a NULL got is a failure, not a
 * crash). */
static bool is(const char *got, const char *want)
{
    return got && strcmp(got, want) == 0;
}

/* ---- parsing ------------------------------------------------------------- */

struct parse_case {
    const char *in;
    size_t len;       /* 0: strlen(in) */
    const char *want; /* "name=value;" for each kept cookie, in order */
};

static const struct parse_case parse_cases[] = {
    {"", 0, ""},
    {"a=1", 0, "a=1;"},
    {"a=1; b=2", 0, "a=1;b=2;"},
    {"a=1;b=2", 0, "a=1;b=2;"},
    {"  a = 1 ;\tb=2\t", 0, "a=1;b=2;"},
    {"a=\"quoted\"", 0, "a=quoted;"},
    {"a=\"with space\"", 0, "a=with space;"},
    {"a=\"\"", 0, "a=;"},
    {"a=", 0, "a=;"},
    {"a= ; b=2", 0, "a=;b=2;"},
    {"a=b=c", 0, "a=b=c;"},
    {"a=1; a=2", 0, "a=1;a=2;"},
    {";;; a=1;;", 0, "a=1;"},
    {SESSION_COOKIE "=abc123; theme=dark", 0,
     SESSION_COOKIE "=abc123;theme=dark;"},
    {"a=hello world", 0, "a=hello world;"},
    {"a=x,y; b=back\\slash", 0, "a=x,y;b=back\\slash;"},
    {"a=caf\xC3\xA9", 0, "a=caf\xC3\xA9;"},
    {"!#$%&'*+-.^_`|~=ok", 0, "!#$%&'*+-.^_`|~=ok;"},
    /* malformed pairs are skipped, the rest kept */
    {"noequals; a=1", 0, "a=1;"},
    {"=v; a=1", 0, "a=1;"},
    {" =v", 0, ""},
    {"a b=1; c=2", 0, "c=2;"},
    {"a(=1; b)=2; c=3", 0, "c=3;"},
    {"a\"=1; b=2", 0, "b=2;"},
    {"a=\"unterminated; b=2", 0, "b=2;"},
    {"a=\"; b=2", 0, "b=2;"},
    {"a=x\"y; b=2", 0, "b=2;"},
    {"a=\"x\"y\"; b=2", 0, "b=2;"},
    {"a=\"x\"y; b=2", 0, "b=2;"},
    {"a=x\x01y; b=2", 0, "b=2;"},
    {"a=x\x7Fy; b=2", 0, "b=2;"},
    {"a=x\ty; b=2", 0, "b=2;"},
    {"a=x\r\nSet-Cookie: y; b=2", 0, "b=2;"},
    {"a=x\0y; b=2", 10, "b=2;"},
    {"a=1; b=x\0", 10, "a=1;"},
    {"a\0=1; b=2", 9, "b=2;"},
    {"a=\xC3; b=2", 0, "b=2;"},
    {"a=\xED\xA0\x80; b=2", 0, "b=2;"},
    {"a=\xC2\x85; b=2", 0, "b=2;"},
    {"\xC3\xA9=1; b=2", 0, "b=2;"},
    {"a=1; b=2; garbage", 0, "a=1;b=2;"},
};

/* Renders a jar as "name=value;" per cookie. */
static const char *render(const struct cookie_jar *jar, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < jar->count; i++)
        buf_printf(out, "%s=%s;", jar->items[i].name, jar->items[i].value);
    return buf_cstr(out);
}

static void test_parse_table(struct arena *a)
{
    struct buf out;
    char name[256];

    buf_init(&out);
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        struct cookie_jar jar = {(struct cookie *)1, 99};
        int rc = cookie_parse(&jar, a, c->in, len);
        const char *got = render(&jar, &out);

        snprintf(name, sizeof(name), "cookie parse #%zu got \"%s\"", i, got);
        test_cond(name, rc == 0 && strcmp(got, c->want) == 0);
        arena_reset(a);
    }
    buf_free(&out);
}

static void test_get(struct arena *a)
{
    struct cookie_jar jar;
    const char *h = "theme=dark; " SESSION_COOKIE "=first; " SESSION_COOKIE
                    "=second; q=\"v\"; A=upper";

    test_cond("get: parse", cookie_parse(&jar, a, h, strlen(h)) == 0);
    test_cond("get: duplicates are all kept", jar.count == 5);
    test_cond("get: first duplicate wins",
              is(cookie_get(&jar, SESSION_COOKIE), "first"));
    test_cond("get: quoted value unquoted",
              is(cookie_get(&jar, "q"), "v"));
    test_cond("get: missing", cookie_get(&jar, "nope") == NULL);
    test_cond("get: names are case-sensitive", cookie_get(&jar, "a") == NULL);
    test_cond("get: prefix is not a match", cookie_get(&jar, "them") == NULL);

    test_cond("get: empty header",
              cookie_parse(&jar, a, "", 0) == 0 && jar.count == 0 &&
                  cookie_get(&jar, "a") == NULL);
    test_cond("get: NULL header with len 0",
              cookie_parse(&jar, a, NULL, 0) == 0 && jar.count == 0);
    test_cond("get: len limits the header",
              cookie_parse(&jar, a, "a=1; b=2", 3) == 0 && jar.count == 1 &&
                  cookie_get(&jar, "b") == NULL);
    arena_reset(a);
}

static void test_limits(struct arena *a)
{
    struct buf b;
    struct cookie_jar jar;

    buf_init(&b);
    for (int i = 0; i < REQ_COOKIES_MAX + 5; i++)
        buf_printf(&b, "%sc%d=v%d", i ? "; " : "", i, i);
    test_cond("limit: more cookies than kept is not an error",
              cookie_parse(&jar, a, b.data, b.len) == 0);
    test_cond("limit: REQ_COOKIES_MAX kept", jar.count == REQ_COOKIES_MAX);
    test_cond("limit: the first ones are kept",
              cookie_get(&jar, "c0") && cookie_get(&jar, "c31") &&
                  is(cookie_get(&jar, "c31"), "v31"));
    test_cond("limit: the rest are dropped", cookie_get(&jar, "c32") == NULL);
    arena_reset(a);

    /* Malformed pairs do not use up the budget. */
    buf_reset(&b);
    for (int i = 0; i < REQ_COOKIES_MAX; i++)
        buf_printf(&b, "bad%d; c%d=v; ", i, i);
    test_cond("limit: skipped pairs do not count",
              cookie_parse(&jar, a, b.data, b.len) == 0 &&
                  jar.count == REQ_COOKIES_MAX &&
                  cookie_get(&jar, "c31") != NULL);
    arena_reset(a);

    buf_reset(&b);
    buf_puts(&b, "a=");
    while (b.len < REQ_COOKIE_HEADER_MAX)
        buf_putc(&b, 'x');
    test_cond("limit: header of exactly REQ_COOKIE_HEADER_MAX",
              cookie_parse(&jar, a, b.data, b.len) == 0 && jar.count == 1 &&
                  cookie_get(&jar, "a") &&
                  strlen(cookie_get(&jar, "a")) == REQ_COOKIE_HEADER_MAX - 2);
    arena_reset(a);
    buf_putc(&b, 'x');
    jar.count = 7;
    test_cond("limit: header one byte over",
              cookie_parse(&jar, a, b.data, b.len) == -1 && jar.count == 0 &&
                  jar.items == NULL);
    arena_reset(a);

    buf_reset(&b);
    while (b.len < REQ_COOKIE_HEADER_MAX)
        buf_putc(&b, ';');
    test_cond("limit: a header of only separators",
              cookie_parse(&jar, a, b.data, b.len) == 0 && jar.count == 0);
    arena_reset(a);
    buf_free(&b);
}

/* ---- formatting ---------------------------------------------------------- */

static struct cookie_attrs session_attrs(void)
{
    struct cookie_attrs c = {
        .name = SESSION_COOKIE,
        .value = "s3ss10n-ID_value",
        .path = "/",
        .secure = true,
        .http_only = true,
        .same_site = COOKIE_SAMESITE_LAX,
    };
    return c;
}

/* Formats c into a buffer that already holds a marker, and returns whether
 * the result is exactly marker + want (want NULL: refused, marker intact). */
static bool formats_as(const struct cookie_attrs *c, const char *want)
{
    struct buf b;
    bool ok;

    buf_init(&b);
    buf_puts(&b, "[");
    int rc = cookie_format(&b, c);
    if (want)
        ok = rc == 0 && strncmp(b.data, "[", 1) == 0 &&
             strcmp(b.data + 1, want) == 0;
    else
        ok = rc == -1 && strcmp(buf_cstr(&b), "[") == 0;
    if (!ok)
        printf("  cookie_format gave rc=%d \"%s\"\n", rc, buf_cstr(&b));
    buf_free(&b);
    return ok;
}

static void test_format_good(void)
{
    struct cookie_attrs c = session_attrs();
    test_cond("format: session cookie",
              formats_as(&c, SESSION_COOKIE "=s3ss10n-ID_value; Path=/; "
                             "Secure; HttpOnly; SameSite=Lax"));

    c.max_age = THIRTY_DAYS;
    test_cond("format: remember me without a clock",
              formats_as(&c, SESSION_COOKIE "=s3ss10n-ID_value; Path=/; "
                             "Max-Age=2592000; Secure; HttpOnly; SameSite=Lax"));
    c.now = RFC_EXAMPLE_TIME;
    test_cond("format: remember me with Expires",
              formats_as(&c, SESSION_COOKIE "=s3ss10n-ID_value; Path=/; "
                             "Max-Age=2592000; "
                             "Expires=Tue, 06 Dec 1994 08:49:37 GMT; "
                             "Secure; HttpOnly; SameSite=Lax"));
    c.max_age = 1;
    c.now = 951782399; /* 2000-02-28 23:59:59: a leap day follows */
    test_cond("format: Expires across a leap day",
              formats_as(&c, SESSION_COOKIE "=s3ss10n-ID_value; Path=/; "
                             "Max-Age=1; "
                             "Expires=Tue, 29 Feb 2000 00:00:00 GMT; "
                             "Secure; HttpOnly; SameSite=Lax"));

    c = session_attrs();
    c.value = "";
    c.max_age = COOKIE_EXPIRE_NOW;
    c.now = RFC_EXAMPLE_TIME; /* ignored when deleting */
    test_cond("format: delete",
              formats_as(&c, SESSION_COOKIE "=; Path=/; Max-Age=0; "
                             "Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                             "Secure; HttpOnly; SameSite=Lax"));

    c = session_attrs();
    c.max_age = FOUR_HUNDRED_DAYS;
    test_cond("format: max_age of exactly 400 days",
              formats_as(&c, SESSION_COOKIE "=s3ss10n-ID_value; Path=/; "
                             "Max-Age=34560000; Secure; HttpOnly; SameSite=Lax"));

    struct cookie_attrs plain = {.name = "theme", .value = "dark"};
    test_cond("format: minimal cookie", formats_as(&plain, "theme=dark; SameSite=Lax"));
    plain.same_site = COOKIE_SAMESITE_STRICT;
    plain.domain = "example.com";
    plain.path = "/account";
    test_cond("format: strict, domain, path",
              formats_as(&plain, "theme=dark; Path=/account; "
                                 "Domain=example.com; SameSite=Strict"));
    plain.domain = NULL;
    plain.path = NULL;
    plain.same_site = COOKIE_SAMESITE_NONE;
    plain.secure = true;
    test_cond("format: SameSite=None with Secure",
              formats_as(&plain, "theme=dark; Secure; SameSite=None"));

    struct cookie_attrs sec = {.name = "__Secure-x", .value = "1",
                               .secure = true};
    test_cond("format: __Secure- with Secure",
              formats_as(&sec, "__Secure-x=1; Secure; SameSite=Lax"));
    struct cookie_attrs odd = {.name = "!#$%&'*+-.^_`|~",
                               .value = "!#$%&'()*+-./:<=>?@[]^_`{|}~"};
    test_cond("format: every tchar and cookie-octet class",
              formats_as(&odd, "!#$%&'*+-.^_`|~=!#$%&'()*+-./:<=>?@[]^_`{|}~; "
                               "SameSite=Lax"));
}

static const char *const bad_values[] = {
    "a;b", "a,b", "a b", "a\tb", "a\r\nSet-Cookie: evil=1", "a\nb", "a\rb",
    "\"quoted\"", "a\"b", "a\\b", "caf\xC3\xA9", "a\x7F", "a\x01", " lead",
    "trail ", "x; Domain=evil.example", "x; HttpOnly=false",
};

static const char *const bad_names[] = {
    "", "a b", "a=b", "a;b", "a,b", "a\r\nX", "a\n", "(x)", "na\"me",
    "caf\xC3\xA9", "a/b", "a:b", "{x}", "a@b", "a\x7F", "\t",
};

static const char *const bad_paths[] = {
    "", "relative", "/a;b", "/a b", "/a\r\nX-Evil: 1", "/a,b", "/\x7F",
    "/caf\xC3\xA9", "/a\tb",
};

static const char *const bad_domains[] = {
    "", "a b", "evil.example; Secure", "a\r\nX: y", "a_b.example",
    "a/b", "\xC3\xA9.example",
};

static void test_format_refusals(void)
{
    char name[256];
    struct cookie_attrs c;

    for (size_t i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++) {
        c = session_attrs();
        c.value = bad_values[i];
        snprintf(name, sizeof(name), "format refuses value #%zu", i);
        test_cond(name, formats_as(&c, NULL));
    }
    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        c = session_attrs();
        c.name = bad_names[i];
        snprintf(name, sizeof(name), "format refuses name #%zu", i);
        test_cond(name, formats_as(&c, NULL));
    }
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        c = session_attrs();
        c.name = "plain";
        c.path = bad_paths[i];
        snprintf(name, sizeof(name), "format refuses path #%zu", i);
        test_cond(name, formats_as(&c, NULL));
    }
    for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]); i++) {
        c = session_attrs();
        c.name = "plain";
        c.domain = bad_domains[i];
        snprintf(name, sizeof(name), "format refuses domain #%zu", i);
        test_cond(name, formats_as(&c, NULL));
    }

    c = session_attrs();
    c.name = NULL;
    test_cond("format refuses a NULL name", formats_as(&c, NULL));
    c = session_attrs();
    c.value = NULL;
    test_cond("format refuses a NULL value", formats_as(&c, NULL));
    c = session_attrs();
    c.max_age = -2;
    test_cond("format refuses a negative max_age", formats_as(&c, NULL));
    c.max_age = FOUR_HUNDRED_DAYS + 1;
    test_cond("format refuses max_age over 400 days", formats_as(&c, NULL));
    c = session_attrs();
    c.now = -1;
    test_cond("format refuses a negative clock", formats_as(&c, NULL));
    c.now = (time_t)1 << 62;
    c.max_age = 1;
    test_cond("format refuses a clock past year 9999", formats_as(&c, NULL));
    c = session_attrs();
    c.same_site = (enum cookie_same_site)7;
    test_cond("format refuses an unknown SameSite", formats_as(&c, NULL));
}

static void test_format_prefixes(void)
{
    struct cookie_attrs c = session_attrs();

    c.secure = false;
    test_cond("__Host- refuses no Secure", formats_as(&c, NULL));
    c = session_attrs();
    c.path = NULL;
    test_cond("__Host- refuses no Path", formats_as(&c, NULL));
    c.path = "/account";
    test_cond("__Host- refuses Path other than /", formats_as(&c, NULL));
    c = session_attrs();
    c.domain = "example.com";
    test_cond("__Host- refuses a Domain", formats_as(&c, NULL));
    c = session_attrs();
    c.name = "__host-gh_session";
    c.secure = false;
    test_cond("__host- matched without case", formats_as(&c, NULL));
    c.name = "__HOST-x";
    c.secure = true;
    c.path = "/x";
    test_cond("__HOST- matched without case", formats_as(&c, NULL));

    struct cookie_attrs s = {.name = "__Secure-x", .value = "1"};
    test_cond("__Secure- refuses no Secure", formats_as(&s, NULL));
    s.name = "__secure-x";
    test_cond("__secure- matched without case", formats_as(&s, NULL));

    struct cookie_attrs n = {.name = "x", .value = "1",
                             .same_site = COOKIE_SAMESITE_NONE};
    test_cond("SameSite=None refuses no Secure", formats_as(&n, NULL));

    /* Names that only resemble a prefix are ordinary. */
    struct cookie_attrs near = {.name = "_Host-x", .value = "1"};
    test_cond("_Host- is not a prefix", formats_as(&near, "_Host-x=1; SameSite=Lax"));
}

/* Whatever cookie_format accepts, cookie_parse reads back unchanged. */
static void test_round_trip(struct arena *a)
{
    struct cookie_attrs c = session_attrs();
    struct buf b;
    struct cookie_jar jar;

    buf_init(&b);
    c.max_age = THIRTY_DAYS;
    c.now = RFC_EXAMPLE_TIME;
    test_cond("round trip: format", cookie_format(&b, &c) == 0);
    size_t pair_len = strcspn(b.data, ";");
    test_cond("round trip: parse",
              cookie_parse(&jar, a, b.data, pair_len) == 0 && jar.count == 1);
    test_cond("round trip: same value",
              jar.count == 1 && strcmp(jar.items[0].name, c.name) == 0 &&
                  strcmp(jar.items[0].value, c.value) == 0);
    test_cond("round trip: no line breaks",
              strpbrk(b.data, "\r\n") == NULL);
    buf_free(&b);
    arena_reset(a);
}

int main(void)
{
    struct arena a;

    arena_init(&a);
    test_parse_table(&a);
    test_get(&a);
    test_limits(&a);
    test_format_good();
    test_format_refusals();
    test_format_prefixes();
    test_round_trip(&a);
    arena_free(&a);
    return test_report();
}
