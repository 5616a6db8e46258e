/* SPDX-License-Identifier: MIT */
/* cookies: the Cookie request header in, Set-Cookie header values out.
 *
 * Parsing is lenient but safe (malformed pairs are skipped); formatting is
 * strict (anything that could break the header is refused). Parsed cookies
 * live in the caller's arena. Full contracts are above each function in
 * cookies.c. */
#ifndef GH_COOKIES_H
#define GH_COOKIES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct arena;
struct buf;

struct cookie {
    const char *name;  /* a token, never empty */
    const char *value; /* DQUOTEs stripped; UTF-8 with no control chars */
};

struct cookie_jar {
    struct cookie *items; /* in header order; at most REQ_COOKIES_MAX */
    size_t count;
};

/* Returns 0, or -1 (jar empty) when the header exceeds REQ_COOKIE_HEADER_MAX. */
int cookie_parse(struct cookie_jar *jar, struct arena *a, const char *header,
                 size_t len);
/* The value of the first cookie called name, or NULL. */
const char *cookie_get(const struct cookie_jar *jar, const char *name);

enum cookie_same_site { /* zero is the safe default */
    COOKIE_SAMESITE_LAX = 0,
    COOKIE_SAMESITE_STRICT,
    COOKIE_SAMESITE_NONE, /* requires secure */
};

#define COOKIE_EXPIRE_NOW (-1L) /* max_age that deletes the cookie */

struct cookie_attrs {
    const char *name;   /* a token; "__Host-" needs secure, path "/", no domain */
    const char *value;  /* cookie-octets only; "" is allowed */
    const char *path;   /* NULL: no Path attribute */
    const char *domain; /* NULL: host-only cookie */
    long max_age;       /* 0: browser-session; > 0: seconds; COOKIE_EXPIRE_NOW */
    time_t now;         /* if not 0, Expires = now + max_age is added too */
    bool secure;
    bool http_only;
    enum cookie_same_site same_site;
};

/* Appends a Set-Cookie value to out and returns 0, or returns -1 and leaves
 * out untouched when any attribute is unsafe or inconsistent. */
int cookie_format(struct buf *out, const struct cookie_attrs *c);

#endif
