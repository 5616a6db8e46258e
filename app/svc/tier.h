/* SPDX-License-Identifier: MIT */
/* tier: the user tiers, the one rule on them — a higher tier includes the
 * features of the lower ones — and an admin's change of a user's tier.
 * The tier names live here only.
 *
 * A struct tier_change's strings live in the arena given to tier_change;
 * its Cognito result is the caller's to free (cog_result_free). */
#ifndef GH_TIER_H
#define GH_TIER_H

#include <stdbool.h>

#include "aws/cognito.h"

struct arena;
struct tenant;

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

enum tier_outcome {
    TIER_CHANGED,    /* Cognito, the mirror, the audit log and the sessions have it */
    TIER_UNCHANGED,  /* the user already had that tier */
    TIER_REFUSED,    /* Cognito refused (result.err): nothing was written */
    TIER_BAD_ANSWER, /* Cognito's user came without sub or email */
    TIER_UNRECORDED, /* Cognito changed it, the mirror and audit did not follow */
};

/* Who changes a tier, for the audit record. */
struct tier_actor {
    const char *sub, *email, *request_id, *client_addr;
};

struct tier_change {
    struct cog_result result;  /* Cognito's last answer */
    const char *username;      /* the user's Cognito user name */
    const char *sub, *email;   /* the user */
    const char *old_tier;      /* what the change replaced */
};

/* tier_change sets the tier of the user called username at t to tier (a
 * known one), as by, and tells what came of it in out. */
enum tier_outcome tier_change(const struct tenant *t, const char *username, const char *tier,
                              const struct tier_actor *by, struct arena *a,
                              struct tier_change *out);

#endif
