/* SPDX-License-Identifier: MIT */
/* openapi: the API's description, served as a static document (see
 * openapi.h).
 *
 * The file is read on the first request a worker gets for it (once per
 * process, under pthread_once) and kept for the life of the worker: a
 * reload starts new workers, which read it again. It must parse as a JSON
 * object, so a broken edit answers 500 and is logged rather than served.
 * The text is owned by this module and never freed (it lives as long as the
 * process). */
#include "api/openapi.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "svc/svc.h"

#define OPENAPI_FILE "openapi.json"
#define OPENAPI_MAX (512 * 1024) /* bytes of the document */
#define PATH_MAX_LEN 1024
#define CACHE_CONTROL "public, max-age=300"

static pthread_once_t loaded = PTHREAD_ONCE_INIT;
static struct buf document; /* empty: not loadable */

static void load(void)
{
    const struct config *cfg = svc_config();
    char path[PATH_MAX_LEN], chunk[4096], quoted[LOG_VALUE_MAX];
    buf_init(&document);
    snprintf(path, sizeof(path), "%s/%s", cfg && cfg->templates_dir ? cfg->templates_dir : ".",
             OPENAPI_FILE);
    FILE *f = fopen(path, "r");
    if (!f) {
        log_event(LOG_ERROR, "openapi_unreadable", "path=%s error=%s",
                  log_quote(quoted, sizeof(quoted), path), strerror(errno));
        return;
    }
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && document.len <= OPENAPI_MAX)
        buf_append(&document, chunk, n);
    fclose(f);
    struct json_object *doc = document.len <= OPENAPI_MAX ? json_tokener_parse(buf_cstr(&document))
                                                          : NULL;
    if (!doc || !json_object_is_type(doc, json_type_object)) {
        log_event(LOG_ERROR, "openapi_invalid", "path=%s", log_quote(quoted, sizeof(quoted), path));
        buf_reset(&document);
    }
    json_object_put(doc);
}

enum http_status openapi_get(struct request *req, struct response *resp)
{
    pthread_once(&loaded, load);
    if (document.len == 0)
        return answer_error(req, resp, HTTP_INTERNAL_ERROR, "internal_error",
                         "The API description is missing on this server.", NULL);
    buf_reset(&resp->body);
    buf_append(&resp->body, document.data, document.len);
    resp_header(resp, "Content-Type", "application/json");
    resp_header(resp, "Cache-Control", CACHE_CONTROL);
    return HTTP_OK;
}
