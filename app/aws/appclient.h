/* SPDX-License-Identifier: MIT */
/* appclient: the start-up check of a tenant's Cognito app client.
 *
 * Cognito's defaults are unsafe for gatehouse: an app client with no
 * WriteAttributes lets every user write every attribute, their own tier
 * included. The master refuses to start (or to reload) against such a
 * client; the emulators do not enforce write attributes, so this check is
 * gatehouse's own. */
#ifndef GH_APPCLIENT_H
#define GH_APPCLIENT_H

#include <stddef.h>

struct cog_client;

enum appclient_verdict {
    APPCLIENT_SAFE,        /* the client is set up as gatehouse needs */
    APPCLIENT_UNSAFE,      /* a setting that must be fixed: err says which */
    APPCLIENT_UNREACHABLE, /* Cognito did not answer: err says why */
};

/* appclient_check describes the client with DescribeUserPoolClient and
 * judges it. It uses the calling thread's HTTP handle. */
enum appclient_verdict appclient_check(const struct cog_client *c, char *err, size_t errlen);

#endif
