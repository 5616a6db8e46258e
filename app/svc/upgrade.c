/* SPDX-License-Identifier: MIT */
/* upgrade: upgrade requests and their decisions (see upgrade.h).
 *
 * An approval is two steps, because the tier change is a Cognito call that
 * no database transaction can hold: first the change itself, through
 * tierchange_apply (Cognito, the mirror, tier_changes, admin_actions and
 * the user's sessions, or a pending intent `users sync` settles), then one
 * transaction that moves the request out of 'pending' and writes its
 * admin_actions row. Two admins approving at once both reach the tier
 * (the second finds it unchanged) but only one moves the request, and only
 * that one is recorded as the approval; a decline racing an approval finds
 * the request decided and changes nothing. A tier change that Cognito made
 * but the mirror did not yet follow (TIERCHANGE_UNRECORDED) still approves:
 * Cognito is the truth and `users sync` completes the rest.
 *
 * Before an admin acts, requests of users gone from the mirror are closed
 * (store/upgrades.c): nobody is left to upgrade. */
#include "svc/upgrade.h"

#include <string.h>

#include "core/limits.h"
#include "core/log.h"
#include "core/utf8.h"
#include "store/adminlog.h"
#include "store/pg.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/tier.h"

static enum upgrade_outcome of_store(enum store_result rc)
{
    switch (rc) {
    case STORE_OK:
        return UPGRADE_OK;
    case STORE_NOT_FOUND:
        return UPGRADE_NOT_FOUND;
    case STORE_CONFLICT:
        return UPGRADE_PENDING;
    case STORE_UNAVAILABLE:
        return UPGRADE_UNAVAILABLE;
    case STORE_ERROR:
    default:
        return UPGRADE_ERROR;
    }
}

const char *upgrade_check_text(const char *text, size_t max)
{
    if (!text || !*text)
        return NULL;
    size_t len = strlen(text);
    if (len > max)
        return "This is too long.";
    if (!utf8_valid(text, len) || utf8_has_control(text, len) || utf8_has_invisible(text, len))
        return "This contains characters that are not allowed.";
    return NULL;
}

enum upgrade_outcome upgrade_ask(const struct tenant *t, const char *sub, const char *email,
                                 const char *tier, const char *note, struct arena *a,
                                 struct upgrades_request *out)
{
    struct users_user u;
    long long id;
    memset(out, 0, sizeof(*out));
    if (upgrade_check_text(note, UPGRADE_NOTE_MAX))
        return UPGRADE_BAD_INPUT;
    /* The mirror decides the tier (an admin's change shows there first). */
    if (users_get(t->slug, sub, a, &u) == STORE_OK && u.tier)
        tier = u.tier;
    if (tier && !strcmp(tier, TIER_PREMIUM))
        return UPGRADE_PREMIUM;
    enum store_result rc = upgrades_ask(t->slug, sub, email, note, &id);
    if (rc == STORE_CONFLICT) {
        upgrades_latest(t->slug, sub, a, out);
        return UPGRADE_PENDING;
    }
    if (rc != STORE_OK)
        return of_store(rc);
    return of_store(upgrades_get(t->slug, id, a, out));
}

enum upgrade_outcome upgrade_state(const struct tenant *t, const char *sub, struct arena *a,
                                   struct upgrades_request *out)
{
    enum store_result rc = upgrades_latest(t->slug, sub, a, out);
    return rc == STORE_NOT_FOUND ? UPGRADE_NONE : of_store(rc);
}

long long upgrade_pending_count(const struct tenant *t)
{
    long long n = 0;
    if (upgrades_count_pending(t->slug, &n) != STORE_OK)
        return 0;
    return n;
}

/* load closes the requests of users gone, then reads request id into out
 * and tells whether it is still pending. */
static enum upgrade_outcome load(const struct tenant *t, long long id, struct arena *a,
                                 struct upgrades_request *out)
{
    long long closed = 0;
    enum store_result rc = upgrades_close_orphans(t->slug, &closed);
    if (rc == STORE_OK)
        rc = upgrades_get(t->slug, id, a, out);
    if (rc != STORE_OK)
        return of_store(rc);
    if (!strcmp(out->state, UPGRADES_CLOSED))
        return UPGRADE_CLOSED;
    if (strcmp(out->state, UPGRADES_PENDING))
        return UPGRADE_DECIDED;
    return UPGRADE_OK;
}

