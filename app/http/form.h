/* SPDX-License-Identifier: MIT */
/* form: strict application/x-www-form-urlencoded parsing (query strings and
 * POST bodies) and percent-decoding of URL paths. Pure: no I/O.
 *
 * Parsed names and values live in the caller's arena until it is reset.
 * Full contracts are above each function in form.c. */
#ifndef GH_FORM_H
#define GH_FORM_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

enum form_status {
    FORM_OK = 0,
    FORM_BAD_ENCODING,   /* '%' not followed by two hex digits */
    FORM_BAD_UTF8,       /* a decoded name or value is not valid UTF-8 */
    FORM_NUL,            /* a NUL byte, raw or as %00 */
    FORM_TOO_MANY,       /* more than REQ_PARAMS_MAX non-empty pairs */
    FORM_NAME_TOO_LONG,  /* a decoded name over REQ_PARAM_NAME_MAX bytes */
    FORM_VALUE_TOO_LONG, /* a decoded value over REQ_PARAM_VALUE_MAX bytes */
};

/* Names and values are NUL-terminated (they cannot contain NUL) and valid
 * UTF-8. Iterate with: for (size_t i = 0; i < f->count; i++) f->pairs[i]. */
struct form_pair {
    const char *name;
    const char *value;
    size_t name_len;
    size_t value_len;
};

struct form {
    struct form_pair *pairs; /* in input order; NULL when count is 0 */
    size_t count;
};

/* Parses text ('+' is a space); on any status but FORM_OK *out is empty. */
enum form_status form_parse(struct form *out, struct arena *a,
                            const char *text, size_t len);
/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
/* A short static description of status for logs and 400 pages. */
const char *form_strerror(enum form_status status);

/* Decodes a URL path ('+' stays '+') into dst (room for len + 1 bytes).
 * Returns 0, or -1 on a bad escape, NUL or invalid UTF-8. Sets
 * *encoded_slash when a %2F was decoded, so the caller can refuse it. */
int form_percent_decode(char *dst, const char *src, size_t len,
                        size_t *out_len, bool *encoded_slash);

#endif
