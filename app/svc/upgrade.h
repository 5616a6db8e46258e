/* SPDX-License-Identifier: MIT */
/* upgrade: a standard user's request for Premium and an administrator's
 * answer to it — approve (the tier change of svc/tierchange, audited) or
 * decline (with a reason the user reads) — for the pages and the API.
 * One pending request per user; a premium user cannot ask; a request of a
 * user deleted since is closed. Returns outcomes, never pages or JSON.
 *
 * Strings of a struct upgrades_request filled here live in the arena
 * given; a struct tierchange's Cognito result is the caller's to free
 * (cog_result_free). */
#ifndef GH_UPGRADE_H
#define GH_UPGRADE_H

#include "store/upgrades.h"
#include "svc/tierchange.h"

struct arena;
struct tenant;

enum upgrade_outcome {
    UPGRADE_OK,          /* asked, approved or declined as asked */
    UPGRADE_NONE,        /* the user never asked (upgrade_state) */
    UPGRADE_BAD_INPUT,   /* the note or the reason: see upgrade_check_text */
    UPGRADE_PREMIUM,     /* the user has Premium already: nothing to ask */
    UPGRADE_PENDING,     /* the user has a pending request already */
    UPGRADE_NOT_FOUND,   /* no such request */
    UPGRADE_DECIDED,     /* the request was decided already (out: how) */
    UPGRADE_CLOSED,      /* the user is gone: the request is closed */
    UPGRADE_REFUSED,     /* Cognito refused the tier change (change.result) */
    UPGRADE_UNAVAILABLE, /* PostgreSQL or Cognito did not answer */
    UPGRADE_ERROR,       /* anything else (logged) */
};

/* upgrade_check_text returns NULL when text (a note or a reason, may be
 * NULL) is fine, else the sentence that says why not. */
const char *upgrade_check_text(const char *text, size_t max);

/* upgrade_ask records the request of the user sub (email, current tier)
 * with note, and fills *out with it (strings in a). */
enum upgrade_outcome upgrade_ask(const struct tenant *t, const char *sub, const char *email,
                                 const char *tier, const char *note, struct arena *a,
                                 struct upgrades_request *out);
/* upgrade_state fills *out with sub's newest request: UPGRADE_OK, or
 * UPGRADE_NONE when there is none. */
enum upgrade_outcome upgrade_state(const struct tenant *t, const char *sub, struct arena *a,
                                   struct upgrades_request *out);
/* upgrade_pending_count: the pending requests of t, for the admin
 * navigation's badge; 0 when it cannot be read (the badge is a hint). */
long long upgrade_pending_count(const struct tenant *t);

/* upgrade_approve gives the user of pending request id Premium through
 * tierchange_apply, as by, then marks the request approved with an
 * admin_actions row. *out is the request, change what tierchange_apply
 * told (its result the caller's to free). */
enum upgrade_outcome upgrade_approve(const struct tenant *t, long long id,
                                     const struct tierchange_actor *by, struct arena *a,
                                     struct upgrades_request *out, struct tierchange *change);
/* upgrade_decline marks pending request id declined with reason (may be
 * NULL), as by, with an admin_actions row. */
enum upgrade_outcome upgrade_decline(const struct tenant *t, long long id, const char *reason,
                                     const struct tierchange_actor *by, struct arena *a,
                                     struct upgrades_request *out);

#endif
