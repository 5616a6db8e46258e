/* SPDX-License-Identifier: MIT */
/* activity: security events of a person (see activity.h). */
#include "svc/activity.h"

#include "core/arena.h"
#include "core/log.h"
#include "store/tenants.h"
#include "store/users.h"

void activity_note(const struct tenant *t, const char *sub, const char *kind,
                   const struct activity_origin *o)
{
    if (!sub || secevents_record(t->slug, sub, kind, o->api, o->client_addr) != STORE_OK)
        log_event(LOG_WARN, "activity_not_recorded", "id=%s kind=%s",
                  o->request_id ? o->request_id : "-", kind);
}

void activity_note_email(const struct tenant *t, const char *email, const char *kind,
                         const struct activity_origin *o)
{
    struct arena a;
    struct users_user u;
    arena_init(&a);
    if (email && users_get_by_email(t->slug, email, &a, &u) == STORE_OK)
        activity_note(t, u.sub, kind, o);
    arena_free(&a);
}

enum store_result activity_recent(const struct tenant *t, const char *sub, struct arena *a,
                                  struct secevent **out, int *n)
{
    return secevents_recent(t->slug, sub, ACTIVITY_SHOWN, a, out, n);
}
