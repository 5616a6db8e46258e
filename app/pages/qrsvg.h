/* SPDX-License-Identifier: MIT */
/* qrsvg: a QR code drawn as inline SVG on the server (libqrencode), for the
 * TOTP enrolment page: no image request, no script, no third party sees
 * the secret. */
#ifndef GH_QRSVG_H
#define GH_QRSVG_H

#include <stdbool.h>

struct buf;

/* qrsvg_draw appends an <svg> of text's QR code (error correction M, a
 * four-module quiet zone) to out, labelled label for screen readers;
 * false (out unchanged) when text does not fit a QR code. */
bool qrsvg_draw(const char *text, const char *label, struct buf *out);

#endif
