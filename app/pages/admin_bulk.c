/* SPDX-License-Identifier: MIT */
/* admin_bulk: the users CSV and the bulk tier change (see admin_bulk.h).
 *
 * The CSV is read from the mirror in keyset batches of USERS_CSV_BATCH,
 * each in a scratch arena reset before the next, as the audit CSV is, and capped at
 * USERS_CSV_ROWS_MAX rows (logged when reached). Cells go through
 * admintext_csv_cell (RFC 4180 quoting; a cell starting = + - @ tab or CR
 * gets a leading quote mark, so no spreadsheet runs it). Its first three
 * columns are the import's (email,name,tier). The filters and the order are
 * read by the list's own reader (pages/userquery), so the export holds what
 * the list shows, in its order.
 *
 * A bulk change names users by sub, which is also their Cognito username
 * (email-username pools) and is looked up in the tenant's own pool, so a
 * sub of another tenant is just "no such user". Each is one
 * tierchange_apply: its own Cognito call, mirror row, audit record and
 * sessions, exactly as a change made on the user's page. */
#include "pages/admin_bulk.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "pages/admin.h"
#include "pages/admin_stats.h"
#include "pages/admin_user.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "pages/userquery.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"
#include "svc/tier.h"
#include "svc/tierchange.h"

#define CSV_HEADER "email,name,tier,status,enabled,created_at,last_sign_in_at,sub\r\n"

/* ---- CSV export --------------------------------------------------------------- */

static void csv_row(struct buf *out, const struct users_user *u)
{
    char created[ADMINTEXT_DATE_MAX], login[ADMINTEXT_DATE_MAX];
    const char *cells[] = {
        u->email, u->name, u->tier ? u->tier : TIER_STANDARD, u->status,
        u->enabled ? "true" : "false",
        u->created_at ? admintext_iso(created, u->created_at) : NULL,
        u->last_login_at ? admintext_iso(login, u->last_login_at) : NULL, u->sub,
    };
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        if (i)
            buf_putc(out, ',');
        admintext_csv_cell(out, cells[i]);
    }
    buf_puts(out, "\r\n");
}

enum http_status admin_bulk_users_csv(struct request *req, struct response *resp)
{
    struct users_query q;
    const char *problem = userquery_read(req, &q);
    if (problem)
        return render_error(req, resp, HTTP_BAD_REQUEST, problem, false);
    struct arena scratch;
    long long rows = 0;
    enum store_result rc = STORE_OK;
    char key[USERLIST_KEY_MAX], sub[USERLIST_KEY_MAX];
    arena_init(&scratch);
    buf_reset(&resp->body);
    buf_puts(&resp->body, CSV_HEADER);
    /* The list's own order, one keyset page after another: each batch
     * starts after the last row of the one before (copied out of the
     * scratch arena before it is reset). */
    q.from_key = q.from_sub = NULL;
    q.backward = false;
    while (rows < USERS_CSV_ROWS_MAX) {
        struct users_keyset page;
        arena_reset(&scratch);
        rc = users_find(req->tenant->slug, &q, USERS_CSV_BATCH, &scratch, &page);
        if (rc != STORE_OK)
            break;
        for (int i = 0; i < page.n && rows < USERS_CSV_ROWS_MAX; i++, rows++)
            csv_row(&resp->body, &page.rows[i]);
        if (!page.more || page.n == 0)
            break;
        snprintf(key, sizeof(key), "%s", page.keys[page.n - 1]);
        snprintf(sub, sizeof(sub), "%s", page.rows[page.n - 1].sub);
        q.from_key = key;
        q.from_sub = sub;
    }
    arena_free(&scratch);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    if (rows >= USERS_CSV_ROWS_MAX)
        log_event(LOG_WARN, "users_csv_truncated", "id=%s rows=%lld", req->request_id, rows);
    admin_log(req, "users_csv", "rows=%lld", rows);
    char disposition[128];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"users-%s.csv\"",
             req->tenant->slug);
    resp->status = HTTP_OK;
    resp_header(resp, "Content-Type", "text/csv; charset=utf-8");
    resp_header(resp, "Content-Disposition", disposition);
    resp_header(resp, "Cache-Control", "no-store");
    return HTTP_OK;
}

