/* SPDX-License-Identifier: MIT */
/* fuzz_form: libFuzzer target for form_parse and form_percent_decode.
 *
 * Each input is parsed as a urlencoded form and decoded as a URL path, from
 * one arena reset per input. Invariants checked: a parsed form respects
 * every limit and holds only NUL-free valid UTF-8; form_get finds the first
 * pair of each name; re-encoding the pairs and parsing again gives the same
 * pairs; a failed parse leaves an empty form; a decoded path is NUL-free
 * UTF-8 no longer than its input and reports %2F exactly when it was there;
 * and the two decoders agree on input that is a single bare name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "http/form.h"

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

static struct arena arena;
static struct buf reencoded;
static bool initialised;

static void check_field(const char *s, size_t len, size_t max)
{
    CHECK(len <= max);
    CHECK(strlen(s) == len);
    CHECK(utf8_valid(s, len));
}

/* Percent-encodes s so that form_parse must give back exactly s. */
static void encode(struct buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ')
            buf_putc(b, '+');
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')
            buf_putc(b, (char)c);
        else
            buf_printf(b, "%%%02X", c);
    }
}

static void check_form(const struct form *f)
{
    CHECK(f->count <= REQ_PARAMS_MAX);
    CHECK((f->count == 0) == (f->pairs == NULL));
    for (size_t i = 0; i < f->count; i++) {
        const struct form_pair *p = &f->pairs[i];
        check_field(p->name, p->name_len, REQ_PARAM_NAME_MAX);
        check_field(p->value, p->value_len, REQ_PARAM_VALUE_MAX);
        size_t first = 0;
        while (strcmp(f->pairs[first].name, p->name) != 0)
            first++;
        CHECK(form_get(f, p->name) == f->pairs[first].value);
    }

    buf_reset(&reencoded);
    for (size_t i = 0; i < f->count; i++) {
        if (i)
            buf_putc(&reencoded, '&');
        encode(&reencoded, f->pairs[i].name);
        buf_putc(&reencoded, '=');
        encode(&reencoded, f->pairs[i].value);
    }
    struct form again;
    CHECK(form_parse(&again, &arena, reencoded.data, reencoded.len) == FORM_OK);
    /* "=" alone is a pair with an empty name and value; it survives. */
    CHECK(again.count == f->count);
    for (size_t i = 0; i < f->count; i++) {
        CHECK(strcmp(again.pairs[i].name, f->pairs[i].name) == 0);
        CHECK(strcmp(again.pairs[i].value, f->pairs[i].value) == 0);
    }
}

static bool contains_nocase(const char *s, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (strncasecmp(s + i, needle, n) == 0)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;

    if (!initialised) {
        arena_init(&arena);
        buf_init(&reencoded);
        initialised = true;
    }

    struct form f = {(struct form_pair *)&arena, 12345};
    enum form_status st = form_parse(&f, &arena, text, size);
    if (st == FORM_OK)
        check_form(&f);
    else
        CHECK(f.count == 0 && f.pairs == NULL);
    if (st == FORM_BAD_ENCODING)
        CHECK(memchr(text, '%', size) != NULL);
    if (st == FORM_NUL)
        CHECK(memchr(text, '\0', size) || contains_nocase(text, size, "%00"));

    char *path = arena_alloc(&arena, size + 1);
    size_t path_len = 0;
    bool slash = false;
    int rc = form_percent_decode(path, text, size, &path_len, &slash);
    if (rc == 0) {
        CHECK(path_len <= size);
        CHECK(path[path_len] == '\0' && strlen(path) == path_len);
        CHECK(utf8_valid(path, path_len));
        CHECK(slash == contains_nocase(text, size, "%2F"));
    }

    /* Input with no '&', '=' or '+' is one bare name, which both decoders
     * must read the same way (unless the name limit intervenes). */
    if (size > 0 && !memchr(text, '&', size) && !memchr(text, '=', size) &&
        !memchr(text, '+', size) && st != FORM_NAME_TOO_LONG) {
        CHECK((st == FORM_OK) == (rc == 0));
        if (rc == 0) {
            CHECK(f.count == 1);
            CHECK(f.pairs[0].name_len == path_len);
            CHECK(memcmp(f.pairs[0].name, path, path_len) == 0);
            CHECK(f.pairs[0].value_len == 0);
        }
    }

    arena_reset(&arena);
    return 0;
}
