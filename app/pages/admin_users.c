/* SPDX-License-Identifier: MIT */
/* admin_users: the list of users (see admin_users.h).
 *
 * Two sources, one page. Cognito is the truth and its listing is live, so
 * it serves the plain list, the email-prefix search and the status filter
 * (one ListUsers Filter each, the search term quoted by admintext). The
 * mirror serves what Cognito cannot filter: the tier (a custom attribute)
 * and a search together with a status; the page says which source it shows.
 *
 * Cognito pages forward only: the next page is reached with the answer's
 * PaginationToken, carried in the link, and the way back is the first page
 * (or the browser's Back). An answer holding more users than the Limit
 * asked for (local emulators ignore Limit) is paged inside that answer with
 * `skip`, so no page ever shows more than USERS_PER_PAGE rows. Mirror pages
 * are numbered, with a total.
 *
 * Ownership: strings put in the page context are copied by json-c; links
 * are built in buffers freed before returning; Cognito's answer is freed
 * after the rows are copied out. */
#include "pages/admin_users.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/fields.h"
#include "pages/render.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/usersync.h"

#define USERS_PER_PAGE USERSYNC_PAGE_MAX /* 60: ListUsers' own maximum */
#define PAGE_MAX 100000L                 /* 6 million users */
#define SKIP_MAX (PAGE_MAX * USERS_PER_PAGE)
#define TOKEN_MAX 1024 /* a PaginationToken in a link (x3 encoded < REQ_QUERY_MAX) */

static bool known_status(const char *status)
{
    for (size_t i = 0; admintext_status_at(i); i++)
        if (!strcmp(admintext_status_at(i), status))
            return true;
    return false;
}

struct listing {
    const char *q, *status, *tier; /* NULL: no such filter */
    const char *token;             /* Cognito's PaginationToken, or NULL */
    long skip, page;
};

/* ---- links and filters ---------------------------------------------------- */

static void param(struct buf *b, bool *first, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    buf_printf(b, "%c%s=", *first ? '?' : '&', name);
    url_encode(b, value);
    *first = false;
}

/* list_url is the address of the list page with l's filters and the given
 * position (token NULL and skip and page 0 for the first page), in the
 * request's arena. */
static const char *list_url(struct request *req, const struct listing *l, const char *token,
                            long skip, long page)
{
    struct buf b;
    bool first = true;
    char number[24];
    buf_init(&b);
    buf_printf(&b, "%s/admin/users", req->base);
    param(&b, &first, "q", l->q);
    param(&b, &first, "status", l->status);
    param(&b, &first, "tier", l->tier);
    param(&b, &first, "token", token);
    if (skip > 0) {
        snprintf(number, sizeof(number), "%ld", skip);
        param(&b, &first, "skip", number);
    }
    if (page > 1) {
        snprintf(number, sizeof(number), "%ld", page);
        param(&b, &first, "page", number);
    }
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

static const char *user_url(struct request *req, const char *username)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/admin/users/", req->base);
    url_encode(&b, username);
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

static long number_param(struct request *req, const char *name, long min, long max, bool *ok)
{
    const char *text = req_query(req, name);
    if (!text || !*text)
        return min;
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || v < min || v > max) {
        *ok = false;
        return min;
    }
    return v;
}

static const char *given(const char *s)
{
    return s && *s ? s : NULL;
}

/* read_listing takes the filters and position from the query string. It
 * returns NULL, or what to tell the admin about a value it cannot use. */
