/* SPDX-License-Identifier: MIT */
/* brand: the tenant's colours (see brand.h).
 *
 * gatehouse.css draws everything from --gh-primary and a few shades of it;
 * this stylesheet redefines them from the tenant's brand_color (#rrggbb,
 * checked by the database). The shades are the colour darkened by fixed
 * fractions, so a tenant sets one colour and gets consistent hover, active,
 * soft and focus variants. Browsers may cache it briefly: a change of
 * colour shows within BRAND_CACHE_S. --gh-primary-on-dark is the tint of
 * the colour that links take on the dark background (svc/contrast.h):
 * `tenant set` checked the colour itself against white. */
#include "pages/brand.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "store/tenants.h"
#include "svc/contrast.h"

#define BRAND_CACHE_S "300"
#define HOVER_SHADE 0.85  /* fraction of each channel kept on hover */
#define ACTIVE_SHADE 0.72 /* ... and when pressed */

static int shade(int channel, double keep)
{
    return (int)(channel * keep + 0.5);
}

enum http_status brand_css(struct request *req, struct response *resp)
{
    const char *color = req->tenant->brand_color;
    unsigned r = 0, g = 0, b = 0;
    buf_reset(&resp->body);
    if (color[0] == '#' && sscanf(color + 1, "%2x%2x%2x", &r, &g, &b) == 3) {
        buf_printf(&resp->body,
                   ":root {\n  --gh-primary: #%02x%02x%02x;\n  --gh-primary-rgb: %u, %u, %u;\n"
                   "  --gh-primary-hover: #%02x%02x%02x;\n  --gh-primary-active: #%02x%02x%02x;\n"
                   "  --gh-primary-soft: rgba(%u, %u, %u, .1);\n"
                   "  --gh-focus-ring: 0 0 0 .25rem rgba(%u, %u, %u, .3);\n}\n",
                   r, g, b, r, g, b, shade((int)r, HOVER_SHADE), shade((int)g, HOVER_SHADE),
                   shade((int)b, HOVER_SHADE), shade((int)r, ACTIVE_SHADE),
                   shade((int)g, ACTIVE_SHADE), shade((int)b, ACTIVE_SHADE), r, g, b, r, g, b);
        char tint[CONTRAST_HEX_SIZE];
        double ratio;
        if (contrast_dark_tint(color, tint, &ratio))
            buf_printf(&resp->body, ":root {\n  --gh-primary-on-dark: %s;\n}\n", tint);
    } else {
        buf_puts(&resp->body, "/* this tenant keeps the default colours */\n");
    }
    resp_header(resp, "Content-Type", "text/css; charset=utf-8");
    resp_header(resp, "Cache-Control", "public, max-age=" BRAND_CACHE_S);
    return HTTP_OK;
}
