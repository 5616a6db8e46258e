/* SPDX-License-Identifier: MIT */
/* activity: a person's own security events (store/secevents.h) — noted by
 * the steps that make them, read back for "Account activity" on
 * /account/security. Noting is best effort: a failure is logged, never
 * told, and never stops the step it records. */
#ifndef GH_ACTIVITY_H
#define GH_ACTIVITY_H

#include <stdbool.h>

#include "store/secevents.h"

struct arena;
struct tenant;

/* Where an event came from. */
struct activity_origin {
    bool api;                /* the JSON API rather than the website */
    const char *client_addr; /* as nginx reports it; may be NULL */
    const char *request_id;  /* for the log; may be NULL */
};

/* activity_note records kind (SECEVENT_*) for user sub. */
void activity_note(const struct tenant *t, const char *sub, const char *kind,
                   const struct activity_origin *o);
/* activity_note_email records kind for the user of email, when the users
 * mirror knows one (a failed sign-in of an unknown email names no one). */
void activity_note_email(const struct tenant *t, const char *email, const char *kind,
                         const struct activity_origin *o);
/* activity_recent reads sub's newest ACTIVITY_SHOWN events. */
#define ACTIVITY_SHOWN 20
enum store_result activity_recent(const struct tenant *t, const char *sub, struct arena *a,
                                  struct secevent **out, int *n);

#endif
