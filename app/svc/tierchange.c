/* SPDX-License-Identifier: MIT */
/* tierchange: an admin's change of a user's tier (see tierchange.h).
 *
 * Once the users mirror decides a user's tier, Cognito and the mirror must
 * never end up apart without a record of it, whatever fails in between. So
 * a change goes in three steps:
 *   1. the intent — user, old and new tier, admin, request id — is written
 *      'pending' to t_<slug>.tier_intents and committed;
 *   2. Cognito is asked (AdminUpdateUserAttributes); a refusal there must
 *      leave nothing changed, and a definite one (Cognito answered no)
 *      settles the intent 'abandoned' at once;
 *   3. one transaction settles the intent 'done' and writes the mirror row,
 *      its audit record (tier_changes, the tier history, and admin_actions,
 *      the audit page's record of every admin action) and the user's
 *      sessions, so the record never exists without the change or the
 *      change without its record.
 * A worker killed, a Cognito call that timed out or failed with a 5xx (it
 * may have happened), or a transaction refused after Cognito said yes,
 * leaves the intent pending, and the failure is logged. `gatehouse users
 * sync` then settles every intent pending longer than a request can last
 * (tierchange_settle): it asks Cognito for the user, and either completes
 * the change (Cognito has the new tier: mirror, audit row "completed by
 * sync", sessions) or abandons it (Cognito kept the old one, or lost the
 * user: an audit row saying so). An intent that a later one of the same
 * user follows is only marked abandoned: the later one, settled against
 * what Cognito holds, governs the user's tier and records it.
 *
 * The old tier recorded is the mirror's, read under the row lock of the
 * update, so two admins changing one user at once each record what they
 * really replaced; settling intents is race-free because only one settler
 * can move an intent out of 'pending' (store/intents.c).
 *
 * Ownership: Cognito's answers are freed before the next call; what is
 * kept of them is copied into the arena first. */
#include "svc/tierchange.h"

#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/adminlog.h"
#include "store/audit.h"
#include "store/intents.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/svc.h"
#include "svc/usersync.h"

#define NOTE_COMPLETED "completed by sync"
#define NOTE_MAX 160

/* ensure_row gives a user the mirror has not seen yet (created elsewhere, a
 * missed write) their row as Cognito has them, creation time included, so
 * the change has a row to lock and a true "before". */
static void ensure_row(const struct tenant *t, const struct users_user *u, const char *request_id,
                       struct arena *a)
{
    struct users_user had;
    if (users_get(t->slug, u->sub, a, &had) == STORE_NOT_FOUND &&
        users_upsert(t->slug, u, time(NULL), USERS_REPLACE) != STORE_OK)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", request_id ? request_id : "-");
}

/* log_change writes change's row of the admin actions (the audit page's
 * one table) beside its tier_changes row, in the caller's transaction. */
static bool log_change(const struct tenant *t, const struct audit_change *c)
{
    struct adminlog_entry e = {
        .action = ADMINLOG_TIER_CHANGED, .target_sub = c->user_sub,
        .target_email = c->user_email, .before_value = c->old_tier, .after_value = c->new_tier,
        .actor_sub = c->by_sub, .actor_email = c->by_email, .detail = c->note,
        .request_id = c->request_id, .client_addr = c->client_addr, .at = c->at,
    };
    return adminlog_record(t->slug, &e) == STORE_OK;
}

/* record settles intent_id 'done' and writes the change of user u to tier
 * into the mirror, the audit log (with note) and u's sessions, in one
 * transaction. *old gets the tier it replaced in the mirror (the audit log
 * is the mirror's history: each row starts where the last one ended).
 * Returns false when nothing was written. */
