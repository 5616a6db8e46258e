/* SPDX-License-Identifier: MIT */
/* form: strict application/x-www-form-urlencoded parser (see form.h).
 *
 * Key choice: strictness over guessing. A '%' that is not followed by two hex
 * digits, a NUL (raw or %00), or a decoded name/value that is not UTF-8
 * fails the whole form with its own status, so a handler never sees text that
 * a browser could not have sent; the caller turns any failure into a 400.
 * Limits (REQ_PARAMS_MAX, REQ_PARAM_NAME_MAX, REQ_PARAM_VALUE_MAX) apply to
 * non-empty pairs and to *decoded* lengths, and are checked before anything
 * is copied, so an oversized field costs no memory. The size of the whole
 * input is the caller's limit (REQ_QUERY_MAX, REQ_BODY_MAX).
 * Empty pairs ("a=1&&b=2", a trailing '&') are skipped as browsers do; a pair
 * without '=' has the value "" and "=x" has the name "" (WHATWG URL spec).
 * Ownership: the pair array and every string come from the caller's arena
 * and live until arena_reset; nothing here is freed piecemeal. */
#include "http/form.h"

#include <assert.h>
#include <string.h>

#include "core/arena.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/utf8.h"

#define PAIR_SEP '&'
#define NAME_VALUE_SEP '='
#define ESCAPE_CHAR '%'
#define ESCAPE_LEN 3 /* "%XX" */
#define HEX_BASE 16

/* ---- percent-decoding --------------------------------------------------- */

/* Decodes len bytes of src into dst, or only measures when dst is NULL.
 * plus_is_space selects form rules ('+' is a space) over path rules ('+' is
 * itself). Sets *out_len to the decoded length and, when slash is not NULL,
 * sets *slash if a %2F was decoded. Does not NUL-terminate dst. */
static enum form_status unescape(char *dst, const char *src, size_t len,
                                 bool plus_is_space, size_t *out_len,
                                 bool *slash)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == ESCAPE_CHAR) {
            if (len - i < ESCAPE_LEN)
                return FORM_BAD_ENCODING; /* truncated: "%", "%4" at the end */
            int hi = hex_digit((unsigned char)src[i + 1]);
            int lo = hex_digit((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return FORM_BAD_ENCODING;
            c = (unsigned char)(hi * HEX_BASE + lo);
            if (c == '\0')
                return FORM_NUL;
            if (c == '/' && slash)
                *slash = true;
            i += ESCAPE_LEN - 1;
        } else if (c == '\0') {
            return FORM_NUL;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (dst)
            dst[n] = (char)c;
        n++;
    }
    *out_len = n;
    return FORM_OK;
}

/* Decodes one name or value into a fresh NUL-terminated arena string. The
 * decoded length is measured first so that max is enforced (with status
 * too_long) before any copy is made. */
static enum form_status decode_field(struct arena *a, const char *src,
                                     size_t len, size_t max,
                                     enum form_status too_long,
                                     const char **out, size_t *out_len)
{
    size_t n;
    enum form_status st = unescape(NULL, src, len, true, &n, NULL);
    if (st != FORM_OK)
        return st;
    if (n > max)
        return too_long;

    char *dst = arena_alloc(a, n + 1);
    st = unescape(dst, src, len, true, &n, NULL);
    if (st != FORM_OK)
        return st; /* cannot differ from the measuring pass; kept for safety */
    dst[n] = '\0';
    if (!utf8_valid(dst, n))
        return FORM_BAD_UTF8;
    *out = dst;
    *out_len = n;
    return FORM_OK;
}

/* ---- forms --------------------------------------------------------------- */

/* Counts the non-empty '&'-separated segments of text. */
static size_t count_pairs(const char *text, size_t len)
{
    size_t count = 0;
    size_t seg_len = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == PAIR_SEP) {
            if (seg_len > 0)
                count++;
            seg_len = 0;
        } else {
            seg_len++;
        }
    }
    if (seg_len > 0)
        count++;
    return count;
}

