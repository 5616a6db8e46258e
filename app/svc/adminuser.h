/* SPDX-License-Identifier: MIT */
/* adminuser: an admin's actions on one user of a tenant — disable, enable,
 * reset the password, sign out everywhere, reset MFA, edit the name and the
 * work details, grant and revoke the admin group, delete — at Cognito, on
 * the user's sign-ins, in the users mirror and in the admin log
 * (store/adminlog), and what came of each.
 *
 * The tier is not one of them (svc/tierchange), nor the invitation and the
 * confirmation by hand (their own module). A struct adminuser's strings
 * live in the arena given to adminuser_apply; its Cognito result is the
 * caller's to free (cog_result_free). */
#ifndef GH_ADMINUSER_H
#define GH_ADMINUSER_H

#include "aws/cognito.h"

struct arena;
struct selfservice_profile;
struct tenant;

enum adminuser_action {
    ADMINUSER_DISABLE, /* sign-ins refused, every one ended */
    ADMINUSER_ENABLE,
    ADMINUSER_RESET_PASSWORD, /* the password dies, a code goes out, sign-ins end */
    ADMINUSER_SIGN_OUT,       /* every browser session and API sign-in ends */
    ADMINUSER_RESET_MFA,      /* every MFA factor off: the next sign-in asks none */
    ADMINUSER_EDIT,           /* the name and the work details (edit) */
    ADMINUSER_GRANT_ADMIN,    /* into the tenant's admin group */
    ADMINUSER_REVOKE_ADMIN,   /* out of it; the person's sign-ins end */
    ADMINUSER_DELETE,         /* the account, at once; the mirror row marked deleted */
    ADMINUSER_ACTION_COUNT
};

enum adminuser_outcome {
    ADMINUSER_DONE,          /* Cognito, the sign-ins, the mirror and the log have it */
    ADMINUSER_UNCHANGED,     /* already so (or nothing to edit): nothing done, nothing logged */
    ADMINUSER_SELF,          /* the admin's own account: this action is refused there */
    ADMINUSER_LAST_ADMIN,    /* it would leave the tenant with no enabled admin */
    ADMINUSER_REFUSED,       /* Cognito refused or did not answer (result says why) */
    ADMINUSER_BAD_INPUT,     /* the edit's field `field` is not acceptable (problem) */
    ADMINUSER_NOT_CONFIRMED, /* a deletion whose typed email is not the user's */
    ADMINUSER_BAD_ANSWER,    /* Cognito's user came without sub or email */
    ADMINUSER_UNRECORDED,    /* done at Cognito; the mirror or the log failed (logged) */
};

/* Who acts, for the log. All borrowed. */
struct adminuser_actor {
    const char *sub, *email, *request_id, *client_addr;
};

struct adminuser {
    struct cog_result result;    /* Cognito's last answer */
    const char *username;        /* the user's Cognito user name */
    const char *sub, *email;     /* the user, as Cognito has them */
    const char *field, *problem; /* ADMINUSER_BAD_INPUT */
    bool target_was_admin;       /* ADMINUSER_SELF / LAST_ADMIN: the group was theirs */
};

/* What some actions need besides the user. All borrowed. */
struct adminuser_input {
    /* ADMINUSER_EDIT: the new values (see struct selfservice_profile: ""
     * removes a work detail; a name is never removed) */
    const struct selfservice_profile *edit;
    /* ADMINUSER_DELETE: the email the admin typed, compared (case aside)
     * with the one Cognito has for the user, in the same read as the
     * deletion's */
    const char *confirm_email;
};

/* adminuser_apply takes action on the user called username at t (an email
 * alias too), as by, with in (may be NULL for the actions that need
 * nothing), and tells what came of it in out. */
enum adminuser_outcome adminuser_apply(const struct tenant *t, enum adminuser_action action,
                                       const char *username, const struct adminuser_input *in,
                                       const struct adminuser_actor *by, struct arena *a,
                                       struct adminuser *out);

/* adminuser_mfa_on reads an AdminGetUser answer: is any MFA factor on? */
bool adminuser_mfa_on(struct json_object *user);

#endif
