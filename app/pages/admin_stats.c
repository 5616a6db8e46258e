/* SPDX-License-Identifier: MIT */
/* admin_stats: the overview's statistics (see admin_stats.h).
 *
 * The figures are read from the tallies the triggers of sql/tenant/022
 * keep: a few dozen rows whatever the size of the mirror, exact at every
 * moment. They were once counted over the mirror, which at a million users
 * is half a second of both cores, and therefore at most once a minute for
 * the whole pool. The tallies' price is a row lock under each sign-up and
 * each change of tier or status, held until it commits: far from anything a
 * tenant's rate of sign-ups would notice. What each worker process keeps, per
 * tenant, for STATS_TTL_S seconds, is the rendered charts, since drawing
 * them is the costly part of a view: an admin reloading the page sees
 * figures at most that old, and a change made by this worker drops its
 * entry so the admin who made it sees it at once. When the entry is due,
 * one thread reads and draws while the others keep serving the previous one.
 *
 * The charts are laid out here (bar lengths, positions) and drawn by the
 * admin_stats template as inline SVG: no script, no style attribute, numbers
 * beside the bars. What is cached is that template's output, rendered once
 * per read: a view then costs a mutex and a copy of the HTML, not the
 * hundreds of values and lookups the charts are made of.
 *
 * Ownership: each slot owns its HTML (malloc'd, replaced and freed under
 * stats_lock); a view gets its own copy in a json-c string added to the page
 * context, which owns it from then on. */
#include "pages/admin_stats.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "pages/admintext.h"
#include "pages/render.h"
#include "store/tenants.h"

#define STATS_TTL_S 10
#define STATS_SLOTS 16

/* Chart geometry, in SVG user units (the SVG scales to its column). */
#define HBAR_LABEL_W 120  /* left column: the bar's name */
#define HBAR_MAX_W 260    /* the longest bar, with room after it for "1000000 (100%)" */
#define HBAR_ROW_H 34
#define HBAR_H 22
#define HBAR_COUNT_GAP 8  /* between a bar's end and its number */
#define HBAR_CHART_W 520
#define DAY_SLOT_W 20     /* one day's column */
#define DAY_BAR_W 14
#define DAY_PLOT_TOP 16   /* room for the count above the tallest bar */
#define DAY_COUNT_GAP 4   /* between a bar's top and the baseline of its count */
#define DAY_PLOT_H 140
#define DAY_AXIS_H 22     /* date labels under the bars */
#define DAY_LABEL_EVERY 5 /* a date under every fifth day, and today */
#define DAY_AXIS_MARGIN 14 /* each side: room for the first and last date */
#define SECONDS_PER_DAY 86400
#define PERCENT 100

#define COLOR_PRIMARY "#4f46e5"
#define COLOR_PREMIUM "#b45309"
#define COLOR_CONFIRMED "#15803d"
#define COLOR_UNCONFIRMED "#9ca3af"
#define COLOR_OTHER "#6b7280"

/* ---- the statistics cache ---------------------------------------------- */

struct stats_slot {
    char tenant[TENANT_SLUG_MAX];
    char *html;      /* the admin_stats template's output; NULL: none yet */
    time_t read_at;  /* when this worker read the figures drawn in html */
    bool due;        /* a change of this worker's: read them again */
    bool refreshing; /* a thread is reading and drawing them now */
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
        if (!slots[i].refreshing && (!oldest || slots[i].read_at < oldest->read_at))
            oldest = &slots[i];
    }
    return oldest;
}

static struct json_object *draw(const struct users_stats *st);

/* read_and_draw reads tenant's figures and renders them; *html (malloc'd,
 * the caller's) is NULL unless STORE_OK. */
static enum store_result read_and_draw(const char *tenant, time_t now, char **html)
{
    struct users_stats st;
    struct buf out;
    *html = NULL;
    enum store_result rc = users_statistics(tenant, now, &st);
    if (rc != STORE_OK)
        return rc;
    buf_init(&out);
    struct json_object *ctx = draw(&st);
    if (render_fragment("admin_stats", ctx, &out) == 0)
        *html = xstrdup(buf_cstr(&out));
    else
        rc = STORE_ERROR;
    json_object_put(ctx);
    buf_free(&out);
    return rc;
}

/* statistics returns tenant's figures as HTML (a new json-c string) and when
 * they were read in *at: from the cache when fresh (or while another thread
 * reads them again), else read now. On a failed read the previous figures,
 * if any, are served rather than an error page. NULL: none. */
static struct json_object *statistics(const char *tenant, time_t now, time_t *at,
                                      enum store_result *rc)
{
    struct json_object *html = NULL;
    *rc = STORE_OK;
    pthread_mutex_lock(&stats_lock);
    struct stats_slot *slot = find_slot(tenant);
    if (slot && slot->html &&
        ((!slot->due && now - slot->read_at < STATS_TTL_S) || slot->refreshing)) {
        html = json_object_new_string(slot->html);
        *at = slot->read_at;
        pthread_mutex_unlock(&stats_lock);
        return html;
    }
    if (slot)
        slot->refreshing = true;
    pthread_mutex_unlock(&stats_lock);

