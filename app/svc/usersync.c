/* SPDX-License-Identifier: MIT */
/* usersync: ListUsers and the users sync (see usersync.h).
 *
 * Cognito stays the truth; the mirror is a copy kept current on sign-up,
 * sign-in and admin changes, which a failed write or a change made outside
 * gatehouse (the console, another tool) can leave behind. The sync repairs
 * it: the mirror is read first (sorted by sub, for a binary search), then
 * every page of ListUsers is compared with it; a new or different user is
 * written with users_upsert, and the rows no page mentioned are deleted last,
 * only once the whole listing has succeeded, and only if they were not
 * written since the listing began (a user who signed up meanwhile stays).
 * Running it twice in a row changes nothing the second time, so it is safe
 * at any time.
 *
 * Ownership: the mirror copy lives in an arena freed before returning;
 * Cognito's answers are freed page by page. The command line that runs it
 * for an operator is server/userscmd.c. */
#include "svc/usersync.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xalloc.h"
#include "store/adminlog.h"
#include "store/pg.h"
#include "store/tenants.h"
#include "svc/tier.h"

#define MIRROR_BATCH 1000       /* rows read from the mirror per statement */
#define LIST_PAGES_MAX 20000    /* 1.2 million users: a token loop ends here */

int usersync_list_page(const struct cog_client *c, const char *filter, const char *token,
                       int limit, struct cog_result *out)
{
    struct json_object *req = json_object_new_object();
    json_object_object_add(req, "UserPoolId", json_object_new_string(c->pool_id ? c->pool_id : ""));
    json_object_object_add(req, "Limit", json_object_new_int(limit));
    if (filter && *filter)
        json_object_object_add(req, "Filter", json_object_new_string(filter));
    if (token && *token)
        json_object_object_add(req, "PaginationToken", json_object_new_string(token));
    int rc = cog_call(c, "ListUsers", req, out);
    json_object_put(req);
    return rc;
}

