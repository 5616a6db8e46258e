/* SPDX-License-Identifier: MIT */
/* test_tmpl: the Mustache engine against the whole Mustache spec, plus the
 * behaviour gatehouse relies on beyond it.
 *
 * Every *.json file of the spec directory (GH_MUSTACHE_SPEC_DIR, else
 * ../shared/mustache-spec, relative to the repository root) is run, one
 * test_cond per case named "<file>: <case name>": the template and its
 * partials are compiled into one set, linked in spec (non-strict) mode and
 * rendered against the case's data. A missing spec is a failure, never a
 * silent pass. The rest checks escaping, number and truthiness rules,
 * compile errors with file:line:col, strict linking, render limits,
 * indentation, inheritance the way the layouts use it, and loading a tree. */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/buf.h"
#include "core/limits.h"
#include "test.h"
#include "tmpl/tmpl.h"

#define SPEC_DIR_DEFAULT "../shared/mustache-spec"
#define SPEC_MAIN "(spec template)" /* no spec partial has this name */
#define SPEC_FILES_MAX 64
#define SPEC_EXT ".json"
#define FANOUT_LEVELS 26 /* 2^26 partial calls: far over the step budget */
#define LINE_LEN 64      /* line length of the TMPL_SOURCE_MAX test text */
#define ERR_MAX 512
#define LABEL_MAX 512

/* ---- the Mustache spec ------------------------------------------------ */

static void show(const char *what, const char *s)
{
    printf("    %s: \"", what);
    for (; *s; s++) {
        if (*s == '\n')
            printf("\\n");
        else if (*s == '\r')
            printf("\\r");
        else if (*s == '\t')
            printf("\\t");
        else
            putchar(*s);
    }
    printf("\"\n");
}

