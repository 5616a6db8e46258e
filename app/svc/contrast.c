/* SPDX-License-Identifier: MIT */
/* contrast: WCAG 2 relative luminance and contrast ratio (see contrast.h).
 * The formulas are WCAG 2.x's: sRGB channels linearised, luminance
 * 0.2126 R + 0.7152 G + 0.0722 B, ratio (L1 + 0.05) / (L2 + 0.05). */
#include "svc/contrast.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"

#define SRGB_KNEE 0.03928
#define SRGB_LINEAR_DIV 12.92
#define SRGB_OFFSET 0.055
#define SRGB_SCALE 1.055
#define SRGB_GAMMA 2.4
#define LUMA_R 0.2126
#define LUMA_G 0.7152
#define LUMA_B 0.0722
#define FLARE 0.05
#define CHANNEL_MAX 255.0

static bool parse(const char *hex, unsigned rgb[3])
{
    return hex && strlen(hex) == 7 && hex[0] == '#' &&
           strspn(hex + 1, "0123456789abcdefABCDEF") == 6 &&
           sscanf(hex + 1, "%2x%2x%2x", &rgb[0], &rgb[1], &rgb[2]) == 3;
}

static double linear(unsigned channel)
{
    double c = channel / CHANNEL_MAX;
    return c <= SRGB_KNEE ? c / SRGB_LINEAR_DIV : pow((c + SRGB_OFFSET) / SRGB_SCALE, SRGB_GAMMA);
}

static double luminance(const unsigned rgb[3])
{
    return LUMA_R * linear(rgb[0]) + LUMA_G * linear(rgb[1]) + LUMA_B * linear(rgb[2]);
}

static double ratio_of(const unsigned a[3], const unsigned b[3])
{
    double la = luminance(a), lb = luminance(b);
    return la > lb ? (la + FLARE) / (lb + FLARE) : (lb + FLARE) / (la + FLARE);
}

bool contrast_ratio(const char *a, const char *b, double *ratio)
{
    unsigned x[3], y[3];
    if (!parse(a, x) || !parse(b, y))
        return false;
    *ratio = ratio_of(x, y);
    return true;
}

bool contrast_dark_tint(const char *color, char out[CONTRAST_HEX_SIZE], double *ratio)
{
    unsigned c[3], bg[3], tint[3];
    if (!parse(color, c) || !parse(CONTRAST_DARK_BG, bg))
        return false;
    for (int step = 0; step <= CONTRAST_TINT_STEPS; step++) {
        double mix = (double)step / CONTRAST_TINT_STEPS;
        for (int i = 0; i < 3; i++)
            tint[i] = (unsigned)(c[i] + (CHANNEL_MAX - c[i]) * mix + 0.5);
        *ratio = ratio_of(tint, bg);
        if (*ratio >= CONTRAST_MIN)
            break;
    }
    snprintf(out, CONTRAST_HEX_SIZE, "#%02x%02x%02x", tint[0], tint[1], tint[2]);
    return true;
}
