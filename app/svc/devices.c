/* SPDX-License-Identifier: MIT */
/* devices: a person's own sessions and API sign-ins (see devices.h).
 *
 * Devices are named by handles the store derives from their keys, and
 * every statement names the tenant and the signed-in user too: a handle
 * from another person's page, or made up, ends nothing. Ending a device
 * revokes its refresh token at Cognito rather than signing the user out
 * globally, which would end the device asking as well. Bearer tokens of an
 * API sign-in are denied by the jti of the last access token it gave out;
 * "every other device" also puts a cut-off for all of the user's bearer
 * tokens issued so far (the browser sessions do not use them). */
#include "svc/devices.h"

#include <stdio.h>
#include <string.h>

#include "aws/cognito.h"
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "store/revoked.h"
#include "store/sessions.h"
#include "store/signins.h"
#include "store/tenants.h"
#include "svc/signin.h"
#include "svc/svc.h"
#include "svc/apisignin.h"

#define DESCRIPTION_MAX 64
#define JTI_MAX 257 /* a jti as the signins table keeps it, and its NUL */

static enum devices_outcome from_store(enum store_result r)
{
    switch (r) {
    case STORE_OK:
        return DEVICES_OK;
    case STORE_NOT_FOUND:
        return DEVICES_NOT_FOUND;
    case STORE_UNAVAILABLE:
        return DEVICES_UNAVAILABLE;
    default:
        return DEVICES_ERROR;
    }
}

/* The first listed name found in the User-Agent wins, so the order matters:
 * Edge and Opera say "Chrome" too, Chrome says "Safari", Android says
 * "Linux" and iOS "Mac OS X". */