/* ---- bulk tier change ------------------------------------------------------------ */

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

/* change_one changes sub's tier and words what came of it into row. */
static bool change_one(struct request *req, const char *sub, const char *tier,
                       struct json_object *row)
{
    struct tierchange_actor by = {.sub = req->session->sub, .email = req->session->email,
                                  .request_id = req->request_id,
                                  .client_addr = req->client_addr};
    struct tierchange change;
    const char *result = "failed", *message;
    enum tierchange_outcome rc = tierchange_apply(req->tenant, sub, tier, &by, req->arena, &change);
    switch (rc) {
    case TIERCHANGE_DONE:
        result = "changed";
        message = "Tier changed.";
        admin_log(req, "update_tier", "user_sub=%s old=%s new=%s bulk=yes", change.sub,
                  change.old_tier ? change.old_tier : "-", tier);
        break;
    case TIERCHANGE_UNCHANGED:
        result = "unchanged";
        message = "Already had this tier: nothing changed.";
        break;
    case TIERCHANGE_UNRECORDED:
        result = "changed";
        message = "Changed in Cognito; the users list and audit log follow at the next sync.";
        break;
    case TIERCHANGE_REFUSED:
        message = change.result.err == COGERR_USER_NOT_FOUND
                      ? "No such user."
                      : "Cognito refused or did not answer: not changed.";
        break;
    default:
        message = "Not changed: try again.";
        break;
    }
    add_str(row, "email", change.email);
    add_str(row, "sub", sub);
    add_str(row, "result", result);
    add_str(row, "message", message);
    cog_result_free(&change.result);
    return rc == TIERCHANGE_DONE || rc == TIERCHANGE_UNRECORDED;
}

enum http_status admin_bulk_tier(struct request *req, struct response *resp)
{
    const char *tier = req_form(req, "tier");
    const char *subs[BULK_TIER_ROWS_MAX];
    int n = 0;
    if (!tier_known(tier))
        return render_error(req, resp, HTTP_BAD_REQUEST, "Choose Standard or Premium.", false);
    for (size_t i = 0; i < req->form.count; i++) {
        const struct form_pair *p = &req->form.pairs[i];
        if (strcmp(p->name, "sub"))
            continue;
        if (admin_user_name_problem(p->value))
            return render_error(req, resp, HTTP_BAD_REQUEST, "A selected user is not valid.",
                                false);
        bool seen = false;
        for (int k = 0; k < n && !seen; k++)
            seen = !strcmp(subs[k], p->value);
        if (seen)
            continue;
        if (n == BULK_TIER_ROWS_MAX) {
            char message[64];
            snprintf(message, sizeof(message), "Select at most %d users at once.",
                     BULK_TIER_ROWS_MAX);
            return render_error(req, resp, HTTP_BAD_REQUEST, message, false);
        }
        subs[n++] = p->value;
    }
    if (!n)
        return render_error(req, resp, HTTP_BAD_REQUEST,
                            "Select the users whose tier should change first.", false);
    struct json_object *ctx = admin_context(req, "Tier change", "users");
    struct json_object *rows = json_object_new_array();
    int changed = 0;
    for (int i = 0; i < n; i++) {
        struct json_object *row = json_object_new_object();
        changed += change_one(req, subs[i], tier, row);
        json_object_array_add(rows, row);
    }
    if (changed)
        admin_stats_changed(req->tenant->slug);
    admin_log(req, "bulk_tier", "tier=%s selected=%d changed=%d", tier, n, changed);
    json_object_object_add(ctx, "rows", rows);
    add_str(ctx, "tier", tier);
    json_object_object_add(ctx, "selected", json_object_new_int(n));
    json_object_object_add(ctx, "changed", json_object_new_int(changed));
    return render_page(req, resp, HTTP_OK, "admin_bulk", ctx);
}
