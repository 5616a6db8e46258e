/* SPDX-License-Identifier: MIT */
/* admin_users: the list of users (see admin_users.h).
 *
 * One source: the users mirror. Cognito's ListUsers can neither count, nor
 * sort, nor filter by a custom attribute or by two things at once, and the
 * two sources the list once had disagreed on what they showed. The mirror
 * is kept current on sign-up, sign-in and admin changes, and the users
 * sync repairs what those miss; the page says when the last sync ended and
 * offers to run one ("Sync now"), so the admin knows what they look at.
 *
 * Pages are keyset pages: a link names the last (or first) row shown, and
 * the next page is read from an index starting right there, so page 10,000
 * costs what page 1 costs, and rows added or removed meanwhile neither
 * repeat nor disappear across the pages (an OFFSET would shift).
 *
 * The total of a filter without a search is summed from the mirror's
 * tallies (sql/tenant/022: a few rows, exact); with a search it is counted
 * from the trigram indexes. Either is kept per worker process for
 * USERLIST_COUNT_TTL_S, by one thread at a time, so that walking through
 * the pages of a list does not repeat it for each: a total a few seconds
 * old is still the right size. The cache is a handful of slots keyed by
 * tenant and filter, under one mutex.
 *
 * Ownership: strings put in the page context are copied by json-c; links
 * are built in buffers and copied into the request's arena. */
#include "pages/admin_users.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "pages/userquery.h"
#include "store/sessions.h"
#include "store/syncs.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/tier.h"

#define COUNT_SLOTS 32
#define COUNT_KEY_MAX 512 /* tenant and filter as a query string; longer: not cached */
#define SECONDS_PER_MINUTE 60
#define SECONDS_PER_HOUR 3600
#define SECONDS_PER_DAY 86400

/* ---- the totals, cached ------------------------------------------------------ */

struct count_slot {
    char key[COUNT_KEY_MAX];
    long long total;
    time_t counted_at; /* 0: never counted yet */
    bool counting;     /* a thread is counting it now */
};

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static struct count_slot count_slots[COUNT_SLOTS];
static unsigned count_next; /* the slot replaced next (round robin) */

/* count_slot returns key's slot, taking one (round robin) when there is
 * none; the caller holds count_lock. */
static struct count_slot *count_slot(const char *key)
{
    for (int i = 0; i < COUNT_SLOTS; i++)
        if (count_slots[i].key[0] && !strcmp(count_slots[i].key, key))
            return &count_slots[i];
    for (int tries = 0; tries < COUNT_SLOTS; tries++) {
        struct count_slot *s = &count_slots[count_next++ % COUNT_SLOTS];
        if (s->counting)
            continue; /* never take a slot from under its counter */
        memset(s, 0, sizeof(*s));
        snprintf(s->key, sizeof(s->key), "%s", key);
        return s;
    }
    return NULL;
}

/* total_of counts the users matching q's filters, or takes a count younger
 * than USERLIST_COUNT_TTL_S of the same tenant and filters. One thread
 * counts a filter at a time: the others keep the previous total meanwhile
 * (a search over a large mirror may take a while). */
static enum store_result total_of(const char *tenant, const struct users_query *q, long long *total)
{
    struct buf key;
    char sep = '?';
    time_t now = time(NULL);
    struct count_slot *slot = NULL;
    enum store_result rc;
    buf_init(&key);
    buf_printf(&key, "%s", tenant);
    userquery_append(&key, q, false, &sep);
    if (key.len < COUNT_KEY_MAX) {
        pthread_mutex_lock(&count_lock);
        slot = count_slot(buf_cstr(&key));
        if (slot && slot->counted_at &&
            (now - slot->counted_at < USERLIST_COUNT_TTL_S || slot->counting)) {
            *total = slot->total;
            pthread_mutex_unlock(&count_lock);
            rc = STORE_OK;
            goto out;
        }
        if (slot)
            slot->counting = true;
        pthread_mutex_unlock(&count_lock);
    }
    rc = users_count(tenant, q, total);
    if (slot) {
        pthread_mutex_lock(&count_lock);
        /* The slot is still key's: a counting slot is never taken. */
        if (rc == STORE_OK) {
            slot->total = *total;
            slot->counted_at = now;
        }
        slot->counting = false;
        pthread_mutex_unlock(&count_lock);
    }
out:
    buf_free(&key);
    return rc;
}

/* ---- links ------------------------------------------------------------------- */

/* list_url is the list with q's filters and order, starting after (or,
 * before is true, before) the row (key, sub); key NULL: the first page. */