static const struct { const char *token, *name; } browsers[] = {
    {"Edg/", "Edge"},       {"EdgiOS/", "Edge"},     {"OPR/", "Opera"},
    {"SamsungBrowser/", "Samsung Internet"},        {"Firefox/", "Firefox"},
    {"FxiOS/", "Firefox"},  {"CriOS/", "Chrome"},    {"HeadlessChrome/", "Headless Chrome"},
    {"Chrome/", "Chrome"},  {"Chromium/", "Chromium"}, {"Safari/", "Safari"},
    {"curl/", "curl"},      {"node", "Node.js"},     {"okhttp/", "an Android app"},
    {"python-requests/", "Python"},
};
static const struct { const char *token, *name; } systems[] = {
    {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
    {"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"Macintosh", "macOS"},
    {"Linux", "Linux"},
};

void devices_describe(const char *user_agent, char *out, size_t cap)
{
    const char *browser = NULL, *system = NULL;
    for (size_t i = 0; user_agent && !browser && i < sizeof browsers / sizeof *browsers; i++)
        if (strstr(user_agent, browsers[i].token))
            browser = browsers[i].name;
    for (size_t i = 0; user_agent && !system && i < sizeof systems / sizeof *systems; i++)
        if (strstr(user_agent, systems[i].token))
            system = systems[i].name;
    if (browser && system)
        snprintf(out, cap, "%s on %s", browser, system);
    else if (browser || system)
        snprintf(out, cap, "%s", browser ? browser : system);
    else
        snprintf(out, cap, "%s", user_agent && *user_agent ? "Unknown browser" : "Unknown device");
}

static const char *describe(struct arena *a, const char *user_agent)
{
    char text[DESCRIPTION_MAX];
    devices_describe(user_agent, text, sizeof text);
    return arena_strdup(a, text);
}

static struct devices_item api_item(struct arena *a, const struct signins_device *d,
                                   bool current)
{
    return (struct devices_item){.kind = DEVICES_API,
                                 .handle = d->handle,
                                 .description = describe(a, d->user_agent),
                                 .client_addr = d->client_addr,
                                 .signed_in_at = d->created_at,
                                 .last_seen_at = d->last_used_at,
                                 .remember = true,
                                 .current = current};
}

/* is_current: the API sign-in d gave out the access token jti. */
static bool is_current(const struct signins_device *d, const char *jti)
{
    return jti && d->access_jti && !strcmp(d->access_jti, jti);
}

enum devices_outcome devices_list(const struct tenant *t, const char *sub,
                                  const struct sess_session *current, const char *current_jti,
                                  struct arena *a, struct devices_item **out, size_t *n)
{
    struct sess_device *browsers_found = NULL;
    struct signins_device *apis = NULL;
    size_t nb = 0, na = 0;
    time_t now = time(NULL);
    enum store_result rc;

    *out = NULL;
    *n = 0;
    if ((rc = sess_list_user(t->id, sub, current, now, a, &browsers_found, &nb)) != STORE_OK ||
        (rc = signins_list_user(t->id, sub, now, a, &apis, &na)) != STORE_OK)
        return from_store(rc);
    struct devices_item *items = arena_alloc(a, sizeof(*items) * (nb + na + 1));
    size_t k = 0;
    /* This device first, then the others as the store ordered them. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nb; i++) {
            if (browsers_found[i].current != (pass == 0))
                continue;
            items[k++] = (struct devices_item){
                .kind = DEVICES_BROWSER,
                .handle = browsers_found[i].handle,
                .description = describe(a, browsers_found[i].user_agent),
                .client_addr = browsers_found[i].client_addr,
                .signed_in_at = browsers_found[i].created_at,
                .last_seen_at = browsers_found[i].last_seen_at,
                .remember = browsers_found[i].remember,
                .current = browsers_found[i].current};
        }
    /* The API sign-in asking, if any, goes before every other device. */
    for (size_t i = 0; i < na; i++) {
        if (!is_current(&apis[i], current_jti))
            continue;
        memmove(items + 1, items, sizeof(*items) * k);
        items[0] = api_item(a, &apis[i], true);
        k++;
    }
    for (size_t i = 0; i < na; i++)
        if (!is_current(&apis[i], current_jti))
            items[k++] = api_item(a, &apis[i], false);
    *out = items;
    *n = k;
    return DEVICES_OK;
}

/* The end_others steps shared by a browser and an API client: every
 * session but keep (NULL: every one), every API sign-in but the one named
 * keep_handle (NULL: every one), then a cut-off for every bearer token
 * issued until now (browsers hold none) taking in the current second.
 * Returns the first failure; *total gets how many ended. */
static enum devices_outcome end_all_but(const struct tenant *t, const char *sub,
                                        const struct sess_session *keep,
                                        const char *keep_handle, const char *request_id,
                                        time_t cut_off, long long *total);

/* end_browsers revokes at Cognito the refresh tokens of sessions the store
 * has just deleted. */
static void end_browsers(const struct tenant *t, const struct sess_session *gone, size_t n,
                         const char *request_id)
{
    for (size_t i = 0; i < n; i++) {
        char refresh[REFRESH_TOKEN_MAX];
        if (sess_refresh_token(&gone[i], refresh, sizeof refresh) == STORE_OK)
            signin_revoke(t, refresh, "device", request_id);
        seal_wipe(refresh, sizeof refresh);
    }
}

/* end_api ends one API sign-in: its row, its refresh token at Cognito, and
 * the last access token it gave out in the bearer denylist. */
static enum store_result end_api(const struct tenant *t, const char *sub, const char *handle,
                                 const char *request_id)
{
    char refresh[REFRESH_TOKEN_MAX], jti[JTI_MAX];
    enum store_result rc =
        signins_end_handle(t->id, sub, handle, refresh, sizeof refresh, jti, sizeof jti);
    if (rc == STORE_OK) {
        signin_revoke(t, refresh, "device", request_id);
        if (jti[0]) {
            time_t now = time(NULL);
            struct revoked_token r = {.sub = sub, .jti = jti, .iat = now,
                                      .exp = now + REVOKED_ACCESS_LIFETIME_MAX_S};
            if (revoked_sign_out(t->slug, &r, now) != STORE_OK)
                log_event(LOG_WARN, "revocation_not_recorded", "id=%s", request_id);
        }
    }
    seal_wipe(refresh, sizeof refresh);
    return rc;
}

enum devices_outcome devices_end(const struct tenant *t, const char *sub,
                                 enum devices_kind kind, const char *handle,
                                 const struct sess_session *current, const char *request_id)
{
    enum store_result rc;
    if (kind == DEVICES_API) {
        rc = end_api(t, sub, handle, request_id);
    } else {
        struct arena a;
        struct sess_session *gone = NULL;
        size_t n = 0;
        arena_init(&a);
        /* The session asking is kept out of the statement (keep): a handle
         * naming it ends nothing. */
        rc = sess_end_devices(t->id, sub, handle, current, &a, &gone, &n);
        end_browsers(t, gone, n, request_id);
        arena_free(&a);
    }
    log_event(rc == STORE_OK ? LOG_INFO : LOG_WARN, "device_signed_out",
              "id=%s tenant=%s kind=%s result=%d", request_id, t->slug,
              kind == DEVICES_API ? "api" : "browser", (int)rc);
    return from_store(rc);
}

enum devices_outcome devices_end_others(const struct tenant *t, const struct sess_session *current,
                                        const char *request_id, long long *ended)
{
    long long total = 0;
    enum devices_outcome result =
        end_all_but(t, current->sub, current, NULL, request_id, time(NULL) + 1, &total);
    log_event(LOG_INFO, "other_devices_signed_out", "id=%s tenant=%s ended=%lld", request_id,
              t->slug, total);
    if (ended)
        *ended = total;
    return result;
}

enum devices_outcome devices_end_others_of_api(const struct tenant *t, const char *sub,
                                               const char *jti, const char *request_id,
                                               struct signin *renewed, long long *ended)
{
    struct arena a;
    struct signins_device *apis = NULL;
    size_t na = 0;
    const char *keep = NULL;
    char refresh[REFRESH_TOKEN_MAX] = "";
    long long total = 0;
    /* iat counts whole seconds: the cut-off takes in the current one, and
     * the renewal waits until it is over, so the new tokens pass. */
    time_t cut_off = time(NULL) + 1;
    enum devices_outcome result;

    memset(renewed, 0, sizeof(*renewed));
    renewed->outcome = SIGNIN_REFUSED;
    arena_init(&a);
    if (signins_list_user(t->id, sub, time(NULL), &a, &apis, &na) == STORE_OK)
        for (size_t i = 0; i < na && !keep; i++)
            if (is_current(&apis[i], jti))
                keep = apis[i].handle;
    if (keep && signins_refresh_token(t->id, sub, keep, refresh, sizeof refresh) != STORE_OK)
        keep = NULL; /* it cannot be renewed: it goes with the others */
    result = end_all_but(t, sub, NULL, keep, request_id, cut_off, &total);
    if (keep) {
        svc_wait_until_second(cut_off);
        apisignin_refresh(t, refresh, renewed);
    }
    seal_wipe(refresh, sizeof refresh);
    log_event(LOG_INFO, "other_devices_signed_out", "id=%s tenant=%s ended=%lld via=api renewed=%d",
              request_id, t->slug, total, renewed->outcome == SIGNIN_TOKENS);
    if (ended)
        *ended = total;
    arena_free(&a);
    return result;
}

static enum devices_outcome end_all_but(const struct tenant *t, const char *sub,
                                        const struct sess_session *keep,
                                        const char *keep_handle, const char *request_id,
                                        time_t cut_off, long long *total)
{
    struct arena a;
    struct sess_session *gone = NULL;
    struct signins_device *apis = NULL;
    size_t nb = 0, na = 0;
    long long rest = 0;
    enum devices_outcome result = DEVICES_OK;
    enum store_result rc;

    arena_init(&a);
    rc = sess_end_devices(t->id, sub, NULL, keep, &a, &gone, &nb);
    if (rc != STORE_OK && rc != STORE_NOT_FOUND)
        result = from_store(rc);
    end_browsers(t, gone, nb, request_id);
    *total += (long long)nb;
    /* API sign-ins one by one, so each refresh token is revoked at
     * Cognito; then whatever is left (more than a page of them). */
    if (signins_list_user(t->id, sub, time(NULL), &a, &apis, &na) == STORE_OK)
        for (size_t i = 0; i < na; i++)
            if ((!keep_handle || strcmp(apis[i].handle, keep_handle)) &&
                end_api(t, sub, apis[i].handle, request_id) == STORE_OK)
                (*total)++;
    if ((rc = signins_end_user(t->id, sub, keep_handle, &rest)) != STORE_OK)
        result = from_store(rc);
    *total += rest;
    if ((rc = revoked_sign_out_user(t->slug, sub, cut_off, time(NULL))) != STORE_OK)
        result = from_store(rc);
    arena_free(&a);
    return result;
}