static bool record(const struct tenant *t, const struct users_user *u, const char *tier,
                   const struct tierchange_actor *by, long long intent_id, const char *note,
                   struct arena *a, const char **old)
{
    struct pg_query q;
    time_t now = time(NULL);
    *old = u->tier;
    struct audit_change change = {
        .user_sub = u->sub, .user_email = u->email, .new_tier = tier,
        .by_sub = by->sub, .by_email = by->email,
        .request_id = by->request_id, .client_addr = by->client_addr, .at = now,
        .intent_id = intent_id, .note = note,
    };
    struct sess_profile profile = {.tier = tier};
    pg_query_init(&q);
    bool ok = pg_begin(&q) && intents_settle(t->slug, intent_id, "done") == STORE_OK &&
              users_set_tier(t->slug, u->sub, tier, now, a, &change.old_tier) == STORE_OK &&
              audit_record(t->slug, &change) == STORE_OK && log_change(t, &change) &&
              sess_update_profile(t->id, u->sub, &profile) == STORE_OK && pg_commit(&q);
    if (!ok)
        pg_rollback();
    else
        *old = change.old_tier;
    pg_query_cleanup(&q);
    return ok;
}

/* abandon settles intent i 'abandoned'; with a note, the audit log says so,
 * old and new tier both the mirror's (kept when it has no row): nothing
 * changed there. */