/* form_parse parses the len bytes of text (a query string without its '?',
 * or a urlencoded body; text need not be NUL-terminated and may be NULL when
 * len is 0) into *out. Returns FORM_OK with out->pairs in input order, or the
 * status of the first problem found, in which case *out is empty. Pairs and
 * strings are allocated from a and live until it is reset. */
enum form_status form_parse(struct form *out, struct arena *a,
                            const char *text, size_t len)
{
    enum form_status st = FORM_OK;
    size_t total = count_pairs(text, len);

    out->pairs = NULL;
    out->count = 0;
    if (total == 0)
        return FORM_OK;
    if (total > REQ_PARAMS_MAX)
        return FORM_TOO_MANY;

    struct form_pair *pairs = arena_alloc(a, total * sizeof(*pairs));
    size_t count = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *seg = text + pos;
        const char *amp = memchr(seg, PAIR_SEP, len - pos);
        size_t seg_len = amp ? (size_t)(amp - seg) : len - pos;
        pos += seg_len + 1;
        if (seg_len == 0)
            continue;

        const char *eq = memchr(seg, NAME_VALUE_SEP, seg_len);
        size_t name_len = eq ? (size_t)(eq - seg) : seg_len;
        const char *value = eq ? eq + 1 : seg + seg_len;
        size_t value_len = seg_len - name_len - (eq ? 1 : 0);
        struct form_pair *p = &pairs[count];

        st = decode_field(a, seg, name_len, REQ_PARAM_NAME_MAX,
                          FORM_NAME_TOO_LONG, &p->name, &p->name_len);
        if (st != FORM_OK)
            goto out;
        st = decode_field(a, value, value_len, REQ_PARAM_VALUE_MAX,
                          FORM_VALUE_TOO_LONG, &p->value, &p->value_len);
        if (st != FORM_OK)
            goto out;
        count++;
    }
    out->pairs = pairs;
    out->count = count;
out:
    /* On failure *out stays empty; what was allocated goes with the arena. */
    return st;
}

/* form_get returns the value of the first pair named name, or NULL when
 * there is none. The string belongs to the form's arena. */
const char *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++) {
        if (strcmp(f->pairs[i].name, name) == 0)
            return f->pairs[i].value;
    }
    return NULL;
}

/* form_strerror returns a short, static, user-presentable description of
 * status, suitable for a log line or the text of a 400 page. */
const char *form_strerror(enum form_status status)
{
    switch (status) {
    case FORM_OK:
        return "ok";
    case FORM_BAD_ENCODING:
        return "malformed percent-encoding";
    case FORM_BAD_UTF8:
        return "text is not valid UTF-8";
    case FORM_NUL:
        return "text contains a NUL character";
    case FORM_TOO_MANY:
        return "too many fields";
    case FORM_NAME_TOO_LONG:
        return "a field name is too long";
    case FORM_VALUE_TOO_LONG:
        return "a field value is too long";
    default:
        assert(!"unknown form_status");
        break;
    }
    return "unknown form error";
}

/* ---- paths --------------------------------------------------------------- */

/* form_percent_decode decodes a URL path (or any other percent-encoded text
 * where '+' means '+'): the len bytes of src go to dst, which must have room
 * for len + 1 bytes because decoding never lengthens text; dst is then
 * NUL-terminated and *out_len holds its length. %2F is decoded to '/' like
 * any other escape, but *encoded_slash (which may be NULL) is set to true
 * when one was seen (and false otherwise), so the router can refuse paths
 * whose segments hide a '/'. Returns 0, or -1 on a malformed or truncated
 * escape, a NUL byte (raw or %00), or a result that is not valid UTF-8; on
 * -1 the contents of dst and *out_len are unspecified. */
int form_percent_decode(char *dst, const char *src, size_t len,
                        size_t *out_len, bool *encoded_slash)
{
    bool slash = false;
    size_t n;

    if (unescape(dst, src, len, false, &n, &slash) != FORM_OK)
        return -1;
    dst[n] = '\0';
    if (!utf8_valid(dst, n))
        return -1;
    *out_len = n;
    if (encoded_slash)
        *encoded_slash = slash;
    return 0;
}
