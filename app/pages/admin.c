/* SPDX-License-Identifier: MIT */
/* admin: the panel's home and shared helpers (see admin.h).
 *
 * Statistics are cached per worker process, per tenant, for STATS_TTL_S
 * seconds. Counting a 10,000-user mirror is one statement of a few
 * milliseconds, cheap once but not on every view of a page an admin keeps
 * reloading (the bench target); a summary table maintained by triggers
 * would be exact at every moment, but it would put a hot row under every
 * sign-up and every tier change, and the migration and the triggers would
 * be one more thing to keep right. Figures a few seconds old are fine for a
 * dashboard, so a page costs a mutex and a copy; the page says when the
 * figures were counted, and a tier change drops its own worker's entry so
 * the admin who made it sees it at once. When a count is due, one thread
 * recounts while the others keep serving the previous figures.
 *
 * Ownership: the cache holds fixed-size values (no pointers) and copies
 * them out under its lock. Page contexts are json-c objects that
 * render_page consumes. */
#include "pages/admin.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "pages/admintext.h"
#include "pages/flow.h"
#include "pages/render.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"

#define STATS_TTL_S 10
#define STATS_SLOTS 16

/* Chart geometry, in SVG user units (the SVG scales to its column). */
#define HBAR_LABEL_W 120  /* left column: the bar's name */
#define HBAR_MAX_W 300    /* the longest bar */
#define HBAR_ROW_H 34
#define HBAR_H 22
#define HBAR_COUNT_GAP 8  /* between a bar's end and its number */
#define HBAR_CHART_W 520
#define DAY_SLOT_W 20     /* one day's column */
#define DAY_BAR_W 14
#define DAY_PLOT_TOP 16   /* room for the count above the tallest bar */
#define DAY_PLOT_H 140
#define DAY_AXIS_H 22     /* date labels under the bars */
#define DAY_LABEL_EVERY 5 /* a date under every fifth day, and today */
#define SECONDS_PER_DAY 86400
#define PERCENT 100
#define LOG_VALUE_MAX 300

#define COLOR_PRIMARY "#4f46e5"
#define COLOR_PREMIUM "#b45309"
#define COLOR_CONFIRMED "#15803d"
#define COLOR_UNCONFIRMED "#9ca3af"
#define COLOR_OTHER "#6b7280"

/* ---- the statistics cache ---------------------------------------------- */

