/* SPDX-License-Identifier: MIT */
/* admin_user: one user's page and the tier change (see admin_user.h).
 *
 * The page reads Cognito live (the truth: status, enabled, attributes,
 * groups) and the database for what only gatehouse knows (the tier history,
 * the last sign-in). Every later call uses the username AdminGetUser
 * answered with, whatever the admin typed (an email is an alias).
 *
 * A tier change is ordered so that no outcome lies: Cognito first, since a
 * refusal there must leave nothing written; then one transaction for the
 * mirror row, its audit record and the user's sessions, so the record never
 * exists without the change or the change without its record. If that
 * transaction fails after Cognito said yes, the tier has changed (Cognito is
 * the truth, and the user's next token carries it): the failure is logged
 * with everything the audit row would have held, the admin is told, and
 * `gatehouse users sync` brings the mirror back. The old tier recorded is
 * the mirror's, read under the row lock of the update, so two admins
 * changing one user at once each record what they really replaced.
 *
 * After a change the browser is redirected (303) to the user's page with
 * ?done=<key>; the key picks a message from the table below, so the address
 * can never make the page say anything else. */
#include "pages/admin_user.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admintext.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/audit.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "store/usersync.h"

#define HISTORY_MAX 50
#define LOG_VALUE_MAX 300
#define TIER_STANDARD "standard"
#define TIER_PREMIUM "premium"

static const struct {
    const char *key, *kind, *message;
} notices[] = {
    {"tier_changed", "success", "The tier was changed. The user sees it on their next page."},
    {"tier_unchanged", "info", "The user already had that tier: nothing was changed."},
    {"tier_unrecorded", "warning",
     "The tier was changed in Cognito, but the users list and the audit log could not be "
     "written. The failure has been logged; `gatehouse users sync` brings the list up to "
     "date."},
};

static const char *check_username(const char *username)
{
    if (!username || !*username)
        return "Enter the email address or username of a user.";
    return flow_check_text(username, FLOW_EMAIL_MAX, true);
}

static bool valid_tier(const char *tier)
{
    return tier && (!strcmp(tier, TIER_STANDARD) || !strcmp(tier, TIER_PREMIUM));
}

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_lookup_form(struct json_object *ctx, const char *username)
{
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "username", "Email address or username", "text", username, "off", true,
               NULL);
    json_object_object_add(ctx, "fields", fields);
}

static void add_notice(struct request *req, struct json_object *ctx)
{
    const char *done = req->method == HTTP_POST ? NULL : req_query(req, "done");
    for (size_t i = 0; done && i < sizeof(notices) / sizeof(notices[0]); i++) {
        if (strcmp(notices[i].key, done))
            continue;
        struct json_object *n = json_object_new_object();
        add_str(n, "kind", notices[i].kind);
        add_str(n, "message", notices[i].message);
        json_object_object_add(ctx, "notice", n);
    }
}

/* ---- what the page shows ----------------------------------------------------- */

static void add_attributes(struct json_object *account, struct json_object *reply)
{
    struct json_object *attrs, *list = json_object_new_array();
    if (json_object_object_get_ex(reply, "UserAttributes", &attrs) &&
        json_object_is_type(attrs, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(attrs); i++) {
            struct json_object *a = json_object_array_get_idx(attrs, i), *name, *value;
            if (!json_object_object_get_ex(a, "Name", &name) ||
                !json_object_object_get_ex(a, "Value", &value))
                continue;
            struct json_object *item = json_object_new_object();
            add_str(item, "name", json_object_get_string(name));
            add_str(item, "value", json_object_get_string(value));
            json_object_array_add(list, item);
        }
    }
    json_object_object_add(account, "attributes", list);
}

static void add_groups(struct request *req, struct json_object *account,
                       const struct cog_client *c, const char *username)
{
    struct cog_params p = {.username = username};
    struct cog_result r;
    struct json_object *groups;
    if (cog_run(c, COG_ADMIN_LIST_GROUPS, &p, &r) < 0 ||
        !json_object_object_get_ex(r.reply, "Groups", &groups) ||
        !json_object_is_type(groups, json_type_array)) {
        log_event(LOG_WARN, "admin_groups_unread", "id=%s", req->request_id);
        json_object_object_add(account, "groups_unknown", json_object_new_boolean(1));
        cog_result_free(&r);
        return;
    }
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < json_object_array_length(groups); i++) {
        struct json_object *name;
        if (json_object_object_get_ex(json_object_array_get_idx(groups, i), "GroupName", &name))
            json_object_array_add(list, json_object_new_string(json_object_get_string(name)));
    }
    json_object_object_add(account, "groups", list);
    cog_result_free(&r);
}

