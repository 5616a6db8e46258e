/* SPDX-License-Identifier: MIT */
/* awshttp: libcurl behind a small call interface (see awshttp.h).
 *
 * Each thread keeps one easy handle in thread-local storage, created on
 * first use and reset before every call, so connections to Cognito stay
 * alive between requests (curl keeps its connection cache in the handle).
 * libcurl has no timeout by default; every call sets a connect timeout and
 * a total timeout, and CURLOPT_NOSIGNAL because worker threads must never
 * receive SIGALRM from the resolver. */
#include "aws/awshttp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"

static __thread CURL *thread_handle;

struct sink {
    struct buf *body;
    size_t max;
    int overflow;
};

int awshttp_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t on_data(char *data, size_t size, size_t count, void *ctx)
{
    struct sink *sink = ctx;
    size_t n = size * count;
    if (sink->body->len + n > sink->max) {
        sink->overflow = 1;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    buf_append(sink->body, data, n);
    return n;
}

int awshttp_call(const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, size_t max_body, long timeout_ms,
                 struct awshttp_reply *reply)
{
    struct curl_slist *list = NULL;
    struct sink sink = {.body = &reply->body, .max = max_body};
    int rc = -1;
    char curl_error[CURL_ERROR_SIZE] = "";

    reply->status = 0;
    reply->error[0] = '\0';
    buf_init(&reply->body);
    if (!thread_handle)
        thread_handle = curl_easy_init();
    if (!thread_handle) {
        snprintf(reply->error, sizeof(reply->error), "cannot create an HTTP handle");
        goto out;
    }
    CURL *h = thread_handle;
    curl_easy_reset(h);
    for (const char *const *p = headers; p && *p; p++)
        list = curl_slist_append(list, *p);
    /* curl would add "Expect: 100-continue" for larger bodies: one round trip
     * for nothing with AWS. */
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, (long)HTTP_KEPT_CONNECTIONS);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    CURLcode res = curl_easy_perform(h);
    if (sink.overflow) {
        snprintf(reply->error, sizeof(reply->error), "reply larger than %zu bytes",
                 max_body);
        goto out;
    }
    if (res != CURLE_OK) {
        snprintf(reply->error, sizeof(reply->error), "%s",
                 curl_error[0] ? curl_error : curl_easy_strerror(res));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply->status);
    rc = 0;
out:
    curl_slist_free_all(list);
    if (thread_handle) {
        /* The error buffer lives on this stack frame: unhook it. */
        curl_easy_setopt(thread_handle, CURLOPT_ERRORBUFFER, NULL);
    }
    return rc;
}

void awshttp_reply_free(struct awshttp_reply *reply)
{
    buf_free(&reply->body);
}

void awshttp_thread_cleanup(void)
{
    if (thread_handle)
        curl_easy_cleanup(thread_handle);
    thread_handle = NULL;
}
