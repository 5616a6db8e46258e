/* SPDX-License-Identifier: MIT */
/* s3files: the JSON routes of users' files (see s3files.h): presigned
 * upload and download URLs (made by svc/storage.h) and the list.
 *
 * Who is asking: a bearer access token when the request has an
 * Authorization header (verified as for /api/v1/me, and made the request's
 * user so the tier gate applies unchanged), else the browser session. A
 * session's JSON POST is not a form, so the dispatcher's CSRF check does
 * not run; it is done here the same way, with the token read from the
 * X-CSRF-Token header that the page's script sends. Both paths then pass
 * the premium tier gate (svc/tier.h). */
#include "api/s3files.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/bearer.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "http/csrf.h"
#include "store/files.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "svc/input.h"
#include "svc/storage.h"
#include "svc/tier.h"

#define ISO_TIME_MAX 32
#define CSRF_HEADER "HTTP_X_CSRF_TOKEN"

/* ---- who is asking ------------------------------------------------------- */

static bool csrf_ok(struct request *req)
{
    if (!csrf_origin_ok(req_env(req, "HTTP_ORIGIN"), req_env(req, "HTTP_REFERER"),
                        req_env(req, "HTTP_HOST")) ||
        !csrf_request_ok(req_env(req, CSRF_HEADER), req->session->csrf_secret,
                         SESS_CSRF_SECRET_BYTES, NULL)) {
        log_event(LOG_WARN, "csrf_refused", "id=%s route=%s", req->request_id, req->route_name);
        return false;
    }
    return true;
}

/* caller establishes a premium user for a JSON route: 0, or the status of
 * the refusal it answered. */
static int caller(struct request *req, struct response *resp, bool post)
{
    if (bearer_present(req)) {
        struct bearer b;
        int status = bearer_authenticate(req, resp, &b, true);
        if (status)
            return status;
        bearer_as_session(req, &b);
    } else if (!req->session) {
        resp_header(resp, "WWW-Authenticate", "Bearer realm=\"gatehouse\"");
        return answer_error(req, resp, HTTP_UNAUTHORIZED, "unauthorized",
                         "Log in, or send an access token: Authorization: Bearer "
                         "<access_token>.",
                         NULL);
    } else if (post && !csrf_ok(req)) {
        return answer_error(req, resp, HTTP_FORBIDDEN, "csrf_failed",
                         "This request did not come from this site's page (send the page's "
                         "X-CSRF-Token). Reload the page and try again.",
                         NULL);
    }
    if (!tier_allows(req->session->tier, TIER_PREMIUM))
        return api_tier_required(req, resp, TIER_PREMIUM);
    return 0;
}

/* ---- URLs ------------------------------------------------------------------- */

static void iso_time(time_t t, char out[ISO_TIME_MAX])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, ISO_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* reply_url answers what storage made of a URL; extra (consumed, may be
 * NULL) is the reply to add the URL to. */
static enum http_status reply_url(struct request *req, struct response *resp,
                                  enum storage_outcome outcome, const struct storage_url *url,
                                  struct json_object *extra)
{
    char expires_at[ISO_TIME_MAX];
    if (outcome != STORAGE_OK)
        json_object_put(extra);
    switch (outcome) {
    case STORAGE_OK:
        break;
    case STORAGE_FOREIGN_KEY:
        return answer_error(req, resp, HTTP_FORBIDDEN, "forbidden_key",
                            "This file is not yours to download.", "key");
    case STORAGE_INVALID_KEY:
        return answer_error(req, resp, HTTP_BAD_REQUEST, "invalid_key",
                            "This is not the key of a file.", "key");
    case STORAGE_NOT_CONFIGURED:
        return answer_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "storage_unavailable",
                            "File storage is not set up on this site.", NULL);
    case STORAGE_UNAVAILABLE:
        return answer_status_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL);
    case STORAGE_ERROR:
    default:
        return answer_status_error(req, resp, HTTP_INTERNAL_ERROR, NULL);
    }
    struct json_object *obj = extra ? extra : json_object_new_object();
    iso_time(url->expires_at, expires_at);
    json_object_object_add(obj, "url", json_object_new_string(url->url));
    json_object_object_add(obj, "method", json_object_new_string(url->method));
    json_object_object_add(obj, "key", json_object_new_string(url->key));
    json_object_object_add(obj, "expires_in", json_object_new_int64(url->expires_in));
    json_object_object_add(obj, "expires_at", json_object_new_string(expires_at));
    return answer_json(resp, HTTP_OK, obj);
}

