/* SPDX-License-Identifier: MIT */
/* cookies: Cookie header parsing and Set-Cookie formatting (see cookies.h).
 *
 * Parsing follows RFC 6265 section 5.4 the way browsers send cookies rather
 * than the way the grammar says they should: pairs split on ';', optional
 * whitespace trimmed, a value wrapped in DQUOTEs loses them. A malformed pair
 * (no '=', a name that is not a token, an unbalanced quote, a control
 * character or invalid UTF-8 in the value) is skipped rather than failing
 * the request, since other sites' scripts on a shared domain can plant such
 * cookies; only an over-long header fails. Formatting is the opposite: a
 * token name and a cookie-octet value, so nothing we emit can need quoting
 * or smuggle a ';', a line break or a second header, and __Host-/__Secure-
 * names (matched without case, as browsers do) must carry their attributes.
 * Ownership: parsed cookies are strings in the caller's arena, alive until
 * it is reset; formatting appends to the caller's buf. */
#include "http/cookies.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/utf8.h"

#define COOKIE_SEP ';'
#define COOKIE_EQ '='
#define COOKIE_QUOTE '"'
#define ASCII_SPACE 0x20
#define ASCII_DEL 0x7F
#define HOST_PREFIX "__Host-"
#define SECURE_PREFIX "__Secure-"
/* RFC 6265bis: browsers clamp Max-Age and Expires to 400 days. Anything
 * longer is a caller mistake and would not be honoured anyway. */
#define COOKIE_MAX_AGE_MAX (400L * 24 * 60 * 60)
#define HTTP_DATE_SIZE 32 /* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */
#define EPOCH_HTTP_DATE "Thu, 01 Jan 1970 00:00:00 GMT"
/* 9999-12-31 23:59:59 UTC: the last instant an IMF-fixdate can spell, and a
 * bound that keeps now + max_age far from time_t overflow. */
#define HTTP_DATE_TIME_MAX 253402300799LL

/* ---- character classes --------------------------------------------------- */

