/* SPDX-License-Identifier: MIT */
/* test_adminlog: the record of administrators' actions (store/adminlog)
 * against a real PostgreSQL.
 *
 * Without a server: bad arguments are refused before any database work.
 * With one (GH_TEST_DATABASE_URL, see scratch_db.h): a scratch database with
 * tenants 'default' and 'other'. Checked: a record inside a rolled-back and a
 * committed transaction, names the table refuses, optional fields, newest
 * first, paging by id, each filter alone and combined with their counts, and
 * tenant isolation. Without the variable it says so and counts one failure:
 * never a silent pass. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "store/adminlog.h"
#include "store/pg.h"
#include "test.h"
#include "scratch_db.h"

#define T0 1700006400L

static struct arena arena;

static bool is(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

static struct adminlog_entry entry(const char *action, const char *target, const char *actor,
                                   time_t at)
{
    struct adminlog_entry e = {.action = action, .target_sub = target,
                               .target_email = "who@example.com", .before_value = "enabled",
                               .after_value = "disabled", .actor_sub = actor,
                               .actor_email = "admin@example.com", .request_id = "req-1",
                               .client_addr = "127.0.0.1", .at = at};
    return e;
}

static void test_without_server(void)
{
    struct adminlog_entry no_actor = entry(ADMINLOG_USER_DISABLED, "u-1", NULL, T0);
    struct adminlog_entry no_action = entry(NULL, "u-1", "admin-1", T0);
    struct adminlog_entry control = entry(ADMINLOG_USER_DISABLED, "u\x01", "admin-1", T0);
    struct adminlog_filter bad = {.target_sub = "a\x02"};
    struct adminlog_page page;
    long long count;
    test_cond("record: no actor", adminlog_record("default", &no_actor) == STORE_ERROR);
    test_cond("record: no action", adminlog_record("default", &no_action) == STORE_ERROR);
    test_cond("record: a control character", adminlog_record("default", &control) == STORE_ERROR);
    test_cond("list: no limit", adminlog_list("default", NULL, 0, 0, &arena, &page) == STORE_ERROR);
    test_cond("list: a negative id",
              adminlog_list("default", NULL, -1, 10, &arena, &page) == STORE_ERROR);
    test_cond("list: a control character in the filter",
              adminlog_list("default", &bad, 0, 10, &arena, &page) == STORE_ERROR);
    test_cond("count: a control character in the filter",
              adminlog_count("default", &bad, &count) == STORE_ERROR);
}

static void test_record_and_list(void)
{
    struct pg_query q;
    struct adminlog_page page;
    long long count = -1;
    struct adminlog_entry first = entry(ADMINLOG_USER_DISABLED, "u-1", "admin-1", T0);

    pg_query_init(&q);
    bool rolled = pg_begin(&q) && adminlog_record("default", &first) == STORE_OK;
    pg_rollback();
    test_cond("a record in a rolled-back transaction is gone",
              rolled && adminlog_count("default", NULL, &count) == STORE_OK && count == 0);
    bool committed = pg_begin(&q) && adminlog_record("default", &first) == STORE_OK &&
                     pg_commit(&q);
    pg_query_cleanup(&q);
    test_cond("a committed one stays",
              committed && adminlog_count("default", NULL, &count) == STORE_OK && count == 1);
    struct adminlog_entry shouting = entry("User_Disabled", "u-1", "admin-1", T0);
    test_cond("a name the table refuses", adminlog_record("default", &shouting) == STORE_ERROR);
    struct adminlog_entry tenant_wide = {.action = ADMINLOG_USERS_SYNCED,
                                         .actor_sub = ADMINLOG_SYSTEM_ACTOR};
    test_cond("optional fields may be NULL, the time defaults to now",
              adminlog_record("default", &tenant_wide) == STORE_OK);
    struct adminlog_entry more[] = {
        entry(ADMINLOG_USER_ENABLED, "u-1", "admin-2", T0 + 1),
        entry(ADMINLOG_USER_DISABLED, "u-2", "admin-2", T0 + 2),
        entry(ADMINLOG_MFA_RESET, "u-2", "admin-1", T0 + 3),
    };
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
        adminlog_record("default", &more[i]);

    test_cond("newest first, by id",
              adminlog_list("default", NULL, 0, 10, &arena, &page) == STORE_OK && page.n == 5 &&
                  is(page.rows[0].action, ADMINLOG_MFA_RESET) && page.rows[0].at == T0 + 3 &&
                  page.rows[0].id > page.rows[1].id && page.rows[3].target_sub == NULL &&
                  page.rows[3].at > T0 && is(page.rows[4].client_addr, "127.0.0.1") &&
                  is(page.rows[4].before_value, "enabled"));
    long long third = page.rows[2].id;
    test_cond("paged by id", adminlog_list("default", NULL, third, 10, &arena, &page) ==
                                     STORE_OK &&
                                 page.n == 2 && page.rows[0].id < third);
    struct adminlog_filter by_target = {.target_sub = "u-2"};
    struct adminlog_filter by_actor = {.actor_sub = "admin-1"};
    struct adminlog_filter by_action = {.action = ADMINLOG_USER_DISABLED};
    struct adminlog_filter combined = {.actor_sub = "admin-2", .action = ADMINLOG_USER_DISABLED};
    test_cond("by target", adminlog_list("default", &by_target, 0, 10, &arena, &page) ==
                                   STORE_OK &&
                               page.n == 2 && is(page.rows[1].target_sub, "u-2") &&
                               adminlog_count("default", &by_target, &count) == STORE_OK &&
                               count == 2);
    test_cond("by actor", adminlog_count("default", &by_actor, &count) == STORE_OK && count == 2);
    test_cond("by action", adminlog_count("default", &by_action, &count) == STORE_OK && count == 2);
    test_cond("combined", adminlog_list("default", &combined, 0, 10, &arena, &page) == STORE_OK &&
                              page.n == 1 && is(page.rows[0].target_sub, "u-2"));
    test_cond("another tenant's log is its own",
              adminlog_count("other", NULL, &count) == STORE_OK && count == 0);
    test_cond("an unknown tenant", adminlog_count("nosuchtenant", NULL, &count) == STORE_ERROR);
}

int main(void)
{
    struct scratch_db db;
    arena_init(&arena);
    test_without_server();
    if (scratch_db_open(&db, "adminlog"))
        test_record_and_list();
    scratch_db_close(&db);
    arena_free(&arena);
    return test_report();
}
