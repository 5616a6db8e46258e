/* SPDX-License-Identifier: MIT */
/* admin_audit: the audit log, as a page and as CSV (see admin_audit.h).
 *
 * The page is numbered (AUDIT_PER_PAGE rows, a total). The CSV holds every
 * row, newest first, read in batches by id so that rows arriving during the
 * download neither repeat nor shift it; each batch lives in a scratch arena
 * reset before the next, so a long log costs the size of the file, not of
 * every row's copies. The file is capped at CSV_ROWS_MAX rows (logged when
 * reached). Cells go through admintext_csv_cell, which quotes per RFC 4180
 * and defuses spreadsheet formulas; records end in CRLF. Times are UTC, ISO
 * 8601. */
#include "pages/admin_audit.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "store/audit.h"
#include "store/tenants.h"

#define AUDIT_PER_PAGE 50
#define PAGE_MAX 1000000L
#define CSV_BATCH 1000
#define CSV_ROWS_MAX 50000
#define CSV_HEADER                                                                       \
    "changed_at,admin_email,admin_sub,user_email,user_sub,old_tier,new_tier,request_id," \
    "client_addr,note\r\n"

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static const char *page_url(struct request *req, long page)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/admin/audit?page=%ld", req->base, page);
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

static const char *user_url(struct request *req, const char *sub)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/admin/users/", req->base);
    url_encode(&b, sub);
    const char *url = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return url;
}

/* ---- CSV ------------------------------------------------------------------------ */

static void csv_row(struct buf *out, const struct audit_change *c)
{
    char at[ADMINTEXT_DATE_MAX];
    const char *cells[] = {admintext_iso(at, c->at), c->by_email, c->by_sub,
                           c->user_email, c->user_sub, c->old_tier, c->new_tier,
                           c->request_id, c->client_addr, c->note};
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        if (i)
            buf_putc(out, ',');
        admintext_csv_cell(out, cells[i]);
    }
    buf_puts(out, "\r\n");
}

enum http_status admin_audit_csv(struct request *req, struct response *resp)
{
    struct arena scratch;
    long long before = 0, rows = 0;
    enum store_result rc = STORE_OK;
    arena_init(&scratch);
    buf_reset(&resp->body);
    buf_puts(&resp->body, CSV_HEADER);
    while (rows < CSV_ROWS_MAX) {
        struct audit_page page;
        arena_reset(&scratch);
        rc = audit_list(req->tenant->slug, before, 0, CSV_BATCH, &scratch, &page);
        if (rc != STORE_OK)
            break;
        for (int i = 0; i < page.n && rows < CSV_ROWS_MAX; i++, rows++)
            csv_row(&resp->body, &page.rows[i]);
        if (page.n < CSV_BATCH)
            break;
        before = page.rows[page.n - 1].id;
    }
    arena_free(&scratch);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    if (rows >= CSV_ROWS_MAX)
        log_event(LOG_WARN, "audit_csv_truncated", "id=%s rows=%lld", req->request_id, rows);
    admin_log(req, "audit_csv", "rows=%lld", rows);
    char disposition[128];
    snprintf(disposition, sizeof(disposition),
             "attachment; filename=\"tier-changes-%s.csv\"", req->tenant->slug);
    resp->status = HTTP_OK;
    resp_header(resp, "Content-Type", "text/csv; charset=utf-8");
    resp_header(resp, "Content-Disposition", disposition);
    resp_header(resp, "Cache-Control", "no-store");
    return HTTP_OK;
}

/* ---- the page ---------------------------------------------------------------------- */

enum http_status admin_audit_page(struct request *req, struct response *resp)
{
    const char *format = req_query(req, "format");
    if (format && !strcmp(format, "csv"))
        return admin_audit_csv(req, resp);
    struct json_object *ctx = admin_context(req, "Audit log", "audit");
    const char *text = req_query(req, "page");
    char *end = NULL;
    long page = text && *text ? strtol(text, &end, 10) : 1;
    if ((end && *end) || page < 1 || page > PAGE_MAX)
        page = 1;
    long long total = 0;
    struct audit_page rows;
    enum store_result rc = audit_count(req->tenant->slug, &total);
    if (rc == STORE_OK)
        rc = audit_list(req->tenant->slug, 0, (page - 1) * AUDIT_PER_PAGE, AUDIT_PER_PAGE,
                        req->arena, &rows);
    if (rc != STORE_OK) {
        return render_store_error(req, resp, rc);
    }
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < rows.n; i++) {
        const struct audit_change *c = &rows.rows[i];
        char at[ADMINTEXT_DATE_MAX];
        struct json_object *item = json_object_new_object();
        add_str(item, "at", admintext_date(at, c->at, true));
        add_str(item, "by", c->by_email ? c->by_email : c->by_sub);
        add_str(item, "user", c->user_email);
        add_str(item, "user_href", user_url(req, c->user_sub));
        add_str(item, "old_tier", c->old_tier ? c->old_tier : "unknown");
        add_str(item, "new_tier", c->new_tier);
        add_str(item, "request_id", c->request_id);
        add_str(item, "client_addr", c->client_addr);
        add_str(item, "note", c->note);
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "changes", list);
    json_object_object_add(ctx, "total", json_object_new_int64(total));
    long pages = (long)((total + AUDIT_PER_PAGE - 1) / AUDIT_PER_PAGE);
    struct json_object *nav = json_object_new_object();
    char label[64];
    snprintf(label, sizeof(label), "Page %ld of %ld", page, pages ? pages : 1);
    add_str(nav, "page_label", label);
    if (page > 1)
        add_str(nav, "prev_url", page_url(req, page - 1));
    if (page < pages)
        add_str(nav, "next_url", page_url(req, page + 1));
    json_object_object_add(ctx, "pages", nav);
    admin_log(req, "audit_view", "page=%ld", page);
    return render_page(req, resp, HTTP_OK, "admin_audit", ctx);
}