/* tchar from RFC 9110 section 5.6.2: what a cookie name may be made of. */
static bool is_tchar(unsigned char c)
{
    if (c <= ASCII_SPACE || c >= ASCII_DEL)
        return false;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!is_tchar((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* cookie-octet from RFC 6265 section 4.1.1: visible ASCII except DQUOTE,
 * comma, semicolon and backslash. */
static bool is_cookie_octet(unsigned char c)
{
    return c > ASCII_SPACE && c < ASCII_DEL && c != '"' && c != ',' &&
           c != ';' && c != '\\';
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- parsing ------------------------------------------------------------- */

/* Trims spaces and tabs from both ends of [*s, *s + *len). */
static void trim_ows(const char **s, size_t *len)
{
    while (*len > 0 && is_ows(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_ows((*s)[*len - 1]))
        (*len)--;
}

/* Parses one ';'-separated piece into *out. Returns false when the piece is
 * empty or malformed and must be skipped. */
static bool parse_pair(struct arena *a, const char *piece, size_t len,
                       struct cookie *out)
{
    trim_ows(&piece, &len);
    const char *eq = memchr(piece, COOKIE_EQ, len);
    if (!eq)
        return false; /* also covers the empty piece */

    const char *name = piece;
    size_t name_len = (size_t)(eq - piece);
    const char *value = eq + 1;
    size_t value_len = len - name_len - 1;
    trim_ows(&name, &name_len);
    trim_ows(&value, &value_len);
    if (!is_token(name, name_len))
        return false;

    if (value_len > 0 && value[0] == COOKIE_QUOTE) {
        if (value_len < 2 || value[value_len - 1] != COOKIE_QUOTE)
            return false; /* an opening quote that is never closed */
        value++;
        value_len -= 2;
    }
    /* What remains must be plain text: inner quotes, control characters
     * (NUL included) and broken UTF-8 would only confuse whoever reads the
     * value later. Inner spaces, commas and backslashes are tolerated. The
     * loop refuses the C0 controls utf8_has_control lets through (tab, CR,
     * LF); utf8_has_control adds the C1 ones. */
    if (memchr(value, COOKIE_QUOTE, value_len))
        return false;
    for (size_t i = 0; i < value_len; i++) {
        if ((unsigned char)value[i] < ASCII_SPACE)
            return false;
    }
    if (!utf8_valid(value, value_len) || utf8_has_control(value, value_len))
        return false;

    out->name = arena_strndup(a, name, name_len);
    out->value = arena_strndup(a, value, value_len);
    return true;
}

/* cookie_parse parses the len bytes of a Cookie request header (which need
 * not be NUL-terminated and may be NULL when len is 0) into *jar. Malformed
 * pairs are skipped, and only the first REQ_COOKIES_MAX well-formed ones are
 * kept, in header order. Returns 0, or -1 with an empty jar when len exceeds
 * REQ_COOKIE_HEADER_MAX (the caller answers 400). Names and values are
 * allocated from a and live until it is reset. */
int cookie_parse(struct cookie_jar *jar, struct arena *a, const char *header,
                 size_t len)
{
    jar->items = NULL;
    jar->count = 0;
    if (len > REQ_COOKIE_HEADER_MAX)
        return -1;
    if (len == 0)
        return 0;

    /* Size the array by the number of pieces, capped at what is kept. */
    size_t pieces = 1;
    for (size_t i = 0; i < len; i++) {
        if (header[i] == COOKIE_SEP)
            pieces++;
    }
    size_t cap = pieces < REQ_COOKIES_MAX ? pieces : REQ_COOKIES_MAX;
    struct cookie *items = arena_alloc(a, cap * sizeof(*items));

    size_t count = 0;
    size_t pos = 0;
    while (pos < len && count < cap) {
        const char *piece = header + pos;
        const char *semi = memchr(piece, COOKIE_SEP, len - pos);
        size_t piece_len = semi ? (size_t)(semi - piece) : len - pos;
        pos += piece_len + 1;
        if (parse_pair(a, piece, piece_len, &items[count]))
            count++;
    }
    jar->items = count ? items : NULL;
    jar->count = count;
    return 0;
}

/* cookie_get returns the value of the first cookie called name (names are
 * compared exactly, as browsers do), or NULL when there is none. Browsers
 * send the cookie with the longest Path first, so the first one wins. */
const char *cookie_get(const struct cookie_jar *jar, const char *name)
{
    for (size_t i = 0; i < jar->count; i++) {
        if (strcmp(jar->items[i].name, name) == 0)
            return jar->items[i].value;
    }
    return NULL;
}

/* ---- formatting ---------------------------------------------------------- */

static bool is_cookie_value(const char *s)
{
    for (; *s; s++) {
        if (!is_cookie_octet((unsigned char)*s))
            return false;
    }
    return true;
}

/* A Path attribute: starts with '/', visible ASCII, no ';' or ','. */
static bool is_path_value(const char *s)
{
    if (s[0] != '/')
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ASCII_SPACE || c >= ASCII_DEL || c == ';' || c == ',')
            return false;
    }
    return true;
}

/* A Domain attribute: a non-empty host name (letters, digits, '-', '.'). */
static bool is_domain_value(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool has_prefix_nocase(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Checks everything cookie_format relies on, before anything is written. */
static bool attrs_ok(const struct cookie_attrs *c)
{
    if (!c->name || !c->value)
        return false;
    if (!is_token(c->name, strlen(c->name)) || !is_cookie_value(c->value))
        return false;
    if (c->path && !is_path_value(c->path))
        return false;
    if (c->domain && !is_domain_value(c->domain))
        return false;
    if (c->max_age != COOKIE_EXPIRE_NOW &&
        (c->max_age < 0 || c->max_age > COOKIE_MAX_AGE_MAX))
        return false;
    if (c->now < 0 || c->now > HTTP_DATE_TIME_MAX - COOKIE_MAX_AGE_MAX)
        return false;
    if (c->same_site != COOKIE_SAMESITE_LAX &&
        c->same_site != COOKIE_SAMESITE_STRICT &&
        c->same_site != COOKIE_SAMESITE_NONE)
        return false;
    /* Browsers drop SameSite=None cookies that are not Secure. */
    if (c->same_site == COOKIE_SAMESITE_NONE && !c->secure)
        return false;
    /* RFC 6265bis section 4.1.3: the cookie name prefixes. */
    if (has_prefix_nocase(c->name, SECURE_PREFIX) && !c->secure)
        return false;
    if (has_prefix_nocase(c->name, HOST_PREFIX) &&
        (!c->secure || !c->path || strcmp(c->path, "/") != 0 || c->domain))
        return false;
    return true;
}

/* Writes t as an IMF-fixdate. Names come from tables rather than strftime
 * so that the worker's locale can never change a header. */
static bool http_date(char out[HTTP_DATE_SIZE], time_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    if (!gmtime_r(&t, &tm))
        return false;
    int n = snprintf(out, HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                     days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return n > 0 && n < HTTP_DATE_SIZE;
}

static const char *same_site_name(enum cookie_same_site s)
{
    switch (s) {
    case COOKIE_SAMESITE_LAX:
        return "Lax";
    case COOKIE_SAMESITE_STRICT:
        return "Strict";
    case COOKIE_SAMESITE_NONE:
        return "None";
    default:
        assert(!"unknown cookie_same_site");
        break;
    }
    return "Lax";
}

/* cookie_format appends the value of one Set-Cookie header for *c to out
 * (without the "Set-Cookie: " name), e.g.
 *   __Host-gh_session=abc; Path=/; Max-Age=2592000; Secure; HttpOnly; SameSite=Lax
 * max_age 0 makes a browser-session cookie (no Max-Age or Expires); a
 * positive max_age (at most 400 days) adds Max-Age and, when c->now is set,
 * Expires = now + max_age for old clients; COOKIE_EXPIRE_NOW deletes the
 * cookie with Max-Age=0 and an Expires in 1970. Returns 0, or -1 leaving out
 * untouched when the name is not a token, the value holds anything but
 * cookie-octets (so ';', ',', '"', '\\', whitespace, control characters and
 * non-ASCII are all refused), Path or Domain is malformed, max_age is out of
 * range, SameSite=None lacks Secure, or a __Secure-/__Host- prefixed name
 * lacks the attributes its prefix requires (__Host-: Secure, Path=/, no
 * Domain). */
int cookie_format(struct buf *out, const struct cookie_attrs *c)
{
    char date[HTTP_DATE_SIZE];

    if (!attrs_ok(c))
        return -1;
    if (c->max_age > 0 && c->now != 0 && !http_date(date, c->now + c->max_age))
        return -1;

    buf_printf(out, "%s=%s", c->name, c->value);
    if (c->path)
        buf_printf(out, "; Path=%s", c->path);
    if (c->domain)
        buf_printf(out, "; Domain=%s", c->domain);
    if (c->max_age == COOKIE_EXPIRE_NOW) {
        buf_puts(out, "; Max-Age=0; Expires=" EPOCH_HTTP_DATE);
    } else if (c->max_age > 0) {
        buf_printf(out, "; Max-Age=%ld", c->max_age);
        if (c->now != 0)
            buf_printf(out, "; Expires=%s", date);
    }
    if (c->secure)
        buf_puts(out, "; Secure");
    if (c->http_only)
        buf_puts(out, "; HttpOnly");
    buf_printf(out, "; SameSite=%s", same_site_name(c->same_site));
    return 0;
}
