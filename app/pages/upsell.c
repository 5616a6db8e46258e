/* SPDX-License-Identifier: MIT */
/* upsell: the upgrade page (see upsell.h). Its context belongs to the
 * request. */
#include "pages/upsell.h"

#include <json-c/json.h>

#include "pages/render.h"

enum http_status upsell_page(struct request *req, struct response *resp, const char *tier)
{
    struct json_object *ctx = render_context(req, "Upgrade to Premium");
    json_object_object_add(ctx, "required_tier", json_object_new_string(tier));
    return render_page(req, resp, HTTP_FORBIDDEN, "upsell", ctx);
}