    char *drawn = NULL;
    *rc = read_and_draw(tenant, now, &drawn);

    pthread_mutex_lock(&stats_lock);
    slot = find_slot(tenant);
    if (*rc == STORE_OK) {
        if (!slot && (slot = claim_slot())) {
            free(slot->html);
            slot->html = NULL;
            snprintf(slot->tenant, sizeof(slot->tenant), "%s", tenant);
        }
        html = json_object_new_string(drawn);
        *at = now;
        if (slot) {
            free(slot->html);
            slot->html = drawn;
            slot->read_at = now;
            slot->due = false;
            drawn = NULL;
        }
    } else if (slot && slot->html) {
        html = json_object_new_string(slot->html);
        *at = slot->read_at;
        *rc = STORE_OK;
    }
    if (slot)
        slot->refreshing = false;
    pthread_mutex_unlock(&stats_lock);
    free(drawn);
    return html;
}

void admin_stats_changed(const char *tenant)
{
    pthread_mutex_lock(&stats_lock);
    struct stats_slot *slot = find_slot(tenant);
    if (slot)
        slot->due = true;
    pthread_mutex_unlock(&stats_lock);
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
 * its count above it and a date under every DAY_LABEL_EVERY-th one. The
 * template draws the bars, the counts and the dates as three layers, each
 * saying once what its days share (fill, size, anchor), so a day carries
 * only its own positions: the page is sent on every view, and at thirty
 * days the chart was once half of it. */
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
        time_t day = st->first_day + (time_t)i * SECONDS_PER_DAY;
        char date[ADMINTEXT_DATE_MAX];
        struct tm tm;
        gmtime_r(&day, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        json_object_object_add(d, "date", json_object_new_string(date));
        add_int(d, "count", n);
        long long x = (long long)i * DAY_SLOT_W + (DAY_SLOT_W - DAY_BAR_W) / 2;
        long long top = DAY_PLOT_TOP + DAY_PLOT_H - h;
        add_int(d, "x", x);
        add_int(d, "y", top);
        add_int(d, "height", h);
        add_int(d, "center_x", x + DAY_BAR_W / 2);
        add_int(d, "count_y", top - DAY_COUNT_GAP);
        if (n > 0)
            json_object_object_add(d, "shown", json_object_new_boolean(1));
        if (i % DAY_LABEL_EVERY == 0 || i == USERS_STATS_DAYS - 1)
            json_object_object_add(d, "axis_label", json_object_new_string(date + 5)); /* MM-DD */
        json_object_array_add(days, d);
    }
    json_object_object_add(chart, "days", days);
    add_int(chart, "width", (long long)USERS_STATS_DAYS * DAY_SLOT_W);
    add_int(chart, "view_x", -DAY_AXIS_MARGIN);
    add_int(chart, "view_width", (long long)USERS_STATS_DAYS * DAY_SLOT_W + 2 * DAY_AXIS_MARGIN);
    add_int(chart, "height", DAY_PLOT_TOP + DAY_PLOT_H + DAY_AXIS_H);
    add_int(chart, "bar_width", DAY_BAR_W);
    add_int(chart, "axis_y", DAY_PLOT_TOP + DAY_PLOT_H);
    add_int(chart, "label_y", DAY_PLOT_TOP + DAY_PLOT_H + DAY_AXIS_H - 6);
    add_int(chart, "total", sum);
    return chart;
}

/* draw lays out the figures and charts of st for the admin_stats template. */
static struct json_object *draw(const struct users_stats *st)
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
    add_int(stats, "total", st->total);
    add_int(stats, "standard", st->standard);
    add_int(stats, "premium", st->premium);
    add_int(stats, "confirmed", st->confirmed);
    add_int(stats, "unconfirmed", st->unconfirmed);
    add_int(stats, "other_status", st->other_status);
    json_object_object_add(stats, "tiers", hbar_chart(tiers, 2, st->total));
    json_object_object_add(stats, "statuses", hbar_chart(statuses, nstatuses, st->total));
    json_object_object_add(stats, "signups", day_chart(st));
    struct json_object *ctx = json_object_new_object();
    json_object_object_add(ctx, "stats", stats);
    return ctx;
}

enum store_result admin_stats_add(struct json_object *ctx, const char *tenant, time_t now)
{
    char when[ADMINTEXT_DATE_MAX];
    time_t at = 0;
    enum store_result rc;
    struct json_object *html = statistics(tenant, now, &at, &rc);
    if (!html)
        return rc == STORE_OK ? STORE_ERROR : rc;
    json_object_object_add(ctx, "stats_html", html);
    json_object_object_add(ctx, "read_at",
                           json_object_new_string(admintext_date(when, at, true)));
    return STORE_OK;
}