static void add_history(struct request *req, struct json_object *ctx, const char *sub)
{
    struct audit_page page;
    char when[ADMINTEXT_DATE_MAX];
    if (audit_for_user(req->tenant->slug, sub, HISTORY_MAX, req->arena, &page) != AUDIT_OK) {
        json_object_object_add(ctx, "history_unavailable", json_object_new_boolean(1));
        return;
    }
    struct json_object *list = json_object_new_array();
    for (int i = 0; i < page.n; i++) {
        const struct audit_change *c = &page.rows[i];
        struct json_object *item = json_object_new_object();
        add_str(item, "at", admintext_date(when, c->at, true));
        add_str(item, "old_tier", c->old_tier ? c->old_tier : "unknown");
        add_str(item, "new_tier", c->new_tier);
        add_str(item, "by", c->by_email ? c->by_email : c->by_sub);
        add_str(item, "request_id", c->request_id);
        json_object_array_add(list, item);
    }
    json_object_object_add(ctx, "history", list);
}

static void add_mirror(struct request *req, struct json_object *account, const char *sub)
{
    struct users_user m;
    char when[ADMINTEXT_DATE_MAX];
    if (users_get(req->tenant->slug, sub, req->arena, &m) != USERS_OK) {
        json_object_object_add(account, "not_mirrored", json_object_new_boolean(1));
        return;
    }
    if (m.last_login_at)
        add_str(account, "last_login", admintext_date(when, m.last_login_at, false));
}

/* show_user answers with the page of username (ctx consumed): status when
 * Cognito knows the user, with tier_error on the tier form if not NULL. */
