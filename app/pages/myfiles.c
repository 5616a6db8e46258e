/* SPDX-License-Identifier: MIT */
/* myfiles: the files page (see myfiles.h). The tier rule is svc/tier.h's;
 * the page context belongs to the request. */
#include "pages/myfiles.h"

#include <json-c/json.h>

#include "core/limits.h"
#include "pages/render.h"
#include "pages/upsell.h"
#include "store/sessions.h"
#include "svc/tier.h"

enum http_status myfiles_page(struct request *req, struct response *resp)
{
    if (!tier_allows(req->session->tier, TIER_PREMIUM))
        return upsell_page(req, resp, TIER_PREMIUM);
    struct json_object *ctx = render_context(req, "Your files");
    json_object_object_add(ctx, "url_minutes", json_object_new_int(FILES_URL_TTL_S / 60));
    return render_page(req, resp, HTTP_OK, "files", ctx);
}
