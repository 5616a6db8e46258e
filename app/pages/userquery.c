/* SPDX-License-Identifier: MIT */
/* userquery: the user list's GET parameters (see userquery.h).
 *
 * Every value is checked against a closed set or a length and character
 * rule before it reaches the store, and the store binds all of them as
 * parameters; no value ever becomes SQL text. An unknown value is a 400
 * with a sentence saying what to choose, never a silently wider list.
 *
 * The start row of a page (after= or before=) is the previous page's last
 * or first row: its sort key and its sub (the tie-breaker), each unpadded
 * base64url, joined by a dot. It is not secret and need not be: any row an
 * admin can name starts a page they could reach anyway. It is only
 * checked: both parts decode, are UTF-8 without control characters within
 * their limits, and a time key is a whole number (microseconds). Anything
 * else is a 400, so a hand-edited link cannot reach the database as a value
 * of the wrong type.
 *
 * Ownership: what out points to lives in the request's arena (query
 * strings) or is static (names). */
#include "pages/userquery.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/seal.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "http/url.h"
#include "pages/admintext.h"
#include "svc/input.h"
#include "svc/tier.h"

#define SUB_MAX 128       /* a Cognito sub is a UUID; room for other pools */
#define TIME_KEY_DIGITS 19 /* microseconds since 1970 fit a bigint */

static const struct {
    const char *name, *label;
} sorts[USERS_SORTS] = {
    [USERS_SORT_EMAIL] = {"email", "Email"},
    [USERS_SORT_NAME] = {"name", "Name"},
    [USERS_SORT_TIER] = {"tier", "Tier"},
    [USERS_SORT_STATUS] = {"status", "Status"},
    [USERS_SORT_CREATED] = {"created", "Signed up"},
    [USERS_SORT_LAST_LOGIN] = {"last_login", "Last sign-in"},
};

const char *userquery_sort_name(enum users_sort sort)
{
    return (unsigned)sort < USERS_SORTS ? sorts[sort].name : NULL;
}

const char *userquery_sort_label(enum users_sort sort)
{
    return (unsigned)sort < USERS_SORTS ? sorts[sort].label : NULL;
}

static const char *given(const char *s)
{
    return s && *s ? s : NULL;
}

static bool known_status(const char *status)
{
    if (!strcmp(status, USERS_STATUS_DELETED))
        return true;
    for (size_t i = 0; admintext_status_at(i); i++)
        if (!strcmp(admintext_status_at(i), status))
            return true;
    return false;
}

/* two_way reads a parameter that is absent (-1), yes (1) or no (0). */
static bool two_way(const char *value, const char *yes, const char *no, int *out)
{
    *out = -1;
    if (!value)
        return true;
    if (!strcmp(value, yes))
        *out = 1;
    else if (!strcmp(value, no))
        *out = 0;
    return *out >= 0;
}

static bool clean(const char *s, size_t max)
{
    size_t len = strlen(s);
    return len > 0 && len <= max && utf8_valid(s, len) && !utf8_has_control(s, len);
}

