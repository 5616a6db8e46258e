/* SPDX-License-Identifier: MIT */
/* secevents: a tenant's record of its users' security events,
 * t_<slug>.security_events — what /account/security shows a person as
 * their recent activity. Rows are only added. Results live in the caller's
 * arena; every function answers an enum store_result. */
#ifndef GH_SECEVENTS_H
#define GH_SECEVENTS_H

#include <stdbool.h>
#include <time.h>

#include "store/pg.h"

struct arena;

/* The kinds the table's check admits. */
#define SECEVENT_SIGN_IN "sign_in"
#define SECEVENT_SIGN_IN_FAILED "sign_in_failed"
#define SECEVENT_MFA_FAILED "mfa_failed"
#define SECEVENT_PASSWORD_CHANGED "password_changed"
#define SECEVENT_MFA_ON "mfa_on"
#define SECEVENT_MFA_OFF "mfa_off"
#define SECEVENT_SIGNED_OUT "signed_out"
#define SECEVENT_EMAIL_CHANGED "email_changed"
#define SECEVENT_SESSIONS_ENDED "sessions_ended" /* devices signed out from the account */

struct secevent {
    const char *kind;
    bool api;                /* via the JSON API, not the website */
    const char *client_addr; /* may be NULL */
    time_t at;
};

enum store_result secevents_record(const char *tenant, const char *sub, const char *kind,
                                   bool api, const char *client_addr);
/* secevents_recent reads sub's newest events (at most limit), newest first. */
enum store_result secevents_recent(const char *tenant, const char *sub, int limit,
                                   struct arena *a, struct secevent **out, int *n);

#endif
