/* SPDX-License-Identifier: MIT */
/* tierchange: an admin's change of a user's tier — at Cognito, in the
 * users mirror, in the audit log and on the user's sessions — and what
 * came of it; and, for `gatehouse users sync`, the settling of changes a
 * failure left half-done.
 *
 * A struct tierchange's strings live in the arena given to
 * tierchange_apply; its Cognito result is the caller's to free
 * (cog_result_free). */
#ifndef GH_TIERCHANGE_H
#define GH_TIERCHANGE_H

#include <stdio.h>

#include "aws/cognito.h"

struct arena;
struct tenant;

enum tierchange_outcome {
    TIERCHANGE_DONE,    /* Cognito, the mirror, the audit log and the sessions have it */
    TIERCHANGE_UNCHANGED,  /* the user already had that tier */
    TIERCHANGE_REFUSED,    /* Cognito refused or did not answer (result.err); when
                              it did not answer, `users sync` settles the change */
    TIERCHANGE_BAD_ANSWER, /* Cognito's user came without sub or email */
    TIERCHANGE_UNRECORDED, /* Cognito changed it, the mirror and audit did not
                              follow yet: `users sync` completes it */
    TIERCHANGE_UNSTARTED,  /* the change could not be recorded as asked
                              (PostgreSQL): Cognito was not asked */
};

/* Who changes a tier, for the audit record. */
struct tierchange_actor {
    const char *sub, *email, *request_id, *client_addr;
};

struct tierchange {
    struct cog_result result;  /* Cognito's last answer */
    const char *username;      /* the user's Cognito user name */
    const char *sub, *email;   /* the user */
    const char *old_tier;      /* what the change replaced */
};

/* tierchange_apply sets the tier of the user called username at t to tier (a
 * known one), as by, and tells what came of it in out. */
enum tierchange_outcome tierchange_apply(const struct tenant *t, const char *username, const char *tier,
                              const struct tierchange_actor *by,
                                         struct arena *a, struct tierchange *out);

struct tierchange_settled {
    long completed; /* Cognito had the new tier: mirror and audit now have it */
    long abandoned; /* Cognito kept the old tier (or lost the user): audited */
    long superseded; /* a later change of the same user governs */
    long left;      /* Cognito or PostgreSQL did not answer: still pending */
};

/* tierchange_settle finishes or abandons every change of t still pending
 * TIER_INTENT_SETTLE_S after it was asked, by what Cognito holds now, and
 * writes one line per change to report (may be NULL). Returns 0, or -1
 * with err filled when the pending changes cannot be read. */
int tierchange_settle(const struct tenant *t, FILE *report, struct tierchange_settled *counts,
                      char *err, size_t errlen);

#endif
