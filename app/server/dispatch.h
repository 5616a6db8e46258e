/* SPDX-License-Identifier: MIT */
/* dispatch: the request pipeline — validate, route, guard, run the handler,
 * log one line.
 *
 * dispatch_init_worker runs once per worker process after fork;
 * dispatch_thread_init/cleanup once per worker thread, around its loop. */
#ifndef GH_DISPATCH_H
#define GH_DISPATCH_H

#include <stdbool.h>

#include "http/request.h"
#include "http/response.h"

struct config;
struct tmpl_set;

void dispatch_init_worker(const struct config *cfg, const struct tmpl_set *templates);
void dispatch_cleanup_worker(void);
/* may_wait: whether the thread may wait on Cognito (a slow-lane thread, or
 * any thread of a pool with one lane). A page-lane thread hands a request
 * that would wait to the slow lane instead (see dispatch.c). */
void dispatch_thread_init(bool may_wait);
void dispatch_thread_cleanup(void);
/* dispatch_request always leaves a complete answer in resp. */
void dispatch_request(struct request *req, struct response *resp);

#endif
