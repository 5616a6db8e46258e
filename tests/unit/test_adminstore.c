/* SPDX-License-Identifier: MIT */
/* test_adminstore: what the admin panel and `users sync` add to the stores —
 * users_find and users_count, users_statistics, users_upsert, users_delete_unseen, the
 * tallies their triggers keep, and the audit log — against a real PostgreSQL.
 *
 * Without a server: bad arguments are refused before any database work.
 * With one (GH_TEST_DATABASE_URL, see scratch_db.h): a scratch database with
 * tenants 'default' and 'other' is made, used and dropped. Checked: LIKE wildcards
 * in a search are literal and the search ignores case, filters that combine
 * with totals, keyset pages both ways, the statistics' day boundaries, the tallies
 * against a count over the rows after every kind of write, sync writes with
 * Cognito's creation time, the "written since" guard of a sync's deletes,
 * audit rows inside a rolled-back and a committed transaction, newest-first
 * paging by offset and by id, and tenant isolation. Without the variable it
 * says so and counts one failure: never a silent pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/audit.h"
#include "store/pg.h"
#include "store/users.h"
#include "test.h"
#include "scratch_db.h"

#define DAY 86400L
#define T0 1700006400L /* 2023-11-15 00:00:00 UTC: a midnight */
#define NOON (T0 + DAY / 2)

static struct arena arena;

