/* SPDX-License-Identifier: MIT */
/* me: the bearer's own profile (see me.h).
 *
 * The token is verified on every call (bearer_authenticate: signature,
 * issuer, use, client, expiry, and the revocation denylist); the profile
 * comes from the users mirror, so an admin's tier change shows at once,
 * without waiting for the token to be refreshed. */
#include "api/me.h"

#include <json-c/json.h>

#include "api/bearer.h"
#include "http/answer.h"
#include "store/tenants.h"

enum http_status me_get(struct request *req, struct response *resp)
{
    struct bearer b;
    int status = bearer_authenticate(req, resp, &b, true);
    if (status)
        return status;
    struct json_object *groups = json_object_new_array();
    for (size_t i = 0; i < b.ngroups; i++)
        json_object_array_add(groups, json_object_new_string(b.groups[i]));
    struct json_object *obj = json_object_new_object();
    json_object_object_add(obj, "sub", json_object_new_string(b.sub));
    json_object_object_add(obj, "email", json_object_new_string(b.email));
    json_object_object_add(obj, "name", b.name ? json_object_new_string(b.name) : NULL);
    json_object_object_add(obj, "tier", json_object_new_string(b.tier));
    json_object_object_add(obj, "groups", groups);
    json_object_object_add(obj, "is_admin", json_object_new_boolean(b.is_admin));
    json_object_object_add(obj, "tenant", json_object_new_string(req->tenant->slug));
    return answer_json(resp, HTTP_OK, obj);
}
