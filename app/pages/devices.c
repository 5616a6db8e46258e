/* SPDX-License-Identifier: MIT */
/* devices: the "Your devices" page and its two forms (see devices.h).
 *
 * The list comes from svc/devices; each row's form names the device by the
 * handle the store derived for it, and svc/devices ends it only when it is
 * the signed-in person's, at this tenant, and not this very browser (which
 * signs out with the ordinary log-out button). Times are shown in UTC, with
 * a machine-readable <time> beside. */
#include "pages/devices.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "svc/activity.h"
#include "svc/devices.h"

#define TIME_TEXT_MAX 32

static void add_time(struct json_object *item, const char *key, time_t at)
{
    char text[TIME_TEXT_MAX], iso[TIME_TEXT_MAX], iso_key[TIME_TEXT_MAX];
    struct tm tm;
    if (at <= 0 || !gmtime_r(&at, &tm))
        return;
    strftime(text, sizeof text, "%d %b %Y, %H:%M UTC", &tm);
    strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(iso_key, sizeof iso_key, "%s_iso", key);
    json_object_object_add(item, key, json_object_new_string(text));
    json_object_object_add(item, iso_key, json_object_new_string(iso));
}

static struct json_object *device_item(const struct devices_item *d, size_t index)
{
    struct json_object *item = json_object_new_object();
    json_object_object_add(item, "index", json_object_new_int((int)index));
    json_object_object_add(item, "handle", json_object_new_string(d->handle));
    json_object_object_add(item, "kind", json_object_new_string(d->kind == DEVICES_API ? "api"
                                                                                       : "browser"));
    json_object_object_add(item, "is_api", json_object_new_boolean(d->kind == DEVICES_API));
    json_object_object_add(item, "description", json_object_new_string(d->description));
    if (d->client_addr)
        json_object_object_add(item, "client_addr", json_object_new_string(d->client_addr));
    add_time(item, "signed_in", d->signed_in_at);
    add_time(item, "last_seen", d->last_seen_at);
    json_object_object_add(item, "remember", json_object_new_boolean(d->remember));
    json_object_object_add(item, "current", json_object_new_boolean(d->current));
    return item;
}

enum http_status devices_page(struct request *req, struct response *resp)
{
    struct devices_item *items = NULL;
    size_t n = 0;
    enum devices_outcome rc = devices_list(req->tenant, req->session->sub, req->session, NULL,
                                           req->arena, &items, &n);
    if (rc != DEVICES_OK)
        return render_error(req, resp,
                            rc == DEVICES_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                      : HTTP_INTERNAL_ERROR,
                            NULL, false);
    struct json_object *ctx = render_context(req, "Your devices");
    struct json_object *list = json_object_new_array();
    size_t others = 0;
    for (size_t i = 0; i < n; i++) {
        json_object_array_add(list, device_item(&items[i], i));
        if (!items[i].current)
            others++;
    }
    json_object_object_add(ctx, "devices", list);
    json_object_object_add(ctx, "has_others", json_object_new_boolean(others > 0));
    return render_page(req, resp, HTTP_OK, "devices", ctx);
}

/* noted records a security event of the signed-in person (svc/activity). */
static void noted(struct request *req, const char *kind)
{
    struct activity_origin o = {.client_addr = req->client_addr, .request_id = req->request_id};
    activity_note(req->tenant, req->session->sub, kind, &o);
}

enum http_status devices_end_submit(struct request *req, struct response *resp)
{
    const char *kind = req_form(req, "kind"), *handle = req_form(req, "handle");
    if (!kind || !handle || (strcmp(kind, "browser") && strcmp(kind, "api")))
        return render_error(req, resp, HTTP_BAD_REQUEST, "That form was incomplete.", false);
    enum devices_outcome rc =
        devices_end(req->tenant, req->session->sub, strcmp(kind, "api") ? DEVICES_BROWSER
                                                                        : DEVICES_API,
                    handle, req->session, req->request_id);
    if (rc == DEVICES_UNAVAILABLE || rc == DEVICES_ERROR)
        return render_error(req, resp,
                            rc == DEVICES_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                      : HTTP_INTERNAL_ERROR,
                            NULL, false);
    if (rc == DEVICES_OK)
        noted(req, SECEVENT_SESSIONS_ENDED);
    return render_redirect(req, resp, "/account/sessions",
                           rc == DEVICES_OK ? "device_signed_out" : "device_not_found");
}

enum http_status devices_end_others_submit(struct request *req, struct response *resp)
{
    enum devices_outcome rc = devices_end_others(req->tenant, req->session, req->request_id, NULL);
    if (rc == DEVICES_UNAVAILABLE || rc == DEVICES_ERROR)
        return render_error(req, resp,
                            rc == DEVICES_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                      : HTTP_INTERNAL_ERROR,
                            NULL, false);
    noted(req, SECEVENT_SESSIONS_ENDED);
    return render_redirect(req, resp, "/account/sessions", "other_devices_signed_out");
}
