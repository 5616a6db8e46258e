/* SPDX-License-Identifier: MIT */
/* test_form: form_parse over tables of good and bad urlencoded input
 * (escapes, '+', UTF-8, NUL, empty pairs, every limit at and one past its
 * edge), form_get, and form_percent_decode for URL paths. */
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "http/form.h"
#include "test.h"

/* True when got is a string equal to want (a NULL got is a failure, not a
 * crash). */
static bool is(const char *got, const char *want)
{
    return got && strcmp(got, want) == 0;
}

struct parse_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    enum form_status want;
    const char *pairs; /* on FORM_OK: "name=value;" for each pair, in order */
};

static const struct parse_case parse_cases[] = {
    {"", 0, FORM_OK, ""},
    {"a=1", 0, FORM_OK, "a=1;"},
    {"a=1&b=2", 0, FORM_OK, "a=1;b=2;"},
    {"a=1&&b=2", 0, FORM_OK, "a=1;b=2;"},
    {"&a=1&", 0, FORM_OK, "a=1;"},
    {"&&&", 0, FORM_OK, ""},
    {"a", 0, FORM_OK, "a=;"},
    {"a=", 0, FORM_OK, "a=;"},
    {"a&b", 0, FORM_OK, "a=;b=;"},
    {"=x", 0, FORM_OK, "=x;"},
    {"=", 0, FORM_OK, "=;"},
    {"a=b=c", 0, FORM_OK, "a=b=c;"},
    {"a+b=c+d", 0, FORM_OK, "a b=c d;"},
    {"q=+", 0, FORM_OK, "q= ;"},
    {"a%2Bb=%2B", 0, FORM_OK, "a+b=+;"},
    {"q=%41%42%43", 0, FORM_OK, "q=ABC;"},
    {"q=%e2%82%ac", 0, FORM_OK, "q=\xE2\x82\xAC;"},
    {"q=%E2%82%AC", 0, FORM_OK, "q=\xE2\x82\xAC;"},
    {"q=caf%C3%A9", 0, FORM_OK, "q=caf\xC3\xA9;"},
    {"q=caf\xC3\xA9", 0, FORM_OK, "q=caf\xC3\xA9;"},
    {"q=%F0%9F%98%80", 0, FORM_OK, "q=\xF0\x9F\x98\x80;"},
    {"a=%26&b=%3D", 0, FORM_OK, "a=&;b==;"},
    {"q=%25", 0, FORM_OK, "q=%;"},
    {"q=%2541", 0, FORM_OK, "q=%41;"},
    {"q=%2F", 0, FORM_OK, "q=/;"},
    {"q=a%20b", 0, FORM_OK, "q=a b;"},
    {"a=1;b=2", 0, FORM_OK, "a=1;b=2;"}, /* one pair: ';' is not a separator */
    {"a=1&a=2", 0, FORM_OK, "a=1;a=2;"},
    {"q=line%0D%0Abreak", 0, FORM_OK, "q=line\r\nbreak;"},
    {"email=a%40b.example&password=p%26ss", 0, FORM_OK,
     "email=a@b.example;password=p&ss;"},
    {"q=%zz", 0, FORM_BAD_ENCODING, NULL},
    {"q=%4", 0, FORM_BAD_ENCODING, NULL},
    {"q=%", 0, FORM_BAD_ENCODING, NULL},
    {"q=%%", 0, FORM_BAD_ENCODING, NULL},
    {"q=%%41", 0, FORM_BAD_ENCODING, NULL},
    {"q=%4g", 0, FORM_BAD_ENCODING, NULL},
    {"q=%g4", 0, FORM_BAD_ENCODING, NULL},
    {"q=%+1", 0, FORM_BAD_ENCODING, NULL},
    {"q=% 1", 0, FORM_BAD_ENCODING, NULL},
    {"q=1%", 0, FORM_BAD_ENCODING, NULL},
    {"q=%4&r=1", 0, FORM_BAD_ENCODING, NULL},
    {"%=1", 0, FORM_BAD_ENCODING, NULL},
    {"a%2=1", 0, FORM_BAD_ENCODING, NULL},
    {"ok=1&q=%x1", 0, FORM_BAD_ENCODING, NULL},
    {"q=%00", 0, FORM_NUL, NULL},
    {"%00=1", 0, FORM_NUL, NULL},
    {"q=a\0b", 5, FORM_NUL, NULL},
    {"a\0=1", 4, FORM_NUL, NULL},
    {"q=%C0%80", 0, FORM_BAD_UTF8, NULL},
    {"q=%C0%AF", 0, FORM_BAD_UTF8, NULL},
    {"q=%ED%A0%80", 0, FORM_BAD_UTF8, NULL},
    {"q=%ED%BF%BF", 0, FORM_BAD_UTF8, NULL},
    {"q=%F4%90%80%80", 0, FORM_BAD_UTF8, NULL},
    {"q=%FF", 0, FORM_BAD_UTF8, NULL},
    {"q=%C3", 0, FORM_BAD_UTF8, NULL},
    {"q=%E2%82", 0, FORM_BAD_UTF8, NULL},
    {"q=\xC3", 0, FORM_BAD_UTF8, NULL},
    {"q=\xC3&r=\xA9", 0, FORM_BAD_UTF8, NULL}, /* split across pairs */
    {"%C3=1", 0, FORM_BAD_UTF8, NULL},
    {"q=%E0%80%80", 0, FORM_BAD_UTF8, NULL},
};