struct stats_slot {
    char tenant[TENANT_SLUG_MAX];
    struct users_stats stats;
    time_t counted_at; /* 0: must be counted again */
    bool refreshing;   /* a thread is counting it now */
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_slot slots[STATS_SLOTS];

/* find_slot returns tenant's slot, or NULL; the caller holds stats_lock. */
static struct stats_slot *find_slot(const char *tenant)
{
    for (size_t i = 0; i < STATS_SLOTS; i++)
        if (slots[i].tenant[0] && !strcmp(slots[i].tenant, tenant))
            return &slots[i];
    return NULL;
}

/* claim_slot returns a free slot or the one counted longest ago (not one
 * being counted); the caller holds stats_lock. */
static struct stats_slot *claim_slot(void)
{
    struct stats_slot *oldest = NULL;
    for (size_t i = 0; i < STATS_SLOTS; i++) {
        if (!slots[i].tenant[0])
            return &slots[i];
        if (!slots[i].refreshing && (!oldest || slots[i].counted_at < oldest->counted_at))
            oldest = &slots[i];
    }
    return oldest;
}

/* statistics copies tenant's figures into *out and when they were counted
 * into *at: from the cache when fresh (or while another thread recounts),
 * else counted now. On a failed count the previous figures, if any, are
 * served rather than an error page. */
static enum users_result statistics(const char *tenant, time_t now, struct users_stats *out,
                                    time_t *at)
{
    pthread_mutex_lock(&stats_lock);
    struct stats_slot *slot = find_slot(tenant);
    if (slot && slot->counted_at &&
        (now - slot->counted_at < STATS_TTL_S || slot->refreshing)) {
        *out = slot->stats;
        *at = slot->counted_at;
        pthread_mutex_unlock(&stats_lock);
        return USERS_OK;
    }
    if (slot)
        slot->refreshing = true;
    pthread_mutex_unlock(&stats_lock);

    enum users_result rc = users_statistics(tenant, now, out);

    pthread_mutex_lock(&stats_lock);
    slot = find_slot(tenant);
    if (rc == USERS_OK) {
        if (!slot && (slot = claim_slot()))
            snprintf(slot->tenant, sizeof(slot->tenant), "%s", tenant);
        if (slot) {
            slot->stats = *out;
            slot->counted_at = now;
        }
        *at = now;
    } else if (slot && slot->tenant[0] && slot->stats.first_day) {
        *out = slot->stats;
        *at = slot->counted_at;
        rc = USERS_OK;
    }
    if (slot)
        slot->refreshing = false;
    pthread_mutex_unlock(&stats_lock);
    return rc;
}

void admin_statistics_changed(const char *tenant)
{
    pthread_mutex_lock(&stats_lock);
    struct stats_slot *slot = find_slot(tenant);
    if (slot)
        slot->counted_at = 0;
    pthread_mutex_unlock(&stats_lock);
}

/* ---- shared by the admin pages ------------------------------------------- */

void admin_log(const struct request *req, const char *action, const char *fmt, ...)
{
    char detail[LOG_VALUE_MAX * 2], email[LOG_VALUE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    const struct sess_session *s = req->session;
    log_event(LOG_INFO, "admin_action", "id=%s tenant=%s admin_sub=%s admin=%s action=%s%s%s",
              req->request_id, req->tenant ? req->tenant->slug : "-", s ? s->sub : "-",
              log_quote(email, sizeof(email), s ? s->email : "-"), action,
              detail[0] ? " " : "", detail);
}

/* still_admin reads user.is_admin from a fresh page context: render is the
 * one module that holds the admin group's name, and it computed the flag
 * from the groups the refresh may just have replaced. */
static bool still_admin(struct json_object *ctx)
{
    struct json_object *user, *flag;
    return json_object_object_get_ex(ctx, "user", &user) &&
           json_object_object_get_ex(user, "is_admin", &flag) && json_object_get_boolean(flag);
}

struct json_object *admin_begin(struct request *req, struct response *resp, const char *title,
                                const char *section, int *status)
{
    switch (flow_fresh_tokens(req, resp)) {
    case FLOW_FRESH_OK:
        break;
    case FLOW_FRESH_ENDED:
        *status = flow_redirect(req, resp, "/login", "session_expired");
        return NULL;
    case FLOW_FRESH_UNAVAILABLE:
    default:
        *status = render_error(req, resp, HTTP_SERVICE_UNAVAILABLE, NULL, false);
        return NULL;
    }
    struct json_object *ctx = render_context(req, title);
    if (!still_admin(ctx)) {
        json_object_put(ctx);
        log_event(LOG_WARN, "admin_refused", "id=%s tenant=%s reason=not_in_group",
                  req->request_id, req->tenant->slug);
        *status = render_error(req, resp, HTTP_FORBIDDEN, NULL, false);
        return NULL;
    }
    struct json_object *nav = json_object_new_object();
    json_object_object_add(nav, section, json_object_new_boolean(1));
    json_object_object_add(ctx, "admin_nav", nav);
    return ctx;
}

/* ---- charts ----------------------------------------------------------------- */

static void add_int(struct json_object *obj, const char *key, long long v)
{
    json_object_object_add(obj, key, json_object_new_int64(v));
}

static long long percent(long long part, long long whole)
{
    return whole > 0 ? (part * PERCENT + whole / 2) / whole : 0;
}

struct hbar {
    const char *label, *color;
    long long count;
};

/* hbar_chart lays out horizontal bars, the longest HBAR_MAX_W long, each
 * with its name on the left and its count and share after it. */
static struct json_object *hbar_chart(const struct hbar *bars, size_t n, long long total)
{
    long long max = 0;
    for (size_t i = 0; i < n; i++)
        if (bars[i].count > max)
            max = bars[i].count;
    struct json_object *chart = json_object_new_object(), *list = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        struct json_object *b = json_object_new_object();
        long long w = max ? bars[i].count * HBAR_MAX_W / max : 0;
        if (bars[i].count > 0 && w < 2)
            w = 2; /* a user is never drawn as nothing */
        long long y = (long long)i * HBAR_ROW_H;
        json_object_object_add(b, "label", json_object_new_string(bars[i].label));
        json_object_object_add(b, "color", json_object_new_string(bars[i].color));
        add_int(b, "count", bars[i].count);
        add_int(b, "percent", percent(bars[i].count, total));
        add_int(b, "y", y);
        add_int(b, "text_y", y + HBAR_H / 2);
        add_int(b, "bar_x", HBAR_LABEL_W);
        add_int(b, "width", w);
        add_int(b, "height", HBAR_H);
        add_int(b, "count_x", HBAR_LABEL_W + w + HBAR_COUNT_GAP);
        json_object_array_add(list, b);
    }
    json_object_object_add(chart, "bars", list);
    add_int(chart, "width", HBAR_CHART_W);
    add_int(chart, "height", (long long)n * HBAR_ROW_H);
    return chart;
}

/* day_chart lays out one column per day, the tallest DAY_PLOT_H high, with
 * its count above it and a date under every DAY_LABEL_EVERY-th one. */
static struct json_object *day_chart(const struct users_stats *st)
{
    long long max = 0, sum = 0;
    for (int i = 0; i < USERS_STATS_DAYS; i++) {
        sum += st->signups[i];
        if (st->signups[i] > max)
            max = st->signups[i];
    }
    struct json_object *chart = json_object_new_object(), *days = json_object_new_array();
    for (int i = 0; i < USERS_STATS_DAYS; i++) {
        struct json_object *d = json_object_new_object();
        long long n = st->signups[i], h = max ? n * DAY_PLOT_H / max : 0;
        if (n > 0 && h < 2)
            h = 2;
        long long x = (long long)i * DAY_SLOT_W + (DAY_SLOT_W - DAY_BAR_W) / 2;
        time_t day = st->first_day + (time_t)i * SECONDS_PER_DAY;
        char date[ADMINTEXT_DATE_MAX];
        struct tm tm;
        gmtime_r(&day, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        json_object_object_add(d, "date", json_object_new_string(date));
        add_int(d, "count", n);
        add_int(d, "x", x);
        add_int(d, "width", DAY_BAR_W);
        add_int(d, "y", DAY_PLOT_TOP + DAY_PLOT_H - h);
        add_int(d, "height", h);
        add_int(d, "center_x", x + DAY_BAR_W / 2);
        add_int(d, "count_y", DAY_PLOT_TOP + DAY_PLOT_H - h - 4);
        if (n > 0)
            json_object_object_add(d, "shown", json_object_new_boolean(1));
        if (i % DAY_LABEL_EVERY == 0 || i == USERS_STATS_DAYS - 1) {
            strftime(date, sizeof(date), "%m-%d", &tm);
            json_object_object_add(d, "axis_label", json_object_new_string(date));
        }
        json_object_array_add(days, d);
    }
    json_object_object_add(chart, "days", days);
    add_int(chart, "width", (long long)USERS_STATS_DAYS * DAY_SLOT_W);
    add_int(chart, "height", DAY_PLOT_TOP + DAY_PLOT_H + DAY_AXIS_H);
    add_int(chart, "axis_y", DAY_PLOT_TOP + DAY_PLOT_H);
    add_int(chart, "label_y", DAY_PLOT_TOP + DAY_PLOT_H + DAY_AXIS_H - 6);
    add_int(chart, "total", sum);
    add_int(chart, "max", max);
    return chart;
}

static void add_statistics(struct json_object *ctx, const struct users_stats *st, time_t at)
{
    const struct hbar tiers[] = {
        {"Standard", COLOR_PRIMARY, st->standard},
        {"Premium", COLOR_PREMIUM, st->premium},
    };
    const struct hbar statuses[] = {
        {"Confirmed", COLOR_CONFIRMED, st->confirmed},
        {"Unconfirmed", COLOR_UNCONFIRMED, st->unconfirmed},
        {"Other", COLOR_OTHER, st->other_status},
    };
    /* "Other" (an invited user who has not chosen a password yet, a reset
     * in progress) only takes a row when there is someone in it. */
    size_t nstatuses = st->other_status ? 3 : 2;
    struct json_object *stats = json_object_new_object();
    char when[ADMINTEXT_DATE_MAX];
    add_int(stats, "total", st->total);
    add_int(stats, "standard", st->standard);
    add_int(stats, "premium", st->premium);
    add_int(stats, "confirmed", st->confirmed);
    add_int(stats, "unconfirmed", st->unconfirmed);
    add_int(stats, "other_status", st->other_status);
    json_object_object_add(stats, "tiers", hbar_chart(tiers, 2, st->total));
    json_object_object_add(stats, "statuses", hbar_chart(statuses, nstatuses, st->total));
    json_object_object_add(stats, "signups", day_chart(st));
    json_object_object_add(stats, "counted_at",
                           json_object_new_string(admintext_date(when, at, true)));
    json_object_object_add(ctx, "stats", stats);
}

/* ---- GET /admin --------------------------------------------------------------- */

int admin_home(struct request *req, struct response *resp)
{
    int status;
    struct json_object *ctx = admin_begin(req, resp, "Admin", "overview", &status);
    if (!ctx)
        return status;
    struct users_stats st;
    time_t at = 0;
    enum users_result rc = statistics(req->tenant->slug, time(NULL), &st, &at);
    if (rc != USERS_OK) {
        json_object_put(ctx);
        return render_error(req, resp, rc == USERS_UNAVAILABLE ? HTTP_SERVICE_UNAVAILABLE
                                                               : HTTP_INTERNAL_ERROR, NULL, false);
    }
    add_statistics(ctx, &st, at);
    struct json_object *fields = json_object_new_object();
    flow_field(fields, "username", "Email address or username", "text", NULL, "off", true, NULL);
    json_object_object_add(ctx, "fields", fields);
    return render_page(req, resp, HTTP_OK, "admin", ctx);
}
