/* SPDX-License-Identifier: MIT */
/* admin_audit: the audit log of every admin action, as a page and as CSV
 * (see admin_audit.h).
 *
 * It reads t_<slug>.admin_actions (store/adminlog), where every action an
 * administrator takes — and each tier the users sync corrected, as the
 * system — is recorded beside the change it documents. Filters are plain
 * GET parameters so a filtered view is a link: actor (an admin's email, or
 * "system"), target (a user's email) and action (one of the names below).
 * An email is matched as the row recorded it and, when the users mirror
 * knows that person now, by their sub as well, so a user whose email
 * changed is found under either, and one deleted since under the old one;
 * both are indexed (migrations tenant/013 and 017). Unknown actions, and
 * filters too long or holding control characters, are 400.
 *
 * The page is paged by id (AUDIT_PER_PAGE rows, ?before=<id>): it stays
 * right while rows arrive, and a deep page costs what the first does; there
 * is no total, which would count the whole log. The CSV follows the same
 * filters and holds every matching row, newest first, read in batches by id
 * so that rows arriving during the download neither repeat nor shift it;
 * each batch lives in a scratch arena reset before the next, so a long log
 * costs the size of the file, not of every row's copies. The file is capped
 * at AUDIT_CSV_ROWS_MAX rows (logged when reached). Cells go through
 * admintext_csv_cell, which quotes per RFC 4180 and defuses spreadsheet
 * formulas; records end in CRLF. Times are UTC, ISO 8601. */
#include "pages/admin_audit.h"

#include <json-c/json.h>
#include <stdlib.h>
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
#include "store/adminlog.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"

#define CSV_HEADER                                                                       \
    "at,admin_email,admin_sub,user_email,user_sub,before,after,request_id,client_addr,"  \
    "detail,action\r\n"

/* The actions, in the words the filter and the table use. */
static const struct {
    const char *action, *label;
} actions[] = {
    {ADMINLOG_TIER_CHANGED, "Tier changed"},
    {ADMINLOG_UPGRADE_APPROVED, "Upgrade request approved"},
    {ADMINLOG_UPGRADE_DECLINED, "Upgrade request declined"},
    {ADMINLOG_USER_DISABLED, "User disabled"},
    {ADMINLOG_USER_ENABLED, "User enabled"},
    {ADMINLOG_PASSWORD_RESET, "Password reset"},
    {ADMINLOG_SIGNED_OUT, "Signed out everywhere"},
    {ADMINLOG_MFA_RESET, "Two-step verification reset"},
    {ADMINLOG_SIGNUP_CONFIRMED, "Sign-up confirmed"},
    {ADMINLOG_INVITATION_SENT, "Invitation sent"},
    {ADMINLOG_INVITATION_RESENT, "Invitation sent again"},
    {ADMINLOG_PROFILE_EDITED, "Profile edited"},
    {ADMINLOG_ADMIN_GRANTED, "Made an administrator"},
    {ADMINLOG_ADMIN_REVOKED, "No longer an administrator"},
    {ADMINLOG_USER_DELETED, "User deleted"},
    {ADMINLOG_USERS_SYNCED, "Users synced"},
};
#define ACTIONS (sizeof(actions) / sizeof(actions[0]))

/* The filters of one request, as typed and as searched. */
struct filters {
    const char *actor, *target, *action; /* as typed; NULL: none */
    struct adminlog_query q;
    long long before;                    /* the page: ids below it (0: newest) */
};

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static const char *label_of(const char *action)
{
    for (size_t i = 0; action && i < ACTIONS; i++)
        if (!strcmp(actions[i].action, action))
            return actions[i].label;
    return action;
}

static const char *typed(struct request *req, const char *name)
{
    const char *v = req_query(req, name);
    return v && *v ? v : NULL;
}

/* who resolves an email typed as a filter: the row's email and, when the
 * mirror knows the person now, their sub. */
static void who(struct request *req, const char *email, const char **sub, const char **mail)
{
    struct users_user u;
    *mail = email;
    *sub = NULL;
    if (users_get_by_email(req->tenant->slug, email, req->arena, &u) == STORE_OK)
        *sub = u.sub;
}

/* read_filters fills f from the query; false (with *problem) for a filter
 * that cannot be searched. */