static const char *str_field(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Runs one spec case; true when the output is exactly the expected one. */
static bool run_spec_case(struct json_object *tc)
{
    const char *source = str_field(tc, "template");
    const char *expected = str_field(tc, "expected");
    struct json_object *data = NULL, *partials = NULL;
    json_object_object_get_ex(tc, "data", &data);
    json_object_object_get_ex(tc, "partials", &partials);
    if (!source || !expected) {
        printf("    case without template or expected\n");
        return false;
    }

    char err[ERR_MAX] = "";
    struct buf out;
    buf_init(&out);
    struct tmpl_set *set = tmpl_set_new();
    bool ok = tmpl_set_add(set, SPEC_MAIN, source, strlen(source), err,
                           sizeof err) == 0;
    if (ok && partials) {
        json_object_object_foreach(partials, name, val) {
            const char *p = json_object_get_string(val);
            if (ok && tmpl_set_add(set, name, p, strlen(p), err, sizeof err))
                ok = false;
        }
    }
    ok = ok && tmpl_set_link(set, false, err, sizeof err) == 0;
    ok = ok && tmpl_render(set, SPEC_MAIN, data, &out, err, sizeof err) == 0;
    bool same = ok && !strcmp(buf_cstr(&out), expected);
    if (!same) {
        show("template", source);
        if (!ok)
            printf("    error: %s\n", err);
        else
            show("got", buf_cstr(&out));
        show("expected", expected);
    }
    buf_free(&out);
    tmpl_set_free(set);
    return same;
}

static void run_spec_file(const char *dir, const char *file)
{
    char path[PATH_MAX], label[LABEL_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    struct json_object *root = json_object_from_file(path);
    struct json_object *tests = NULL;
    if (!root || !json_object_object_get_ex(root, "tests", &tests) ||
        !json_object_is_type(tests, json_type_array) ||
        json_object_array_length(tests) == 0) {
        snprintf(label, sizeof label, "%s: readable spec file with tests",
                 file);
        test_cond(label, false);
        json_object_put(root);
        return;
    }
    for (size_t i = 0; i < json_object_array_length(tests); i++) {
        struct json_object *tc = json_object_array_get_idx(tests, i);
        const char *name = str_field(tc, "name");
        snprintf(label, sizeof label, "%s: %s", file, name ? name : "?");
        bool ok = run_spec_case(tc);
        test_cond(label, ok);
    }
    json_object_put(root);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_spec(void)
{
    const char *dir = getenv("GH_MUSTACHE_SPEC_DIR");
    if (!dir || !*dir)
        dir = SPEC_DIR_DEFAULT;
    DIR *d = opendir(dir);
    if (!d) {
        if (getenv("CI"))
            printf("FAILURE: the Mustache spec is missing at %s and CI is "
                   "set: the spec is required in CI\n", dir);
        else
            printf("the Mustache spec is missing at %s (set "
                   "GH_MUSTACHE_SPEC_DIR): counted as one failure\n", dir);
        test_cond("mustache spec present", false);
        return;
    }
    char *files[SPEC_FILES_MAX];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < SPEC_FILES_MAX) {
        size_t len = strlen(de->d_name), ext = strlen(SPEC_EXT);
        if (len > ext && !strcmp(de->d_name + len - ext, SPEC_EXT))
            files[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n == 0)
        printf("no *.json file in the Mustache spec directory %s\n", dir);
    test_cond("mustache spec has JSON files", n > 0);
    qsort(files, n, sizeof *files, by_string);
    for (size_t i = 0; i < n; i++) {
        run_spec_file(dir, files[i]);
        free(files[i]);
    }
}

/* ---- helpers for our own cases --------------------------------------- */

/* Compiles "t" = src plus (name, source) pairs ending in NULL, links
 * (strict or not) and renders "t" against the JSON text data. Returns the
 * output (caller frees) or NULL with err set. */
static char *render_v(bool strict, const char *data, char *err,
                      size_t errlen, const char *src, va_list ap)
{
    char *result = NULL;
    struct buf out;
    buf_init(&out);
    struct json_object *ctx = data ? json_tokener_parse(data) : NULL;
    struct tmpl_set *set = tmpl_set_new();
    if (tmpl_set_add(set, "t", src, strlen(src), err, errlen))
        goto out;
    const char *name;
    while ((name = va_arg(ap, const char *))) {
        const char *p = va_arg(ap, const char *);
        if (tmpl_set_add(set, name, p, strlen(p), err, errlen))
            goto out;
    }
    if (tmpl_set_link(set, strict, err, errlen) ||
        tmpl_render(set, "t", ctx, &out, err, errlen))
        goto out;
    result = strdup(buf_cstr(&out));
out:
    tmpl_set_free(set);
    json_object_put(ctx);
    buf_free(&out);
    return result;
}

/* True when rendering gives exactly want. */
static bool renders(const char *data, const char *want, const char *src, ...)
{
    char err[ERR_MAX];
    va_list ap;
    va_start(ap, src);
    char *s = render_v(true, data, err, sizeof err, src, ap);
    va_end(ap);
    bool ok = s && !strcmp(s, want);
    if (!ok) {
        if (s)
            show("got", s);
        else
            printf("    error: %s\n", err);
        show("want", want);
    }
    free(s);
    return ok;
}

/* True when compiling src as "t" fails with exactly the message want. */
static bool compile_fails(const char *src, size_t len, const char *want)
{
    char err[ERR_MAX] = "";
    struct tmpl_set *set = tmpl_set_new();
    int rc = tmpl_set_add(set, "t", src, len, err, sizeof err);
    tmpl_set_free(set);
    bool ok = rc == -1 && !strcmp(err, want);
    if (!ok)
        printf("    rc %d, err \"%s\", want \"%s\"\n", rc, err, want);
    return ok;
}

static bool compiles(const char *src, size_t len)
{
    char err[ERR_MAX] = "";
    struct tmpl_set *set = tmpl_set_new();
    int rc = tmpl_set_add(set, "t", src, len, err, sizeof err);
    tmpl_set_free(set);
    if (rc)
        printf("    unexpected error: %s\n", err);
    return rc == 0;
}

/* ---- our own cases ---------------------------------------------------- */

static void test_escaping(void)
{
    test_cond("escape: & < > \" ' are escaped, raw forms are not",
              renders("{\"x\": \"<a href=\\\"/q?a=1&b='2'\\\">\"}",
                      "&lt;a href=&quot;/q?a=1&amp;b=&#39;2&#39;&quot;&gt;|"
                      "<a href=\"/q?a=1&b='2'\">|<a href=\"/q?a=1&b='2'\">",
                      "{{x}}|{{{x}}}|{{& x }}", NULL));
    test_cond("escape: template text is copied as is",
              renders("{}", "<b>&amp; & '</b>", "<b>&amp; & '</b>", NULL));
    test_cond("escape: an object interpolates as escaped JSON",
              renders("{\"o\": {\"a\": \"<\"}}", "{&quot;a&quot;:&quot;&lt;"
                      "&quot;}", "{{o}}", NULL));
    test_cond("escape: partial output is escaped in the partial",
              renders("{\"x\": \"<&>\"}", "[&lt;&amp;&gt;]", "[{{>p}}]",
                      "p", "{{x}}", NULL));
}

static void test_values(void)
{
    test_cond("values: numbers, booleans and null",
              renders("{\"i\": -42, \"d\": 0.1, \"e\": 1e21, \"w\": 2.50,"
                      " \"big\": 18446744073709551615, \"t\": true,"
                      " \"f\": false, \"n\": null}",
                      "-42 0.1 1e+21 2.5 18446744073709551615 true false .",
                      "{{i}} {{d}} {{e}} {{w}} {{big}} {{t}} {{f}} {{n}}.",
                      NULL));
    test_cond("truthiness: 0, 0.0, \"\", [] and null are false; \"0\", {} "
              "are true",
              renders("{\"z\": 0, \"dz\": 0.0, \"e\": \"\", \"a\": [],"
                      " \"n\": null, \"s0\": \"0\", \"o\": {}}",
                      "s0 o !z !dz !e !a !n !m",
                      "{{#z}}z {{/z}}{{#dz}}dz {{/dz}}{{#e}}e {{/e}}"
                      "{{#a}}a {{/a}}{{#n}}n {{/n}}{{#s0}}s0 {{/s0}}"
                      "{{#o}}o {{/o}}{{^z}}!z {{/z}}{{^dz}}!dz {{/dz}}"
                      "{{^e}}!e {{/e}}{{^a}}!a {{/a}}{{^n}}!n {{/n}}"
                      "{{^m}}!m{{/m}}", NULL));
    test_cond("sections: lists, objects, dotted names and {{.}}",
              renders("{\"list\": [1, \"b\", {\"c\": 3}], \"u\": {\"v\": "
                      "{\"w\": \"deep\"}}, \"top\": \"T\"}",
                      "1,b,[3],|deep|deep T",
                      "{{#list}}{{#c}}[{{.}}]{{/c}}{{^c}}{{.}}{{/c}},"
                      "{{/list}}|{{u.v.w}}|{{#u.v}}{{w}} {{top}}{{/u.v}}",
                      NULL));
    test_cond("sections: a list of lists iterates in place",
              renders("{\"m\": [[1, 2], [], [3]]}", "(12)()(3)",
                      "{{#m}}({{#.}}{{.}}{{/.}}){{/m}}", NULL));
}

static void test_compile_errors(void)
{
    const char *s;
    s = "{{#a}}\n  {{/b}}\n";
    test_cond("error: mismatched section names both tags",
              compile_fails(s, strlen(s), "t:2:3: mismatched section: '/b' "
                                          "closes '#a' opened at 1:1"));
    s = "x\n{{/a}}";
    test_cond("error: closing tag with nothing open",
              compile_fails(s, strlen(s),
                            "t:2:1: unbalanced section: '/a' closes nothing"));
    s = "{{#a}}x\n{{^b}}\n{{/b}}\n{{#c}}";
    test_cond("error: unclosed section",
              compile_fails(s, strlen(s), "t:4:1: unclosed section '#c'"));
    s = "ab\ncd {{name";
    test_cond("error: unclosed tag",
              compile_fails(s, strlen(s),
                            "t:2:4: unclosed tag: no '}}' after '{{'"));
    s = "{{{x}}";
    test_cond("error: unclosed triple mustache",
              compile_fails(s, strlen(s),
                            "t:1:1: unclosed tag: no '}}}' after '{{'"));
    s = "{{=<% %>=}}\n<%x%> <%y";
    test_cond("error: unclosed tag names the current delimiters",
              compile_fails(s, strlen(s),
                            "t:2:7: unclosed tag: no '%>' after '<%'"));
    s = "x {{=<%=}}";
    test_cond("error: delimiter tag with one delimiter",
              compile_fails(s, strlen(s),
                            "t:1:3: bad delimiter tag: expected two "
                            "delimiters separated by a space, as in "
                            "{{=<% %>=}}"));
    s = "{{=a= b=}}";
    test_cond("error: delimiter containing '='",
              compile_fails(s, strlen(s), "t:1:1: bad delimiter tag: "
                                          "delimiters may not contain '='"));
    s = "{{ }}";
    test_cond("error: empty tag", compile_fails(s, strlen(s),
                                                "t:1:1: empty tag name"));
    s = "{{a b}}";
    test_cond("error: whitespace inside a name",
              compile_fails(s, strlen(s),
                            "t:1:1: tag name 'a b' contains whitespace"));
    s = "{{a..b}}";
    test_cond("error: malformed dotted name",
              compile_fails(s, strlen(s),
                            "t:1:1: malformed dotted name 'a..b'"));
    s = "{{<p}}\n  {{x}}\n{{/p}}";
    test_cond("error: a variable directly inside a parent",
              compile_fails(s, strlen(s),
                            "t:2:3: 'x' cannot appear directly inside parent "
                            "'<p': only '$' blocks can"));
}

static void test_limits(void)
{
    /* Nesting: TMPL_NESTING_MAX sections compile, one more does not. */
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < TMPL_NESTING_MAX; i++)
        buf_puts(&b, "{{#a}}");
    for (int i = 0; i < TMPL_NESTING_MAX; i++)
        buf_puts(&b, "{{/a}}");
    test_cond("limit: TMPL_NESTING_MAX nested sections compile",
              compiles(b.data, b.len));
    buf_reset(&b);
    for (int i = 0; i <= TMPL_NESTING_MAX; i++)
        buf_puts(&b, "{{#a}}");
    char want[ERR_MAX];
    snprintf(want, sizeof want, "t:1:%d: sections nested deeper than %d "
             "(TMPL_NESTING_MAX)", TMPL_NESTING_MAX * 6 + 1, TMPL_NESTING_MAX);
    test_cond("limit: one section more than TMPL_NESTING_MAX fails",
              compile_fails(b.data, b.len, want));

    /* Names: TMPL_NAME_MAX bytes compile, one more does not. */
    buf_reset(&b);
    buf_puts(&b, "\n {{");
    for (int i = 0; i < TMPL_NAME_MAX; i++)
        buf_putc(&b, 'n');
    buf_puts(&b, "}}");
    test_cond("limit: a name of TMPL_NAME_MAX bytes compiles",
              compiles(b.data, b.len));
    buf_reset(&b);
    buf_puts(&b, "\n {{>");
    for (int i = 0; i <= TMPL_NAME_MAX; i++)
        buf_putc(&b, 'n');
    buf_puts(&b, "}}");
    snprintf(want, sizeof want, "t:2:2: tag name is %d bytes, over "
             "TMPL_NAME_MAX (%d)", TMPL_NAME_MAX + 1, TMPL_NAME_MAX);
    test_cond("limit: a name over TMPL_NAME_MAX fails",
              compile_fails(b.data, b.len, want));

    /* Source: TMPL_SOURCE_MAX bytes compile, one more does not. */
    buf_reset(&b);
    for (int i = 0; i < TMPL_SOURCE_MAX; i++)
        buf_putc(&b, i % LINE_LEN == LINE_LEN - 1 ? '\n' : 'x');
    test_cond("limit: a source of TMPL_SOURCE_MAX bytes compiles",
              compiles(b.data, b.len));
    buf_putc(&b, 'x');
    snprintf(want, sizeof want, "t:%d:1: template is %d bytes, over "
             "TMPL_SOURCE_MAX (%d)", TMPL_SOURCE_MAX / LINE_LEN + 1,
             TMPL_SOURCE_MAX + 1, TMPL_SOURCE_MAX);
    test_cond("limit: a source over TMPL_SOURCE_MAX fails",
              compile_fails(b.data, b.len, want));
    buf_free(&b);
}

/* A chain of `depth` nested objects {"n": 1, "kid": {"n": 2, ...}}, deeper
 * than json_tokener_parse's default nesting allows. The last kid is false:
 * a missing one would be found again further down the context stack. */
static struct json_object *nested_data(int depth)
{
    struct buf b;
    buf_init(&b);
    for (int i = 1; i <= depth; i++)
        buf_printf(&b, "{\"n\": %d, \"kid\": %s", i, i < depth ? "" : "false");
    for (int i = 0; i < depth; i++)
        buf_putc(&b, '}');
    struct json_tokener *tok = json_tokener_new_ex(depth + 1);
    struct json_object *v = json_tokener_parse_ex(tok, b.data, (int)b.len);
    json_tokener_free(tok);
    buf_free(&b);
    return v;
}

static void test_render_limits(void)
{
    char err[ERR_MAX] = "";
    char want[ERR_MAX];
    struct buf out;
    buf_init(&out);
    struct tmpl_set *set = tmpl_set_new();
    const char *node = "{{n}}.{{#kid}}{{>node}}{{/kid}}";
    const char *self = "x{{>self}}";
    tmpl_set_add(set, "t", "{{>node}}", 9, err, sizeof err);
    tmpl_set_add(set, "node", node, strlen(node), err, sizeof err);
    tmpl_set_add(set, "self", self, strlen(self), err, sizeof err);
    test_cond("recursion: set links in strict mode",
              tmpl_set_link(set, true, err, sizeof err) == 0);

    struct json_object *ctx = nested_data(TMPL_PARTIAL_DEPTH_MAX);
    int rc = tmpl_render(set, "t", ctx, &out, err, sizeof err);
    test_cond("recursion: TMPL_PARTIAL_DEPTH_MAX levels of partials render",
              rc == 0 && !strncmp(buf_cstr(&out), "1.2.3.", 6));
    json_object_put(ctx);

    ctx = nested_data(TMPL_PARTIAL_DEPTH_MAX + 1);
    buf_reset(&out);
    rc = tmpl_render(set, "t", ctx, &out, err, sizeof err);
    snprintf(want, sizeof want, "node: partials, parents and blocks nested "
             "deeper than %d (TMPL_PARTIAL_DEPTH_MAX)",
             TMPL_PARTIAL_DEPTH_MAX);
    test_cond("recursion: one level more stops with an error",
              rc == -1 && !strcmp(err, want));
    json_object_put(ctx);

    buf_reset(&out);
    rc = tmpl_render(set, "self", NULL, &out, err, sizeof err);
    snprintf(want, sizeof want, "self: partials, parents and blocks nested "
             "deeper than %d (TMPL_PARTIAL_DEPTH_MAX)",
             TMPL_PARTIAL_DEPTH_MAX);
    test_cond("recursion: a partial including itself stops with an error",
              rc == -1 && !strcmp(err, want) &&
                  out.len == TMPL_PARTIAL_DEPTH_MAX + 1);
    tmpl_set_free(set);

    /* A tree of distinct partials that fans out exponentially: bounded by
     * the step budget, not by depth. */
    set = tmpl_set_new();
    char name[LABEL_MAX], src[LABEL_MAX];
    for (int i = 0; i < FANOUT_LEVELS; i++) {
        snprintf(name, sizeof name, "p%d", i);
        snprintf(src, sizeof src, "{{>p%d}}{{>p%d}}", i + 1, i + 1);
        tmpl_set_add(set, i ? name : "t", src, strlen(src), err, sizeof err);
    }
    snprintf(name, sizeof name, "p%d", FANOUT_LEVELS);
    tmpl_set_add(set, name, "", 0, err, sizeof err);
    tmpl_set_link(set, true, err, sizeof err);
    buf_reset(&out);
    rc = tmpl_render(set, "t", NULL, &out, err, sizeof err);
    test_cond("limits: an exponential fan-out of partials stops",
              rc == -1 && strstr(err, "steps"));
    tmpl_set_free(set);

    set = tmpl_set_new();
    tmpl_set_add(set, "t", "x", 1, err, sizeof err);
    buf_reset(&out);
    test_cond("render: an unlinked set is refused",
              tmpl_render(set, "t", NULL, &out, err, sizeof err) == -1 &&
                  !strcmp(err, "template set is not linked"));
    tmpl_set_link(set, true, err, sizeof err);
    test_cond("render: an unknown name is an error",
              tmpl_render(set, "nope", NULL, &out, err, sizeof err) == -1 &&
                  !strcmp(err, "no template named 'nope'"));
    test_cond("add: a second template with the same name is refused",
              tmpl_set_add(set, "t", "y", 1, err, sizeof err) == -1 &&
                  !strcmp(err, "t: a template named 't' already exists"));
    buf_puts(&out, "kept:");
    test_cond("render: appends to what out already holds",
              tmpl_render(set, "t", NULL, &out, err, sizeof err) == 0 &&
                  !strcmp(buf_cstr(&out), "kept:x"));
    tmpl_set_free(set);
    buf_free(&out);
}

static void test_strict_link(void)
{
    char err[ERR_MAX] = "";
    const char *page = "<ul>\n  {{> nav }}\n</ul>\n";
    const char *child = "{{! c }}\nx {{<base}}{{/base}}";
    struct tmpl_set *set = tmpl_set_new();
    tmpl_set_add(set, "page", page, strlen(page), err, sizeof err);
    test_cond("strict: a missing partial names file:line:col",
              tmpl_set_link(set, true, err, sizeof err) == -1 &&
                  !strcmp(err, "page:2:3: unknown partial 'nav'"));
    struct buf out;
    buf_init(&out);
    test_cond("non-strict: a missing partial renders as nothing",
              tmpl_set_link(set, false, err, sizeof err) == 0 &&
                  tmpl_render(set, "page", NULL, &out, err, sizeof err) ==
                      0 &&
                  !strcmp(buf_cstr(&out), "<ul>\n</ul>\n"));
    tmpl_set_free(set);

    set = tmpl_set_new();
    tmpl_set_add(set, "child", child, strlen(child), err, sizeof err);
    test_cond("strict: a missing parent names file:line:col",
              tmpl_set_link(set, true, err, sizeof err) == -1 &&
                  !strcmp(err, "child:2:3: unknown parent 'base'"));
    tmpl_set_free(set);
    buf_free(&out);
}

static void test_indentation(void)
{
    test_cond("indent: nested standalone partials add up",
              renders("{\"v\": \"a\\nb\"}",
                      "<div>\n  <p>\n    x\n    a\nb\n  </p>\n</div>\n",
                      "<div>\n  {{>a}}\n</div>\n", "a", "<p>\n  {{>b}}\n</p>\n",
                      "b", "x\n{{v}}\n", NULL));
    test_cond("indent: an inline partial is not indented",
              renders("{}", "<i>x\ny</i>\n", "<i>{{>p}}</i>\n", "p", "x\ny",
                      NULL));
    test_cond("indent: standalone lines inside an indented partial vanish",
              renders("{\"l\": [1, 2]}", "  <ul>\n    <li>1</li>\n    "
                      "<li>2</li>\n  </ul>\n", "  {{>p}}\n", "p",
                      "<ul>\n{{#l}}\n  <li>{{.}}</li>\n{{/l}}\n</ul>\n",
                      NULL));
    test_cond("indent: CRLF lines", renders("{}", "a\r\n  x\r\n  y\r\n",
                                            "a\r\n  {{>p}}\r\n", "p",
                                            "x\r\ny\r\n", NULL));
}

static void test_inheritance(void)
{
    const char *layout = "<html>\n"
                         "  <head><title>{{$title}}Site{{/title}}</title>"
                         "</head>\n"
                         "  <body>\n"
                         "    {{$content}}\n"
                         "    <p>default</p>\n"
                         "    {{/content}}\n"
                         "  </body>\n"
                         "</html>\n";
    const char *page = "{{! the login page }}\n"
                       "{{<layout}}\n"
                       "{{$title}}Log in{{/title}}\n"
                       "{{$content}}\n"
                       "<form>\n"
                       "  {{>field}}\n"
                       "</form>\n"
                       "{{/content}}\n"
                       "{{/layout}}\n";
    test_cond("inherit: a page fills a layout, re-indented",
              renders("{\"name\": \"email\"}",
                      "<html>\n"
                      "  <head><title>Log in</title></head>\n"
                      "  <body>\n"
                      "    <form>\n"
                      "      <input name=\"email\">\n"
                      "    </form>\n"
                      "  </body>\n"
                      "</html>\n",
                      page, "layout", layout, "field",
                      "<input name=\"{{name}}\">\n", NULL));
    const char *main_layout = "<main>\n    {{$content}}\n    {{/content}}\n"
                              "</main>\n";
    test_cond("inherit: an override starting with standalone tags is "
              "indented once",
              renders("{\"x\": true}",
                      "<main>\n    <form>\n    </form>\n    X\n</main>\n",
                      "{{<layout}}\n{{$content}}\n{{>form}}\n{{#x}}\nX\n"
                      "{{/x}}\n{{/content}}\n{{/layout}}\n",
                      "layout", main_layout, "form", "<form>\n</form>\n",
                      NULL));
    test_cond("inherit: an inline override gets the first-line indent too",
              renders("{}", "<main>\n    one\n    two</main>\n",
                      "{{<layout}}{{$content}}one\ntwo{{/content}}"
                      "{{/layout}}", "layout", main_layout, NULL));
    test_cond("inherit: block defaults when nothing overrides them",
              renders("{}",
                      "<html>\n  <head><title>Site</title></head>\n"
                      "  <body>\n    <p>default</p>\n  </body>\n</html>\n",
                      "{{<layout}}{{/layout}}", "layout", layout, NULL));
    test_cond("inherit: three levels, the page's blocks win",
              renders("{\"who\": \"me\"}", "[A:{page me}|mid-b]",
                      "{{<mid}}{{$a}}{page {{who}}}{{/a}}{{/mid}}", "mid",
                      "{{<base}}{{$a}}mid-a{{/a}}{{$b}}mid-b{{/b}}{{/base}}",
                      "base", "[A:{{$a}}base-a{{/a}}|{{$b}}base-b{{/b}}]",
                      NULL));
    test_cond("inherit: an override may use a sibling override",
              renders("{}", "<X>", "{{<p}}{{$c}}<{{$x}}{{/x}}>{{/c}}"
                                   "{{$x}}X{{/x}}{{/p}}",
                      "p", "{{$c}}{{/c}}", NULL));
    char err[ERR_MAX];
    struct tmpl_set *set = tmpl_set_new();
    const char *selfish = "{{<p}}{{$a}}x{{$a}}y{{/a}}{{/a}}{{/p}}";
    tmpl_set_add(set, "t", selfish, strlen(selfish), err, sizeof err);
    tmpl_set_add(set, "p", "{{$a}}d{{/a}}", 13, err, sizeof err);
    tmpl_set_link(set, true, err, sizeof err);
    struct buf out;
    buf_init(&out);
    test_cond("inherit: a block overriding itself stops with an error",
              tmpl_render(set, "t", NULL, &out, err, sizeof err) == -1 &&
                  strstr(err, "TMPL_PARTIAL_DEPTH_MAX"));
    buf_free(&out);
    tmpl_set_free(set);
}

static bool write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fputs(text, f);
    return fclose(f) == 0;
}

static void test_load_dir(void)
{
    char dir[] = "/tmp/test_tmpl.XXXXXX";
    if (!mkdtemp(dir)) {
        test_cond("load_dir: temporary directory", false);
        return;
    }
    char p[PATH_MAX], sub[PATH_MAX], sub2[PATH_MAX], bad[PATH_MAX];
    char err[ERR_MAX] = "";
    snprintf(sub, sizeof sub, "%s/errors", dir);
    snprintf(sub2, sizeof sub2, "%s/partials", dir);
    mkdir(sub, 0700);
    mkdir(sub2, 0700);
    snprintf(p, sizeof p, "%s/layout.mustache", dir);
    write_file(p, "<main>{{$content}}{{/content}}</main>\n");
    snprintf(p, sizeof p, "%s/errors/404.mustache", dir);
    write_file(p, "{{<layout}}{{$content}}{{>partials/field}}{{/content}}"
                  "{{/layout}}");
    snprintf(p, sizeof p, "%s/partials/field.mustache", dir);
    write_file(p, "<p>{{what}} not found</p>");
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    write_file(p, "{{#unbalanced}}");
    snprintf(p, sizeof p, "%s/.swap.mustache", dir);
    write_file(p, "{{#unbalanced}}");

    struct tmpl_set *set = tmpl_set_new();
    int rc = tmpl_set_load_dir(set, dir, err, sizeof err);
    if (rc)
        printf("    load_dir: %s\n", err);
    test_cond("load_dir: loads the tree", rc == 0);
    test_cond("load_dir: names are relative paths without extension",
              tmpl_set_has(set, "layout") && tmpl_set_has(set, "errors/404") &&
                  tmpl_set_has(set, "partials/field") &&
                  !tmpl_set_has(set, "notes") &&
                  !tmpl_set_has(set, ".swap") &&
                  !tmpl_set_has(set, "errors"));
    struct buf out;
    buf_init(&out);
    struct json_object *ctx = json_tokener_parse("{\"what\": \"<page>\"}");
    rc = tmpl_set_link(set, true, err, sizeof err);
    rc = rc ? rc : tmpl_render(set, "errors/404", ctx, &out, err, sizeof err);
    test_cond("load_dir: loaded templates link and render",
              rc == 0 && !strcmp(buf_cstr(&out),
                                 "<main><p>&lt;page&gt; not found</p></main>\n"));
    json_object_put(ctx);
    buf_free(&out);
    tmpl_set_free(set);

    snprintf(bad, sizeof bad, "%s/errors/500.mustache", dir);
    write_file(bad, "ok\n{{#a}}\n{{/b}}");
    set = tmpl_set_new();
    rc = tmpl_set_load_dir(set, dir, err, sizeof err);
    char want[PATH_MAX + ERR_MAX];
    snprintf(want, sizeof want, "%s:3:1: mismatched section: '/b' closes "
             "'#a' opened at 2:1", bad);
    test_cond("load_dir: a compile error names the file path",
              rc == -1 && !strcmp(err, want));
    tmpl_set_free(set);

    set = tmpl_set_new();
    snprintf(p, sizeof p, "%s/missing", dir);
    test_cond("load_dir: a missing directory is an error",
              tmpl_set_load_dir(set, p, err, sizeof err) == -1 &&
                  strstr(err, "missing"));
    tmpl_set_free(set);

    const char *files[] = {"layout.mustache", "errors/404.mustache",
                           "errors/500.mustache", "partials/field.mustache",
                           "notes.txt", ".swap.mustache"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(sub);
    rmdir(sub2);
    rmdir(dir);
}

int main(void)
{
    test_spec();
    test_escaping();
    test_values();
    test_compile_errors();
    test_limits();
    test_render_limits();
    test_strict_link();
    test_indentation();
    test_inheritance();
    test_load_dir();
    return test_report();
}