/* ---- validation ------------------------------------------------------------- */

static bool is_token_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$&^_.+-", c));
}

/* token_end skips a non-empty RFC 6838 name; NULL when there is none. */
static const char *token_end(const char *p)
{
    const char *start = p;
    while (is_token_char((unsigned char)*p))
        p++;
    return p > start ? p : NULL;
}

/* check_content_type: "type/subtype" with optional "; name=value"
 * parameters of plain tokens. The value is signed into the upload URL and
 * sent back by the browser as a header, so nothing else is let through. */
static const char *check_content_type(const char *ct)
{
    static const char *const wrong = "Give a media type such as \"image/png\".";
    if (!ct || strlen(ct) > FILES_CONTENT_TYPE_MAX)
        return wrong;
    const char *p = token_end(ct);
    if (!p || *p != '/' || !(p = token_end(p + 1)))
        return wrong;
    while (*p) {
        while (*p == ' ')
            p++;
        if (*p++ != ';')
            return wrong;
        while (*p == ' ')
            p++;
        if (!(p = token_end(p)) || *p != '=' || !(p = token_end(p + 1)))
            return wrong;
    }
    return NULL;
}

/* ---- handlers ---------------------------------------------------------------- */

enum http_status s3files_upload_url(struct request *req, struct response *resp)
{
    int status = caller(req, resp, true);
    if (status)
        return status;
    struct api_check chk = {0};
    long long size = 0;
    api_body(req, &chk, true);
    const char *filename = api_text(req, &chk, "filename", true);
    const char *content_type = api_text(req, &chk, "content_type", true);
    api_integer(req, &chk, "size", &size);
    api_invalid(&chk, "filename", input_check_text(filename, FILES_FILENAME_MAX, true));
    api_invalid(&chk, "content_type", check_content_type(content_type));
    if (size < 0 || size > FILES_UPLOAD_MAX)
        api_invalid(&chk, "size", "A file can be at most 5 GB.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    struct storage_upload up = {.filename = filename, .content_type = content_type,
                                .size = size};
    struct storage_url url;
    enum storage_outcome outcome = storage_upload_url(req->tenant, req->session->sub, &up,
                                                      req->arena, req->request_id, &url);
    /* The PUT must carry exactly this header: it is part of the signature. */
    struct json_object *obj = json_object_new_object(), *headers = json_object_new_object();
    json_object_object_add(headers, "Content-Type", json_object_new_string(content_type));
    json_object_object_add(obj, "headers", headers);
    return reply_url(req, resp, outcome, &url, obj);
}

enum http_status s3files_download_url(struct request *req, struct response *resp)
{
    int status = caller(req, resp, false);
    if (status)
        return status;
    const char *key = req_query(req, "key");
    if (!key || !*key)
        return answer_error(req, resp, HTTP_BAD_REQUEST, "missing_field",
                         "Give the key of the file: ?key=...", "key");
    struct storage_url url;
    enum storage_outcome outcome =
        storage_download_url(req->tenant, req->session->sub, req->is_admin, key, req->arena,
                             req->request_id, &url);
    return reply_url(req, resp, outcome, &url, NULL);
}

enum http_status s3files_list(struct request *req, struct response *resp)
{
    int status = caller(req, resp, false);
    if (status)
        return status;
    struct files_file files[FILES_LIST_MAX];
    size_t n = 0;
    enum store_result rc = files_list(req->tenant->slug, req->session->sub, req->arena, files,
                                      FILES_LIST_MAX, &n);
    if (rc != STORE_OK)
        return answer_status_error(req, resp, answer_status_of(rc), NULL);
    struct json_object *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        char created[ISO_TIME_MAX];
        iso_time(files[i].created_at, created);
        struct json_object *item = json_object_new_object();
        json_object_object_add(item, "key", json_object_new_string(files[i].s3_key));
        json_object_object_add(item, "filename", json_object_new_string(files[i].filename));
        json_object_object_add(item, "content_type",
                               files[i].content_type
                                   ? json_object_new_string(files[i].content_type)
                                   : NULL);
        json_object_object_add(item, "size",
                               files[i].size_bytes >= 0 ? json_object_new_int64(files[i].size_bytes)
                                                        : NULL);
        json_object_object_add(item, "created_at", json_object_new_string(created));
        json_object_array_add(list, item);
    }
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "files", list);
    return answer_json(resp, HTTP_OK, obj);
}