static bool is(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

static struct users_user user(const char *sub, const char *email, const char *tier,
                              const char *status, time_t created)
{
    struct users_user u = {.sub = sub,
                           .email = email,
                           .name = "Some One",
                           .tier = tier,
                           .status = status,
                           .enabled = true,
                           .created_at = created};
    return u;
}

/* ---- without a server -------------------------------------------------- */

static void test_without_server(void)
{
    struct users_keyset page;
    struct audit_page rows;
    struct users_query none = {.mfa = -1, .enabled = -1};
    struct audit_change empty = {0};
    test_cond("find: no limit", users_find("default", &none, 0, &arena, &page) == STORE_ERROR);
    struct users_query control = {.q = "a\x01b", .mfa = -1, .enabled = -1};
    long long total = 0;
    test_cond("find: a control character",
              users_find("default", &control, 10, &arena, &page) == STORE_ERROR &&
                  users_count("default", &control, &total) == STORE_ERROR);
    struct users_query quoted = {.tier = "premium' OR 'a' = 'a", .mfa = -1, .enabled = -1};
    struct users_query spaced = {.status = "CONFIRMED OR true", .mfa = -1, .enabled = -1};
    test_cond("find: a tier or status that is not a plain word",
              users_find("default", &quoted, 10, &arena, &page) == STORE_ERROR &&
                  users_count("default", &spaced, &total) == STORE_ERROR);
    struct users_query bad_sort = {.sort = USERS_SORTS, .mfa = -1, .enabled = -1};
    test_cond("find: an unknown sort",
              users_find("default", &bad_sort, 10, &arena, &page) == STORE_ERROR);
    test_cond("delete: no sub", users_delete_unseen("default", "", T0) == STORE_ERROR);
    struct users_user nameless = user("s", "", NULL, NULL, 0);
    test_cond("put: no email",
              users_upsert("default", &nameless, T0, USERS_REPLACE) == STORE_ERROR);
    test_cond("audit: required fields", audit_record("default", &empty) == STORE_ERROR);
    test_cond("audit list: no limit",
              audit_list("default", 0, 0, 0, &arena, &rows) == STORE_ERROR && rows.n == 0);
    test_cond("audit for user: no sub",
              audit_for_user("default", "", 10, &arena, &rows) == STORE_ERROR);
}

/* ---- users --------------------------------------------------------------- */

static struct users_query query(const char *q, const char *tier, const char *status)
{
    struct users_query qy = {
        .q = q, .tier = tier, .status = status, .mfa = -1, .enabled = -1, .sort = USERS_SORT_EMAIL};
    return qy;
}

/* find_count answers how many rows users_find gives for qy (-1: it
 * failed) and sets *total to what users_count says. */
static int find_count(struct users_query qy, long long *total)
{
    struct users_keyset page;
    if (users_find("default", &qy, 100, &arena, &page) != STORE_OK ||
        users_count("default", &qy, total) != STORE_OK)
        return -1;
    return page.n;
}

static void test_list(void)
{
    static const char *const emails[] = {"a_b@x.example", "axb@x.example", "a%c@x.example",
                                         "ABC@x.example", "zed@x.example"};
    bool ok = true;
    for (size_t i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
        char sub[16];
        snprintf(sub, sizeof(sub), "l-%zu", i);
        struct users_user u = user(sub, emails[i], i % 2 ? "premium" : "standard",
                                   i == 4 ? "UNCONFIRMED" : "CONFIRMED", T0);
        u.sub = arena_strdup(&arena, sub);
        ok &= users_upsert("default", &u, T0, USERS_REPLACE) == STORE_OK;
    }
    test_cond("seed the list", ok);
    long long total = 0;
    test_cond("everyone", find_count(query(NULL, NULL, NULL), &total) == 5 && total == 5);
    test_cond("an underscore is literal",
              find_count(query("a_", NULL, NULL), &total) == 1 && total == 1);
    test_cond("a percent sign is literal", find_count(query("a%", NULL, NULL), &total) == 1);
    test_cond("a backslash is literal", find_count(query("a\\", NULL, NULL), &total) == 0);
    test_cond("case is ignored", find_count(query("AB", NULL, NULL), &total) == 1);
    test_cond("the name is searched too", find_count(query("one", NULL, NULL), &total) == 5);
    test_cond("tier", find_count(query(NULL, "premium", NULL), &total) == 2 && total == 2);
    test_cond("status", find_count(query(NULL, NULL, "UNCONFIRMED"), &total) == 1);
    test_cond("search, tier and status",
              find_count(query("a", "standard", "CONFIRMED"), &total) == 2 && total == 2);
    test_cond("empty filters are none", find_count(query("", "", ""), &total) == 5);
    test_cond("no one deleted",
              find_count(query(NULL, NULL, USERS_STATUS_DELETED), &total) == 0 && total == 0);
    struct users_query on = query(NULL, NULL, NULL);
    on.mfa = 1;
    struct users_query disabled = query(NULL, NULL, NULL);
    disabled.enabled = 0;
    struct users_query enabled = query(NULL, NULL, NULL);
    enabled.enabled = 1;
    test_cond("two-step and enabled filters", find_count(on, &total) == 0 &&
                                                  find_count(disabled, &total) == 0 &&
                                                  find_count(enabled, &total) == 5 && total == 5);

    struct users_query all = query(NULL, NULL, NULL);
    struct users_keyset page, whole;
    bool sorted = users_find("default", &all, 5, &arena, &whole) == STORE_OK && whole.n == 5 &&
                  !whole.more;
    for (int i = 1; sorted && i < whole.n; i++)
        sorted = strcmp(whole.rows[i - 1].email, whole.rows[i].email) < 0 ||
                 strcoll(whole.rows[i - 1].email, whole.rows[i].email) < 0;
    test_cond("in email order, lower-cased",
              sorted && is(whole.rows[4].email, "zed@x.example") && whole.rows[0].created_at == T0);
    test_cond("a first page says more follow",
              users_find("default", &all, 2, &arena, &page) == STORE_OK && page.n == 2 &&
                  page.more && is(page.rows[1].email, whole.rows[1].email));
    struct users_query after = all;
    after.from_key = page.keys[1];
    after.from_sub = page.rows[1].sub;
    test_cond("the page after a row", users_find("default", &after, 2, &arena, &page) == STORE_OK &&
                                          page.n == 2 && page.more &&
                                          is(page.rows[0].email, whole.rows[2].email) &&
                                          is(page.rows[1].email, whole.rows[3].email));
    after.backward = true;
    test_cond("the page before a row, in the list's order",
              users_find("default", &after, 2, &arena, &page) == STORE_OK && page.n == 1 &&
                  !page.more && is(page.rows[0].email, whole.rows[0].email));
    struct users_query by_name = all;
    by_name.sort = USERS_SORT_NAME;
    by_name.from_key = ""; /* a user without a name sorts as "" */
    by_name.from_sub = "l-0";
    test_cond("the page after a user without a name",
              users_find("default", &by_name, 2, &arena, &page) == STORE_OK);
    struct users_query newest = all;
    newest.sort = USERS_SORT_CREATED;
    newest.desc = true;
    test_cond("a time sort's key is microseconds",
              users_find("default", &newest, 1, &arena, &page) == STORE_OK && page.n == 1 &&
                  strtoll(page.keys[0], NULL, 10) == (long long)T0 * 1000000);
    test_cond("another tenant sees none",
              users_find("other", &all, 10, &arena, &page) == STORE_OK && page.n == 0 &&
                  users_count("other", &all, &total) == STORE_OK && total == 0);
}

static void test_put_and_delete(void)
{
    struct users_user u = user("p-1", "Put@Example.com", NULL, "FORCE_CHANGE_PASSWORD",
                               T0 - 5 * DAY),
                      got;
    test_cond("put: a new user with Cognito's creation time",
              users_upsert("default", &u, T0, USERS_REPLACE) == STORE_OK &&
                  users_get("default", "p-1", &arena, &got) == STORE_OK &&
                  is(got.email, "put@example.com") && is(got.tier, "standard") &&
                  got.created_at == T0 - 5 * DAY && got.synced_at == T0);
    u.name = NULL;
    u.tier = "premium";
    u.enabled = false;
    test_cond("put: every field as given, a NULL name included",
              users_upsert("default", &u, T0 + 10, USERS_REPLACE) == STORE_OK &&
                  users_get("default", "p-1", &arena, &got) == STORE_OK && got.name == NULL &&
                  is(got.tier, "premium") && !got.enabled && got.updated_at == T0 + 10);
    struct users_user reborn = user("p-2", "put@example.com", "standard", "CONFIRMED", 0);
    test_cond("put: a re-created user takes the email over",
              users_upsert("default", &reborn, T0 + 20, USERS_REPLACE) == STORE_OK &&
                  users_get("default", "p-1", &arena, &got) == STORE_NOT_FOUND &&
                  users_get("default", "p-2", &arena, &got) == STORE_OK &&
                  got.created_at == T0 + 20);
    /* p-2 was written at T0 + 20: a sync that began then or earlier keeps it. */
    test_cond("delete: not a row written since the listing began",
              users_delete_unseen("default", "p-2", T0 + 20) == STORE_NOT_FOUND &&
                  users_get("default", "p-2", &arena, &got) == STORE_OK);
    test_cond("delete: a row older than the listing",
              users_delete_unseen("default", "p-2", T0 + 21) == STORE_OK &&
                  users_get("default", "p-2", &arena, &got) == STORE_NOT_FOUND);
    test_cond("delete: nothing left",
              users_delete_unseen("default", "p-2", T0 + 21) == STORE_NOT_FOUND);
}

static void test_statistics(void)
{
    /* In tenant 'other', so the list's users do not count. */
    struct {
        const char *sub, *tier, *status;
        time_t created;
    } seed[] = {
        {"s-today", "premium", "CONFIRMED", NOON},
        {"s-today2", "standard", "UNCONFIRMED", T0},
        {"s-29", "standard", "CONFIRMED", T0 - 29 * DAY},    /* the first day shown */
        {"s-30", "premium", "CONFIRMED", T0 - 29 * DAY - 1}, /* the day before it */
        {"s-old", "standard", "FORCE_CHANGE_PASSWORD", T0 - 400 * DAY},
        {"s-null", "standard", NULL, T0 - DAY},
        {"s-future", "standard", "CONFIRMED", T0 + 3 * DAY}, /* a clock ahead of ours */
    };
    bool ok = true;
    for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
        char email[64];
        snprintf(email, sizeof(email), "%s@stats.example", seed[i].sub);
        struct users_user u = user(seed[i].sub, email, seed[i].tier, seed[i].status,
                                   seed[i].created);
        ok &= users_upsert("other", &u, NOON, USERS_REPLACE) == STORE_OK;
    }
    test_cond("seed the statistics", ok);
    struct users_stats st;
    test_cond("statistics", users_statistics("other", NOON, &st) == STORE_OK);
    test_cond("totals and tiers", st.total == 7 && st.premium == 2 && st.standard == 5);
    test_cond("statuses", st.confirmed == 4 && st.unconfirmed == 1 && st.other_status == 2);
    test_cond("the first day is 29 days before today", st.first_day == T0 - 29 * DAY);
    long long shown = 0;
    for (int i = 0; i < USERS_STATS_DAYS; i++)
        shown += st.signups[i];
    test_cond("sign-ups per day", st.signups[USERS_STATS_DAYS - 1] == 2 && st.signups[0] == 1 &&
                                      st.signups[USERS_STATS_DAYS - 2] == 1 && shown == 4);
    test_cond("each tenant its own", users_statistics("default", NOON, &st) == STORE_OK &&
                                         st.total == 5 && st.premium == 2);
    test_cond("an unknown tenant", users_statistics("nosuchtenant", NOON, &st) == STORE_ERROR);
}