static bool whole_number(const char *s)
{
    const char *p = *s == '-' ? s + 1 : s;
    size_t n = strlen(p);
    if (n == 0 || n > TIME_KEY_DIGITS)
        return false;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* decode_part decodes len characters of base64url at s into a string in
 * the arena of at most max bytes. */
static const char *decode_part(struct arena *a, const char *s, size_t len, size_t max)
{
    char *out = arena_alloc(a, max + 1);
    size_t n = 0;
    if (!seal_b64url_decode(s, len, out, max, &n))
        return NULL;
    out[n] = '\0';
    if (memchr(out, '\0', n))
        return NULL;
    return out;
}

/* read_cursor reads an after= or before= value into q; false when it is
 * not a row this sort could have written. */
static bool read_cursor(struct arena *a, const char *value, struct users_query *q)
{
    const char *dot = strchr(value, '.');
    if (!dot || strlen(value) > SEAL_B64URL_LEN(USERLIST_KEY_MAX + SUB_MAX) + 1)
        return false;
    const char *key = decode_part(a, value, (size_t)(dot - value), USERLIST_KEY_MAX);
    const char *sub = decode_part(a, dot + 1, strlen(dot + 1), SUB_MAX);
    /* An empty key is a real one (a user without a name sorts as ""). */
    if (!key || !sub || !clean(sub, SUB_MAX) ||
        (*key && !clean(key, USERLIST_KEY_MAX)) ||
        (users_sort_is_time(q->sort) && !whole_number(key)))
        return false;
    q->from_key = key;
    q->from_sub = sub;
    return true;
}

const char *userquery_read(struct request *req, struct users_query *out)
{
    memset(out, 0, sizeof(*out));
    out->mfa = out->enabled = -1;
    out->q = given(req_query(req, "q"));
    out->tier = given(req_query(req, "tier"));
    out->status = given(req_query(req, "status"));
    const char *sort = given(req_query(req, "sort")), *dir = given(req_query(req, "dir"));
    const char *after = given(req_query(req, "after")), *before = given(req_query(req, "before"));
    if (out->q && (input_check_text(out->q, INPUT_EMAIL_MAX, false) || strpbrk(out->q, "\t\r\n"))) {
        out->q = NULL;
        return "Search for a piece of an email address or a name: at most 254 characters, "
               "no control characters.";
    }
    if (out->tier && !tier_known(out->tier)) {
        out->tier = NULL;
        return "Choose a tier from the list: Standard or Premium.";
    }
    if (out->status && !known_status(out->status)) {
        out->status = NULL;
        return "Choose a status from the list.";
    }
    if (!two_way(given(req_query(req, "mfa")), "on", "off", &out->mfa))
        return "Choose two-step verification on or off, or either.";
    if (!two_way(given(req_query(req, "enabled")), "yes", "no", &out->enabled))
        return "Choose enabled or disabled accounts, or either.";
    if (sort) {
        out->sort = USERS_SORTS;
        for (int i = 0; i < USERS_SORTS; i++)
            if (!strcmp(sort, sorts[i].name))
                out->sort = (enum users_sort)i;
        if (out->sort == USERS_SORTS) {
            out->sort = USERS_SORT_EMAIL;
            return "Sort by email, name, tier, status, sign-up or last sign-in.";
        }
    }
    if (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))
        return "Sort up (asc) or down (desc).";
    out->desc = dir && !strcmp(dir, "desc");
    if (after && before)
        return "That page of the list cannot be shown; here is the first page.";
    if ((after || before) && !read_cursor(req->arena, after ? after : before, out))
        return "That page of the list cannot be shown; here is the first page.";
    out->backward = before != NULL;
    return NULL;
}

static void param(struct buf *b, char *sep, const char *name, const char *value)
{
    if (!value)
        return;
    buf_printf(b, "%c%s=", *sep, name);
    url_encode(b, value);
    *sep = '&';
}

void userquery_append(struct buf *b, const struct users_query *q, bool with_order, char *sep)
{
    param(b, sep, "q", given(q->q));
    param(b, sep, "tier", given(q->tier));
    param(b, sep, "status", given(q->status));
    param(b, sep, "mfa", q->mfa < 0 ? NULL : q->mfa ? "on" : "off");
    param(b, sep, "enabled", q->enabled < 0 ? NULL : q->enabled ? "yes" : "no");
    if (!with_order)
        return;
    param(b, sep, "sort", q->sort == USERS_SORT_EMAIL ? NULL : userquery_sort_name(q->sort));
    param(b, sep, "dir", q->desc ? "desc" : NULL);
}

void userquery_cursor(struct buf *b, const char *key, const char *sub)
{
    size_t klen = strlen(key), slen = strlen(sub);
    char *k = xmalloc(SEAL_B64URL_LEN(klen) + 1), *s = xmalloc(SEAL_B64URL_LEN(slen) + 1);
    if (seal_b64url_encode(key, klen, k, SEAL_B64URL_LEN(klen) + 1) &&
        seal_b64url_encode(sub, slen, s, SEAL_B64URL_LEN(slen) + 1))
        buf_printf(b, "%s.%s", k, s);
    free(k);
    free(s);
}