static bool read_filters(struct request *req, struct filters *f, const char **problem)
{
    memset(f, 0, sizeof(*f));
    f->actor = typed(req, "actor");
    f->target = typed(req, "target");
    f->action = typed(req, "action");
    const char *before = typed(req, "before");
    *problem = NULL;
    if (input_check_text(f->actor, AUDIT_FILTER_MAX, false) ||
        input_check_text(f->target, AUDIT_FILTER_MAX, false)) {
        *problem = "An email to filter by is too long or contains characters that are not "
                   "allowed.";
        return false;
    }
    if (f->action && label_of(f->action) == f->action) {
        *problem = "Choose an action from the list.";
        return false;
    }
    if (before) {
        char *end = NULL;
        f->before = strtoll(before, &end, 10);
        if (*end || f->before < 1) {
            *problem = "This page address is not valid.";
            return false;
        }
    }
    if (f->actor && !strcmp(f->actor, ADMINLOG_SYSTEM_ACTOR))
        f->q.actor_sub = ADMINLOG_SYSTEM_ACTOR;
    else if (f->actor)
        who(req, f->actor, &f->q.actor_sub, &f->q.actor_email);
    if (f->target)
        who(req, f->target, &f->q.target_sub, &f->q.target_email);
    f->q.action = f->action;
    return true;
}

/* url writes the address of path with f's filters and, when before > 0,
 * that page. */
static const char *url(struct request *req, const char *path, const struct filters *f,
                       long long before)
{
    struct buf b;
    char sep = '?';
    const char *names[] = {"actor", "target", "action"};
    const char *values[] = {f->actor, f->target, f->action};
    buf_init(&b);
    buf_printf(&b, "%s%s", req->base, path);
    for (size_t i = 0; i < 3; i++) {
        if (!values[i])
            continue;
        buf_printf(&b, "%c%s=", sep, names[i]);
        url_encode(&b, values[i]);
        sep = '&';
    }
    if (before > 0)
        buf_printf(&b, "%cbefore=%lld", sep, before);
    const char *out = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

static const char *user_url(struct request *req, const char *sub)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "%s/admin/users/", req->base);
    url_encode(&b, sub);
    const char *out = arena_strdup(req->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* ---- CSV ------------------------------------------------------------------------ */

static void csv_row(struct buf *out, const struct adminlog_entry *e)
{
    char at[ADMINTEXT_DATE_MAX];
    const char *cells[] = {admintext_iso(at, e->at), e->actor_email,   e->actor_sub,
                           e->target_email,          e->target_sub,    e->before_value,
                           e->after_value,           e->request_id,    e->client_addr,
                           e->detail,                e->action};
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        if (i)
            buf_putc(out, ',');
        admintext_csv_cell(out, cells[i]);
    }
    buf_puts(out, "\r\n");
}

enum http_status admin_audit_csv(struct request *req, struct response *resp)
{
    struct filters f;
    const char *problem;
    if (!read_filters(req, &f, &problem))
        return render_error(req, resp, HTTP_BAD_REQUEST, problem, false);
    struct arena scratch;
    long long before = f.before, rows = 0;
    enum store_result rc = STORE_OK;
    arena_init(&scratch);
    buf_reset(&resp->body);
    buf_puts(&resp->body, CSV_HEADER);
    while (rows < AUDIT_CSV_ROWS_MAX) {
        struct adminlog_page page;
        arena_reset(&scratch);
        rc = adminlog_search(req->tenant->slug, &f.q, before, AUDIT_CSV_BATCH, &scratch, &page);
        if (rc != STORE_OK)
            break;
        for (int i = 0; i < page.n && rows < AUDIT_CSV_ROWS_MAX; i++, rows++)
            csv_row(&resp->body, &page.rows[i]);
        if (page.n < AUDIT_CSV_BATCH)
            break;
        before = page.rows[page.n - 1].id;
    }
    arena_free(&scratch);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    if (rows >= AUDIT_CSV_ROWS_MAX)
        log_event(LOG_WARN, "audit_csv_truncated", "id=%s rows=%lld", req->request_id, rows);
    admin_log(req, "audit_csv", "rows=%lld filtered=%s", rows,
              f.actor || f.target || f.action ? "yes" : "no");
    char disposition[128];
    snprintf(disposition, sizeof(disposition),
             "attachment; filename=\"admin-actions-%s.csv\"", req->tenant->slug);
    resp->status = HTTP_OK;
    resp_header(resp, "Content-Type", "text/csv; charset=utf-8");
    resp_header(resp, "Content-Disposition", disposition);
    resp_header(resp, "Cache-Control", "no-store");
    return HTTP_OK;
}

