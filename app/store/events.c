/* SPDX-License-Identifier: MIT */
/* events: the account events log (see events.h). One INSERT; the kinds are
 * the table's CHECK, so a bad kind is a STORE_ERROR, never a row. */
#include "store/events.h"

#include <stddef.h>

#define EVENT_FIELD_MAX 512 /* bytes of a sub, an email, a request id or a detail */

/* Records e in tenant's log. STORE_OK, STORE_UNAVAILABLE or STORE_ERROR
 * (a missing or unclean field, an unknown kind or tenant). */
enum store_result events_record(const char *tenant, const struct events_event *e)
{
    struct pg_query q;
    enum store_result rc;

    if (!pg_field_ok(e->user_sub, EVENT_FIELD_MAX, true) ||
        !pg_field_ok(e->user_email, EVENT_FIELD_MAX, true) ||
        !pg_field_ok(e->kind, EVENT_FIELD_MAX, true) ||
        !pg_field_ok(e->detail, EVENT_FIELD_MAX, false) ||
        !pg_field_ok(e->request_id, EVENT_FIELD_MAX, false))
        return STORE_ERROR;
    const char *const params[] = {e->user_sub, e->user_email, e->kind, e->detail, e->request_id};
    pg_query_init(&q);
    rc = pg_query_run_tenant(&q, tenant,
                             "INSERT INTO account_events (user_sub, user_email, kind, detail,"
                             " request_id) VALUES ($1, lower($2), $3, $4, $5)",
                             5, params)
             ? STORE_OK
             : pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}
