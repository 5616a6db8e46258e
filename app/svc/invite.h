/* SPDX-License-Identifier: MIT */
/* invite: an admin brings people in — an invitation (Cognito's
 * AdminCreateUser, which emails a temporary password), the invitation sent
 * again, a sign-up confirmed by hand, and a CSV file of invitations
 * (`email,name,tier`) planned row by row and then carried out.
 *
 * Each action is Cognito's first; then the users mirror's and the admin
 * log's (store/adminlog). The strings of an
 * invite_result and of a plan live in the arena given; a result's Cognito
 * answer is the caller's to free (cog_result_free). */
#ifndef GH_INVITE_H
#define GH_INVITE_H

#include <stdbool.h>

#include "aws/cognito.h"
#include "svc/tierchange.h"

struct arena;
struct tenant;

enum invite_outcome {
    INVITE_DONE,         /* Cognito did it; the mirror and the admin log have it */
    INVITE_EXISTS,       /* an invitation to an email that has a user: nothing changed */
    INVITE_WRONG_STATUS, /* the user's status does not allow it (status in the result) */
    INVITE_REFUSED,      /* Cognito refused or did not answer (result.err) */
    INVITE_BAD_ANSWER,   /* Cognito's user came without sub or email */
    INVITE_UNRECORDED,   /* Cognito did it; the mirror and log did not follow (logged) */
    INVITE_NO_GROUP,     /* invited and recorded, but not added to the admin group */
};

struct invite_request {
    const char *email, *name, *tier; /* checked by the caller (invite_check) */
    bool admin;                      /* also add them to the tenant's admin group */
};

struct invite_result {
    struct cog_result result; /* Cognito's last answer */
    const char *username, *sub, *email;
    const char *status; /* the user's Cognito status, when read */
};

/* invite_check says why in cannot be sent as it is, or NULL;
 * invite_name_problem says it of a name alone (NULL and "" are fine). */
const char *invite_check(const struct invite_request *in);
const char *invite_name_problem(const char *name);

/* invite_send invites in->email to t as by; invite_resend sends a user who
 * has not yet signed in (FORCE_CHANGE_PASSWORD) a new invitation;
 * invite_confirm confirms an UNCONFIRMED user's sign-up. */
enum invite_outcome invite_send(const struct tenant *t, const struct invite_request *in,
                                const struct tierchange_actor *by, struct arena *a,
                                struct invite_result *out);
enum invite_outcome invite_resend(const struct tenant *t, const char *username,
                                  const struct tierchange_actor *by, struct arena *a,
                                  struct invite_result *out);
enum invite_outcome invite_confirm(const struct tenant *t, const char *username,
                                   const struct tierchange_actor *by, struct arena *a,
                                   struct invite_result *out);

/* ---- CSV import ------------------------------------------------------------- */

enum invite_row_kind {
    INVITE_ROW_INVALID,     /* why says what is wrong with it */
    INVITE_ROW_INVITE,      /* no such user: they will be invited */
    INVITE_ROW_TIER_CHANGE, /* a user with another tier: the tier changes */
    INVITE_ROW_NOTHING,     /* a user with that tier already: nothing to do */
    INVITE_ROW_UNKNOWN,     /* Cognito could not be asked just now */
};

struct invite_row {
    int line;                  /* 1 is the header */
    const char *email, *name, *tier; /* as read (email lower-cased) */
    enum invite_row_kind kind;
    const char *why;           /* INVALID, UNKNOWN */
    const char *current_tier;  /* TIER_CHANGE, NOTHING */
    const char *username;      /* the existing user's Cognito username */
};

struct invite_plan {
    struct invite_row *rows;
    int n;
};

/* invite_plan_csv reads csv (a header `email,name,tier`, then at most
 * IMPORT_ROWS_MAX rows) and decides each row against what Cognito holds now.
 * Returns NULL, or why the file as a whole cannot be used (the plan is then
 * empty). The plan is never trusted from a form: applying plans again. */
const char *invite_plan_csv(const struct tenant *t, const char *csv, struct arena *a,
                            struct invite_plan *out);

enum invite_row_result {
    INVITE_RESULT_INVITED,
    INVITE_RESULT_TIER_CHANGED,
    INVITE_RESULT_UNCHANGED, /* nothing to do */
    INVITE_RESULT_SKIPPED,   /* an invalid row */
    INVITE_RESULT_FAILED,    /* Cognito or PostgreSQL failed: message says so */
};

/* invite_apply_row carries out row (of a plan just made) as by, and tells
 * what came of it; *message (in a) says it in words. */
enum invite_row_result invite_apply_row(const struct tenant *t, const struct invite_row *row,
                                        const struct tierchange_actor *by, struct arena *a,
                                        const char **message);

#endif
