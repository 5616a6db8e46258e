/* SPDX-License-Identifier: MIT */
/* upsell: the upgrade page and the upgrade request (see upsell.h).
 *
 * The page shows what Premium adds and, to a standard user, the form that
 * asks an administrator for it, or the state of the last request: pending,
 * or declined with the administrator's reason (the user may ask again). The
 * request itself, its one-pending rule and the premium refusal are
 * svc/upgrade's. Page contexts belong to the request. */
#include "pages/upsell.h"

#include <json-c/json.h>
#include <string.h>

#include "core/limits.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "svc/tier.h"
#include "svc/upgrade.h"

static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

static void add_flag(struct json_object *obj, const char *key)
{
    json_object_object_add(obj, key, json_object_new_boolean(1));
}

void upsell_add_request(struct request *req, struct json_object *ctx)
{
    struct upgrades_request r;
    char at[ADMINTEXT_DATE_MAX];
    if (!req->session || upgrade_state(req->tenant, req->session->sub, req->arena, &r) !=
                             UPGRADE_OK)
        return;
    struct json_object *u = json_object_new_object();
    add_flag(u, r.state);
    add_str(u, "state", r.state);
    add_str(u, "note", r.note);
    add_str(u, "reason", r.reason);
    add_str(u, "asked_at", admintext_date(at, r.created_at, false));
    if (r.decided_at)
        add_str(u, "decided_at", admintext_date(at, r.decided_at, false));
    json_object_object_add(ctx, "upgrade", u);
}

/* context: the page for the signed-in user, with their last request and,
 * unless they have Premium or a pending request, the form (note kept). */
static struct json_object *context(struct request *req, const char *tier, const char *note)
{
    struct json_object *ctx = render_context(req, "Upgrade to Premium");
    json_object_object_add(ctx, "required_tier", json_object_new_string(tier));
    upsell_add_request(req, ctx);
    struct json_object *u = NULL;
    json_object_object_get_ex(ctx, "upgrade", &u);
    const char *mine = req->session ? req->session->tier : NULL;
    bool premium = mine && !strcmp(mine, TIER_PREMIUM);
    bool pending = u && json_object_object_get_ex(u, UPGRADES_PENDING, NULL);
    if (premium)
        add_flag(ctx, "has_premium");
    else if (!pending && req->session)
        add_flag(ctx, "can_ask");
    add_str(ctx, "note", note);
    json_object_object_add(ctx, "note_max", json_object_new_int(UPGRADE_NOTE_MAX));
    return ctx;
}

enum http_status upsell_page(struct request *req, struct response *resp, const char *tier)
{
    return render_page(req, resp, HTTP_FORBIDDEN, "upsell", context(req, tier, NULL));
}

enum http_status upsell_request_page(struct request *req, struct response *resp)
{
    return render_page(req, resp, HTTP_OK, "upsell", context(req, TIER_PREMIUM, NULL));
}

enum http_status upsell_request_submit(struct request *req, struct response *resp)
{
    const char *note = req_form(req, "note");
    struct upgrades_request r;
    struct json_object *ctx;
    enum http_status status;
    const char *problem = upgrade_check_text(note, UPGRADE_NOTE_MAX);
    if (problem) {
        ctx = context(req, TIER_PREMIUM, note);
        json_object_object_add(ctx, "note_error", json_object_new_string(problem));
        return render_page(req, resp, HTTP_BAD_REQUEST, "upsell", ctx);
    }
    switch (upgrade_ask(req->tenant, req->session->sub, req->session->email,
                        req->session->tier, note, req->arena, &r)) {
    case UPGRADE_OK:
        return render_redirect(req, resp, "/account/upgrade", "upgrade_requested");
    case UPGRADE_PENDING:
        status = HTTP_CONFLICT;
        problem = "You have already asked for Premium: your request is waiting for an "
                  "administrator.";
        break;
    case UPGRADE_PREMIUM:
        status = HTTP_CONFLICT;
        problem = "Your account has Premium already.";
        break;
    case UPGRADE_BAD_INPUT:
        status = HTTP_BAD_REQUEST;
        problem = "This note cannot be sent.";
        break;
    case UPGRADE_UNAVAILABLE:
        return render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
    default:
        return render_error(req, resp, HTTP_INTERNAL_ERROR, NULL, false);
    }
    ctx = context(req, TIER_PREMIUM, NULL);
    json_object_object_add(ctx, "form_error", json_object_new_string(problem));
    return render_page(req, resp, status, "upsell", ctx);
}
