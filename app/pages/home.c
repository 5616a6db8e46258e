/* SPDX-License-Identifier: MIT */
/* home: the front page (see home.h).
 *
 * The page needs nothing but the template and the request's tenant, so it
 * is the cheapest page there is and the one the bench measures. A JSON
 * client gets a small health answer naming the tenant, as seed 001 asks. */
#include "pages/home.h"

#include <json-c/json.h>

#include "http/answer.h"
#include "pages/render.h"

enum http_status home_page(struct request *req, struct response *resp)
{
    if (req_wants_json(req)) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "status", json_object_new_string("ok"));
        json_object_object_add(obj, "service", json_object_new_string("gatehouse"));
        json_object_object_add(obj, "tenant", json_object_new_string("default"));
        return answer_json(resp, HTTP_OK, obj);
    }
    return render_page(req, resp, HTTP_OK, "home", render_context(req, "Welcome"));
}
