/* SPDX-License-Identifier: MIT */
/* invite: invitations, confirmation by hand and the CSV import (see
 * invite.h).
 *
 * An invitation sets everything a sign-up sets server-side — the tier and
 * the tenant (custom:user_tier, custom:tenant_id), which no user may write
 * — in the AdminCreateUser call itself, so the user never exists without
 * them. email_verified is set: the temporary password reaches the person
 * only through that address, so signing in with it proves it. Cognito
 * refuses an email that has a user (UsernameExistsException): nothing of
 * that user changes.
 *
 * After Cognito has done an action, the mirror row and then the admin log's
 * record are written (see record for why not in one transaction); when
 * either fails, Cognito's change stays (it cannot be taken back: an email
 * went out) and the failure is logged, for `users sync` to bring the mirror
 * back, as tierchange does.
 *
 * The CSV import is planned from the file and from Cognito every time it is
 * shown and again when it is applied: nothing of a preview comes back from
 * the browser but the file, so a plan cannot be forged into another, and a
 * second run of the same file finds every row done ("nothing to do"). Tier
 * changes go through svc/tierchange, as a single change does.
 *
 * Ownership: Cognito's answers are freed before the next call; what is
 * kept of them is copied into the arena first. */
#include "svc/invite.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/utf8.h"
#include "store/adminlog.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "svc/usersync.h"

#define STATUS_INVITED "FORCE_CHANGE_PASSWORD"
#define STATUS_UNCONFIRMED "UNCONFIRMED"
#define STATUS_CONFIRMED "CONFIRMED"
#define CSV_HEADER_FIELDS 3
#define WHY_MAX 160

/* ---- the single actions --------------------------------------------------- */

/* keep copies what the result keeps of Cognito's user u into a. */
static void keep(struct invite_result *out, const struct users_user *u, const char *username,
                 struct arena *a)
{
    out->username = arena_strdup(a, username);
    out->sub = arena_strdup(a, u->sub);
    out->email = arena_strdup(a, u->email);
    out->status = u->status ? arena_strdup(a, u->status) : NULL;
}

/* record writes u into the mirror (how), then e into the admin log. Two
 * transactions, not one: users_upsert keeps the mirror's one-row-per-email
 * rule in a transaction of its own, which cannot nest. The mirror is
 * Cognito's copy and `users sync` rewrites it; the log row is written
 * whatever became of the copy, since the action happened at Cognito. */
static bool record(const struct tenant *t, const struct users_user *u, enum users_write how,
                   const struct adminlog_entry *e)
{
    bool mirrored = users_upsert(t->slug, u, time(NULL), how) == STORE_OK;
    if (!mirrored)
        log_event(LOG_WARN, "users_mirror_failed", "id=%s", e->request_id ? e->request_id : "-");
    return adminlog_record(t->slug, e) == STORE_OK && mirrored;
}

static struct adminlog_entry entry(const char *action, const struct invite_result *out,
                                   const struct tierchange_actor *by)
{
    return (struct adminlog_entry){
        .action = action, .target_sub = out->sub, .target_email = out->email,
        .actor_sub = by->sub, .actor_email = by->email, .request_id = by->request_id,
        .client_addr = by->client_addr,
    };
}

static void unrecorded(const struct tenant *t, const char *action, const struct invite_result *out,
                       const struct tierchange_actor *by)
{
    log_event(LOG_ERROR, "admin_action_unrecorded",
              "id=%s tenant=%s action=%s admin_sub=%s user_sub=%s repair=users_sync",
              by->request_id, t->slug, action, by->sub, out->sub);
}

const char *invite_name_problem(const char *name)
{
    /* One line of visible text: a tab, a line break or an invisible
     * character would make one name look like another (and the mirror
     * refuses control characters). */
    if (input_check_text(name, INPUT_NAME_MAX, false) ||
        (name && (strpbrk(name, "\t\r\n") || utf8_has_invisible(name, strlen(name)))))
        return "Give a name of at most 100 characters on one line, without control or "
               "invisible characters.";
    return NULL;
}