/* ---- the tallies (sql/tenant/022) ---------------------------------------- */

/* Groups of the mirror and days of sign-ups on which the tallies and a
 * count over the rows disagree, either way (-1: the query failed). */
#define GROUPS_SQL "SELECT deleted_at IS NOT NULL, tier, coalesce(status, ''), mfa, enabled, count(*)" \
                   " FROM users GROUP BY 1, 2, 3, 4, 5"
#define TALLIES_SQL "SELECT deleted, tier, status, mfa, enabled, users FROM user_tallies" \
                    " WHERE users <> 0"
#define DAYS_SQL "SELECT (created_at AT TIME ZONE 'UTC')::date, count(*) FROM users GROUP BY 1"
#define SIGNUPS_SQL "SELECT day, users FROM user_signups WHERE users <> 0"
static int tally_mismatches(const char *tenant)
{
    struct pg_query q;
    int n = -1;
    pg_query_init(&q);
    if (pg_query_run_tenant(&q, tenant,
                            "SELECT count(*) FROM ((" GROUPS_SQL " EXCEPT " TALLIES_SQL
                            ") UNION ALL (" TALLIES_SQL " EXCEPT " GROUPS_SQL
                            ")) g"
                            " UNION ALL SELECT count(*) FROM ((" DAYS_SQL " EXCEPT " SIGNUPS_SQL
                            ") UNION ALL (" SIGNUPS_SQL " EXCEPT " DAYS_SQL ")) d",
                            0, NULL) &&
        pg_query_rows(&q) == 2)
        n = atoi(pg_query_value(&q, 0, 0)) + atoi(pg_query_value(&q, 1, 0));
    pg_query_cleanup(&q);
    return n;
}

