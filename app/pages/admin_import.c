/* SPDX-License-Identifier: MIT */
/* admin_import: the CSV import (see admin_import.h).
 *
 * The file is pasted into a text area: the request layer reads url-encoded
 * forms only (http/form), and one field holds up to IMPORT_CSV_MAX bytes.
 * The preview carries the file on, unchanged, in a hidden field; the apply
 * plans it again against Cognito, so what is applied is always what the
 * server decides now, whatever a forged form says, and a second apply of
 * the same file finds nothing left to do and says so. */
#include "pages/admin_import.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "pages/admin.h"
#include "pages/admin_stats.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/invite.h"

#define TEMPLATE "admin_import"
#define EXAMPLE "email,name,tier\r\nada@example.com,Ada Lovelace,premium\r\n"

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_count(struct json_object *obj, const char *key, int n)
{
    json_object_object_add(obj, key, json_object_new_int(n));
}

/* what_happens words a planned row for the preview. */
/* page_context is the admin page context with the import's limits, which
 * the page states. */
static struct json_object *page_context(struct request *req)
{
    struct json_object *ctx = admin_context(req, "Import users", "users");
    json_object_object_add(ctx, "rows_max", json_object_new_int(IMPORT_ROWS_MAX));
    json_object_object_add(ctx, "bytes_max", json_object_new_int(IMPORT_CSV_MAX));
    json_object_object_add(ctx, "kb_max", json_object_new_int(IMPORT_CSV_MAX / 1024));
    return ctx;
}

static const char *what_happens(const struct invite_row *r, struct arena *a)
{
    char text[128];
    switch (r->kind) {
    case INVITE_ROW_INVITE:
        return "Invite: a new user, sent a temporary password";
    case INVITE_ROW_TIER_CHANGE:
        snprintf(text, sizeof(text), "Already a user: tier change %s \xE2\x86\x92 %s",
                 r->current_tier, r->tier);
        return arena_strdup(a, text);
    case INVITE_ROW_NOTHING:
        return "Already a user with this tier: nothing to do";
    case INVITE_ROW_UNKNOWN:
        return "Cannot tell now";
    case INVITE_ROW_INVALID:
    default:
        return "Invalid";
    }
}

static const char *kind_name(enum invite_row_kind k)
{
    switch (k) {
    case INVITE_ROW_INVITE: return "invite";
    case INVITE_ROW_TIER_CHANGE: return "tier";
    case INVITE_ROW_NOTHING: return "nothing";
    case INVITE_ROW_UNKNOWN: return "unknown";
    default: return "invalid";
    }
}

static const char *result_name(enum invite_row_result r)
{
    switch (r) {
    case INVITE_RESULT_INVITED: return "invited";
    case INVITE_RESULT_TIER_CHANGED: return "tier_changed";
    case INVITE_RESULT_UNCHANGED: return "unchanged";
    case INVITE_RESULT_SKIPPED: return "skipped";
    default: return "failed";
    }
}

static struct json_object *row_object(const struct invite_row *r)
{
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "line", json_object_new_int(r->line));
    add_str(o, "email", r->email);
    add_str(o, "name", r->name && *r->name ? r->name : NULL);
    add_str(o, "tier", r->tier);
    return o;
}

