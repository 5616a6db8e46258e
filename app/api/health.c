/* SPDX-License-Identifier: MIT */
/* health: liveness and readiness (see health.h).
 *
 * Liveness touches nothing outside the worker, so it stays cheap and true
 * while the worker can answer at all. Readiness makes one real round trip
 * to each dependency with a short timeout: any HTTP answer from the Cognito
 * endpoint (even a 400 to an empty GET) proves it is reachable. A failing
 * check answers 503 with the name of what failed, never the raw error,
 * which goes to the log. */
#include "api/health.h"

#include <json-c/json.h>
#include <stdio.h>

#include "aws/awshttp.h"
#include "core/limits.h"
#include "core/log.h"
#include "http/answer.h"
#include "store/pg.h"

#define READY_COGNITO_TIMEOUT_MS 2000
#define READY_REPLY_MAX 4096
#define COGNITO_URL_MAX 256

static char cognito_url[COGNITO_URL_MAX];

void health_init_worker(const char *url)
{
    snprintf(cognito_url, sizeof(cognito_url), "%s", url);
}

enum http_status health_live(struct request *req, struct response *resp)
{
    (void)req;
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "status", json_object_new_string("ok"));
    return answer_json(resp, HTTP_OK, obj);
}

static bool cognito_reachable(char *err, size_t errlen)
{
    struct awshttp_reply reply;
    int rc = awshttp_call("GET", cognito_url, NULL, NULL, 0, READY_REPLY_MAX,
                          READY_COGNITO_TIMEOUT_MS, &reply);
    if (rc < 0)
        snprintf(err, errlen, "%s", reply.error);
    awshttp_reply_free(&reply);
    return rc == 0;
}

enum http_status health_ready(struct request *req, struct response *resp)
{
    char err[256], quoted[LOG_VALUE_MAX];
    struct json_object *checks = json_object_new_object();
    bool ok = true;

    bool db = pg_ping(err, sizeof(err));
    if (!db)
        log_event(LOG_WARN, "ready_check_failed", "id=%s check=postgresql error=%s",
                  req->request_id, log_quote(quoted, sizeof(quoted), err));
    json_object_object_add(checks, "postgresql", json_object_new_string(db ? "ok" : "down"));
    ok = ok && db;

    bool cognito = cognito_reachable(err, sizeof(err));
    if (!cognito)
        log_event(LOG_WARN, "ready_check_failed", "id=%s check=cognito error=%s",
                  req->request_id, log_quote(quoted, sizeof(quoted), err));
    json_object_object_add(checks, "cognito", json_object_new_string(cognito ? "ok" : "down"));
    ok = ok && cognito;

    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "status", json_object_new_string(ok ? "ok" : "unavailable"));
    json_object_object_add(obj, "checks", checks);
    return answer_json(resp, ok ? HTTP_OK : HTTP_SERVICE_UNAVAILABLE, obj);
}
