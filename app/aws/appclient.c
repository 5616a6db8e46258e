/* SPDX-License-Identifier: MIT */
/* appclient: judging an app client's settings (see appclient.h).
 *
 * The rules, each with the reason an operator reads when it fails:
 * WriteAttributes must be listed and must not include custom:user_tier or
 * custom:tenant_id (a user could set their own tier or move tenants);
 * ExplicitAuthFlows must allow USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH
 * (the flows gatehouse uses). An unreachable Cognito is not a verdict on
 * the client: the caller decides (the pool starts and /readyz says so). */
#include "aws/appclient.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/cognito.h"

static const char *const forbidden_writes[] = {"custom:user_tier", "custom:tenant_id"};
static const char *const required_flows[] = {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"};

static bool list_has(struct json_object *list, const char *value)
{
    for (size_t i = 0; list && i < json_object_array_length(list); i++)
        if (!strcmp(json_object_get_string(json_object_array_get_idx(list, i)), value))
            return true;
    return false;
}

static struct json_object *client_list(struct json_object *reply, const char *name)
{
    struct json_object *client, *list;
    if (!json_object_object_get_ex(reply, "UserPoolClient", &client) ||
        !json_object_object_get_ex(client, name, &list) ||
        !json_object_is_type(list, json_type_array))
        return NULL;
    return list;
}

enum appclient_verdict appclient_check(const struct cog_client *c, char *err, size_t errlen)
{
    struct cog_result r;
    struct cog_params p = {0};
    enum appclient_verdict verdict = APPCLIENT_SAFE;
    if (cog_run(c, COG_DESCRIBE_CLIENT, &p, &r) < 0) {
        /* Throttled is not a verdict either: a start-up that checks many
         * tenants' clients may meet DescribeUserPoolClient's rate limit. */
        bool down = r.err == COGERR_UNAVAILABLE || r.err == COGERR_INTERNAL_ERROR ||
                    r.err == COGERR_TOO_MANY_REQUESTS || r.err == COGERR_THROTTLING;
        snprintf(err, errlen, "DescribeUserPoolClient for client %s failed: %s", c->client_id,
                 r.type[0] ? r.type : r.error->code);
        verdict = down ? APPCLIENT_UNREACHABLE
                : r.err == COGERR_RESOURCE_NOT_FOUND ? APPCLIENT_MISSING : APPCLIENT_UNSAFE;
        goto out;
    }
    struct json_object *writes = client_list(r.reply, "WriteAttributes");
    if (!writes || json_object_array_length(writes) == 0) {
        snprintf(err, errlen, "app client %s lists no WriteAttributes, so users could write "
                 "their own custom:user_tier; set WriteAttributes without it", c->client_id);
        verdict = APPCLIENT_UNSAFE;
        goto out;
    }
    for (size_t i = 0; i < sizeof(forbidden_writes) / sizeof(forbidden_writes[0]); i++) {
        if (list_has(writes, forbidden_writes[i])) {
            snprintf(err, errlen, "app client %s lets users write %s; remove it from "
                     "WriteAttributes (only gatehouse may set it)", c->client_id,
                     forbidden_writes[i]);
            verdict = APPCLIENT_UNSAFE;
            goto out;
        }
    }
    struct json_object *flows = client_list(r.reply, "ExplicitAuthFlows");
    for (size_t i = 0; i < sizeof(required_flows) / sizeof(required_flows[0]); i++) {
        if (!list_has(flows, required_flows[i])) {
            snprintf(err, errlen, "app client %s does not allow %s in ExplicitAuthFlows",
                     c->client_id, required_flows[i]);
            verdict = APPCLIENT_UNSAFE;
            goto out;
        }
    }
out:
    cog_result_free(&r);
    return verdict;
}
