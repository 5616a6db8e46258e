/* SPDX-License-Identifier: MIT */
/* adminuser: an admin's actions on one user (see adminuser.h).
 *
 * Every action goes the same way: Cognito's user is read first (the truth,
 * and the canonical username whatever alias the admin's page named), the
 * refusals that protect the tenant are decided on it, Cognito is asked,
 * then the user's sign-ins end where the action demands it, and last the
 * mirror row and the admin log are written in one transaction, so the log
 * never holds an action without its mirror change or the other way round.
 * A Cognito refusal leaves everything as it was; a failure of the last step
 * leaves Cognito changed and is logged for the operator (`users sync`
 * brings the mirror back in line; the log line says what the log misses).
 *
 * Sign-ins end through svc/session's session_end_user: Cognito's global
 * sign-out (refresh tokens die), a cut-off in the API's revocation list
 * (bearer tokens issued so far are refused) and the browser sessions and
 * API sign-ins deleted. A disabled, reset, deleted or demoted user keeps
 * nothing of a sign-in made before.
 *
 * The admin's own account: an admin cannot disable, delete, reset, demote or
 * strip the MFA of themselves here (their own account page does what a
 * person may do to their own account, with a password proven again); and a
 * change that would leave the tenant with no enabled admin is refused even
 * when the admin's own session still says they are one.
 *
 * Ownership: Cognito's answers are freed before the next call; what is
 * kept of them is copied into the arena first. */
#include "svc/adminuser.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/adminlog.h"
#include "store/pg.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/selfservice.h"
#include "svc/session.h"
#include "svc/svc.h"
#include "svc/usersync.h"

#define PROFILE_FIELDS 4
#define STATUS_RESET "RESET_REQUIRED"

/* What the action is called in the log, and whether the admin may take it
 * on their own account. */
static const struct {
    const char *logged;
    bool on_self;
} actions[ADMINUSER_ACTION_COUNT] = {
    [ADMINUSER_DISABLE] = {ADMINLOG_USER_DISABLED, false},
    [ADMINUSER_ENABLE] = {ADMINLOG_USER_ENABLED, true},
    [ADMINUSER_RESET_PASSWORD] = {ADMINLOG_PASSWORD_RESET, false},
    [ADMINUSER_SIGN_OUT] = {ADMINLOG_SIGNED_OUT, true},
    [ADMINUSER_RESET_MFA] = {ADMINLOG_MFA_RESET, false},
    [ADMINUSER_EDIT] = {ADMINLOG_PROFILE_EDITED, true},
    [ADMINUSER_GRANT_ADMIN] = {ADMINLOG_ADMIN_GRANTED, true},
    [ADMINUSER_REVOKE_ADMIN] = {ADMINLOG_ADMIN_REVOKED, false},
    [ADMINUSER_DELETE] = {ADMINLOG_USER_DELETED, false},
};

/* The user as read before the action (strings in the arena). */
struct target {
    struct users_user u;
    const char *username;
    bool mfa_on;
    const char *attrs[PROFILE_FIELDS]; /* name, company, department, role; NULL: unset */
};

static const char *const profile_attrs[PROFILE_FIELDS] = {"name", "custom:company",
                                                          "custom:department", "custom:role"};
static const char *const profile_labels[PROFILE_FIELDS] = {"name", "company", "department", "role"};