static const char *string_of(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Cognito's JSON 1.1 dates are seconds since the epoch, as numbers. */
static time_t date_of(struct json_object *obj, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(obj, key, &v))
        return 0;
    if (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
        return (time_t)json_object_get_int64(v);
    return 0;
}

bool usersync_user(struct json_object *user, struct users_user *u, const char **username)
{
    struct json_object *attrs, *enabled;
    memset(u, 0, sizeof(*u));
    *username = string_of(user, "Username");
    if (!json_object_object_get_ex(user, "Attributes", &attrs) &&
        !json_object_object_get_ex(user, "UserAttributes", &attrs))
        return false;
    for (size_t i = 0; json_object_is_type(attrs, json_type_array) &&
                       i < json_object_array_length(attrs); i++) {
        struct json_object *a = json_object_array_get_idx(attrs, i);
        const char *name = string_of(a, "Name"), *value = string_of(a, "Value");
        if (!name || !value)
            continue;
        if (!strcmp(name, "sub"))
            u->sub = value;
        else if (!strcmp(name, "email"))
            u->email = value;
        else if (!strcmp(name, "name"))
            u->name = value;
        else if (!strcmp(name, "custom:user_tier"))
            u->tier = value;
    }
    /* The mirror only knows the two tiers; anything else is served as the
     * default, exactly as sign-in reads it from the token. */
    u->tier = tier_or_standard(u->tier);
    u->status = string_of(user, "UserStatus");
    u->enabled = !json_object_object_get_ex(user, "Enabled", &enabled) ||
                 json_object_get_boolean(enabled);
    u->created_at = date_of(user, "UserCreateDate");
    u->updated_at = date_of(user, "UserLastModifiedDate");
    return u->sub && u->email && *username;
}

/* ---- the mirror, in memory ---------------------------------------------- */

struct mirror {
    struct users_user *rows;
    bool *seen;
    size_t n;
};

static int by_sub(const void *a, const void *b)
{
    return strcmp(((const struct users_user *)a)->sub, ((const struct users_user *)b)->sub);
}

/* load_mirror reads every row of tenant's mirror into m (in arena a). */
static enum store_result load_mirror(const char *tenant, struct arena *a, struct mirror *m)
{
    size_t cap = 0;
    const char *after = NULL;
    memset(m, 0, sizeof(*m));
    for (;;) {
        /* By the primary key, from the last sub read: each batch costs the
         * same however deep (an OFFSET would read a million rows to skip
         * them). */
        struct users_page page;
        enum store_result rc = users_batch_by_sub(tenant, after, MIRROR_BATCH, a, &page);
        if (rc != STORE_OK)
            return rc;
        if (m->n + (size_t)page.n > cap) {
            size_t grown = (cap ? cap * 2 : MIRROR_BATCH) + (size_t)page.n;
            struct users_user *rows = arena_alloc(a, sizeof(*rows) * grown);
            if (m->n)
                memcpy(rows, m->rows, sizeof(*rows) * m->n);
            m->rows = rows;
            cap = grown;
        }
        memcpy(m->rows + m->n, page.rows, sizeof(*page.rows) * (size_t)page.n);
        m->n += (size_t)page.n;
        if (page.n < MIRROR_BATCH)
            break;
        after = page.rows[page.n - 1].sub;
    }
    /* The database's order follows its collation; the search below needs
     * strcmp's. */
    qsort(m->rows, m->n, sizeof(*m->rows), by_sub);
    m->seen = arena_alloc(a, m->n + 1);
    memset(m->seen, 0, m->n + 1);
    return STORE_OK;
}

static struct users_user *find(const struct mirror *m, const char *sub, size_t *index)
{
    struct users_user key = {.sub = sub};
    struct users_user *hit = m->n ? bsearch(&key, m->rows, m->n, sizeof(*m->rows), by_sub) : NULL;
    if (hit)
        *index = (size_t)(hit - m->rows);
    return hit;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* describe_change writes what differs between the mirror row and Cognito's
 * user into line; an empty line means nothing does. */
static void describe_change(const struct users_user *had, const struct users_user *is,
                            struct buf *line)
{
    if (strcasecmp(had->email, is->email))
        buf_printf(line, " email %s -> %s", had->email, is->email);
    if (!same_text(had->name, is->name))
        buf_printf(line, " name \"%s\" -> \"%s\"", had->name ? had->name : "",
                   is->name ? is->name : "");
    if (!same_text(had->tier, is->tier))
        buf_printf(line, " tier %s -> %s", had->tier ? had->tier : "-", is->tier);
    if (!same_text(had->status, is->status))
        buf_printf(line, " status %s -> %s", had->status ? had->status : "-",
                   is->status ? is->status : "-");
    if (had->enabled != is->enabled)
        buf_printf(line, " %s", is->enabled ? "enabled" : "disabled");
}

/* ---- the sync -------------------------------------------------------------- */

#define SYNC_TIER_NOTE "corrected by users sync: Cognito holds this tier"

/* correct_tier writes Cognito's tier of user is over the mirror's other one
 * and its admin_actions row (actor: the system), in one transaction, so the
 * audit page tells every tier a user was served, not only the admins'
 * changes. The rest of the row follows with users_upsert. */
static enum store_result correct_tier(const char *tenant, const struct users_user *is,
                                      time_t now)
{
    struct pg_query q;
    struct arena a;
    const char *old = NULL;
    enum store_result rc = STORE_OK;
    arena_init(&a);
    pg_query_init(&q);
    if (!pg_begin(&q)) {
        rc = pg_store_result(&q);
        goto out;
    }
    rc = users_set_tier(tenant, is->sub, is->tier, now, &a, &old);
    if (rc == STORE_OK) {
        struct adminlog_entry e = {
            .action = ADMINLOG_TIER_CHANGED, .target_sub = is->sub, .target_email = is->email,
            .before_value = old, .after_value = is->tier, .actor_sub = ADMINLOG_SYSTEM_ACTOR,
            .detail = SYNC_TIER_NOTE, .at = now,
        };
        rc = adminlog_record(tenant, &e);
    }
    if (rc == STORE_OK && !pg_commit(&q))
        rc = pg_store_result(&q);
    if (rc != STORE_OK)
        pg_rollback(); /* a no-op when the transaction is already over */
out:
    pg_query_cleanup(&q);
    arena_free(&a);
    return rc;
}

/* apply_page compares one ListUsers answer with the mirror and writes what
 * differs. Returns 0, or -1 with err filled when a write fails. */
static int apply_page(const char *tenant, struct json_object *users, struct mirror *m,
                      FILE *report, struct usersync_counts *counts, time_t now, char *err,
                      size_t errlen)
{
    struct buf line;
    int rc = 0;
    buf_init(&line);
    for (size_t i = 0; rc == 0 && i < json_object_array_length(users); i++) {
        struct users_user is;
        const char *username;
        size_t index = 0;
        if (!usersync_user(json_object_array_get_idx(users, i), &is, &username))
            continue; /* no sub or email: nothing the mirror could hold */
        struct users_user *had = find(m, is.sub, &index);
        buf_reset(&line);
        if (had) {
            m->seen[index] = true;
            describe_change(had, &is, &line);
            if (!line.len) {
                counts->unchanged++;
                continue;
            }
        }
        enum store_result put = had && !same_text(had->tier, is.tier)
                                    ? correct_tier(tenant, &is, now)
                                    : STORE_OK;
        if (put == STORE_OK || put == STORE_NOT_FOUND) /* gone since: upsert makes it anew */
            put = users_upsert(tenant, &is, now, USERS_REPLACE);
        if (put == STORE_ERROR) {
            /* A field the mirror refuses (control characters, too long):
             * this user stays as it was; the others still sync. */
            if (report)
                fprintf(report, "skipped %s: a field the mirror cannot hold\n", is.sub);
            continue;
        }
        if (put != STORE_OK) {
            snprintf(err, errlen, "cannot write user %s to the mirror", is.sub);
            rc = -1;
            break;
        }
        if (had) {
            counts->changed++;
            if (report)
                fprintf(report, "changed %s (%s):%s\n", is.email, is.sub, buf_cstr(&line));
        } else {
            counts->added++;
            if (report)
                fprintf(report, "added   %s (%s) tier %s status %s\n", is.email, is.sub,
                        is.tier, is.status ? is.status : "-");
        }
    }
    buf_free(&line);
    return rc;
}

int usersync_run(const char *tenant, const struct cog_client *c, FILE *report,
                 struct usersync_counts *counts, char *err, size_t errlen)
{
    return usersync_run_watched(tenant, c, report, counts, NULL, NULL, err, errlen);
}

int usersync_run_watched(const char *tenant, const struct cog_client *c, FILE *report,
                         struct usersync_counts *counts, usersync_watch watch, void *ctx,
                         char *err, size_t errlen)
{
    long seen = 0;
    struct arena arena;
    struct mirror m;
    struct cog_result r = {0};
    char *token = NULL;
    int rc = -1;
    time_t started = time(NULL);

    memset(counts, 0, sizeof(*counts));
    arena_init(&arena);
    if (load_mirror(tenant, &arena, &m) != STORE_OK) {
        snprintf(err, errlen, "cannot read the users mirror of tenant %s", tenant);
        goto out;
    }
    for (int pages = 0;; pages++) {
        struct json_object *users;
        if (pages == LIST_PAGES_MAX) {
            snprintf(err, errlen, "ListUsers did not end after %d pages", pages);
            goto out;
        }
        if (usersync_list_page(c, NULL, token, USERSYNC_PAGE_MAX, &r) < 0) {
            snprintf(err, errlen, "ListUsers failed: %s",
                     r.type[0] ? r.type : (r.error ? r.error->code : "no answer"));
            goto out;
        }
        if (!json_object_object_get_ex(r.reply, "Users", &users) ||
            !json_object_is_type(users, json_type_array)) {
            snprintf(err, errlen, "ListUsers answered without a list of users");
            goto out;
        }
        if (apply_page(tenant, users, &m, report, counts, time(NULL), err, errlen) < 0)
            goto out;
        seen += (long)json_object_array_length(users);
        if (watch && !watch(ctx, seen, counts)) {
            snprintf(err, errlen, "stopped");
            goto out;
        }
        const char *next = cog_get(&r, "PaginationToken");
        if (!next || !*next || (token && !strcmp(next, token)))
            break;
        free(token);
        token = xstrdup(next);
        cog_result_free(&r);
    }
    /* Every page was read: what Cognito did not list is gone. */
    for (size_t i = 0; i < m.n; i++) {
        if (m.seen[i])
            continue;
        enum store_result dr = users_delete_unseen(tenant, m.rows[i].sub, started);
        if (dr == STORE_NOT_FOUND)
            continue; /* written since the listing began, or already gone */
        if (dr != STORE_OK) {
            snprintf(err, errlen, "cannot delete user %s from the mirror", m.rows[i].sub);
            goto out;
        }
        counts->deleted++;
        if (report)
            fprintf(report, "deleted %s (%s)\n", m.rows[i].email, m.rows[i].sub);
    }
    rc = 0;
out:
    cog_result_free(&r);
    free(token);
    arena_free(&arena);
    return rc;
}
