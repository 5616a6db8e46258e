/* SPDX-License-Identifier: MIT */
/* storage: presigned S3 URLs (see storage.h).
 *
 * URLs are computed locally (SigV4 query signing, aws/sigv4.h). A URL is
 * good for FILES_URL_TTL_S and for one method on one key; an upload URL
 * also binds the content type and the size, so the PUT must send exactly
 * what it declared; a download URL asks S3 to answer as an attachment, so
 * a file someone uploaded never opens as a page of the bucket's origin. Keys are made here, never taken from the client
 * (svc/filekey.h): "<tenant>/<sub>/<uuid>-<safe name>", so a download can
 * be authorised by prefix alone — the caller's own, or for an admin of the
 * tenant the tenant's.
 *
 * S3 settings: S3_BUCKET_NAME; S3_ENDPOINT for a local or compatible S3
 * (path-style: <endpoint>/<bucket>), else AWS virtual-hosted style in
 * AWS_REGION; the AWS_* credentials sign. Results of sigv4 are copied into
 * the arena and freed here. */
#include "svc/storage.h"

#include <stdio.h>
#include <string.h>

#include "aws/sigv4.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/files.h"
#include "store/tenants.h"
#include "svc/filekey.h"
#include "svc/svc.h"

#define BASE_URL_MAX 512
#define SIGV4_ERROR_MAX 256

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

/* presign signs method on key: an upload (up not NULL) bound to its
 * content type and size, a download answered as an attachment. */
static enum storage_outcome presign(const char *method, const char *key,
                                    const struct storage_upload *up, struct arena *a,
                                    const char *request_id, struct storage_url *out)
{
    const struct config *cfg = svc_config();
    char base[BASE_URL_MAX], err[SIGV4_ERROR_MAX], length[NUM_TEXT_MAX];
    struct sigv4_result r;
    time_t now = time(NULL);
    if (!base_url(cfg, base, sizeof(base))) {
        log_event(LOG_ERROR, "s3_not_configured", "id=%s", request_id);
        return STORAGE_NOT_CONFIGURED;
    }
    struct sigv4_credentials cred = {.access_key_id = cfg->aws_access_key_id,
                                     .secret_access_key = cfg->aws_secret_access_key,
                                     .session_token = cfg->aws_session_token};
    struct sigv4_presign p = {.method = method, .base_url = base, .key = key,
                              .attachment = !up, .region = cfg->aws_region,
                              .when = now, .expires = FILES_URL_TTL_S};
    if (up) {
        snprintf(length, sizeof(length), "%lld", up->size);
        p.content_type = up->content_type;
        p.content_length = length;
    }
    if (!sigv4_presign_s3(&p, &cred, &r, err, sizeof(err))) {
        char quoted[LOG_VALUE_MAX];
        log_event(LOG_ERROR, "presign_failed", "id=%s error=%s", request_id,
                  log_quote(quoted, sizeof(quoted), err));
        return STORAGE_NOT_CONFIGURED;
    }
    out->url = arena_strdup(a, r.url);
    out->key = arena_strdup(a, key);
    out->method = method;
    out->expires_in = FILES_URL_TTL_S;
    out->expires_at = now + FILES_URL_TTL_S;
    sigv4_result_free(&r);
    return STORAGE_OK;
}

enum storage_outcome storage_upload_url(const struct tenant *t, const char *sub,
                                        const struct storage_upload *up, struct arena *a,
                                        const char *request_id, struct storage_url *out)
{
    char uuid[FILEKEY_UUID_LEN + 1], key[FILEKEY_MAX + 1];
    if (!filekey_uuid(uuid) || !filekey_make(t->slug, sub, uuid, up->filename, key, sizeof(key)))
        return STORAGE_ERROR;
    /* Signed first: a site without S3 settings records no file. */
    enum storage_outcome outcome = presign("PUT", key, up, a, request_id, out);
    if (outcome != STORAGE_OK)
        return outcome;
    struct files_file f = {.owner_sub = sub, .s3_key = key, .filename = up->filename,
                           .content_type = up->content_type, .size_bytes = up->size};
    switch (files_record(t->slug, &f, time(NULL))) {
    case STORE_OK:
        break;
    case STORE_UNAVAILABLE:
        return STORAGE_UNAVAILABLE;
    default:
        return STORAGE_ERROR;
    }
    log_event(LOG_INFO, "upload_url", "id=%s tenant=%s size=%lld", request_id, t->slug,
              up->size);
    return STORAGE_OK;
}

enum storage_outcome storage_download_url(const struct tenant *t, const char *sub, bool admin,
                                          const char *key, struct arena *a,
                                          const char *request_id, struct storage_url *out)
{
    switch (filekey_check(key, t->slug, sub, admin)) {
    case FILEKEY_OK:
        break;
    case FILEKEY_FOREIGN:
        log_event(LOG_WARN, "file_key_refused", "id=%s reason=foreign", request_id);
        return STORAGE_FOREIGN_KEY;
    case FILEKEY_INVALID:
    default:
        log_event(LOG_WARN, "file_key_refused", "id=%s reason=invalid", request_id);
        return STORAGE_INVALID_KEY;
    }
    return presign("GET", key, NULL, a, request_id, out);
}