static int show_user(struct request *req, struct response *resp, struct json_object *ctx,
                     const char *username, int status, const char *tier_error)
{
    struct cog_client c;
    struct cog_result r;
    struct users_user u;
    const char *canonical;
    char when[ADMINTEXT_DATE_MAX];

    add_lookup_form(ctx, username);
    flow_client(req, &c);
    struct cog_params p = {.username = username};
    if (cog_run(&c, COG_ADMIN_GET_USER, &p, &r) < 0) {
        status = flow_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_user", ctx);
        goto out;
    }
    if (!usersync_user(r.reply, &u, &canonical)) {
        json_object_put(ctx);
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    struct json_object *account = json_object_new_object();
    add_str(account, "username", canonical);
    add_str(account, "sub", u.sub);
    add_str(account, "email", u.email);
    add_str(account, "name", u.name);
    add_str(account, "tier", u.tier);
    json_object_object_add(account, !strcmp(u.tier, TIER_PREMIUM) ? "is_premium" : "is_standard",
                           json_object_new_boolean(1));
    add_str(account, "status", admintext_status_label(u.status));
    json_object_object_add(account, "enabled", json_object_new_boolean(u.enabled));
    add_str(account, "created", admintext_date(when, u.created_at, false));
    add_str(account, "modified", admintext_date(when, u.updated_at, false));
    add_attributes(account, r.reply);
    add_groups(req, account, &c, canonical);
    add_mirror(req, account, u.sub);
    if (tier_error)
        add_str(account, "tier_error", tier_error);
    json_object_object_add(ctx, "account", account);
    add_history(req, ctx, u.sub);
    add_notice(req, ctx);
    status = render_page(req, resp, status, "admin_user", ctx);
out:
    cog_result_free(&r);
    return status;
}

int admin_user_page(struct request *req, struct response *resp)
{
    int status;
    struct json_object *ctx = admin_begin(req, resp, "User", "users", &status);
    if (!ctx)
        return status;
    const char *username = req->path_param;
    if (check_username(username)) {
        json_object_put(ctx);
        return render_error(req, resp, HTTP_NOT_FOUND, NULL, false);
    }
    char quoted[LOG_VALUE_MAX];
    admin_log(req, "user_info", "target=%s", log_quote(quoted, sizeof(quoted), username));
    return show_user(req, resp, ctx, username, HTTP_OK, NULL);
}

int admin_user_info(struct request *req, struct response *resp)
{
    int status;
    struct json_object *ctx = admin_begin(req, resp, "User", "users", &status);
    if (!ctx)
        return status;
    const char *username = req_form(req, "username"), *problem = check_username(username);
    if (problem) {
        add_lookup_form(ctx, NULL);
        flow_field_error(ctx, "username", problem);
        return render_page(req, resp, HTTP_BAD_REQUEST, "admin_user", ctx);
    }
    char quoted[LOG_VALUE_MAX];
    admin_log(req, "user_info", "target=%s", log_quote(quoted, sizeof(quoted), username));
    return show_user(req, resp, ctx, username, HTTP_OK, NULL);
}

/* ---- the tier change ------------------------------------------------------------ */

/* record writes the change of user u (as Cognito had it before) to tier
 * into the mirror, the audit log and u's sessions, in one transaction.
 * *old gets the tier it replaced. Returns false when nothing was written. */
static bool record(struct request *req, const struct users_user *u, const char *tier,
                   time_t now, const char **old)
{
    const char *tenant = req->tenant->slug;
    struct users_user had;
    struct pg_query q;
    *old = u->tier;
    /* A user the mirror has not seen yet (created elsewhere, a missed
     * write) gets their row as Cognito had it, so the change below has a
     * row to lock and a true "before". */
    if (users_get(tenant, u->sub, req->arena, &had) == USERS_NOT_FOUND &&
        users_upsert(tenant, u, now) != USERS_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", req->request_id);
    struct audit_change change = {
        .user_sub = u->sub, .user_email = u->email, .new_tier = tier,
        .by_sub = req->session->sub, .by_email = req->session->email,
        .request_id = req->request_id, .client_addr = req->client_addr, .at = now,
    };
    struct sess_profile profile = {.tier = tier};
    pg_query_init(&q);
    bool ok = pg_begin(&q) &&
              users_set_tier(tenant, u->sub, tier, now, req->arena, &change.old_tier) ==
                  USERS_OK &&
              audit_record(tenant, &change) == AUDIT_OK &&
              sess_update_profile(req->tenant->id, u->sub, &profile) == SESS_OK &&
              pg_commit(&q);
    if (!ok)
        pg_rollback();
    else
        *old = change.old_tier;
    pg_query_cleanup(&q);
    return ok;
}

static int redirect_done(struct request *req, struct response *resp, const char *username,
                         const char *done)
{
    struct buf path;
    buf_init(&path);
    buf_puts(&path, "/admin/users/");
    url_encode(&path, username);
    buf_printf(&path, "?done=%s", done);
    int status = flow_redirect(req, resp, buf_cstr(&path), NULL);
    buf_free(&path);
    return status;
}

int admin_update_tier(struct request *req, struct response *resp)
{
    int status;
    struct json_object *ctx = admin_begin(req, resp, "User", "users", &status);
    if (!ctx)
        return status;
    const char *username = req_form(req, "username"), *tier = req_form(req, "tier");
    if (check_username(username)) {
        json_object_put(ctx);
        return render_error(req, resp, HTTP_BAD_REQUEST,
                            "Choose a user first: open their page from the list of users.",
                            false);
    }
    if (!valid_tier(tier)) {
        admin_log(req, "update_tier_refused", "reason=invalid_tier");
        return show_user(req, resp, ctx, username, HTTP_BAD_REQUEST,
                         "Choose Standard or Premium.");
    }

    struct cog_client c;
    struct cog_result r;
    struct users_user u;
    const char *canonical, *old;
    char quoted[LOG_VALUE_MAX];
    add_lookup_form(ctx, username);
    flow_client(req, &c);
    struct cog_params get = {.username = username};
    if (cog_run(&c, COG_ADMIN_GET_USER, &get, &r) < 0) {
        status = flow_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_user", ctx);
        goto out;
    }
    if (!usersync_user(r.reply, &u, &canonical)) {
        json_object_put(ctx);
        status = render_error(req, resp, HTTP_BAD_GATEWAY, NULL, false);
        goto out;
    }
    /* Copies: the strings belong to the answer, which the next call reuses. */
    u.sub = arena_strdup(req->arena, u.sub);
    u.email = arena_strdup(req->arena, u.email);
    u.name = u.name ? arena_strdup(req->arena, u.name) : NULL;
    u.tier = arena_strdup(req->arena, u.tier);
    u.status = u.status ? arena_strdup(req->arena, u.status) : NULL;
    canonical = arena_strdup(req->arena, canonical);
    cog_result_free(&r);
    if (!strcmp(u.tier, tier)) {
        json_object_put(ctx);
        return redirect_done(req, resp, canonical, "tier_unchanged");
    }

    struct cog_attr attrs[] = {{"custom:user_tier", tier}};
    struct cog_params set = {.username = canonical, .attrs = attrs, .n_attrs = 1};
    if (cog_run(&c, COG_ADMIN_UPDATE_ATTRIBUTES, &set, &r) < 0) {
        admin_log(req, "update_tier_failed", "user_sub=%s cognito=%s", u.sub,
                  r.error ? r.error->code : "-");
        status = flow_cognito_error(req, resp, &r, COGERR_CTX_ADMIN, "admin_user", ctx);
        goto out;
    }
    cog_result_free(&r);
    json_object_put(ctx);
    time_t now = time(NULL);
    if (!record(req, &u, tier, now, &old)) {
        log_event(LOG_ERROR, "tier_change_unrecorded",
                  "id=%s tenant=%s admin_sub=%s user_sub=%s user=%s old=%s new=%s client=%s"
                  " repair=users_sync",
                  req->request_id, req->tenant->slug, req->session->sub, u.sub,
                  log_quote(quoted, sizeof(quoted), u.email), u.tier, tier, req->client_addr);
        return redirect_done(req, resp, canonical, "tier_unrecorded");
    }
    admin_statistics_changed(req->tenant->slug);
    admin_log(req, "update_tier", "user_sub=%s user=%s old=%s new=%s", u.sub,
              log_quote(quoted, sizeof(quoted), u.email), old ? old : "-", tier);
    return redirect_done(req, resp, canonical, "tier_changed");
out:
    cog_result_free(&r);
    return status;
}