const char *invite_check(const struct invite_request *in)
{
    const char *problem = input_check_email(in->email);
    if (problem)
        return problem;
    if (invite_name_problem(in->name))
        return invite_name_problem(in->name);
    if (!tier_known(in->tier))
        return "Choose Standard or Premium.";
    return NULL;
}

enum invite_outcome invite_send(const struct tenant *t, const struct invite_request *in,
                                const struct tierchange_actor *by, struct arena *a,
                                struct invite_result *out)
{
    struct cog_client c;
    struct users_user u;
    const char *username;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    struct cog_attr attrs[6];
    size_t n = 0;
    attrs[n++] = (struct cog_attr){"email", in->email};
    attrs[n++] = (struct cog_attr){"email_verified", "true"};
    if (in->name && *in->name)
        attrs[n++] = (struct cog_attr){"name", in->name};
    attrs[n++] = (struct cog_attr){"custom:user_tier", in->tier};
    attrs[n++] = (struct cog_attr){"custom:tenant_id", t->slug};
    if (cog_admin_invite(&c, in->email, attrs, n, false, &out->result) < 0)
        return out->result.err == COGERR_USERNAME_EXISTS ? INVITE_EXISTS : INVITE_REFUSED;
    struct json_object *user = NULL;
    json_object_object_get_ex(out->result.reply, "User", &user);
    if (!user || !usersync_user(user, &u, &username))
        return INVITE_BAD_ANSWER;
    if (!u.status)
        u.status = STATUS_INVITED;
    keep(out, &u, username, a);
    u.sub = out->sub;
    u.email = out->email;
    u.status = out->status;
    u.name = in->name && *in->name ? in->name : NULL;
    u.tier = in->tier;
    u.enabled = true;
    cog_result_free(&out->result);

    struct adminlog_entry e = entry(ADMINLOG_INVITATION_SENT, out, by);
    e.after_value = in->tier;
    e.detail = in->admin ? "invited as an administrator" : NULL;
    bool recorded = record(t, &u, USERS_MERGE, &e);
    if (!recorded)
        unrecorded(t, ADMINLOG_INVITATION_SENT, out, by);
    if (in->admin) {
        const struct config *cfg = svc_config();
        struct cog_params p = {.username = out->username, .group = cfg ? cfg->admin_group : NULL};
        if (cog_run(&c, COG_ADMIN_ADD_TO_GROUP, &p, &out->result) < 0) {
            log_event(LOG_ERROR, "invite_group_failed", "id=%s tenant=%s user_sub=%s cognito=%s",
                      by->request_id, t->slug, out->sub,
                      out->result.type[0] ? out->result.type : "no_answer");
            return INVITE_NO_GROUP;
        }
        cog_result_free(&out->result);
        struct adminlog_entry g = entry(ADMINLOG_ADMIN_GRANTED, out, by);
        g.detail = "with the invitation";
        if (adminlog_record(t->slug, &g) != STORE_OK)
            unrecorded(t, ADMINLOG_ADMIN_GRANTED, out, by);
    }
    return recorded ? INVITE_DONE : INVITE_UNRECORDED;
}

/* look_up reads the user called username into u (kept in the result). */
static enum invite_outcome look_up(const struct cog_client *c, const char *username,
                                   struct arena *a, struct invite_result *out,
                                   struct users_user *u)
{
    const char *name;
    struct cog_params get = {.username = username};
    if (cog_run(c, COG_ADMIN_GET_USER, &get, &out->result) < 0)
        return INVITE_REFUSED;
    if (!usersync_user(out->result.reply, u, &name))
        return INVITE_BAD_ANSWER;
    keep(out, u, name, a);
    u->sub = out->sub;
    u->email = out->email;
    u->status = out->status;
    u->name = u->name ? arena_strdup(a, u->name) : NULL;
    u->tier = arena_strdup(a, u->tier);
    cog_result_free(&out->result);
    return INVITE_DONE;
}

/* A step an admin takes on a user in one Cognito status: resending the
 * invitation of an invited user, confirming a user's sign-up. */
