/* SPDX-License-Identifier: MIT */
/* fuzz_cookies: libFuzzer target for cookie_parse and cookie_format.
 *
 * Each input is parsed as a Cookie header from one arena reset per input:
 * the header limit decides success, at most REQ_COOKIES_MAX cookies are
 * kept, every name is a token, every value is valid UTF-8 with no control
 * character or DQUOTE, and cookie_get finds the first of each name. The same
 * bytes, split into a name and a value with attribute flags taken from the
 * first byte, are then given to cookie_format: whatever it accepts must be
 * printable ASCII only (no header injection), obey the __Host- rules, and
 * parse back to exactly the same name and value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/utf8.h"
#include "http/cookies.h"

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

#define PRINTABLE_MIN 0x20
#define PRINTABLE_MAX 0x7E

static struct arena arena;
static struct buf out;
static bool initialised;

static bool is_name_char(unsigned char c)
{
    return c > PRINTABLE_MIN && c <= PRINTABLE_MAX &&
           !strchr("\"(),/:;<=>?@[\\]{}", c);
}

static void check_jar(const struct cookie_jar *jar, const char *header,
                      size_t len)
{
    size_t pieces = 1;
    for (size_t i = 0; i < len; i++)
        pieces += header[i] == ';';

    CHECK(jar->count <= REQ_COOKIES_MAX && jar->count <= pieces);
    CHECK((jar->count == 0) == (jar->items == NULL));
    for (size_t i = 0; i < jar->count; i++) {
        const struct cookie *c = &jar->items[i];
        size_t name_len = strlen(c->name), value_len = strlen(c->value);
        CHECK(name_len > 0);
        for (size_t k = 0; k < name_len; k++)
            CHECK(is_name_char((unsigned char)c->name[k]));
        CHECK(utf8_valid(c->value, value_len));
        CHECK(!utf8_has_control(c->value, value_len));
        CHECK(!strpbrk(c->value, "\"\t\r\n;"));
        size_t first = 0;
        while (strcmp(jar->items[first].name, c->name) != 0)
            first++;
        CHECK(cookie_get(jar, c->name) == jar->items[first].value);
    }
}

static void check_format(const uint8_t *data, size_t size)
{
    if (size == 0)
        return;
    uint8_t flags = data[0];
    data++, size--;
    size_t split = size / 2;
    char *name = arena_strndup(&arena, (const char *)data, split);
    char *value = arena_strndup(&arena, (const char *)data + split,
                                size - split);
    static const char *const paths[] = {NULL, "/", "/account", "bad path"};
    static const char *const domains[] = {NULL, "example.com"};
    struct cookie_attrs c = {
        .name = name,
        .value = value,
        .path = paths[flags & 3],
        .domain = domains[(flags >> 2) & 1],
        .secure = flags & 8,
        .http_only = flags & 16,
        .same_site = (enum cookie_same_site)((flags >> 5) & 3),
        .max_age = (flags & 128) ? 3600 : 0,
        .now = (flags & 128) ? 1700000000 : 0,
    };

    buf_reset(&out);
    if (cookie_format(&out, &c) != 0) {
        CHECK(out.len == 0);
        return;
    }
    for (size_t i = 0; i < out.len; i++) {
        unsigned char ch = (unsigned char)out.data[i];
        CHECK(ch >= PRINTABLE_MIN && ch <= PRINTABLE_MAX);
    }
    if (strncasecmp(name, "__Host-", 7) == 0) {
        CHECK(strstr(out.data, "; Path=/;") && strstr(out.data, "; Secure"));
        CHECK(!strstr(out.data, "; Domain="));
    }
    struct cookie_jar jar;
    size_t pair_len = strcspn(out.data, ";");
    CHECK(pair_len == strlen(name) + 1 + strlen(value));
    CHECK(cookie_parse(&jar, &arena, out.data, pair_len) == 0);
    CHECK(jar.count == 1);
    CHECK(strcmp(jar.items[0].name, name) == 0);
    CHECK(strcmp(jar.items[0].value, value) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *header = (const char *)data;

    if (!initialised) {
        arena_init(&arena);
        buf_init(&out);
        initialised = true;
    }

    struct cookie_jar jar = {(struct cookie *)&arena, 12345};
    int rc = cookie_parse(&jar, &arena, header, size);
    if (size > REQ_COOKIE_HEADER_MAX) {
        CHECK(rc == -1 && jar.count == 0 && jar.items == NULL);
    } else {
        CHECK(rc == 0);
        check_jar(&jar, header, size);
    }
    check_format(data, size);

    arena_reset(&arena);
    return 0;
}
