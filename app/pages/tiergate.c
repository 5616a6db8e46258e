/* SPDX-License-Identifier: MIT */
/* tiergate: tier checks for premium features (see tiergate.h).
 *
 * The tier comes from the session, which login, token refreshes and admin
 * tier changes keep current, so the check costs nothing. Tiers are ranked,
 * so a later tier above premium only needs a line in the table. */
#include "pages/tiergate.h"

#include <json-c/json.h>
#include <string.h>

#include "pages/render.h"
#include "store/sessions.h"

static const char *const ranks[] = {TIER_STANDARD, TIER_PREMIUM};

static int rank(const char *tier)
{
    for (size_t i = 0; tier && i < sizeof(ranks) / sizeof(ranks[0]); i++)
        if (!strcmp(ranks[i], tier))
            return (int)i;
    return -1;
}

bool tiergate_allows(const struct request *req, const char *tier)
{
    if (!req->session)
        return false;
    int have = rank(req->session->tier ? req->session->tier : TIER_STANDARD);
    return have >= 0 && have >= rank(tier);
}

int tiergate_refuse(struct request *req, struct response *resp, const char *tier, bool json)
{
    if (json) {
        struct json_object *obj = json_object_new_object();
        json_object_object_add(obj, "error", json_object_new_string("tier_required"));
        json_object_object_add(obj, "message",
                               json_object_new_string("This feature needs the premium tier."));
        json_object_object_add(obj, "required_tier", json_object_new_string(tier));
        return render_json(resp, HTTP_FORBIDDEN, obj);
    }
    struct json_object *ctx = render_context(req, "Upgrade to Premium");
    json_object_object_add(ctx, "required_tier", json_object_new_string(tier));
    return render_page(req, resp, HTTP_FORBIDDEN, "upsell", ctx);
}