struct status_step {
    const char *action; /* ADMINLOG_* */
    const char *from;   /* the status the user must be in */
    const char *to;     /* the status after it; NULL: the same */
    int (*call)(const struct cog_client *c, const char *username, struct cog_result *res);
};

/* A fresh temporary password, emailed again (AdminCreateUser, RESEND). */
static int resend_invitation(const struct cog_client *c, const char *username,
                             struct cog_result *res)
{
    return cog_admin_invite(c, username, NULL, 0, true, res);
}

static const struct status_step resend_step = {
    ADMINLOG_INVITATION_RESENT, STATUS_INVITED, NULL, resend_invitation};
static const struct status_step confirm_step = {
    ADMINLOG_SIGNUP_CONFIRMED, STATUS_UNCONFIRMED, STATUS_CONFIRMED, cog_admin_confirm_sign_up};

/* take_step looks username up, takes step when the user is in its status,
 * and records it in the users mirror and the admin log. */
static enum invite_outcome take_step(const struct tenant *t, const char *username,
                                     const struct tierchange_actor *by, struct arena *a,
                                     const struct status_step *step, struct invite_result *out)
{
    struct cog_client c;
    struct users_user u;
    memset(out, 0, sizeof(*out));
    svc_client(t, &c);
    enum invite_outcome rc = look_up(&c, username, a, out, &u);
    if (rc != INVITE_DONE)
        return rc;
    if (!out->status || strcmp(out->status, step->from))
        return INVITE_WRONG_STATUS;
    if (step->call(&c, out->username, &out->result) < 0)
        return INVITE_REFUSED;
    cog_result_free(&out->result);
    struct adminlog_entry e = entry(step->action, out, by);
    e.before_value = step->from;
    e.after_value = step->to ? step->to : step->from;
    if (step->to)
        u.status = out->status = step->to;
    if (!record(t, &u, USERS_MERGE, &e)) {
        unrecorded(t, step->action, out, by);
        return INVITE_UNRECORDED;
    }
    return INVITE_DONE;
}

enum invite_outcome invite_resend(const struct tenant *t, const char *username,
                                  const struct tierchange_actor *by, struct arena *a,
                                  struct invite_result *out)
{
    return take_step(t, username, by, a, &resend_step, out);
}

enum invite_outcome invite_confirm(const struct tenant *t, const char *username,
                                   const struct tierchange_actor *by, struct arena *a,
                                   struct invite_result *out)
{
    return take_step(t, username, by, a, &confirm_step, out);
}

/* ---- CSV import ----------------------------------------------------------- */

/* next_field reads one RFC 4180 field from *p (quoted or not) into b and
 * moves *p past it and its comma. *end_of_record is set when the field
 * ended the record (a line break or the end). False on a quote out of
 * place. */
static bool next_field(const char **p, struct buf *b, bool *end_of_record)
{
    const char *s = *p;
    buf_reset(b);
    *end_of_record = false;
    if (*s == '"') {
        for (s++;; s++) {
            if (!*s)
                return false;
            if (*s == '"') {
                if (s[1] != '"')
                    break;
                s++;
            }
            buf_putc(b, *s);
        }
        s++;
        if (*s && *s != ',' && *s != '\r' && *s != '\n')
            return false;
    } else {
        for (; *s && *s != ',' && *s != '\r' && *s != '\n'; s++) {
            if (*s == '"')
                return false;
            buf_putc(b, *s);
        }
    }
    if (*s == ',') {
        s++;
    } else {
        *end_of_record = true;
        if (*s == '\r')
            s++;
        if (*s == '\n')
            s++;
    }
    *p = s;
    return true;
}

/* trimmed copies b without its surrounding spaces into a, ASCII letters
 * lower-cased when lower. */
