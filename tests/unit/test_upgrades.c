/* SPDX-License-Identifier: MIT */
/* test_upgrades: upgrade requests (store/upgrades) and the audit page's
 * search (adminlog_search) against a real PostgreSQL.
 *
 * Without a server: bad arguments are refused before any database work.
 * With one (GH_TEST_DATABASE_URL, see scratch_db.h): a scratch database with
 * tenants 'default' and 'other'. Checked: one pending request per user, a
 * decision only once, the newest request, the pending list and count skip
 * users gone from the mirror and the orphans close, tenant isolation; the
 * search by actor or target email (any case) or sub, by action, paged by
 * id. Without the variable it says so and counts one failure: never a
 * silent pass. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/limits.h"
#include "store/adminlog.h"
#include "store/pg.h"
#include "store/upgrades.h"
#include "store/users.h"
#include "test.h"
#include "scratch_db.h"

static struct arena arena;

static bool is(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

static void test_without_server(void)
{
    char long_note[UPGRADE_NOTE_MAX + 2];
    long long id;
    struct adminlog_page page;
    struct adminlog_query bad = {.target_email = "a\x01"};
    memset(long_note, 'n', sizeof(long_note) - 1);
    long_note[sizeof(long_note) - 1] = '\0';
    test_cond("ask: no sub", upgrades_ask("default", NULL, "a@example.com", NULL, &id) ==
                                 STORE_ERROR);
    test_cond("ask: a note too long",
              upgrades_ask("default", "s", "a@example.com", long_note, &id) == STORE_ERROR);
    test_cond("ask: a control character",
              upgrades_ask("default", "s", "a@example.com", "a\x02", &id) == STORE_ERROR);
    test_cond("decide: an unknown state",
              upgrades_decide("default", 1, "pending", "admin", NULL, NULL) == STORE_ERROR);
    test_cond("decide: no id", upgrades_decide("default", 0, UPGRADES_APPROVED, "admin", NULL,
                                               NULL) == STORE_ERROR);
    test_cond("search: a control character in a filter",
              adminlog_search("default", &bad, 0, 10, &arena, &page) == STORE_ERROR);
    test_cond("search: no limit", adminlog_search("default", NULL, 0, 0, &arena, &page) ==
                                      STORE_ERROR);
}

static void user(const char *tenant, const char *sub, const char *email)
{
    struct users_user u = {.sub = sub, .email = email, .tier = "standard", .status = "CONFIRMED",
                           .enabled = true};
    users_upsert(tenant, &u, 1700000000, USERS_REPLACE);
}

static void test_requests(void)
{
    long long a = 0, b = 0, c = 0, n = -1, closed = -1;
    struct upgrades_request r;
    struct upgrades_page page;
    user("default", "sub-a", "a@example.com");
    user("default", "sub-b", "b@example.com");

    test_cond("an ask", upgrades_ask("default", "sub-a", "a@example.com", "please", &a) ==
                            STORE_OK && a > 0);
    test_cond("a second pending one is a conflict",
              upgrades_ask("default", "sub-a", "a@example.com", NULL, &c) == STORE_CONFLICT &&
                  c == 0);
    test_cond("another user's ask", upgrades_ask("default", "sub-b", "b@example.com", "", &b) ==
                                        STORE_OK);
    test_cond("the newest request, pending",
              upgrades_latest("default", "sub-a", &arena, &r) == STORE_OK && r.id == a &&
                  is(r.state, UPGRADES_PENDING) && is(r.note, "please") && !r.reason &&
                  !r.decided_by_sub && r.decided_at == 0 && r.created_at > 0);
    test_cond("an empty note is none",
              upgrades_get("default", b, &arena, &r) == STORE_OK && r.note == NULL);
    test_cond("count and list",
              upgrades_count_pending("default", &n) == STORE_OK && n == 2 &&
                  upgrades_pending("default", 0, 10, &arena, &page) == STORE_OK && page.n == 2 &&
                  page.rows[0].id == a && page.rows[1].id == b);
    test_cond("the list pages by id",
              upgrades_pending("default", a, 10, &arena, &page) == STORE_OK && page.n == 1 &&
                  page.rows[0].id == b);
    test_cond("declined, with who and why",
              upgrades_decide("default", a, UPGRADES_DECLINED, "admin-1", "admin@example.com",
                              "not now") == STORE_OK &&
                  upgrades_get("default", a, &arena, &r) == STORE_OK &&
                  is(r.state, UPGRADES_DECLINED) && is(r.reason, "not now") &&
                  is(r.decided_by_sub, "admin-1") && r.decided_at > 0);
    test_cond("decided only once",
              upgrades_decide("default", a, UPGRADES_APPROVED, "admin-2", NULL, NULL) ==
                  STORE_NOT_FOUND);
    test_cond("asking again after a decline",
              upgrades_ask("default", "sub-a", "a@example.com", NULL, &c) == STORE_OK && c > a &&
                  upgrades_latest("default", "sub-a", &arena, &r) == STORE_OK && r.id == c);
    test_cond("no request", upgrades_latest("default", "sub-z", &arena, &r) == STORE_NOT_FOUND);
    test_cond("another tenant's requests are its own",
              upgrades_count_pending("other", &n) == STORE_OK && n == 0 &&
                  upgrades_get("other", a, &arena, &r) == STORE_NOT_FOUND);

    /* b leaves: skipped, then closed. */
    users_mark_deleted("default", "sub-b", 1700000100);
    test_cond("a user gone is not counted nor listed",
              upgrades_count_pending("default", &n) == STORE_OK && n == 1 &&
                  upgrades_pending("default", 0, 10, &arena, &page) == STORE_OK &&
                  page.n == 1 && page.rows[0].id == c);
    test_cond("and their request closes",
              upgrades_close_orphans("default", &closed) == STORE_OK && closed == 1 &&
                  upgrades_get("default", b, &arena, &r) == STORE_OK &&
                  is(r.state, UPGRADES_CLOSED) && upgrades_close_orphans("default", &closed) ==
                  STORE_OK && closed == 0);
}

