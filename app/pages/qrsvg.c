/* SPDX-License-Identifier: MIT */
/* qrsvg: QR code to SVG (see qrsvg.h).
 *
 * One <path> with a unit square per dark module keeps the markup small
 * (a TOTP URI is a version 6 or 7 code: under two thousand squares) and
 * crisp at any size (shape-rendering="crispEdges"). The label is escaped
 * here, since the SVG is inserted raw into the page. */
#include "pages/qrsvg.h"

#include <qrencode.h>
#include <string.h>

#include "core/buf.h"

#define QUIET_ZONE 4 /* modules of blank border the QR standard asks for */
#define DARK_BIT 0x01

static void put_escaped(struct buf *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': buf_puts(out, "&lt;"); break;
        case '>': buf_puts(out, "&gt;"); break;
        case '&': buf_puts(out, "&amp;"); break;
        case '"': buf_puts(out, "&quot;"); break;
        default: buf_putc(out, *s); break;
        }
    }
}

bool qrsvg_draw(const char *text, const char *label, struct buf *out)
{
    QRcode *qr = text ? QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) : NULL;
    if (!qr)
        return false;
    int size = qr->width + 2 * QUIET_ZONE;
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
               "class=\"gh-qr\" role=\"img\" aria-label=\"",
               size, size);
    put_escaped(out, label ? label : "QR code");
    buf_printf(out, "\" shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"",
               size, size);
    for (int y = 0; y < qr->width; y++)
        for (int x = 0; x < qr->width; x++)
            if (qr->data[y * qr->width + x] & DARK_BIT)
                buf_printf(out, "M%d %dh1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE);
    buf_puts(out, "\"/></svg>");
    QRcode_free(qr);
    return true;
}
