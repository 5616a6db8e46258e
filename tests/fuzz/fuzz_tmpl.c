/* SPDX-License-Identifier: MIT */
/* fuzz_tmpl: libFuzzer target for the Mustache compiler and renderer.
 *
 * Each input is split at its first NUL byte: the part before becomes the
 * template "t", the part after (or the whole input when there is no NUL)
 * the template "p", so inputs can call themselves and each other as
 * partials and parents. The set is linked in spec mode and rendered, then
 * linked in strict mode and, if that succeeds, rendered again, always
 * against one fixed json-c context. Invariants checked: a failed compile
 * or link says "file:line:col: message"; a failed render says why; a
 * render is deterministic (the set is only read); rendering never grows
 * the output past what the engine promises to bound. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/buf.h"
#include "tmpl/tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert, never compiled out. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond,         \
                    __FILE__, __LINE__);                                     \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define ERR_MAX 512

/* Names used by the seed corpus: strings with every escaped byte, all the
 * falsy values, a list, nested objects and a short chain to recurse on. */
static const char context_json[] =
    "{\"name\": \"<b>&'\\\"\", \"raw\": \"<i>\", \"a\": {\"b\": {\"c\": 1}},"
    " \"list\": [\"x\", 2, 3.5, null, {\"q\": \"in\"}], \"t\": true,"
    " \"f\": false, \"z\": 0, \"e\": \"\", \"n\": null, \"num\": 1.21,"
    " \"o\": {\"p\": {\"q\": \"deep\"}}, \"b\": [[1, 2], [], {\"c\": [3]}],"
    " \"kid\": {\"kid\": {\"kid\": false}}}";

static struct json_object *context;
static struct buf first, second;

/* A message of the form "name:line:col: text". */
static bool located(const char *err)
{
    unsigned line, col;
    int used = 0;
    return sscanf(err, "%*[^:]:%u:%u: %n", &line, &col, &used) == 2 &&
           used > 0 && line > 0 && col > 0 && err[used] != '\0';
}

static void render_twice(const struct tmpl_set *set)
{
    char err[ERR_MAX] = "";
    buf_reset(&first);
    buf_reset(&second);
    int rc = tmpl_render(set, "t", context, &first, err, sizeof err);
    CHECK(rc == 0 || (rc == -1 && err[0]));
    int again = tmpl_render(set, "t", context, &second, err, sizeof err);
    CHECK(again == rc);
    CHECK(first.len == second.len &&
          (first.len == 0 || !memcmp(first.data, second.data, first.len)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!context) {
        context = json_tokener_parse(context_json);
        CHECK(context);
        buf_init(&first);
        buf_init(&second);
    }

    const char *src = (const char *)data;
    const char *nul = memchr(src, '\0', size);
    size_t main_len = nul ? (size_t)(nul - src) : size;
    const char *other = nul ? nul + 1 : src;
    size_t other_len = nul ? size - main_len - 1 : size;

    char err[ERR_MAX] = "";
    struct tmpl_set *set = tmpl_set_new();
    if (tmpl_set_add(set, "t", src, main_len, err, sizeof err) < 0) {
        CHECK(located(err) && !strncmp(err, "t:", 2));
        goto out;
    }
    if (tmpl_set_add(set, "p", other, other_len, err, sizeof err) < 0) {
        CHECK(located(err) && !strncmp(err, "p:", 2));
        goto out;
    }
    CHECK(tmpl_set_has(set, "t") && tmpl_set_has(set, "p"));

    CHECK(tmpl_set_link(set, false, err, sizeof err) == 0);
    render_twice(set);
    if (tmpl_set_link(set, true, err, sizeof err) == 0)
        render_twice(set);
    else
        CHECK(located(err) && strstr(err, "unknown "));
out:
    tmpl_set_free(set);
    return 0;
}
