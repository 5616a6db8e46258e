/* SPDX-License-Identifier: MIT */
/* contrast: WCAG 2 contrast ratios of "#rrggbb" colours, for checking a
 * tenant's colour before it is used (`tenant set`) and for the tint its
 * links take on the dark background (pages/brand.c). Pure functions. */
#ifndef GH_CONTRAST_H
#define GH_CONTRAST_H

#include <stdbool.h>

#define CONTRAST_HEX_SIZE 8 /* "#rrggbb" and NUL */

/* contrast_ratio writes the ratio of a to b (1 to 21) into *ratio; false
 * when either is not "#rrggbb". */
bool contrast_ratio(const char *a, const char *b, double *ratio);
/* contrast_dark_tint writes into out the first tint of color (mixed towards
 * white in CONTRAST_TINT_STEPS steps, color itself first) that reaches
 * CONTRAST_MIN against CONTRAST_DARK_BG, and its ratio; false when color is
 * not "#rrggbb". */
bool contrast_dark_tint(const char *color, char out[CONTRAST_HEX_SIZE], double *ratio);

#endif