static const char *list_url(struct request *req, const struct users_query *q, const char *key,
                            const char *sub, bool before)
{
    struct buf b;
    char sep = '?';
    buf_init(&b);
    buf_printf(&b, "%s/admin/users", req->base);
    userquery_append(&b, q, true, &sep);
    if (key && sub) {
        buf_printf(&b, "%c%s=", sep, before ? "before" : "after");
        userquery_cursor(&b, key, sub);
    }
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

/* user_url writes into b (emptied first) the link to a user's page;
 * back_query is the list's query already URL-encoded as the value of back=
 * ("" for none), written once per page rather than once per row. */
static const char *user_url(struct buf *b, struct request *req, const char *username,
                            const char *back_query)
{
    buf_reset(b);
    buf_puts(b, req->base);
    buf_puts(b, "/admin/users/");
    url_encode(b, username);
    if (*back_query) {
        buf_puts(b, "?back=");
        buf_puts(b, back_query);
    }
    return buf_cstr(b);
}

/* ---- the page ---------------------------------------------------------------- */

static void add_string(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, json_object_new_string(value));
}

/* put_new adds to an object made here, whose every key is a string literal
 * added once: json-c then neither copies the key nor looks for an earlier
 * one (a page has a few hundred of them, one set per row). */
static void put_new(struct json_object *o, const char *literal_key, const char *value)
{
    json_object_object_add_ex(o, literal_key, json_object_new_string(value),
                              JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
}

static void add_choice(struct json_object *list, const char *value, const char *label,
                       bool selected)
{
    struct json_object *o = json_object_new_object();
    put_new(o, "value", value);
    put_new(o, "label", label);
    if (selected)
        json_object_object_add(o, "selected", json_object_new_boolean(1));
    json_object_array_add(list, o);
}

/* add_form puts the search form's values into ctx.filter. */
static void add_form(struct json_object *ctx, const struct users_query *q)
{
    struct json_object *filter = json_object_new_object(), *list = json_object_new_array();
    if (q->q)
        add_string(filter, "q", q->q);
    for (size_t i = 0; admintext_status_at(i); i++) {
        const char *value = admintext_status_at(i);
        add_choice(list, value, admintext_status_label(value),
                   q->status && !strcmp(q->status, value));
    }
    json_object_object_add(filter, "statuses", list);
    list = json_object_new_array();
    add_choice(list, TIER_STANDARD, "Standard", q->tier && !strcmp(q->tier, TIER_STANDARD));
    add_choice(list, TIER_PREMIUM, "Premium", q->tier && !strcmp(q->tier, TIER_PREMIUM));
    json_object_object_add(filter, "tiers", list);
    list = json_object_new_array();
    add_choice(list, "on", "On", q->mfa == 1);
    add_choice(list, "off", "Off", q->mfa == 0);
    json_object_object_add(filter, "mfa", list);
    list = json_object_new_array();
    add_choice(list, "yes", "Enabled", q->enabled == 1);
    add_choice(list, "no", "Disabled", q->enabled == 0);
    json_object_object_add(filter, "enabled", list);
    list = json_object_new_array();
    for (int i = 0; i < USERS_SORTS; i++)
        add_choice(list, userquery_sort_name((enum users_sort)i),
                   userquery_sort_label((enum users_sort)i), (int)q->sort == i);
    json_object_object_add(filter, "sorts", list);
    list = json_object_new_array();
    add_choice(list, "asc", "A to Z, oldest first", !q->desc);
    add_choice(list, "desc", "Z to A, newest first", q->desc);
    json_object_object_add(filter, "dirs", list);
    json_object_object_add(ctx, "filter", filter);
}

/* ago writes how long before now t was, in words. */
static const char *ago(char *out, size_t cap, time_t t, time_t now)
{
    long d = (long)(now - t);
    if (d < SECONDS_PER_MINUTE)
        snprintf(out, cap, "just now");
    else if (d < SECONDS_PER_HOUR)
        snprintf(out, cap, "%ld minute%s ago", d / SECONDS_PER_MINUTE,
                 d / SECONDS_PER_MINUTE == 1 ? "" : "s");
    else if (d < SECONDS_PER_DAY)
        snprintf(out, cap, "%ld hour%s ago", d / SECONDS_PER_HOUR,
                 d / SECONDS_PER_HOUR == 1 ? "" : "s");
    else
        snprintf(out, cap, "%ld day%s ago", d / SECONDS_PER_DAY,
                 d / SECONDS_PER_DAY == 1 ? "" : "s");
    return out;
}

static void add_run(struct json_object *o, const struct syncs_run *r, time_t at, time_t now)
{
    char when[ADMINTEXT_DATE_MAX], words[48];
    add_string(o, "state", r->state);
    add_string(o, "at", admintext_date(when, at, false));
    add_string(o, "iso", admintext_iso(when, at));
    add_string(o, "ago", ago(words, sizeof(words), at, now));
    json_object_object_add(o, "seen", json_object_new_int64(r->seen));
    json_object_object_add(o, "added", json_object_new_int64(r->added));
    json_object_object_add(o, "changed", json_object_new_int64(r->changed));
    json_object_object_add(o, "deleted", json_object_new_int64(r->deleted));
    if (r->error[0])
        add_string(o, "error", r->error);
}

/* add_sync puts the mirror's freshness and the sync under way into
 * ctx.sync; a database that cannot tell leaves them out. */
static void add_sync(struct request *req, struct json_object *ctx)
{
    struct syncs_status st;
    time_t now = time(NULL);
    if (syncs_status(req->tenant->slug, &st) != STORE_OK)
        return;
    struct json_object *sync = json_object_new_object();
    if (st.active.id) {
        struct json_object *a = json_object_new_object();
        bool running = !strcmp(st.active.state, "running");
        add_run(a, &st.active, running ? st.active.started_at : st.active.requested_at, now);
        json_object_object_add(a, running ? "running" : "queued", json_object_new_boolean(1));
        json_object_object_add(sync, "active", a);
    }
    if (st.last.id) {
        struct json_object *l = json_object_new_object();
        add_run(l, &st.last, st.last.finished_at, now);
        json_object_object_add(l, strcmp(st.last.state, "done") ? "failed" : "done",
                               json_object_new_boolean(1));
        json_object_object_add(sync, "last", l);
    }
    const char *said = req_query(req, "sync");
    if (said && !strcmp(said, "started"))
        add_string(sync, "notice",
                   "The sync has started. It runs in the background: reload "
                   "this page to follow it.");
    else if (said && !strcmp(said, "busy"))
        add_string(sync, "notice", "A sync of this organisation is already under way.");
    json_object_object_add(ctx, "sync", sync);
}

static const char *status_words(const struct users_user *u)
{
    if (u->deleted)
        return "Deleted";
    if (!u->enabled)
        return "Disabled";
    return admintext_status_label(u->status);
}

/* The rows are rendered one at a time through partials/admin_user_row,
 * from one context whose strings are rewritten in place for each row
 * (json-c keeps a string's buffer when the new text fits): a page makes a
 * dozen json-c objects instead of a dozen per row, and frees them once. A
 * value a row lacks is "", which the template takes as absent. */
enum row_field {
    ROW_HREF, /* "" for a deleted user: their page is gone with them */
    ROW_EMAIL,
    ROW_SUB, /* the bulk change's box */
    ROW_NAME,
    ROW_TIER,
    ROW_STATUS,
    ROW_STATUS_ALSO,
    ROW_MFA,
    ROW_CREATED,
    ROW_LAST_LOGIN,
    ROW_FIELDS
};

static const char *const row_keys[ROW_FIELDS] = {
    [ROW_HREF] = "href",
    [ROW_EMAIL] = "email",
    [ROW_SUB] = "sub",
    [ROW_NAME] = "name",
    [ROW_TIER] = "tier",
    [ROW_STATUS] = "status",
    [ROW_STATUS_ALSO] = "status_also",
    [ROW_MFA] = "mfa",
    [ROW_CREATED] = "created",
    [ROW_LAST_LOGIN] = "last_login",
};

struct row_context {
    struct json_object *object;
    struct json_object *values[ROW_FIELDS]; /* owned by object */
    struct buf link;                        /* a row's href, before it is copied in */
};

static void row_context_init(struct row_context *row)
{
    row->object = json_object_new_object();
    buf_init(&row->link);
    for (int i = 0; i < ROW_FIELDS; i++) {
        row->values[i] = json_object_new_string("");
        json_object_object_add_ex(row->object, row_keys[i], row->values[i],
                                  JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_KEY_IS_CONSTANT);
    }
}

static void row_set(struct row_context *row, enum row_field f, const char *value)
{
    json_object_set_string(row->values[f], value ? value : "");
}

/* render_row appends u's row to out. -1 if the template failed. */
static int render_row(struct request *req, struct row_context *row, const struct users_user *u,
                      const char *back_query, struct buf *out)
{
    char created[ADMINTEXT_DATE_MAX], login[ADMINTEXT_DATE_MAX];
    row_set(row, ROW_HREF, u->deleted ? "" : user_url(&row->link, req, u->email, back_query));
    row_set(row, ROW_EMAIL, u->email);
    row_set(row, ROW_SUB, u->sub);
    row_set(row, ROW_NAME, u->name);
    row_set(row, ROW_TIER, u->tier ? u->tier : TIER_STANDARD);
    row_set(row, ROW_STATUS, status_words(u));
    row_set(row, ROW_STATUS_ALSO,
            !u->enabled && !u->deleted && u->status && strcmp(u->status, "CONFIRMED")
                ? admintext_status_label(u->status)
                : "");
    row_set(row, ROW_MFA, u->mfa ? "On" : "Off");
    row_set(row, ROW_CREATED, admintext_date(created, u->created_at, false));
    row_set(row, ROW_LAST_LOGIN,
            u->last_login_at ? admintext_date(login, u->last_login_at, false) : "Never");
    return render_fragment("partials/admin_user_row", row->object, out);
}

/* add_rows renders the page's rows into ctx's rows_html, the template's
 * own escaped output (see templates/admin_users.mustache). -1 if the
 * template failed. */
static int add_rows(struct request *req, struct json_object *ctx, const struct users_keyset *page,
                    const char *back_query)
{
    struct row_context row;
    struct buf html;
    int status = 0;
    row_context_init(&row);
    buf_init(&html);
    for (int i = 0; i < page->n && status == 0; i++)
        status = render_row(req, &row, &page->rows[i], back_query, &html);
    if (status == 0 && html.len)
        json_object_object_add(ctx, "rows_html",
                               json_object_new_string_len(html.data, (int)html.len));
    buf_free(&html);
    buf_free(&row.link);
    json_object_put(row.object);
    return status;
}

static void add_pages(struct request *req, struct json_object *ctx, const struct users_query *q,
                      const struct users_keyset *page)
{
    struct json_object *pages = json_object_new_object();
    bool from = q->from_key != NULL;
    /* Read forward, more means a next page; read backward, a previous one.
     * Having come from a row means there is one on the other side. */
    bool has_prev = q->backward ? page->more : from;
    bool has_next = q->backward ? true : page->more;
    if (page->n && has_prev)
        add_string(pages, "prev_url", list_url(req, q, page->keys[0], page->rows[0].sub, true));
    if (page->n && has_next)
        add_string(pages, "next_url",
                   list_url(req, q, page->keys[page->n - 1], page->rows[page->n - 1].sub, false));
    if (from)
        add_string(pages, "first_url", list_url(req, q, NULL, NULL, false));
    json_object_object_add(ctx, "pages", pages);
}

enum http_status admin_users_page(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "Users", "users");
    struct users_query q;
    struct users_keyset page;
    long long total = 0;
    const char *problem = userquery_read(req, &q);
    add_form(ctx, &q);
    add_sync(req, ctx);
    if (problem) {
        add_string(ctx, "form_error", problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "admin_users", ctx);
    }
    enum store_result rc = total_of(req->tenant->slug, &q, &total);
    if (rc == STORE_OK)
        rc = users_find(req->tenant->slug, &q, USERLIST_PER_PAGE, req->arena, &page);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    admin_log(req, "list_users", "total=%lld sort=%s%s", total, userquery_sort_name(q.sort),
              q.desc ? ":desc" : "");
    struct buf here;
    char sep = '?';
    buf_init(&here);
    userquery_append(&here, &q, true, &sep);
    /* Sync now and the CSV export keep this list's filters; a user's page
     * links back to it. */
    add_string(ctx, "list_query", buf_cstr(&here));
    struct buf back;
    buf_init(&back);
    if (here.len)
        url_encode(&back, buf_cstr(&here) + 1);
    int rendered = add_rows(req, ctx, &page, back.len ? buf_cstr(&back) : "");
    buf_free(&back);
    buf_free(&here);
    if (rendered < 0) /* logged by render_fragment, as a page's failure is */
        return render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
    json_object_object_add(ctx, "total", json_object_new_int64(total));
    if (total == 1)
        json_object_object_add(ctx, "total_one", json_object_new_boolean(1));
    add_pages(req, ctx, &q, &page);
    return render_page(req, resp, HTTP_OK, "admin_users", ctx);
}

enum http_status admin_users_sync(struct request *req, struct response *resp)
{
    long long id = 0;
    struct users_query q;
    char sep = '&';
    const char *by = req->session && req->session->email ? req->session->email : NULL;
    enum store_result rc = syncs_request(req->tenant->slug, by, req->request_id, &id);
    if (rc != STORE_OK && rc != STORE_CONFLICT)
        return render_store_error(req, resp, rc);
    admin_log(req, "users_sync", "run=%lld queued=%s", id, rc == STORE_OK ? "yes" : "busy");
    struct buf to;
    buf_init(&to);
    buf_printf(&to, "%s/admin/users?sync=%s", req->base, rc == STORE_OK ? "started" : "busy");
    /* Back to the list the button was pressed on: its filters ride on the
     * form's address, and only what userquery reads cleanly is kept. */
    if (!userquery_read(req, &q))
        userquery_append(&to, &q, true, &sep);
    resp_redirect(resp, HTTP_SEE_OTHER, buf_cstr(&to));
    buf_free(&to);
    return HTTP_SEE_OTHER;
}
