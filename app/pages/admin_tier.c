/* SPDX-License-Identifier: MIT */
/* admin_tier: POST /admin/update-tier (see admin_tier.h).
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
 * Ownership: Cognito's answers are freed before the next call; what is
 * kept of them is copied into the request's arena first. */
#include "pages/admin_tier.h"

#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "http/url.h"
#include "pages/admin.h"
#include "pages/admin_stats.h"
#include "pages/admin_user.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/audit.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/usersync.h"

#define LOG_VALUE_MAX 300
#define TIER_STANDARD "standard"
#define TIER_PREMIUM "premium"

static bool valid_tier(const char *tier)
{
    return tier && (!strcmp(tier, TIER_STANDARD) || !strcmp(tier, TIER_PREMIUM));
}

static void add_lookup_form(struct json_object *ctx, const char *username)
{
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "username", "Email address or username", "text", username, "off", true,
               NULL);
    json_object_object_add(ctx, "fields", fields);
}

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
     * write) gets their row as Cognito had it, creation time included, so
     * the change below has a row to lock and a true "before". */
    if (users_get(tenant, u->sub, req->arena, &had) == USERS_NOT_FOUND &&
        users_put(tenant, u, now) != USERS_OK)
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
    if (admin_user_name_problem(username)) {
        json_object_put(ctx);
        return render_error(req, resp, HTTP_BAD_REQUEST,
                            "Choose a user first: open their page from the list of users.",
                            false);
    }
    if (!valid_tier(tier)) {
        admin_log(req, "update_tier_refused", "reason=invalid_tier");
        return admin_user_show(req, resp, ctx, username, HTTP_BAD_REQUEST,
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
    admin_stats_changed(req->tenant->slug);
    admin_log(req, "update_tier", "user_sub=%s user=%s old=%s new=%s", u.sub,
              log_quote(quoted, sizeof(quoted), u.email), old ? old : "-", tier);
    return redirect_done(req, resp, canonical, "tier_changed");
out:
    cog_result_free(&r);
    return status;
}
