/* SPDX-License-Identifier: MIT */
/* tierchange: an admin's change of a user's tier (see tierchange.h).
 *
 * A tier change is ordered so that no outcome lies: Cognito first, since a
 * refusal there must leave nothing written; then one transaction for the
 * mirror row, its audit record and the user's sessions, so the record never
 * exists without the change or the change without its record. If that
 * transaction fails after Cognito said yes, the tier has changed (Cognito is
 * the truth, and the user's next token carries it): the failure is logged
 * with everything the audit row would have held and `gatehouse users sync`
 * brings the mirror back. The old tier recorded is the mirror's, read under
 * the row lock of the update, so two admins changing one user at once each
 * record what they really replaced.
 *
 * Ownership: Cognito's answers are freed before the next call; what is
 * kept of them is copied into the arena first. */
#include "svc/tierchange.h"

#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/audit.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"
#include "svc/usersync.h"

/* record writes the change of user u (as Cognito had it before) to tier
 * into the mirror, the audit log and u's sessions, in one transaction.
 * *old gets the tier it replaced. Returns false when nothing was written. */
static bool record(const struct tenant *t, const struct users_user *u, const char *tier,
                   const struct tierchange_actor *by, struct arena *a, const char **old)
{
    struct users_user had;
    struct pg_query q;
    time_t now = time(NULL);
    *old = u->tier;
    /* A user the mirror has not seen yet (created elsewhere, a missed
     * write) gets their row as Cognito had it, creation time included, so
     * the change below has a row to lock and a true "before". */
    if (users_get(t->slug, u->sub, a, &had) == STORE_NOT_FOUND &&
        users_upsert(t->slug, u, now, USERS_REPLACE) != STORE_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", by->request_id);
    struct audit_change change = {
        .user_sub = u->sub, .user_email = u->email, .new_tier = tier,
        .by_sub = by->sub, .by_email = by->email,
        .request_id = by->request_id, .client_addr = by->client_addr, .at = now,
    };
    struct sess_profile profile = {.tier = tier};
    pg_query_init(&q);
    bool ok = pg_begin(&q) &&
              users_set_tier(t->slug, u->sub, tier, now, a, &change.old_tier) == STORE_OK &&
              audit_record(t->slug, &change) == STORE_OK &&
              sess_update_profile(t->id, u->sub, &profile) == STORE_OK && pg_commit(&q);
    if (!ok)
        pg_rollback();
    else
        *old = change.old_tier;
    pg_query_cleanup(&q);
    return ok;
}

/* keep_user copies what tier_change keeps of Cognito's user into a. */
static void keep_user(struct users_user *u, const char **username, struct arena *a)
{
    u->sub = arena_strdup(a, u->sub);
    u->email = arena_strdup(a, u->email);
    u->name = u->name ? arena_strdup(a, u->name) : NULL;
    u->tier = arena_strdup(a, u->tier);
    u->status = u->status ? arena_strdup(a, u->status) : NULL;
    *username = arena_strdup(a, *username);
}

enum tierchange_outcome tierchange_apply(const struct tenant *t, const char *username,
                                         const char *tier, const struct tierchange_actor *by,
                                         struct arena *a, struct tierchange *out)
{
    struct cog_client c;
    struct users_user u;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_params get = {.username = username};
    if (cog_run(&c, COG_ADMIN_GET_USER, &get, &out->result) < 0)
        return TIERCHANGE_REFUSED;
    if (!usersync_user(out->result.reply, &u, &out->username))
        return TIERCHANGE_BAD_ANSWER;
    keep_user(&u, &out->username, a);
    out->sub = u.sub;
    out->email = u.email;
    out->old_tier = u.tier;
    cog_result_free(&out->result);
    if (!strcmp(u.tier, tier))
        return TIERCHANGE_UNCHANGED;

    struct cog_attr attrs[] = {{"custom:user_tier", tier}};
    struct cog_params set = {.username = out->username, .attrs = attrs, .n_attrs = 1};
    if (cog_run(&c, COG_ADMIN_UPDATE_ATTRIBUTES, &set, &out->result) < 0)
        return TIERCHANGE_REFUSED;
    cog_result_free(&out->result);
    if (!record(t, &u, tier, by, a, &out->old_tier)) {
        char quoted[LOG_VALUE_MAX];
        log_event(LOG_ERROR, "tier_change_unrecorded",
                  "id=%s tenant=%s admin_sub=%s user_sub=%s user=%s old=%s new=%s client=%s"
                  " repair=users_sync",
                  by->request_id, t->slug, by->sub, u.sub,
                  log_quote(quoted, sizeof(quoted), u.email), u.tier, tier, by->client_addr);
        return TIERCHANGE_UNRECORDED;
    }
    return TIERCHANGE_DONE;
}