static bool abandon(const struct tenant *t, const struct intents_intent *i, const char *kept,
                    const char *note, struct arena *a)
{
    struct pg_query q;
    struct users_user mirrored;
    if (note && users_get(t->slug, i->user_sub, a, &mirrored) == STORE_OK && mirrored.tier)
        kept = mirrored.tier;
    struct audit_change change = {
        .user_sub = i->user_sub, .user_email = i->user_email, .old_tier = kept,
        .new_tier = kept, .by_sub = i->by_sub, .by_email = i->by_email,
        .request_id = i->request_id, .client_addr = i->client_addr, .at = time(NULL),
        .intent_id = i->id, .note = note,
    };
    pg_query_init(&q);
    bool ok = pg_begin(&q) && intents_settle(t->slug, i->id, "abandoned") == STORE_OK &&
              (!note || (audit_record(t->slug, &change) == STORE_OK && log_change(t, &change))) &&
              pg_commit(&q);
    if (!ok)
        pg_rollback();
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

/* answered_no: Cognito answered the call with a refusal, so it did not
 * happen. No answer, a 5xx or an answer not understood may hide a change. */
static bool answered_no(const struct cog_result *r)
{
    return r->err != COGERR_UNAVAILABLE && r->err != COGERR_INTERNAL_ERROR &&
           r->err != COGERR_UNKNOWN && r->http_status > 0 && r->http_status < 500;
}

enum tierchange_outcome tierchange_apply(const struct tenant *t, const char *username,
                                         const char *tier, const struct tierchange_actor *by,
                                         struct arena *a, struct tierchange *out)
{
    struct cog_client c;
    struct users_user u;
    char quoted[LOG_VALUE_MAX];
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

    ensure_row(t, &u, by->request_id, a);
    struct intents_intent intent = {
        .user_sub = u.sub, .username = out->username, .user_email = u.email,
        .old_tier = u.tier, .new_tier = tier, .by_sub = by->sub, .by_email = by->email,
        .request_id = by->request_id, .client_addr = by->client_addr,
    };
    if (intents_begin(t->slug, &intent) != STORE_OK) {
        log_event(LOG_ERROR, "tier_change_unstarted", "id=%s tenant=%s user_sub=%s new=%s",
                  by->request_id, t->slug, u.sub, tier);
        return TIERCHANGE_UNSTARTED;
    }

    struct cog_attr attrs[] = {{"custom:user_tier", tier}};
    struct cog_params set = {.username = out->username, .attrs = attrs, .n_attrs = 1};
    if (cog_run(&c, COG_ADMIN_UPDATE_ATTRIBUTES, &set, &out->result) < 0) {
        if (answered_no(&out->result) && abandon(t, &intent, u.tier, NULL, a))
            return TIERCHANGE_REFUSED;
        log_event(LOG_ERROR, "tier_change_pending",
                  "id=%s tenant=%s intent=%lld user_sub=%s new=%s cognito=%s repair=users_sync",
                  by->request_id, t->slug, intent.id, u.sub, tier,
                  out->result.type[0] ? out->result.type : "no_answer");
        return TIERCHANGE_REFUSED;
    }
    cog_result_free(&out->result);
    if (!record(t, &u, tier, by, intent.id, NULL, a, &out->old_tier)) {
        log_event(LOG_ERROR, "tier_change_unrecorded",
                  "id=%s tenant=%s intent=%lld admin_sub=%s user_sub=%s user=%s old=%s new=%s"
                  " client=%s repair=users_sync",
                  by->request_id, t->slug, intent.id, by->sub, u.sub,
                  log_quote(quoted, sizeof(quoted), u.email), u.tier, tier, by->client_addr);
        return TIERCHANGE_UNRECORDED;
    }
    return TIERCHANGE_DONE;
}

/* ---- settling what a failure left pending (users sync) -------------------- */

/* settle_one settles intent i by what Cognito (c) holds of its user now. */
static void settle_one(const struct tenant *t, const struct cog_client *c,
                       const struct intents_intent *i, FILE *report,
                       struct tierchange_settled *counts, struct arena *a)
{
    struct cog_result r = {0};
    struct users_user u;
    const char *username, *old;
    char note[NOTE_MAX];
    const char *what = NULL;
    struct cog_params get = {.username = i->username};

    if (i->superseded) {
        if (abandon(t, i, NULL, NULL, a)) {
            counts->superseded++;
            what = "abandoned: a later change of the user governs";
        }
        goto out;
    }
    if (cog_run(c, COG_ADMIN_GET_USER, &get, &r) < 0) {
        if (r.err == COGERR_USER_NOT_FOUND &&
            abandon(t, i, i->old_tier, "abandoned by sync: the user no longer exists", a)) {
            counts->abandoned++;
            what = "abandoned: the user no longer exists";
        }
        goto out;
    }
    if (!usersync_user(r.reply, &u, &username) || strcmp(u.sub, i->user_sub)) {
        /* The name now belongs to someone else (deleted and re-created):
         * this user's change can no longer have happened. */
        if (abandon(t, i, i->old_tier, "abandoned by sync: the user no longer exists", a)) {
            counts->abandoned++;
            what = "abandoned: the user no longer exists";
        }
        goto out;
    }
    if (!strcmp(u.tier, i->new_tier)) {
        struct tierchange_actor by = {i->by_sub, i->by_email, i->request_id, i->client_addr};
        ensure_row(t, &u, i->request_id, a);
        if (record(t, &u, i->new_tier, &by, i->id, NOTE_COMPLETED, a, &old)) {
            counts->completed++;
            what = "completed: Cognito has the new tier";
        }
    } else {
        snprintf(note, sizeof(note), "abandoned by sync: %s was asked, Cognito kept %s",
                 i->new_tier, u.tier);
        if (abandon(t, i, u.tier, note, a)) {
            counts->abandoned++;
            what = "abandoned: Cognito kept the old tier";
        }
    }
out:
    cog_result_free(&r);
    if (!what) {
        counts->left++;
        what = "left pending: Cognito or PostgreSQL did not answer (or another run settled it)";
    }
    if (report)
        fprintf(report, "tier change %lld of %s (%s) %s -> %s: %s\n", i->id, i->user_email,
                i->user_sub, i->old_tier, i->new_tier, what);
}

int tierchange_settle(const struct tenant *t, FILE *report, struct tierchange_settled *counts,
                      char *err, size_t errlen)
{
    struct cog_client c;
    struct arena arena;
    long long after = 0;
    int rc = 0;

    memset(counts, 0, sizeof(*counts));
    svc_client(t, &c);
    arena_init(&arena);
    for (;;) {
        struct intents_page page;
        arena_reset(&arena);
        if (intents_pending(t->slug, after, TIER_INTENT_SETTLE_S, TIER_INTENT_BATCH, &arena,
                            &page) != STORE_OK) {
            snprintf(err, errlen, "cannot read the pending tier changes of tenant %s", t->slug);
            rc = -1;
            break;
        }
        for (int k = 0; k < page.n; k++)
            settle_one(t, &c, &page.rows[k], report, counts, &arena);
        if (page.n < TIER_INTENT_BATCH)
            break;
        after = page.rows[page.n - 1].id;
    }
    arena_free(&arena);
    return rc;
}