/* Renders a parsed form as "name=value;" per pair, checking on the way that
 * the recorded lengths match the NUL-terminated strings. */
static bool render(const struct form *f, struct buf *out)
{
    bool lengths_ok = true;

    buf_reset(out);
    for (size_t i = 0; i < f->count; i++) {
        const struct form_pair *p = &f->pairs[i];
        lengths_ok &= strlen(p->name) == p->name_len;
        lengths_ok &= strlen(p->value) == p->value_len;
        buf_printf(out, "%s=%s;", p->name, p->value);
    }
    return lengths_ok;
}

static void test_parse_table(struct arena *a)
{
    struct buf out;
    char name[256];

    buf_init(&out);
    for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
        const struct parse_case *c = &parse_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        struct form f = {(struct form_pair *)1, 99}; /* must be overwritten */
        enum form_status st = form_parse(&f, a, c->in, len);

        snprintf(name, sizeof(name), "parse #%zu status %d (want %d)", i,
                 (int)st, (int)c->want);
        test_cond(name, st == c->want);
        if (c->want == FORM_OK) {
            bool lengths_ok = render(&f, &out);
            snprintf(name, sizeof(name), "parse #%zu pairs \"%s\"", i,
                     buf_cstr(&out));
            test_cond(name, strcmp(buf_cstr(&out), c->pairs) == 0);
            test_cond(name, lengths_ok);
        } else {
            snprintf(name, sizeof(name), "parse #%zu: failed form is empty", i);
            test_cond(name, f.count == 0 && f.pairs == NULL);
        }
        arena_reset(a);
    }
    buf_free(&out);
}

static void test_get(struct arena *a)
{
    struct form f;
    const char *q = "a=1&b=&c&a=2&sp+ace=x%20y";

    test_cond("get: parse", form_parse(&f, a, q, strlen(q)) == FORM_OK);
    test_cond("get: count", f.count == 5);
    test_cond("get: first of duplicates", is(form_get(&f, "a"), "1"));
    test_cond("get: empty value", is(form_get(&f, "b"), ""));
    test_cond("get: no '='", is(form_get(&f, "c"), ""));
    test_cond("get: decoded name", is(form_get(&f, "sp ace"), "x y"));
    test_cond("get: missing", form_get(&f, "d") == NULL);
    test_cond("get: prefix is not a match", form_get(&f, "sp") == NULL);
    test_cond("get: case-sensitive", form_get(&f, "A") == NULL);
    test_cond("get: order kept", f.count == 5 && is(f.pairs[3].value, "2"));

    struct form empty = {NULL, 0};
    test_cond("get: empty form", form_get(&empty, "a") == NULL);
    test_cond("parse: NULL text with len 0",
              form_parse(&f, a, NULL, 0) == FORM_OK && f.count == 0);
    test_cond("parse: len limits the input",
              form_parse(&f, a, "a=1&b=%zz", 3) == FORM_OK && f.count == 1 &&
                  is(form_get(&f, "a"), "1"));
    arena_reset(a);
}

