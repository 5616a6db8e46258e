/* SPDX-License-Identifier: MIT */
/* secevents: t_<slug>.security_events (see secevents.h). Statements go
 * through pg_query_run_tenant, so the table resolves in the tenant's own
 * schema; values are parameters, never spliced. */
#include "store/secevents.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"

#define FIELD_MAX 256

enum { COL_KIND, COL_VIA, COL_ADDR, COL_AT };

enum store_result secevents_record(const char *tenant, const char *sub, const char *kind,
                                   bool api, const char *client_addr)
{
    struct pg_query q;
    enum store_result rc = STORE_OK;
    if (!pg_field_ok(sub, FIELD_MAX, true) || !pg_field_ok(kind, FIELD_MAX, true))
        return STORE_ERROR;
    if (client_addr && !pg_field_ok(client_addr, FIELD_MAX, false))
        client_addr = NULL;
    const char *const params[] = {sub, kind, api ? "api" : "web", client_addr};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "INSERT INTO security_events (user_sub, kind, via, client_addr)"
                             " VALUES ($1, $2, $3, $4)",
                             4, params))
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
    return rc;
}

enum store_result secevents_recent(const char *tenant, const char *sub, int limit,
                                   struct arena *a, struct secevent **out, int *n)
{
    char lim[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;
    *out = NULL;
    *n = 0;
    if (!pg_field_ok(sub, FIELD_MAX, true) || limit <= 0)
        return STORE_ERROR;
    const char *const params[] = {sub, pg_num_text(lim, limit)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT kind, via, client_addr, extract(epoch FROM at)::bigint"
                             " FROM security_events WHERE user_sub = $1"
                             " ORDER BY at DESC, id DESC LIMIT $2::bigint",
                             2, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    *n = pg_query_rows(&q);
    *out = arena_alloc(a, sizeof(**out) * (size_t)(*n ? *n : 1));
    for (int i = 0; i < *n; i++) {
        struct secevent *e = &(*out)[i];
        e->kind = arena_strdup(a, pg_query_value(&q, i, COL_KIND));
        e->api = !strcmp(pg_query_value(&q, i, COL_VIA), "api");
        e->client_addr = pg_query_is_null(&q, i, COL_ADDR)
                             ? NULL
                             : arena_strdup(a, pg_query_value(&q, i, COL_ADDR));
        e->at = (time_t)strtoll(pg_query_value(&q, i, COL_AT), NULL, 10);
    }
out:
    pg_query_cleanup(&q);
    return rc;
}
