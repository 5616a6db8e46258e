/* SPDX-License-Identifier: MIT */
/* tier: the user tiers and the one rule on them — a higher tier includes
 * the features of the lower ones. The tier names live here only; an
 * admin's change of a user's tier is svc/tierchange.h. */
#ifndef GH_TIER_H
#define GH_TIER_H

#include <stdbool.h>

#define TIER_STANDARD "standard"
#define TIER_PREMIUM "premium"

/* tier_known is true for a tier gatehouse offers. */
bool tier_known(const char *tier);
/* tier_or_standard returns tier when it is known, else TIER_STANDARD (a
 * missing or foreign value never grants anything). */
const char *tier_or_standard(const char *tier);
/* tier_allows is true when a user of tier have (NULL: standard) may use a
 * feature of tier need. */
bool tier_allows(const char *have, const char *need);

#endif
