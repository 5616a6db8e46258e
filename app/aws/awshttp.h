/* SPDX-License-Identifier: MIT */
/* awshttp: HTTPS calls to AWS endpoints over one reused libcurl handle per
 * thread (keep-alive), with timeouts always set and the reply size capped.
 *
 * The caller owns the struct awshttp_reply and releases it with
 * awshttp_reply_free. Nothing here knows about JSON or signing. */
#ifndef GH_AWSHTTP_H
#define GH_AWSHTTP_H

#include <stddef.h>

#include "core/buf.h"

#define AWSHTTP_ERROR_MAX 256

struct awshttp_reply {
    long status;                 /* HTTP status; 0 when no answer came */
    struct buf body;             /* at most the cap given to the call */
    char error[AWSHTTP_ERROR_MAX];
};

/* awshttp_global_init runs once in the master, before any fork. */
int awshttp_global_init(void);
/* awshttp_call performs method on url with headers (NULL-terminated "Name:
 * value" strings, may be NULL) and body (may be NULL). It returns 0 when an
 * HTTP answer arrived (any status) and -1 on a connection problem, timeout
 * (timeout_ms total) or a body over max_body, with the reason in reply->error. */
int awshttp_call(const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, size_t max_body, long timeout_ms,
                 struct awshttp_reply *reply);
void awshttp_reply_free(struct awshttp_reply *reply);
/* awshttp_thread_cleanup releases the calling thread's handle. */
void awshttp_thread_cleanup(void);

#endif
