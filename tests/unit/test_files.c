/* SPDX-License-Identifier: MIT */
/* test_files: the files store against a real PostgreSQL (a scratch database,
 * see scratch_db.h): a recorded file lists back with what was declared,
 * newest first, only for its owner and only in its tenant; a key is
 * recorded once; unclean fields are errors before any SQL. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "store/files.h"
#include "store/pg.h"
#include "test.h"
#include "scratch_db.h"

#define T0 1700000000L

static struct arena arena;

static bool is(const char *got, const char *want)
{
    return got && want && !strcmp(got, want);
}

static void test_arguments(void)
{
    struct files_file f = {.owner_sub = "alice", .s3_key = "default/alice/k", .filename = "a.txt",
                           .content_type = "text/plain", .size_bytes = 1};
    struct files_file bad = f;
    bad.filename = "a\x01.txt";
    test_cond("a control character in the name", files_record("default", &bad, T0) == STORE_ERROR);
    bad = f;
    bad.s3_key = "";
    test_cond("an empty key", files_record("default", &bad, T0) == STORE_ERROR);
    bad = f;
    bad.size_bytes = -2;
    test_cond("a negative size", files_record("default", &bad, T0) == STORE_ERROR);
    bad = f;
    bad.filename = "\xff";
    test_cond("invalid UTF-8", files_record("default", &bad, T0) == STORE_ERROR);
    size_t n = 1;
    struct files_file out[2];
    test_cond("list without an owner", files_list("default", NULL, &arena, out, 2, &n) ==
                                               STORE_ERROR && n == 0);
    test_cond("a hostile slug", files_record("x\"; DROP SCHEMA t_default; --", &f, T0) ==
                                    STORE_ERROR);
}

static void test_record_and_list(void)
{
    struct files_file a = {.owner_sub = "alice", .s3_key = "default/alice/1-a.txt",
                           .filename = "a report.txt", .content_type = "text/plain",
                           .size_bytes = 11};
    struct files_file b = {.owner_sub = "alice", .s3_key = "default/alice/2-b.bin",
                           .filename = "b.bin", .content_type = NULL, .size_bytes = -1};
    struct files_file c = {.owner_sub = "bob", .s3_key = "default/bob/3-c", .filename = "c",
                           .content_type = "image/png", .size_bytes = 0};
    test_cond("record a", files_record("default", &a, T0) == STORE_OK);
    test_cond("record b later", files_record("default", &b, T0 + 60) == STORE_OK);
    test_cond("record c", files_record("default", &c, T0 + 120) == STORE_OK);
    test_cond("a key is recorded once", files_record("default", &a, T0 + 180) == STORE_CONFLICT);

    struct files_file out[FILES_LIST_MAX];
    size_t n = 0;
    test_cond("list alice", files_list("default", "alice", &arena, out, FILES_LIST_MAX, &n) ==
                                STORE_OK);
    test_cond("alice has two, newest first", n == 2 && is(out[0].s3_key, b.s3_key) &&
                                                 is(out[1].s3_key, a.s3_key));
    test_cond("unknowns stay unknown", n == 2 && out[0].content_type == NULL &&
                                           out[0].size_bytes == -1);
    test_cond("what was declared comes back",
              n == 2 && is(out[1].filename, "a report.txt") && is(out[1].content_type, "text/plain") &&
                  out[1].size_bytes == 11 && out[1].created_at == T0 && is(out[1].owner_sub, "alice"));
    test_cond("at most max", files_list("default", "alice", &arena, out, 1, &n) == STORE_OK &&
                                 n == 1 && is(out[0].s3_key, b.s3_key));
    test_cond("bob sees only his", files_list("default", "bob", &arena, out, FILES_LIST_MAX, &n) ==
                                           STORE_OK &&
                                       n == 1 && is(out[0].s3_key, c.s3_key) &&
                                       out[0].size_bytes == 0);
    test_cond("nobody has none", files_list("default", "carol", &arena, out, FILES_LIST_MAX, &n) ==
                                         STORE_OK &&
                                     n == 0);
    test_cond("the other tenant has none of them",
              files_list("other", "alice", &arena, out, FILES_LIST_MAX, &n) == STORE_OK && n == 0);
    test_cond("the same key may exist in another tenant's table",
              files_record("other", &a, T0) == STORE_OK);
    test_cond("a tenant without a schema", files_list("nosuchtenant", "alice", &arena, out,
                                                      FILES_LIST_MAX, &n) == STORE_ERROR);
    arena_reset(&arena);
}

int main(void)
{
    struct scratch_db db;
    arena_init(&arena);
    test_arguments();
    if (scratch_db_open(&db, "files"))
        test_record_and_list();
    scratch_db_close(&db);
    arena_free(&arena);
    return test_report();
}