static const char *read_listing(struct request *req, struct listing *l)
{
    bool ok = true;
    memset(l, 0, sizeof(*l));
    l->q = given(req_query(req, "q"));
    l->status = given(req_query(req, "status"));
    l->tier = given(req_query(req, "tier"));
    l->token = given(req_query(req, "token"));
    l->skip = number_param(req, "skip", 0, SKIP_MAX, &ok);
    l->page = number_param(req, "page", 1, PAGE_MAX, &ok);
    if (l->q && (input_check_text(l->q, INPUT_EMAIL_MAX, false) || strpbrk(l->q, "\t\r\n"))) {
        l->q = NULL;
        return "Search by the start of an email address (at most 254 characters, no "
               "control characters).";
    }
    if (l->status && !known_status(l->status)) {
        l->status = NULL;
        return "Choose a status from the list.";
    }
    if (l->tier && !tier_known(l->tier)) {
        l->tier = NULL;
        return "Choose a tier from the list: Standard or Premium.";
    }
    if (!ok || (l->token && strlen(l->token) > TOKEN_MAX)) {
        l->token = NULL;
        l->skip = 0;
        l->page = 1;
        return "That page of the list is no longer available; here is the first page.";
    }
    return NULL;
}

/* ---- the page -------------------------------------------------------------- */

static void add_options(struct json_object *ctx, const struct listing *l)
{
    struct json_object *filter = json_object_new_object(), *list = json_object_new_array();
    if (l->q)
        json_object_object_add(filter, "q", json_object_new_string(l->q));
    for (size_t i = 0; admintext_status_at(i); i++) {
        const char *value = admintext_status_at(i);
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "value", json_object_new_string(value));
        json_object_object_add(o, "label", json_object_new_string(admintext_status_label(value)));
        if (l->status && !strcmp(l->status, value))
            json_object_object_add(o, "selected", json_object_new_boolean(1));
        json_object_array_add(list, o);
    }
    json_object_object_add(filter, "statuses", list);
    if (l->tier)
        json_object_object_add(filter, l->tier, json_object_new_boolean(1));
    json_object_object_add(ctx, "filter", filter);
}

static void add_row(struct request *req, struct json_object *rows, const struct users_user *u,
                    const char *username)
{
    char created[ADMINTEXT_DATE_MAX];
    struct json_object *row = json_object_new_object();
    json_object_object_add(row, "href", json_object_new_string(user_url(req, username)));
    json_object_object_add(row, "email", json_object_new_string(u->email));
    json_object_object_add(row, "sub", json_object_new_string(u->sub)); /* bulk change */
    if (u->name)
        json_object_object_add(row, "name", json_object_new_string(u->name));
    json_object_object_add(row, "tier", json_object_new_string(u->tier ? u->tier : TIER_STANDARD));
    json_object_object_add(row, "status",
                           json_object_new_string(admintext_status_label(u->status)));
    if (!u->enabled)
        json_object_object_add(row, "disabled", json_object_new_boolean(1));
    json_object_object_add(row, "created",
                           json_object_new_string(admintext_date(created, u->created_at, false)));
    json_object_array_add(rows, row);
}

static void add_pages(struct json_object *ctx, const char *first, const char *prev,
                      const char *next, const char *label)
{
    struct json_object *pages = json_object_new_object();
    if (first)
        json_object_object_add(pages, "first_url", json_object_new_string(first));
    if (prev)
        json_object_object_add(pages, "prev_url", json_object_new_string(prev));
    if (next)
        json_object_object_add(pages, "next_url", json_object_new_string(next));
    json_object_object_add(pages, "page_label", json_object_new_string(label));
    json_object_object_add(ctx, "pages", pages);
}

/* from_mirror fills ctx with one numbered page of the mirror. */
static int from_mirror(struct request *req, struct response *resp, const struct listing *l,
                       struct json_object *ctx)
{
    struct users_filter f = {.email_prefix = l->q, .tier = l->tier, .status = l->status};
    struct users_page page;
    enum store_result rc = users_list(req->tenant->slug, &f, (l->page - 1) * USERS_PER_PAGE,
                                      USERS_PER_PAGE, req->arena, &page);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    struct json_object *rows = json_object_new_array();
    for (int i = 0; i < page.n; i++)
        add_row(req, rows, &page.rows[i], page.rows[i].email);
    json_object_object_add(ctx, "users", rows);
    json_object_object_add(ctx, "from_mirror", json_object_new_boolean(1));
    json_object_object_add(ctx, "total", json_object_new_int64(page.total));
    long pages = (long)((page.total + USERS_PER_PAGE - 1) / USERS_PER_PAGE);
    char label[64];
    snprintf(label, sizeof(label), "Page %ld of %ld", l->page, pages ? pages : 1);
    add_pages(ctx, NULL, l->page > 1 ? list_url(req, l, NULL, 0, l->page - 1) : NULL,
              l->page < pages ? list_url(req, l, NULL, 0, l->page + 1) : NULL, label);
    return render_page(req, resp, HTTP_OK, "admin_users", ctx);
}

