/* SPDX-License-Identifier: MIT */
/* events: what people did to their own accounts, t_<slug>.account_events
 * (sql/tenant/012): an email changed, an account deleted... Rows are only
 * ever added and outlive the users they name; they hold no personal data
 * beyond the sub and the email. Functions answer an enum store_result
 * (store/pg.h). */
#ifndef GH_EVENTS_H
#define GH_EVENTS_H

#include "store/pg.h"

struct events_event { /* borrowed for the call */
    const char *user_sub, *user_email;
    const char *kind;   /* one the table's CHECK lists */
    const char *detail; /* may be NULL */
    const char *request_id; /* may be NULL */
};

enum store_result events_record(const char *tenant, const struct events_event *e);

#endif