/* Builds "k0=v&k1=v&..." with n pairs and extra empty pairs between them. */
static void make_pairs(struct buf *b, size_t n, bool with_empties)
{
    buf_reset(b);
    for (size_t i = 0; i < n; i++) {
        if (with_empties)
            buf_puts(b, "&&");
        buf_printf(b, "%sk%zu=v", i ? "&" : "", i);
    }
}

/* Builds "<name>=<value>" with each part made of count copies of unit. */
static void make_field(struct buf *b, const char *unit, size_t name_units,
                       size_t value_units)
{
    buf_reset(b);
    for (size_t i = 0; i < name_units; i++)
        buf_puts(b, unit);
    buf_putc(b, '=');
    for (size_t i = 0; i < value_units; i++)
        buf_puts(b, unit);
}

static enum form_status parse_buf(struct arena *a, struct buf *b,
                                  struct form *f)
{
    enum form_status st = form_parse(f, a, b->data, b->len);
    arena_reset(a);
    return st;
}

static void test_limits(struct arena *a)
{
    struct buf b;
    struct form f;

    buf_init(&b);
    make_pairs(&b, REQ_PARAMS_MAX, false);
    test_cond("limit: exactly REQ_PARAMS_MAX pairs",
              parse_buf(a, &b, &f) == FORM_OK && f.count == REQ_PARAMS_MAX);
    make_pairs(&b, REQ_PARAMS_MAX + 1, false);
    test_cond("limit: one pair over", parse_buf(a, &b, &f) == FORM_TOO_MANY);
    make_pairs(&b, REQ_PARAMS_MAX, true);
    test_cond("limit: empty pairs do not count",
              parse_buf(a, &b, &f) == FORM_OK && f.count == REQ_PARAMS_MAX);
    make_pairs(&b, 100000, false);
    test_cond("limit: huge pair count", parse_buf(a, &b, &f) == FORM_TOO_MANY);
    buf_reset(&b);
    for (size_t i = 0; i < 100000; i++)
        buf_putc(&b, '&');
    test_cond("limit: only separators",
              parse_buf(a, &b, &f) == FORM_OK && f.count == 0);

    make_field(&b, "n", REQ_PARAM_NAME_MAX, 1);
    test_cond("limit: name of exactly REQ_PARAM_NAME_MAX",
              parse_buf(a, &b, &f) == FORM_OK);
    make_field(&b, "n", REQ_PARAM_NAME_MAX + 1, 1);
    test_cond("limit: name one byte over",
              parse_buf(a, &b, &f) == FORM_NAME_TOO_LONG);
    make_field(&b, "%41", REQ_PARAM_NAME_MAX, 1);
    test_cond("limit: name limit counts decoded bytes",
              parse_buf(a, &b, &f) == FORM_OK);
    make_field(&b, "%41", REQ_PARAM_NAME_MAX + 1, 1);
    test_cond("limit: encoded name one over",
              parse_buf(a, &b, &f) == FORM_NAME_TOO_LONG);
    make_field(&b, "n", REQ_PARAM_NAME_MAX + 1, 0);
    b.len--; /* drop the '=': a long name without a value */
    test_cond("limit: long name without '='",
              parse_buf(a, &b, &f) == FORM_NAME_TOO_LONG);

    make_field(&b, "v", 1, REQ_PARAM_VALUE_MAX);
    bool ok = form_parse(&f, a, b.data, b.len) == FORM_OK;
    test_cond("limit: value of exactly REQ_PARAM_VALUE_MAX",
              ok && f.pairs[0].value_len == REQ_PARAM_VALUE_MAX);
    arena_reset(a);
    make_field(&b, "v", 1, REQ_PARAM_VALUE_MAX + 1);
    test_cond("limit: value one byte over",
              parse_buf(a, &b, &f) == FORM_VALUE_TOO_LONG);
    make_field(&b, "+", 1, REQ_PARAM_VALUE_MAX);
    test_cond("limit: value of '+' at the limit",
              parse_buf(a, &b, &f) == FORM_OK);
    make_field(&b, "%C3%A9", 1, REQ_PARAM_VALUE_MAX / 2 + 1);
    test_cond("limit: multi-byte value one char over",
              parse_buf(a, &b, &f) == FORM_VALUE_TOO_LONG);
    make_field(&b, "v", 1, 1024 * 1024);
    test_cond("limit: 1 MiB value", parse_buf(a, &b, &f) == FORM_VALUE_TOO_LONG);

    /* Which limit is reported depends only on the input, not on luck. */
    make_field(&b, "n", REQ_PARAM_NAME_MAX + 1, REQ_PARAM_VALUE_MAX + 1);
    test_cond("limit: name checked before value",
              parse_buf(a, &b, &f) == FORM_NAME_TOO_LONG);
    make_pairs(&b, REQ_PARAMS_MAX + 1, false);
    buf_puts(&b, "&q=%zz");
    test_cond("limit: count checked before encoding",
              parse_buf(a, &b, &f) == FORM_TOO_MANY);
    buf_free(&b);
}