enum http_status admin_import_form(struct request *req, struct response *resp)
{
    struct json_object *ctx = page_context(req);
    add_str(ctx, "example", EXAMPLE);
    json_object_object_add(ctx, "paste", json_object_new_boolean(1));
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

static enum http_status preview(struct request *req, struct response *resp,
                                struct json_object *ctx, const struct invite_plan *plan)
{
    struct json_object *rows = json_object_new_array();
    int counts[INVITE_ROW_UNKNOWN + 1] = {0};
    for (int i = 0; i < plan->n; i++) {
        const struct invite_row *r = &plan->rows[i];
        struct json_object *o = row_object(r);
        add_str(o, "kind", kind_name(r->kind));
        add_str(o, "action", what_happens(r, req->arena));
        add_str(o, "why", r->why);
        json_object_array_add(rows, o);
        counts[r->kind]++;
    }
    struct json_object *p = json_object_new_object();
    json_object_object_add(p, "rows", rows);
    add_count(p, "invites", counts[INVITE_ROW_INVITE]);
    add_count(p, "tier_changes", counts[INVITE_ROW_TIER_CHANGE]);
    add_count(p, "nothing", counts[INVITE_ROW_NOTHING]);
    add_count(p, "invalid", counts[INVITE_ROW_INVALID] + counts[INVITE_ROW_UNKNOWN]);
    if (counts[INVITE_ROW_INVITE] + counts[INVITE_ROW_TIER_CHANGE])
        json_object_object_add(p, "can_apply", json_object_new_boolean(1));
    json_object_object_add(ctx, "preview", p);
    admin_log(req, "import_preview", "rows=%d invites=%d tier_changes=%d", plan->n,
              counts[INVITE_ROW_INVITE], counts[INVITE_ROW_TIER_CHANGE]);
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

static enum http_status apply(struct request *req, struct response *resp, struct json_object *ctx,
                              const struct invite_plan *plan)
{
    struct tierchange_actor by = {.sub = req->session->sub, .email = req->session->email,
                                  .request_id = req->request_id,
                                  .client_addr = req->client_addr};
    struct json_object *rows = json_object_new_array();
    int counts[INVITE_RESULT_FAILED + 1] = {0};
    for (int i = 0; i < plan->n; i++) {
        const char *message = NULL;
        enum invite_row_result rc =
            invite_apply_row(req->tenant, &plan->rows[i], &by, req->arena, &message);
        struct json_object *o = row_object(&plan->rows[i]);
        add_str(o, "result", result_name(rc));
        add_str(o, "message", message);
        json_object_array_add(rows, o);
        counts[rc]++;
    }
    int changed = counts[INVITE_RESULT_INVITED] + counts[INVITE_RESULT_TIER_CHANGED];
    if (changed)
        admin_stats_changed(req->tenant->slug);
    struct json_object *r = json_object_new_object();
    json_object_object_add(r, "rows", rows);
    add_count(r, "invited", counts[INVITE_RESULT_INVITED]);
    add_count(r, "tier_changed", counts[INVITE_RESULT_TIER_CHANGED]);
    add_count(r, "unchanged", counts[INVITE_RESULT_UNCHANGED]);
    add_count(r, "skipped", counts[INVITE_RESULT_SKIPPED]);
    add_count(r, "failed", counts[INVITE_RESULT_FAILED]);
    if (!changed)
        json_object_object_add(r, "nothing_changed", json_object_new_boolean(1));
    json_object_object_add(ctx, "results", r);
    admin_log(req, "import_apply", "rows=%d invited=%d tier_changed=%d failed=%d", plan->n,
              counts[INVITE_RESULT_INVITED], counts[INVITE_RESULT_TIER_CHANGED],
              counts[INVITE_RESULT_FAILED]);
    return render_page(req, resp, HTTP_OK, TEMPLATE, ctx);
}

enum http_status admin_import_submit(struct request *req, struct response *resp)
{
    struct json_object *ctx = page_context(req);
    const char *csv = req_form(req, "csv"), *step = req_form(req, "step");
    bool applying = step && !strcmp(step, "apply");
    if (step && !applying && strcmp(step, "preview"))
        return render_error(req, resp, HTTP_BAD_REQUEST, "Preview the file, then apply it.",
                            false);
    add_str(ctx, "example", EXAMPLE);
    add_str(ctx, "csv", csv);
    struct invite_plan plan;
    const char *problem = invite_plan_csv(req->tenant, csv, req->arena, &plan);
    if (problem) {
        admin_log(req, "import_refused", "step=%s", applying ? "apply" : "preview");
        add_str(ctx, "form_error", problem);
        json_object_object_add(ctx, "paste", json_object_new_boolean(1));
        return render_page(req, resp, HTTP_BAD_REQUEST, TEMPLATE, ctx);
    }
    return applying ? apply(req, resp, ctx, &plan) : preview(req, resp, ctx, &plan);
}
