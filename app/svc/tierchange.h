/* SPDX-License-Identifier: MIT */
/* tierchange: an admin's change of a user's tier — at Cognito, in the
 * users mirror, in the audit log and on the user's sessions — and what
 * came of it.
 *
 * A struct tierchange's strings live in the arena given to
 * tierchange_apply; its Cognito result is the caller's to free
 * (cog_result_free). */
#ifndef GH_TIERCHANGE_H
#define GH_TIERCHANGE_H

#include "aws/cognito.h"

struct arena;
struct tenant;

enum tierchange_outcome {
    TIERCHANGE_DONE,    /* Cognito, the mirror, the audit log and the sessions have it */
    TIERCHANGE_UNCHANGED,  /* the user already had that tier */
    TIERCHANGE_REFUSED,    /* Cognito refused (result.err): nothing was written */
    TIERCHANGE_BAD_ANSWER, /* Cognito's user came without sub or email */
    TIERCHANGE_UNRECORDED, /* Cognito changed it, the mirror and audit did not follow */
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

#endif