/* decide moves request r to state (reason may be NULL) and writes the
 * admin_actions row of action, in one transaction. */
static enum upgrade_outcome decide(const struct tenant *t, struct upgrades_request *r,
                                   const char *state, const char *action, const char *reason,
                                   const char *target_email,
                                   const struct tierchange_actor *by)
{
    struct pg_query q;
    enum upgrade_outcome out = UPGRADE_OK;
    struct adminlog_entry e = {
        .action = action, .target_sub = r->user_sub, .target_email = target_email,
        .before_value = UPGRADES_PENDING, .after_value = state, .actor_sub = by->sub,
        .actor_email = by->email,
        /* a decline tells the admin's reason, an approval the user's note */
        .detail = strcmp(state, UPGRADES_DECLINED) ? r->note : reason,
        .request_id = by->request_id, .client_addr = by->client_addr,
    };
    pg_query_init(&q);
    if (!pg_begin(&q)) {
        out = of_store(pg_store_result(&q));
        goto out;
    }
    enum store_result rc = upgrades_decide(t->slug, r->id, state, by->sub, by->email, reason);
    if (rc == STORE_OK)
        rc = adminlog_record(t->slug, &e);
    if (rc == STORE_OK && !pg_commit(&q))
        rc = pg_store_result(&q);
    if (rc != STORE_OK) {
        pg_rollback();
        out = rc == STORE_NOT_FOUND ? UPGRADE_DECIDED : of_store(rc);
        goto out;
    }
    upgrades_forget(); /* an entry read before the commit must not outlive it */
    r->state = state;
    r->reason = reason && *reason ? reason : NULL;
out:
    pg_query_cleanup(&q);
    return out;
}

enum upgrade_outcome upgrade_approve(const struct tenant *t, long long id,
                                     const struct tierchange_actor *by, struct arena *a,
                                     struct upgrades_request *out, struct tierchange *change)
{
    long long closed;
    memset(change, 0, sizeof(*change));
    enum upgrade_outcome rc = load(t, id, a, out);
    if (rc != UPGRADE_OK)
        return rc;
    /* By sub: the request names a person, whatever their email is now. */
    switch (tierchange_apply(t, out->user_sub, TIER_PREMIUM, by, a, change)) {
    case TIERCHANGE_DONE:
    case TIERCHANGE_UNCHANGED:
    case TIERCHANGE_UNRECORDED:
        break;
    case TIERCHANGE_REFUSED:
        if (change->result.err == COGERR_USER_NOT_FOUND) {
            /* Gone from Cognito before the mirror heard of it. */
            if (upgrades_decide(t->slug, id, UPGRADES_CLOSED, ADMINLOG_SYSTEM_ACTOR, NULL,
                                NULL) == STORE_OK)
                out->state = UPGRADES_CLOSED;
            upgrades_close_orphans(t->slug, &closed);
            return UPGRADE_CLOSED;
        }
        return change->result.http_status > 0 ? UPGRADE_REFUSED : UPGRADE_UNAVAILABLE;
    case TIERCHANGE_UNSTARTED:
        return UPGRADE_UNAVAILABLE;
    case TIERCHANGE_BAD_ANSWER:
    default:
        return UPGRADE_ERROR;
    }
    return decide(t, out, UPGRADES_APPROVED, ADMINLOG_UPGRADE_APPROVED, NULL,
                  change->email ? change->email : out->user_email, by);
}

enum upgrade_outcome upgrade_decline(const struct tenant *t, long long id, const char *reason,
                                     const struct tierchange_actor *by, struct arena *a,
                                     struct upgrades_request *out)
{
    if (upgrade_check_text(reason, UPGRADE_REASON_MAX)) {
        memset(out, 0, sizeof(*out));
        return UPGRADE_BAD_INPUT;
    }
    enum upgrade_outcome rc = load(t, id, a, out);
    if (rc != UPGRADE_OK)
        return rc;
    return decide(t, out, UPGRADES_DECLINED, ADMINLOG_UPGRADE_DECLINED,
                  reason && *reason ? reason : NULL, out->user_email, by);
}