static const char *keep(struct arena *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

bool adminuser_mfa_on(struct json_object *user)
{
    struct json_object *list;
    return user && json_object_object_get_ex(user, "UserMFASettingList", &list) &&
           json_object_is_type(list, json_type_array) && json_object_array_length(list) > 0;
}

/* read_target asks Cognito for the user called username into *t. */
static enum adminuser_outcome read_target(const struct cog_client *c, const char *username,
                                          struct arena *a, struct target *t, struct adminuser *out)
{
    struct cog_params p = {.username = username};
    const char *canonical;
    if (cog_run(c, COG_ADMIN_GET_USER, &p, &out->result) < 0)
        return ADMINUSER_REFUSED;
    if (!usersync_user(out->result.reply, &t->u, &canonical))
        return ADMINUSER_BAD_ANSWER;
    t->u.sub = keep(a, t->u.sub);
    t->u.email = keep(a, t->u.email);
    t->u.name = keep(a, t->u.name);
    t->u.tier = keep(a, t->u.tier);
    t->u.status = keep(a, t->u.status);
    t->username = keep(a, canonical);
    t->mfa_on = adminuser_mfa_on(out->result.reply);
    for (size_t i = 0; i < PROFILE_FIELDS; i++)
        t->attrs[i] = keep(a, cog_user_attr(&out->result, profile_attrs[i]));
    out->username = t->username;
    out->sub = t->u.sub;
    out->email = t->u.email;
    cog_result_free(&out->result);
    return ADMINUSER_DONE;
}

/* in_admin_group: is username in the tenant's admin group? -1: unknown. */
static int in_admin_group(const struct cog_client *c, const char *username)
{
    const char *group = svc_config()->admin_group;
    struct cog_params p = {.username = username};
    struct cog_result r;
    struct json_object *groups, *name;
    int found = -1;
    if (!group || !group[0])
        return 0;
    if (cog_run(c, COG_ADMIN_LIST_GROUPS, &p, &r) == 0 &&
        json_object_object_get_ex(r.reply, "Groups", &groups) &&
        json_object_is_type(groups, json_type_array)) {
        found = 0;
        for (size_t i = 0; i < json_object_array_length(groups); i++)
            if (json_object_object_get_ex(json_object_array_get_idx(groups, i), "GroupName",
                                          &name) &&
                !strcmp(json_object_get_string(name), group))
                found = 1;
    }
    cog_result_free(&r);
    return found;
}

/* other_admins counts the enabled members of the admin group but sub, up
 * to 1 (one is enough to go on). -1: Cognito could not say. */
static int other_admins(const struct cog_client *c, const char *sub, struct arena *a)
{
    char *next = NULL;
    for (int page = 0; page < ADMIN_GROUP_PAGES_MAX; page++) {
        struct cog_params p = {.group = svc_config()->admin_group, .next_token = next};
        struct cog_result r;
        struct json_object *users;
        if (cog_run(c, COG_ADMIN_GROUP_MEMBERS, &p, &r) < 0 ||
            !json_object_object_get_ex(r.reply, "Users", &users) ||
            !json_object_is_type(users, json_type_array)) {
            cog_result_free(&r);
            return -1;
        }
        for (size_t i = 0; i < json_object_array_length(users); i++) {
            struct json_object *user = json_object_array_get_idx(users, i), *enabled;
            struct users_user u;
            const char *name;
            bool on = !json_object_object_get_ex(user, "Enabled", &enabled) ||
                      json_object_get_boolean(enabled);
            if (on && usersync_user(user, &u, &name) && strcmp(u.sub, sub)) {
                cog_result_free(&r);
                return 1;
            }
        }
        const char *token = cog_get(&r, "NextToken");
        next = token && token[0] ? arena_strdup(a, token) : NULL;
        cog_result_free(&r);
        if (!next)
            return 0;
    }
    return -1; /* more pages than anyone should have: do not guess */
}

/* guard refuses what would hurt the tenant: an action on oneself that is
 * not one's own to take here, and leaving the tenant without an admin. */
static enum adminuser_outcome guard(const struct cog_client *c, enum adminuser_action action,
                                    const struct target *t, const struct adminuser_actor *by,
                                    struct arena *a, struct adminuser *out)
{
    bool self = !strcmp(t->u.sub, by->sub);
    bool demotes = action == ADMINUSER_REVOKE_ADMIN || action == ADMINUSER_DISABLE ||
                   action == ADMINUSER_DELETE;
    if (!demotes)
        return self && !actions[action].on_self ? ADMINUSER_SELF : ADMINUSER_DONE;
    int member = in_admin_group(c, t->username), others = 1;
    if (member == 1)
        others = other_admins(c, t->u.sub, a);
    if (member < 0 || others < 0) {
        out->result.err = COGERR_UNAVAILABLE;
        out->result.error = cogerr_get(COGERR_UNAVAILABLE, COGERR_CTX_ADMIN);
        return ADMINUSER_REFUSED;
    }
    out->target_was_admin = member == 1;
    if (others == 0)
        return ADMINUSER_LAST_ADMIN;
    return self ? ADMINUSER_SELF : ADMINUSER_DONE;
}

/* record writes the action into the log, with the mirror's change (enabled
 * and status, or the deletion, or the name) in the same transaction. */
static bool record(const struct tenant *t, enum adminuser_action action, const struct target *tg,
                   const char *before, const char *after, const char *detail,
                   const struct selfservice_profile *edit, const struct adminuser_actor *by)
{
    struct pg_query q;
    time_t now = time(NULL);
    struct adminlog_entry e = {.action = actions[action].logged,
                               .target_sub = tg->u.sub,
                               .target_email = tg->u.email,
                               .before_value = before,
                               .after_value = after,
                               .actor_sub = by->sub,
                               .actor_email = by->email,
                               .detail = detail,
                               .request_id = by->request_id,
                               .client_addr = by->client_addr};
    enum store_result mirror = STORE_OK;
    pg_query_init(&q);
    bool ok = pg_begin(&q);
    if (ok) {
        switch (action) {
        case ADMINUSER_DISABLE:
        case ADMINUSER_ENABLE:
            mirror = users_set_account(t->slug, tg->u.sub, action == ADMINUSER_ENABLE, NULL, now);
            break;
        case ADMINUSER_RESET_PASSWORD:
            mirror = users_set_account(t->slug, tg->u.sub, tg->u.enabled, STATUS_RESET, now);
            break;
        case ADMINUSER_DELETE:
            mirror = users_mark_deleted(t->slug, tg->u.sub, now);
            break;
        case ADMINUSER_EDIT:
            if (edit->name && edit->name[0])
                mirror = users_set_name(t->slug, tg->u.sub, edit->name, now);
            break;
        default:
            break;
        }
        /* A user the mirror has not seen yet has no row to change: the
         * next sync or sign-in writes it as Cognito has it. */
        ok = (mirror == STORE_OK || mirror == STORE_NOT_FOUND) &&
             adminlog_record(t->slug, &e) == STORE_OK && pg_commit(&q);
        if (!ok)
            pg_rollback();
    }
    pg_query_cleanup(&q);
    if (!ok)
        log_event(LOG_ERROR, "admin_action_unrecorded",
                  "id=%s tenant=%s action=%s admin_sub=%s user_sub=%s repair=users_sync",
                  by->request_id, t->slug, actions[action].logged, by->sub, tg->u.sub);
    return ok;
}

/* end_sign_ins ends every sign-in of the user (logged when a step failed:
 * the rest is done; see session_end_user). */
static void end_sign_ins(const struct tenant *t, const struct target *tg,
                         const struct adminuser_actor *by)
{
    if (session_end_user(t, tg->u.sub, NULL, by->request_id) != SESSION_OK)
        log_event(LOG_WARN, "admin_sign_out_partial", "id=%s tenant=%s user_sub=%s", by->request_id,
                  t->slug, tg->u.sub);
}

/* sessions_groups writes the user's groups as Cognito now has them on
 * their sessions, so a grant reaches their next page. */
static void sessions_groups(const struct tenant *t, const struct cog_client *c,
                            const struct target *tg, const char *request_id)
{
    struct cog_params p = {.username = tg->username};
    struct cog_result r;
    struct json_object *groups, *name;
    const char *names[SESSION_GROUPS_MAX];
    size_t n = 0;
    if (cog_run(c, COG_ADMIN_LIST_GROUPS, &p, &r) == 0 &&
        json_object_object_get_ex(r.reply, "Groups", &groups) &&
        json_object_is_type(groups, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(groups) && n < SESSION_GROUPS_MAX; i++)
            if (json_object_object_get_ex(json_object_array_get_idx(groups, i), "GroupName", &name))
                names[n++] = json_object_get_string(name);
        struct sess_profile sp = {.groups = names, .ngroups = n, .set_groups = true};
        if (sess_update_profile(t->id, tg->u.sub, &sp) != STORE_OK)
            log_event(LOG_WARN, "admin_groups_not_on_sessions", "id=%s tenant=%s", request_id,
                      t->slug);
    }
    cog_result_free(&r);
}

/* ---- the edit ------------------------------------------------------------- */

/* describe appends "label: value" of each field to out. */
static void describe(struct buf *out, const char *label, const char *value)
{
    buf_printf(out, "%s%s: %s", buf_cstr(out)[0] ? "; " : "", label,
               value && value[0] ? value : "(none)");
}

/* edit_profile writes the changed fields of edit to Cognito: set, or
 * removed (a work detail given as ""). UNCHANGED when nothing differs. */
static enum adminuser_outcome edit_profile(const struct cog_client *c, const struct target *tg,
                                           const struct selfservice_profile *edit, struct arena *a,
                                           struct adminuser *out, const char **before,
                                           const char **after)
{
    const char *wanted[PROFILE_FIELDS] = {edit->name, edit->company, edit->department, edit->role};
    struct cog_attr set[PROFILE_FIELDS], gone[PROFILE_FIELDS];
    size_t nset = 0, ngone = 0;
    struct buf was, now;
    buf_init(&was);
    buf_init(&now);
    buf_puts(&was, "");
    buf_puts(&now, "");
    for (size_t i = 0; i < PROFILE_FIELDS; i++) {
        const char *v = wanted[i], *had = tg->attrs[i];
        if (!v || (i == 0 && !v[0]))
            continue; /* not given; a name is never removed */
        if (!v[0] && !had)
            continue;
        if (v[0] && had && !strcmp(v, had))
            continue;
        if (v[0])
            set[nset++] = (struct cog_attr){profile_attrs[i], v};
        else
            gone[ngone++] = (struct cog_attr){profile_attrs[i], ""};
        describe(&was, profile_labels[i], had);
        describe(&now, profile_labels[i], v);
    }
    enum adminuser_outcome result = ADMINUSER_DONE;
    if (!nset && !ngone) {
        result = ADMINUSER_UNCHANGED;
        goto out;
    }
    if (nset) {
        struct cog_params p = {.username = tg->username, .attrs = set, .n_attrs = nset};
        if (cog_run(c, COG_ADMIN_UPDATE_ATTRIBUTES, &p, &out->result) < 0) {
            result = ADMINUSER_REFUSED;
            goto out;
        }
        cog_result_free(&out->result);
    }
    if (ngone) {
        struct cog_params p = {.username = tg->username, .attrs = gone, .n_attrs = ngone};
        if (cog_run(c, COG_ADMIN_DELETE_ATTRIBUTES, &p, &out->result) < 0) {
            result = ADMINUSER_REFUSED;
            goto out;
        }
        cog_result_free(&out->result);
    }
    *before = arena_strdup(a, buf_cstr(&was));
    *after = arena_strdup(a, buf_cstr(&now));
out:
    buf_free(&was);
    buf_free(&now);
    return result;
}

/* ---- the actions ---------------------------------------------------------- */

/* simple_call asks Cognito for op on the user. */
static bool simple_call(const struct cog_client *c, enum cog_op op, const struct target *tg,
                        const char *group, struct adminuser *out)
{
    struct cog_params p = {.username = tg->username, .group = group};
    if (cog_run(c, op, &p, &out->result) < 0)
        return false;
    cog_result_free(&out->result);
    return true;
}

enum adminuser_outcome adminuser_apply(const struct tenant *t, enum adminuser_action action,
                                       const char *username, const struct adminuser_input *in,
                                       const struct adminuser_actor *by, struct arena *a,
                                       struct adminuser *out)
{
    static const struct adminuser_input none;
    if (!in)
        in = &none;
    const struct selfservice_profile *edit = in->edit;
    struct cog_client c;
    struct target tg;
    const char *before = NULL, *after = NULL, *detail = NULL;
    const char *group = svc_config()->admin_group;
    enum adminuser_outcome result;

    memset(out, 0, sizeof(*out));
    memset(&tg, 0, sizeof(tg));
    if ((int)action < 0 || action >= ADMINUSER_ACTION_COUNT || (action == ADMINUSER_EDIT && !edit))
        return ADMINUSER_BAD_INPUT;
    if (action == ADMINUSER_EDIT && (out->field = selfservice_check_profile(edit, &out->problem)))
        return ADMINUSER_BAD_INPUT;
    svc_client(t, &c);
    if ((result = read_target(&c, username, a, &tg, out)) != ADMINUSER_DONE)
        return result;
    if (action == ADMINUSER_DELETE &&
        (!in->confirm_email || strcasecmp(in->confirm_email, tg.u.email) != 0))
        return ADMINUSER_NOT_CONFIRMED;
    if ((result = guard(&c, action, &tg, by, a, out)) != ADMINUSER_DONE)
        return result;

    switch (action) {
    case ADMINUSER_DISABLE:
        if (!tg.u.enabled)
            return ADMINUSER_UNCHANGED;
        if (!simple_call(&c, COG_ADMIN_DISABLE, &tg, NULL, out))
            return ADMINUSER_REFUSED;
        end_sign_ins(t, &tg, by);
        before = "enabled", after = "disabled";
        break;
    case ADMINUSER_ENABLE:
        if (tg.u.enabled)
            return ADMINUSER_UNCHANGED;
        if (!simple_call(&c, COG_ADMIN_ENABLE, &tg, NULL, out))
            return ADMINUSER_REFUSED;
        before = "disabled", after = "enabled";
        break;
    case ADMINUSER_RESET_PASSWORD:
        if (!simple_call(&c, COG_ADMIN_RESET_PASSWORD, &tg, NULL, out))
            return ADMINUSER_REFUSED;
        end_sign_ins(t, &tg, by);
        before = tg.u.status, after = STATUS_RESET;
        detail = "a reset code was sent to the user's email";
        break;
    case ADMINUSER_SIGN_OUT:
        end_sign_ins(t, &tg, by);
        break;
    case ADMINUSER_RESET_MFA:
        if (!tg.mfa_on)
            return ADMINUSER_UNCHANGED;
        if (!simple_call(&c, COG_ADMIN_MFA_OFF, &tg, NULL, out))
            return ADMINUSER_REFUSED;
        before = "on", after = "off";
        break;
    case ADMINUSER_EDIT:
        if ((result = edit_profile(&c, &tg, edit, a, out, &before, &after)) != ADMINUSER_DONE)
            return result;
        if (edit->name && edit->name[0]) {
            struct sess_profile sp = {.name = edit->name};
            if (sess_update_profile(t->id, tg.u.sub, &sp) != STORE_OK)
                log_event(LOG_WARN, "profile_not_on_sessions", "id=%s tenant=%s", by->request_id,
                          t->slug);
        }
        break;
    case ADMINUSER_GRANT_ADMIN:
        if (in_admin_group(&c, tg.username) == 1)
            return ADMINUSER_UNCHANGED;
        if (!simple_call(&c, COG_ADMIN_ADD_TO_GROUP, &tg, group, out))
            return ADMINUSER_REFUSED;
        sessions_groups(t, &c, &tg, by->request_id);
        before = "not admin", after = "admin";
        break;
    case ADMINUSER_REVOKE_ADMIN:
        if (!out->target_was_admin)
            return ADMINUSER_UNCHANGED;
        if (!simple_call(&c, COG_ADMIN_REMOVE_FROM_GROUP, &tg, group, out))
            return ADMINUSER_REFUSED;
        /* The panel is lost at once: every sign-in ends, and the next one
         * carries the groups without this one. */
        end_sign_ins(t, &tg, by);
        before = "admin", after = "not admin";
        break;
    case ADMINUSER_DELETE:
        if (!simple_call(&c, COG_ADMIN_DELETE_USER, &tg, NULL, out))
            return ADMINUSER_REFUSED;
        /* Cognito's global sign-out fails for a user already gone (logged);
         * its tokens died with the user, and the rest still ends here. */
        end_sign_ins(t, &tg, by);
        before = tg.u.enabled ? "enabled" : "disabled", after = "deleted";
        break;
    default:
        return ADMINUSER_BAD_INPUT;
    }
    if (!record(t, action, &tg, before, after, detail, edit, by))
        return ADMINUSER_UNRECORDED;
    log_event(LOG_INFO, "admin_user_action", "id=%s tenant=%s action=%s admin_sub=%s user_sub=%s",
              by->request_id, t->slug, actions[action].logged, by->sub, tg.u.sub);
    return ADMINUSER_DONE;
}
