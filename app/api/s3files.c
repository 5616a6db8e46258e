/* SPDX-License-Identifier: MIT */
/* s3files: presigned S3 URLs for users' files (see s3files.h).
 *
 * URLs are computed locally (SigV4 query signing, aws/sigv4.h): no S3 call
 * is made, so handing one out costs a signature and, for an upload, one
 * row. A URL is good for FILES_URL_TTL_S and for one method on one key; an
 * upload URL also binds the content type, so the PUT must send exactly the
 * type it declared. Keys are made here, never taken from the client
 * (api/filekey.h): "<tenant>/<sub>/<uuid>-<safe name>", so a download can
 * be authorised by prefix alone — the caller's own, or for an admin of the
 * tenant (a member of ADMIN_GROUP) the tenant's.
 *
 * Who is asking: a bearer access token when the request has an
 * Authorization header (verified as for /api/v1/me, and made the request's
 * user so the tier gate applies unchanged), else the browser session. A
 * session's JSON POST is not a form, so the dispatcher's CSRF check does
 * not run; it is done here the same way, with the token read from the
 * X-CSRF-Token header that the page's script sends. Both paths then pass
 * the premium tier gate (pages/tiergate.h).
 *
 * S3 settings: S3_BUCKET_NAME; S3_ENDPOINT for a local or compatible S3
 * (path-style: <endpoint>/<bucket>), else AWS virtual-hosted style in
 * AWS_REGION; the AWS_* credentials sign. Results of sigv4 are freed here. */
#include "api/s3files.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/bearer.h"
#include "svc/filekey.h"
#include "aws/sigv4.h"
#include "core/config.h"
#include "core/log.h"
#include "http/csrf.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "pages/tiergate.h"
#include "store/files.h"
#include "store/sessions.h"
#include "store/tenants.h"

#define FILES_URL_TTL_S (15 * 60)                       /* presigned URLs live this long */
#define FILES_UPLOAD_MAX (5LL * 1024 * 1024 * 1024)     /* S3's limit for one PUT */
#define FILES_FILENAME_MAX 255                          /* bytes of the name a user gives */
#define FILES_CONTENT_TYPE_MAX 127                      /* RFC 6838 name lengths */
#define BASE_URL_MAX 512
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
        return api_error(req, resp, HTTP_UNAUTHORIZED, "unauthorized",
                         "Log in, or send an access token: Authorization: Bearer "
                         "<access_token>.",
                         NULL);
    } else if (post && !csrf_ok(req)) {
        return api_error(req, resp, HTTP_FORBIDDEN, "csrf_failed",
                         "This request did not come from this site's page (send the page's "
                         "X-CSRF-Token). Reload the page and try again.",
                         NULL);
    }
    if (!tiergate_allows(req, TIER_PREMIUM))
        return tiergate_refuse(req, resp, TIER_PREMIUM, true);
    return 0;
}

/* ---- URLs ------------------------------------------------------------------- */

static void iso_time(time_t t, char out[ISO_TIME_MAX])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, ISO_TIME_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* base_url writes the bucket's URL; false when S3 is not configured. */
static bool base_url(const struct config *cfg, char *out, size_t outlen)
{
    int n;
    if (!cfg->s3_bucket || !*cfg->s3_bucket || !cfg->aws_access_key_id ||
        !cfg->aws_secret_access_key)
        return false;
    if (cfg->s3_endpoint && *cfg->s3_endpoint) {
        size_t len = strlen(cfg->s3_endpoint);
        while (len > 0 && cfg->s3_endpoint[len - 1] == '/')
            len--;
        n = snprintf(out, outlen, "%.*s/%s", (int)len, cfg->s3_endpoint, cfg->s3_bucket);
    } else {
        n = snprintf(out, outlen, "https://%s.s3.%s.amazonaws.com", cfg->s3_bucket,
                     cfg->aws_region);
    }
    return n > 0 && (size_t)n < outlen;
}

/* reply_url presigns method on key (content_type bound when not NULL) and
 * answers it; extra (consumed, may be NULL) is the reply to add it to. */
static int reply_url(struct request *req, struct response *resp, const char *method,
                     const char *key, const char *content_type, struct json_object *extra)
{
    const struct config *cfg = api_config();
    char base[BASE_URL_MAX], err[256], expires_at[ISO_TIME_MAX];
    struct sigv4_result r;
    time_t now = time(NULL);
    struct json_object *obj = extra ? extra : json_object_new_object();
    if (!base_url(cfg, base, sizeof(base))) {
        json_object_put(obj);
        log_event(LOG_ERROR, "s3_not_configured", "id=%s", req->request_id);
        return api_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "storage_unavailable",
                         "File storage is not set up on this site.", NULL);
    }
    struct sigv4_credentials cred = {.access_key_id = cfg->aws_access_key_id,
                                     .secret_access_key = cfg->aws_secret_access_key,
                                     .session_token = cfg->aws_session_token};
    struct sigv4_presign p = {.method = method, .base_url = base, .key = key,
                              .content_type = content_type, .region = cfg->aws_region,
                              .when = now, .expires = FILES_URL_TTL_S};
    if (!sigv4_presign_s3(&p, &cred, &r, err, sizeof(err))) {
        json_object_put(obj);
        char quoted[300];
        log_event(LOG_ERROR, "presign_failed", "id=%s error=%s", req->request_id,
                  log_quote(quoted, sizeof(quoted), err));
        return api_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "storage_unavailable",
                         "File storage is not set up correctly on this site.", NULL);
    }
    iso_time(now + FILES_URL_TTL_S, expires_at);
    json_object_object_add(obj, "url", json_object_new_string(r.url));
    json_object_object_add(obj, "method", json_object_new_string(method));
    json_object_object_add(obj, "key", json_object_new_string(key));
    json_object_object_add(obj, "expires_in", json_object_new_int(FILES_URL_TTL_S));
    json_object_object_add(obj, "expires_at", json_object_new_string(expires_at));
    sigv4_result_free(&r);
    return api_reply(resp, HTTP_OK, obj);
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

