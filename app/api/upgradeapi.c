/* SPDX-License-Identifier: MIT */
/* upgradeapi: the bearer's upgrade request (see upgradeapi.h).
 *
 * The token is verified on every call (bearer_authenticate) and the
 * request is always the bearer's own: nothing in the body names a user.
 * The tier that decides whether one may ask is the users mirror's
 * (svc/upgrade), as for the page. */
#include "api/upgradeapi.h"

#include <json-c/json.h>
#include <time.h>

#include "api/api.h"
#include "api/bearer.h"
#include "core/limits.h"
#include "http/answer.h"
#include "store/tenants.h"
#include "svc/upgrade.h"


static void add_str(struct json_object *obj, const char *key, const char *value)
{
    if (value)
        json_object_object_add(obj, key, json_object_new_string(value));
}

/* The request as the API tells it (r NULL: none yet). */
static struct json_object *request_json(const struct upgrades_request *r)
{
    struct json_object *obj = json_object_new_object();
    if (!r) {
        add_str(obj, "state", "none");
        return obj;
    }
    json_object_object_add(obj, "id", json_object_new_int64(r->id));
    add_str(obj, "state", r->state);
    add_str(obj, "note", r->note);
    add_str(obj, "reason", r->reason);
    api_add_time(obj, "requested_at", r->created_at);
    api_add_time(obj, "decided_at", r->decided_at);
    return obj;
}

static enum http_status failed(struct request *req, struct response *resp,
                               enum upgrade_outcome rc)
{
    return answer_status_error(req, resp,
                               rc == UPGRADE_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                         : HTTP_INTERNAL_ERROR,
                               NULL);
}

enum http_status upgradeapi_get(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, false);
    if (status)
        return status;
    struct upgrades_request r;
    enum upgrade_outcome rc = upgrade_state(req->tenant, b.sub, req->arena, &r);
    if (rc != UPGRADE_OK && rc != UPGRADE_NONE)
        return failed(req, resp, rc);
    return answer_json(resp, HTTP_OK, request_json(rc == UPGRADE_OK ? &r : NULL));
}

enum http_status upgradeapi_ask(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct api_check chk = {0};
    static const char *const members[] = {"note"};
    if (api_body(req, &chk, true))
        api_only_members(req, &chk, members, sizeof members / sizeof *members,
                         "Only a note can be sent with the request.");
    const char *note = api_text(req, &chk, "note", false);
    if (!chk.code)
        api_invalid(&chk, "note", upgrade_check_text(note, UPGRADE_NOTE_MAX));
    if (chk.code)
        return api_refuse(req, resp, &chk);
    struct upgrades_request r;
    enum upgrade_outcome rc = upgrade_ask(req->tenant, b.sub, b.email, b.tier, note, req->arena, &r);
    switch (rc) {
    case UPGRADE_OK:
        return answer_json(resp, HTTP_CREATED, request_json(&r));
    case UPGRADE_PENDING:
        return answer_error(req, resp, HTTP_CONFLICT, "upgrade_pending",
                            "Your request for Premium is waiting for an administrator already.",
                            NULL);
    case UPGRADE_PREMIUM:
        return answer_error(req, resp, HTTP_CONFLICT, "already_premium",
                            "Your account has Premium already.", NULL);
    case UPGRADE_BAD_INPUT:
        return answer_error(req, resp, HTTP_BAD_REQUEST, "invalid_field",
                            "This note cannot be sent.", "note");
    default:
        return failed(req, resp, rc);
    }
}
