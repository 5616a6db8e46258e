/* SPDX-License-Identifier: MIT */
/* appclient: the start-up check of a tenant's Cognito app client.
 *
 * Cognito's defaults are unsafe for gatehouse: an app client with no
 * WriteAttributes lets every user write every attribute, their own tier
 * included. The master refuses to start (or to reload) against such a
 * client (its own, and every tenant's: svc/provision). Real Cognito
 * enforces the client's write attributes; this check makes sure they are the
 * ones gatehouse needs. */
#ifndef GH_APPCLIENT_H
#define GH_APPCLIENT_H

#include <stddef.h>

struct cog_client;

enum appclient_verdict {
    APPCLIENT_SAFE,        /* the client is set up as gatehouse needs */
    APPCLIENT_UNSAFE,      /* a setting that must be fixed: err says which */
    APPCLIENT_UNREACHABLE, /* Cognito did not answer: err says why */
    APPCLIENT_MISSING,     /* Cognito knows no such client (or pool) */
};

/* appclient_check describes the client with DescribeUserPoolClient and
 * judges it. It uses the calling thread's HTTP handle. */
enum appclient_verdict appclient_check(const struct cog_client *c, char *err, size_t errlen);

#endif