static bool run_sql(const char *tenant, const char *sql)
{
    struct pg_query q;
    pg_query_init(&q);
    bool ok = pg_query_run_tenant(&q, tenant, sql, 0, NULL);
    pg_query_cleanup(&q);
    return ok;
}

/* totals_agree checks users_count, summed from the tallies, against the
 * same filters counted over the rows (a search that every email matches)
 * for every combination of tier, status, TOTP and enabled. */
static bool totals_agree(const char *tenant)
{
    static const char *const tiers[] = {NULL, "standard", "premium"};
    static const char *const statuses[] = {NULL, "CONFIRMED", "UNCONFIRMED", USERS_STATUS_DELETED};
    for (int t = 0; t < 3; t++)
        for (int s = 0; s < 4; s++)
            for (int m = -1; m <= 1; m++)
                for (int e = -1; e <= 1; e++) {
                    struct users_query tallied = {.tier = tiers[t], .status = statuses[s],
                                                  .mfa = m, .enabled = e},
                                       counted = tallied;
                    counted.q = "@";
                    long long a = -1, b = -2;
                    if (users_count(tenant, &tallied, &a) != STORE_OK ||
                        users_count(tenant, &counted, &b) != STORE_OK || a != b)
                        return false;
                }
    return true;
}

static void test_tallies(void)
{
    const char *tn = "other";
    test_cond("tallies: as the rows, after the statistics' sign-ups",
              tally_mismatches(tn) == 0 && totals_agree(tn));
    struct users_user u = user("t-1", "t-1@tally.example", "standard", "UNCONFIRMED", NOON);
    bool ok = users_upsert(tn, &u, NOON, USERS_MERGE) == STORE_OK &&
              users_set_mfa(tn, "t-1", true) == STORE_OK &&
              users_touch_login(tn, "t-1", NOON + 1) == STORE_OK;
    const char *old_tier = NULL;
    u.status = "CONFIRMED";
    u.created_at = T0 - 3 * DAY; /* a sync learns Cognito's creation time */
    ok &= users_upsert(tn, &u, NOON + 2, USERS_REPLACE) == STORE_OK;
    test_cond("tallies: a sign-up, its TOTP, a sign-in and a sync", ok && tally_mismatches(tn) == 0);
    ok = users_set_account(tn, "t-1", false, "RESET_REQUIRED", NOON + 3) == STORE_OK &&
         users_set_tier(tn, "s-today", "standard", NOON + 3, &arena, &old_tier) == STORE_OK &&
         users_mark_deleted(tn, "s-today2", NOON + 4) == STORE_OK;
    test_cond("tallies: disabled, a tier, a deletion", ok && tally_mismatches(tn) == 0 &&
                                                           totals_agree(tn));
    struct users_user taker = user("t-2", "t-1@tally.example", "premium", "CONFIRMED", 0);
    test_cond("tallies: a re-created user takes the email over",
              users_upsert(tn, &taker, NOON + 5, USERS_REPLACE) == STORE_OK &&
                  tally_mismatches(tn) == 0);
    test_cond("tallies: a batch of a thousand in one statement",
              run_sql(tn, "INSERT INTO users (sub, email, tier, status, mfa, enabled, created_at)"
                          " SELECT 'b-' || i, 'b-' || i || '@tally.example',"
                          " CASE WHEN i % 3 = 0 THEN 'premium' ELSE 'standard' END,"
                          " CASE WHEN i % 5 = 0 THEN NULL ELSE 'CONFIRMED' END, i % 2 = 0,"
                          " i % 7 <> 0, now() - i * interval '1 hour'"
                          " FROM generate_series(1, 1000) i") &&
                  tally_mismatches(tn) == 0 && totals_agree(tn));
    test_cond("tallies: rows changed and removed by the hundred",
              run_sql(tn, "UPDATE users SET tier = 'premium', enabled = NOT enabled"
                          " WHERE sub LIKE 'b-1%'") &&
                  run_sql(tn, "UPDATE users SET deleted_at = now() WHERE sub LIKE 'b-2%'") &&
                  run_sql(tn, "UPDATE users SET deleted_at = NULL WHERE sub LIKE 'b-22%'") &&
                  run_sql(tn, "DELETE FROM users WHERE sub LIKE 'b-3%'") &&
                  tally_mismatches(tn) == 0 && totals_agree(tn));
    struct users_stats st;
    long long live = 0, everyone = 0;
    struct users_query all = {.mfa = -1, .enabled = -1}, gone = all;
    gone.status = USERS_STATUS_DELETED;
    test_cond("tallies: the overview counts the live users",
              users_statistics(tn, NOON, &st) == STORE_OK &&
                  users_count(tn, &all, &live) == STORE_OK &&
                  users_count(tn, &gone, &everyone) == STORE_OK && st.total == live &&
                  st.standard + st.premium == live && everyone > 0);
    test_cond("tallies: another tenant's are its own", tally_mismatches("default") == 0);
    test_cond("tallies: emptied with the table",
              run_sql(tn, "TRUNCATE users") && tally_mismatches(tn) == 0 &&
                  users_statistics(tn, NOON, &st) == STORE_OK && st.total == 0);
}