static void test_strerror(void)
{
    const enum form_status all[] = {FORM_OK,       FORM_BAD_ENCODING,
                                    FORM_BAD_UTF8, FORM_NUL,
                                    FORM_TOO_MANY, FORM_NAME_TOO_LONG,
                                    FORM_VALUE_TOO_LONG};
    const size_t n = sizeof(all) / sizeof(all[0]);
    bool distinct = true;

    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            distinct &= strcmp(form_strerror(all[i]), form_strerror(all[j])) != 0;
    test_cond("strerror: one distinct message per status", distinct);
    test_cond("strerror: bad encoding names it",
              strstr(form_strerror(FORM_BAD_ENCODING), "encoding") != NULL);
}

struct path_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    int want;
    const char *out;
    bool slash;
};

static const struct path_case path_cases[] = {
    {"/a/b", 0, 0, "/a/b", false},
    {"", 0, 0, "", false},
    {"/a+b", 0, 0, "/a+b", false},
    {"/a%2Bb", 0, 0, "/a+b", false},
    {"/a%20b", 0, 0, "/a b", false},
    {"/a%2Fb", 0, 0, "/a/b", true},
    {"/a%2fb", 0, 0, "/a/b", true},
    {"/t/acme/%2e%2e/x", 0, 0, "/t/acme/../x", false},
    {"/caf%C3%A9", 0, 0, "/caf\xC3\xA9", false},
    {"/caf\xC3\xA9", 0, 0, "/caf\xC3\xA9", false},
    {"/%25", 0, 0, "/%", false},
    {"/%zz", 0, -1, NULL, false},
    {"/%4", 0, -1, NULL, false},
    {"/%", 0, -1, NULL, false},
    {"/%00", 0, -1, NULL, false},
    {"/a\0b", 4, -1, NULL, false},
    {"/%C0%AF", 0, -1, NULL, false}, /* overlong '/' */
    {"/%ED%A0%80", 0, -1, NULL, false},
    {"/%FF", 0, -1, NULL, false},
    {"/\xC3", 0, -1, NULL, false},
};

static void test_percent_decode(void)
{
    char name[256];

    for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
        const struct path_case *c = &path_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char *dst = malloc(len + 1);
        size_t out_len = 12345;
        bool slash = !c->slash; /* must be overwritten on success */
        int rc = form_percent_decode(dst, c->in, len, &out_len, &slash);

        snprintf(name, sizeof(name), "path #%zu \"%s\" rc", i, c->in);
        test_cond(name, rc == c->want);
        if (c->want == 0 && rc == 0) {
            snprintf(name, sizeof(name), "path #%zu \"%s\" result", i, c->in);
            test_cond(name, strcmp(dst, c->out) == 0 &&
                                out_len == strlen(c->out) &&
                                slash == c->slash);
        }
        free(dst);
    }

    char dst[16];
    size_t n;
    test_cond("path: encoded_slash may be NULL",
              form_percent_decode(dst, "/x%2F", 5, &n, NULL) == 0 &&
                  strcmp(dst, "/x/") == 0 && n == 3);
    test_cond("path: len limits the input",
              form_percent_decode(dst, "/ab%zz", 3, &n, NULL) == 0 &&
                  strcmp(dst, "/ab") == 0);
}

int main(void)
{
    struct arena a;

    arena_init(&a);
    test_parse_table(&a);
    test_get(&a);
    test_limits(&a);
    test_strerror();
    test_percent_decode();
    arena_free(&a);
    return test_report();
}
