/* SPDX-License-Identifier: MIT */
/* tier: tier names and ranks (see tier.h).
 *
 * Tiers are ranked, so a later tier above premium only needs a line in the
 * table. Nothing is allocated. */
#include "svc/tier.h"

#include <string.h>

static const char *const ranks[] = {TIER_STANDARD, TIER_PREMIUM};

static int rank(const char *tier)
{
    for (size_t i = 0; tier && i < sizeof(ranks) / sizeof(ranks[0]); i++)
        if (!strcmp(ranks[i], tier))
            return (int)i;
    return -1;
}

bool tier_known(const char *tier)
{
    return rank(tier) >= 0;
}

const char *tier_or_standard(const char *tier)
{
    return tier_known(tier) ? tier : TIER_STANDARD;
}

bool tier_allows(const char *have, const char *need)
{
    int need_rank = rank(need);
    return need_rank >= 0 && rank(tier_or_standard(have)) >= need_rank;
}