static struct adminlog_entry act(const char *action, const char *target, const char *email,
                                 const char *actor, const char *actor_email)
{
    struct adminlog_entry e = {.action = action, .target_sub = target, .target_email = email,
                               .actor_sub = actor, .actor_email = actor_email};
    return e;
}

static void test_search(void)
{
    struct adminlog_entry rows[] = {
        act(ADMINLOG_USER_DISABLED, "t-1", "old@example.com", "ad-1", "Ann@Example.com"),
        act(ADMINLOG_USER_ENABLED, "t-1", "new@example.com", "ad-2", "bob@example.com"),
        act(ADMINLOG_TIER_CHANGED, "t-2", "two@example.com", ADMINLOG_SYSTEM_ACTOR, NULL),
        act(ADMINLOG_USER_DISABLED, "t-2", "two@example.com", "ad-1", "ann@example.com"),
    };
    struct adminlog_page page;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        adminlog_record("default", &rows[i]);
    struct adminlog_query by_email = {.actor_email = "ANN@example.com"};
    struct adminlog_query by_target = {.target_email = "new@example.com", .target_sub = "t-1"};
    struct adminlog_query old_email = {.target_email = "OLD@example.com"};
    struct adminlog_query system = {.actor_sub = ADMINLOG_SYSTEM_ACTOR};
    struct adminlog_query combined = {.actor_email = "ann@example.com",
                                      .target_email = "two@example.com",
                                      .action = ADMINLOG_USER_DISABLED};
    struct adminlog_query none = {.actor_email = "bob@example.com",
                                  .action = ADMINLOG_TIER_CHANGED};
    test_cond("everything, newest first",
              adminlog_search("default", NULL, 0, 10, &arena, &page) == STORE_OK && page.n == 4 &&
                  is(page.rows[0].action, ADMINLOG_USER_DISABLED) &&
                  is(page.rows[0].target_sub, "t-2"));
    test_cond("by the actor's email, any case",
              adminlog_search("default", &by_email, 0, 10, &arena, &page) == STORE_OK &&
                  page.n == 2);
    test_cond("by the target's sub or email",
              adminlog_search("default", &by_target, 0, 10, &arena, &page) == STORE_OK &&
                  page.n == 2);
    test_cond("by the email a row recorded",
              adminlog_search("default", &old_email, 0, 10, &arena, &page) == STORE_OK &&
                  page.n == 1 && is(page.rows[0].action, ADMINLOG_USER_DISABLED));
    test_cond("the system", adminlog_search("default", &system, 0, 10, &arena, &page) ==
                                    STORE_OK &&
                                page.n == 1 && page.rows[0].actor_email == NULL);
    test_cond("every filter together",
              adminlog_search("default", &combined, 0, 10, &arena, &page) == STORE_OK &&
                  page.n == 1 && is(page.rows[0].target_sub, "t-2"));
    test_cond("nothing matches", adminlog_search("default", &none, 0, 10, &arena, &page) ==
                                         STORE_OK &&
                                     page.n == 0);
    test_cond("paged by id",
              adminlog_search("default", NULL, 0, 2, &arena, &page) == STORE_OK && page.n == 2 &&
                  adminlog_search("default", NULL, page.rows[1].id, 10, &arena, &page) ==
                      STORE_OK &&
                  page.n == 2 && is(page.rows[1].target_email, "old@example.com"));
    test_cond("another tenant's log is its own",
              adminlog_search("other", NULL, 0, 10, &arena, &page) == STORE_OK && page.n == 0);
}

int main(void)
{
    struct scratch_db db;
    arena_init(&arena);
    test_without_server();
    if (scratch_db_open(&db, "upgrades")) {
        test_requests();
        test_search();
    }
    scratch_db_close(&db);
    arena_free(&arena);
    return test_report();
}