static const char *trimmed(struct buf *b, bool lower, struct arena *a)
{
    const char *s = buf_cstr(b);
    size_t len = strlen(s);
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    char *out = arena_strndup(a, s, len);
    for (char *c = out; lower && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return out;
}

/* read_record reads one record of at most max fields into cells; *n gets
 * how many it had (more than max: max + 1). False on a malformed record. */
static bool read_record(const char **p, struct buf *b, const char **cells, int max, int *n,
                        struct arena *a)
{
    bool end = false;
    *n = 0;
    while (!end) {
        if (!next_field(p, b, &end))
            return false;
        if (*n < max)
            cells[*n] = trimmed(b, *n != 1, a);
        (*n)++;
    }
    if (*n > max)
        *n = max + 1;
    return true;
}

static const char *why(struct arena *a, const char *fmt, int n)
{
    char text[WHY_MAX];
    snprintf(text, sizeof(text), fmt, n);
    return arena_strdup(a, text);
}

/* decide plans row r against Cognito (c). */
static void decide(const struct cog_client *c, struct invite_row *r, struct arena *a)
{
    struct cog_result res;
    struct users_user u;
    const char *username;
    struct cog_params get = {.username = r->email};
    if (cog_run(c, COG_ADMIN_GET_USER, &get, &res) < 0) {
        if (res.err == COGERR_USER_NOT_FOUND) {
            r->kind = INVITE_ROW_INVITE;
        } else {
            r->kind = INVITE_ROW_UNKNOWN;
            r->why = "Cognito could not be asked about this user just now.";
        }
    } else if (!usersync_user(res.reply, &u, &username)) {
        r->kind = INVITE_ROW_UNKNOWN;
        r->why = "Cognito's answer about this user could not be read.";
    } else {
        r->username = arena_strdup(a, username);
        r->current_tier = arena_strdup(a, u.tier);
        r->kind = strcmp(u.tier, r->tier) ? INVITE_ROW_TIER_CHANGE : INVITE_ROW_NOTHING;
    }
    cog_result_free(&res);
}

/* check_row says why r cannot be used, or NULL; rows before it (n) are
 * looked at for the same email. */
static const char *check_row(struct invite_row *r, const struct invite_row *before, int n,
                             int fields, struct arena *a)
{
    if (fields != CSV_HEADER_FIELDS)
        return why(a, "Each line needs three fields (email, name, tier); this one has %d.",
                   fields > CSV_HEADER_FIELDS ? CSV_HEADER_FIELDS + 1 : fields);
    struct invite_request in = {.email = r->email, .name = r->name, .tier = r->tier};
    const char *problem = invite_check(&in);
    if (problem)
        return problem;
    for (int i = 0; i < n; i++)
        if (before[i].kind != INVITE_ROW_INVALID && !strcmp(before[i].email, r->email))
            return why(a, "The same email is on line %d.", before[i].line);
    return NULL;
}

static bool blank_line(const char *p)
{
    return *p == '\r' || *p == '\n';
}

static const char *skip_line(const char *p)
{
    if (*p == '\r')
        p++;
    if (*p == '\n')
        p++;
    return p;
}

const char *invite_plan_csv(const struct tenant *t, const char *csv, struct arena *a,
                            struct invite_plan *out)
{
    static const char *const header[CSV_HEADER_FIELDS] = {"email", "name", "tier"};
    const char *cells[CSV_HEADER_FIELDS + 1];
    const char *problem = NULL;
    struct cog_client c;
    struct buf b;
    int n, line = 1;
    memset(out, 0, sizeof(*out));
    if (!csv || !*csv)
        return "Paste the CSV first: a header line `email,name,tier`, then one user a line.";
    size_t len = strlen(csv);
    if (len > IMPORT_CSV_MAX)
        return why(a, "The CSV is too large: at most %d KB at once.", IMPORT_CSV_MAX / 1024);
    if (!utf8_valid(csv, len))
        return "The CSV is not UTF-8 text: save it as CSV UTF-8 and paste it again.";
    if (!strncmp(csv, "\xEF\xBB\xBF", 3)) /* a byte order mark, as spreadsheets write */
        csv += 3;
    buf_init(&b);
    const char *p = csv;
    bool header_ok = read_record(&p, &b, cells, CSV_HEADER_FIELDS, &n, a) &&
                     n == CSV_HEADER_FIELDS;
    for (int k = 0; header_ok && k < CSV_HEADER_FIELDS; k++)
        header_ok = !strcasecmp(cells[k], header[k]);
    if (!header_ok) {
        problem = "The first line must be the header `email,name,tier`.";
        goto out;
    }
    out->rows = arena_alloc(a, sizeof(*out->rows) * IMPORT_ROWS_MAX);
    svc_client(t, &c);
    while (*p) {
        line++;
        if (blank_line(p)) {
            p = skip_line(p);
            continue;
        }
        if (out->n == IMPORT_ROWS_MAX) {
            problem = why(a, "The CSV has too many rows: at most %d users at once.",
                          IMPORT_ROWS_MAX);
            goto out;
        }
        struct invite_row *r = &out->rows[out->n];
        memset(r, 0, sizeof(*r));
        r->line = line;
        if (!read_record(&p, &b, cells, CSV_HEADER_FIELDS, &n, a)) {
            problem = why(a, "Line %d is not valid CSV (a quote out of place).", line);
            goto out;
        }
        r->email = n > 0 ? cells[0] : "";
        r->name = n > 1 ? cells[1] : "";
        r->tier = n > 2 ? cells[2] : "";
        r->why = check_row(r, out->rows, out->n, n, a);
        out->n++;
        if (r->why)
            r->kind = INVITE_ROW_INVALID;
        else
            decide(&c, r, a);
    }
    if (!out->n)
        problem = "The CSV has a header but no users.";
out:
    if (problem)
        out->n = 0;
    buf_free(&b);
    return problem;
}

enum invite_row_result invite_apply_row(const struct tenant *t, const struct invite_row *row,
                                        const struct tierchange_actor *by, struct arena *a,
                                        const char **message)
{
    enum invite_row_result rc = INVITE_RESULT_FAILED;
    struct invite_result inv;
    struct tierchange change;
    memset(&inv, 0, sizeof(inv));
    memset(&change, 0, sizeof(change));
    switch (row->kind) {
    case INVITE_ROW_INVALID:
        *message = row->why;
        return INVITE_RESULT_SKIPPED;
    case INVITE_ROW_UNKNOWN:
        *message = row->why;
        return INVITE_RESULT_FAILED;
    case INVITE_ROW_NOTHING:
        *message = "Already a user with this tier: nothing to do.";
        return INVITE_RESULT_UNCHANGED;
    case INVITE_ROW_INVITE: {
        struct invite_request in = {.email = row->email, .name = row->name, .tier = row->tier};
        switch (invite_send(t, &in, by, a, &inv)) {
        case INVITE_DONE:
            *message = "Invited: Cognito emailed a temporary password.";
            rc = INVITE_RESULT_INVITED;
            break;
        case INVITE_UNRECORDED:
            *message = "Invited; the users list follows at the next sync.";
            rc = INVITE_RESULT_INVITED;
            break;
        case INVITE_EXISTS:
            *message = "A user with this email appeared meanwhile: nothing changed.";
            rc = INVITE_RESULT_UNCHANGED;
            break;
        default:
            *message = "Not invited: Cognito refused or did not answer. Try again.";
            break;
        }
        cog_result_free(&inv.result);
        return rc;
    }
    case INVITE_ROW_TIER_CHANGE:
        switch (tierchange_apply(t, row->username, row->tier, by, a, &change)) {
        case TIERCHANGE_DONE:
        case TIERCHANGE_UNRECORDED:
            *message = arena_strdup(a, row->tier[0] == 'p' ? "Tier changed to premium."
                                                            : "Tier changed to standard.");
            rc = INVITE_RESULT_TIER_CHANGED;
            break;
        case TIERCHANGE_UNCHANGED:
            *message = "Already a user with this tier: nothing to do.";
            rc = INVITE_RESULT_UNCHANGED;
            break;
        default:
            *message = "The tier was not changed: Cognito or the database failed. Try again.";
            break;
        }
        cog_result_free(&change.result);
        return rc;
    }
    *message = "Unknown row.";
    return rc;
}