/* from_cognito fills ctx with one page of ListUsers. */
static int from_cognito(struct request *req, struct response *resp, const struct listing *l,
                        struct json_object *ctx)
{
    struct cog_client c;
    struct cog_result r;
    struct buf filter;
    struct json_object *users;
    int status;
    buf_init(&filter);
    memset(&r, 0, sizeof(r));
    /* read_listing vetted both, so a refusal here would be a bug; it must
     * never turn into an unfiltered listing all the same. */
    if ((l->q && !admintext_list_filter(&filter, "email", "^=", l->q)) ||
        (!l->q && l->status &&
         !admintext_list_filter(&filter, "cognito:user_status", "=", l->status))) {
        json_object_object_add(ctx, "form_error",
                               json_object_new_string("That search cannot be used."));
        status = render_page(req, resp, HTTP_BAD_REQUEST, "admin_users", ctx);
        goto out;
    }
    svc_client(req->tenant, &c);
    if (usersync_list_page(&c, buf_cstr(&filter), l->token, USERS_PER_PAGE, &r) < 0) {
        status = fields_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_users", ctx);
        goto out;
    }
    if (!json_object_object_get_ex(r.reply, "Users", &users) ||
        !json_object_is_type(users, json_type_array)) {
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    long have = (long)json_object_array_length(users);
    long end = l->skip + USERS_PER_PAGE < have ? l->skip + USERS_PER_PAGE : have;
    struct json_object *rows = json_object_new_array();
    for (long i = l->skip; i < end; i++) {
        struct users_user u;
        const char *username;
        if (usersync_user(json_object_array_get_idx(users, (size_t)i), &u, &username))
            add_row(req, rows, &u, username);
    }
    json_object_object_add(ctx, "users", rows);
    json_object_object_add(ctx, "from_cognito", json_object_new_boolean(1));
    const char *more = cog_get(&r, "PaginationToken");
    const char *next = end < have ? list_url(req, l, l->token, end, l->page + 1)
                       : (more && *more && strlen(more) <= TOKEN_MAX)
                           ? list_url(req, l, more, 0, l->page + 1)
                           : NULL;
    char label[64];
    snprintf(label, sizeof(label), "Page %ld", l->page);
    add_pages(ctx, l->page > 1 ? list_url(req, l, NULL, 0, 1) : NULL,
              l->skip >= USERS_PER_PAGE
                  ? list_url(req, l, l->token, l->skip - USERS_PER_PAGE, l->page - 1)
                  : NULL,
              next, label);
    status = render_page(req, resp, HTTP_OK, "admin_users", ctx);
out:
    cog_result_free(&r);
    buf_free(&filter);
    return status;
}

enum http_status admin_users_page(struct request *req, struct response *resp)
{
    struct json_object *ctx = admin_context(req, "Users", "users");
    struct listing l;
    const char *problem = read_listing(req, &l);
    add_options(ctx, &l);
    if (problem) {
        json_object_object_add(ctx, "form_error", json_object_new_string(problem));
        return render_page(req, resp, HTTP_BAD_REQUEST, "admin_users", ctx);
    }
    admin_log(req, "list_users", "source=%s", l.tier || (l.q && l.status) ? "mirror" : "cognito");
    if (l.tier || (l.q && l.status))
        return from_mirror(req, resp, &l, ctx);
    return from_cognito(req, resp, &l, ctx);
}