/* ---- the page ---------------------------------------------------------------------- */

/* The filter form: the values typed, and the actions to choose from. */
static void add_form(struct json_object *ctx, const struct filters *f)
{
    struct json_object *form = json_object_new_object();
    add_str(form, "actor", f->actor);
    add_str(form, "target", f->target);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < ACTIONS; i++) {
        struct json_object *o = json_object_new_object();
        add_str(o, "value", actions[i].action);
        add_str(o, "label", actions[i].label);
        if (f->action && !strcmp(f->action, actions[i].action))
            json_object_object_add(o, "selected", json_object_new_boolean(1));
        json_object_array_add(list, o);
    }
    json_object_object_add(form, "actions", list);
    if (f->actor || f->target || f->action)
        json_object_object_add(form, "filtered", json_object_new_boolean(1));
    json_object_object_add(ctx, "filter", form);
}

static struct json_object *row_json(struct request *req, const struct adminlog_entry *e)
{
    char at[ADMINTEXT_DATE_MAX];
    struct json_object *item = json_object_new_object();
    bool system = !strcmp(e->actor_sub, ADMINLOG_SYSTEM_ACTOR);
    add_str(item, "at", admintext_date(at, e->at, true));
    add_str(item, "by", system ? "System (users sync)" : e->actor_email ? e->actor_email
                                                                         : e->actor_sub);
    add_str(item, "user", e->target_email ? e->target_email : e->target_sub);
    if (e->target_sub)
        add_str(item, "user_href", user_url(req, e->target_sub));
    /* A tier change recorded before the tier was known says so. */
    add_str(item, "before",
            e->before_value ? e->before_value
                            : !strcmp(e->action, ADMINLOG_TIER_CHANGED) ? "unknown" : NULL);
    add_str(item, "after", e->after_value);
    add_str(item, "action", label_of(e->action));
    add_str(item, "request_id", e->request_id);
    add_str(item, "client_addr", e->client_addr);
    add_str(item, "detail", e->detail);
    return item;
}

enum http_status admin_audit_page(struct request *req, struct response *resp)
{
    const char *format = req_query(req, "format");
    if (format && !strcmp(format, "csv"))
        return admin_audit_csv(req, resp);
    struct filters f;
    const char *problem;
    struct json_object *ctx = admin_context(req, "Audit log", "audit");
    if (!read_filters(req, &f, &problem))
        return render_error(req, resp, HTTP_BAD_REQUEST, problem, false);
    struct adminlog_page rows;
    enum store_result rc = adminlog_search(req->tenant->slug, &f.q, f.before,
                                           AUDIT_PER_PAGE + 1, req->arena, &rows);
    if (rc != STORE_OK)
        return render_store_error(req, resp, rc);
    bool more = rows.n > AUDIT_PER_PAGE;
    int n = more ? AUDIT_PER_PAGE : rows.n;
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < n; i++)
        json_object_array_add(list, row_json(req, &rows.rows[i]));
    json_object_object_add(ctx, "changes", list);
    add_form(ctx, &f);
    add_str(ctx, "csv_url", url(req, "/admin/audit.csv", &f, 0));
    add_str(ctx, "clear_url", url(req, "/admin/audit", &(struct filters){0}, 0));
    struct json_object *nav = json_object_new_object();
    add_str(nav, "page_label", f.before ? "Older actions" : "Newest first");
    if (f.before)
        add_str(nav, "prev_url", url(req, "/admin/audit", &f, 0));
    if (more)
        add_str(nav, "next_url", url(req, "/admin/audit", &f, rows.rows[n - 1].id));
    json_object_object_add(ctx, "pages", nav);
    admin_log(req, "audit_view", "before=%lld filtered=%s", f.before,
              f.actor || f.target || f.action ? "yes" : "no");
    return render_page(req, resp, HTTP_OK, "admin_audit", ctx);
}