/* ---- audit ---------------------------------------------------------------- */

static struct audit_change change(const char *sub, const char *old_tier, const char *new_tier,
                                  time_t at)
{
    struct audit_change c = {.user_sub = sub,
                             .user_email = "who@example.com",
                             .old_tier = old_tier,
                             .new_tier = new_tier,
                             .by_sub = "admin-sub",
                             .by_email = "admin@example.com",
                             .request_id = "req-1",
                             .client_addr = "127.0.0.1",
                             .at = at};
    return c;
}

static void test_audit(void)
{
    struct pg_query q;
    struct audit_page page;
    long long count = -1;
    struct audit_change c = change("a-1", "standard", "premium", T0);
    pg_query_init(&q);
    bool rolled = pg_begin(&q) && audit_record("default", &c) == STORE_OK;
    pg_rollback();
    test_cond("a record in a rolled-back transaction is gone",
              rolled && audit_count("default", &count) == STORE_OK && count == 0);
    bool committed = pg_begin(&q) && audit_record("default", &c) == STORE_OK && pg_commit(&q);
    pg_query_cleanup(&q);
    test_cond("a committed one stays",
              committed && audit_count("default", &count) == STORE_OK && count == 1);
    struct audit_change gold = change("a-1", "standard", "gold", T0);
    test_cond("a tier the table refuses", audit_record("default", &gold) == STORE_ERROR);
    struct audit_change unknown_old = change("a-2", NULL, "standard", T0 + 1);
    unknown_old.by_email = unknown_old.request_id = unknown_old.client_addr = NULL;
    test_cond("optional fields may be NULL", audit_record("default", &unknown_old) == STORE_OK);
    for (int i = 0; i < 3; i++) {
        struct audit_change more = change("a-1", i % 2 ? "premium" : "standard",
                                          i % 2 ? "standard" : "premium", T0 + 10 + i);
        audit_record("default", &more);
    }
    test_cond("count", audit_count("default", &count) == STORE_OK && count == 5);
    test_cond("newest first", audit_list("default", 0, 0, 10, &arena, &page) == STORE_OK &&
                                  page.n == 5 && page.rows[0].at == T0 + 12 &&
                                  page.rows[4].at == T0 && page.rows[0].id > page.rows[1].id &&
                                  page.rows[3].old_tier == NULL && page.rows[3].by_email == NULL &&
                                  is(page.rows[4].by_sub, "admin-sub") &&
                                  is(page.rows[4].client_addr, "127.0.0.1"));
    long long third = page.rows[2].id;
    test_cond("by offset", audit_list("default", 0, 3, 10, &arena, &page) == STORE_OK &&
                               page.n == 2 && page.rows[0].at == T0 + 1);
    test_cond("by id", audit_list("default", third, 0, 10, &arena, &page) == STORE_OK &&
                           page.n == 2 && page.rows[0].id < third);
    test_cond("one user's history",
              audit_for_user("default", "a-1", 10, &arena, &page) == STORE_OK && page.n == 4 &&
                  page.rows[0].at == T0 + 12 && is(page.rows[0].new_tier, "premium"));
    test_cond("another tenant's log is its own",
              audit_count("other", &count) == STORE_OK && count == 0 &&
                  audit_for_user("other", "a-1", 10, &arena, &page) == STORE_OK && page.n == 0);
    test_cond("an unknown tenant", audit_count("nosuchtenant", &count) == STORE_ERROR);
}

/* ---- main ------------------------------------------------------------------- */

int main(void)
{
    struct scratch_db db;
    arena_init(&arena);
    test_without_server();
    if (scratch_db_open(&db, "adminstore")) {
        test_list();
        test_put_and_delete();
        test_statistics();
        test_tallies();
        test_audit();
    }
    scratch_db_close(&db);
    arena_free(&arena);
    return test_report();
}