int s3files_page(struct request *req, struct response *resp)
{
    if (!tiergate_allows(req, TIER_PREMIUM))
        return tiergate_refuse(req, resp, TIER_PREMIUM, false);
    struct json_object *ctx = render_context(req, "Your files");
    json_object_object_add(ctx, "url_minutes", json_object_new_int(FILES_URL_TTL_S / 60));
    return render_page(req, resp, HTTP_OK, "files", ctx);
}

int s3files_upload_url(struct request *req, struct response *resp)
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
    api_invalid(&chk, "filename", flow_check_text(filename, FILES_FILENAME_MAX, true));
    api_invalid(&chk, "content_type", check_content_type(content_type));
    if (size < 0 || size > FILES_UPLOAD_MAX)
        api_invalid(&chk, "size", "A file can be at most 5 GB.");
    if (chk.code)
        return api_refuse(req, resp, &chk);

    char uuid[FILEKEY_UUID_LEN + 1], key[FILEKEY_MAX + 1];
    if (!filekey_uuid(uuid) || !filekey_make(req->tenant->slug, req->session->sub, uuid,
                                             filename, key, sizeof(key)))
        return api_error(req, resp, HTTP_INTERNAL_ERROR, "internal_error",
                         "Something went wrong on our side. Please try again.", NULL);
    struct files_file f = {.owner_sub = req->session->sub, .s3_key = key, .filename = filename,
                           .content_type = content_type, .size_bytes = size};
    switch (files_record(req->tenant->slug, &f, time(NULL))) {
    case FILES_OK:
        break;
    case FILES_UNAVAILABLE:
        return api_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
                         "The service is briefly unavailable. Please try again shortly.", NULL);
    case FILES_EXISTS:
    case FILES_ERROR:
    default:
        return api_error(req, resp, HTTP_INTERNAL_ERROR, "internal_error",
                         "Something went wrong on our side. Please try again.", NULL);
    }
    log_event(LOG_INFO, "upload_url", "id=%s tenant=%s size=%lld", req->request_id,
              req->tenant->slug, size);
    /* The PUT must carry exactly this header: it is part of the signature. */
    struct json_object *obj = json_object_new_object(), *headers = json_object_new_object();
    json_object_object_add(headers, "Content-Type", json_object_new_string(content_type));
    json_object_object_add(obj, "headers", headers);
    return reply_url(req, resp, "PUT", key, content_type, obj);
}

int s3files_download_url(struct request *req, struct response *resp)
{
    int status = caller(req, resp, false);
    if (status)
        return status;
    const char *key = req_query(req, "key");
    if (!key || !*key)
        return api_error(req, resp, HTTP_BAD_REQUEST, "missing_field",
                         "Give the key of the file: ?key=...", "key");
    bool admin = sess_in_group(req->session, api_config()->admin_group);
    switch (filekey_check(key, req->tenant->slug, req->session->sub, admin)) {
    case FILEKEY_OK:
        break;
    case FILEKEY_FOREIGN:
        log_event(LOG_WARN, "file_key_refused", "id=%s reason=foreign", req->request_id);
        return api_error(req, resp, HTTP_FORBIDDEN, "forbidden_key",
                         "This file is not yours to download.", "key");
    case FILEKEY_INVALID:
    default:
        log_event(LOG_WARN, "file_key_refused", "id=%s reason=invalid", req->request_id);
        return api_error(req, resp, HTTP_BAD_REQUEST, "invalid_key",
                         "This is not the key of a file.", "key");
    }
    return reply_url(req, resp, "GET", key, NULL, NULL);
}

int s3files_list(struct request *req, struct response *resp)
{
    int status = caller(req, resp, false);
    if (status)
        return status;
    struct files_file files[FILES_LIST_MAX];
    size_t n = 0;
    switch (files_list(req->tenant->slug, req->session->sub, req->arena, files, FILES_LIST_MAX,
                       &n)) {
    case FILES_OK:
        break;
    case FILES_UNAVAILABLE:
        return api_error(req, resp, HTTP_SERVICE_UNAVAILABLE, "service_unavailable",
                         "The service is briefly unavailable. Please try again shortly.", NULL);
    case FILES_EXISTS:
    case FILES_ERROR:
    default:
        return api_error(req, resp, HTTP_INTERNAL_ERROR, "internal_error",
                         "Something went wrong on our side. Please try again.", NULL);
    }
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
    return api_reply(resp, HTTP_OK, obj);
}
