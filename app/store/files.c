/* SPDX-License-Identifier: MIT */
/* files: t_<slug>.files (see files.h).
 *
 * A row is written when an upload URL is handed out, before the browser or
 * app has sent a byte: S3 tells us nothing when the PUT happens (there are
 * no notifications from a presigned URL), so the row records the intent
 * and the key, and a listing shows what was asked for. A URL that is never
 * used leaves a row whose object is missing; the download of such a key
 * simply answers 404 from S3. Size and type are what the client declared.
 *
 * Every statement goes through pg_query_run_tenant, so the table name is
 * unqualified and resolves only in the request's tenant schema. Strings
 * handed back are copies in the caller's arena. */
#include "store/files.h"

#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "store/pg.h"

#define FILES_FIELD_MAX 2048 /* bytes of a sub, key, filename or type */

enum file_col { COL_OWNER, COL_KEY, COL_NAME, COL_TYPE, COL_SIZE, COL_CREATED };

/* Clean text of at most FILES_FIELD_MAX bytes (pg_field_ok). */
static bool field_ok(const char *s, bool required)
{
    return pg_field_ok(s, FILES_FIELD_MAX, required);
}

/* Records file f of tenant (a slug) at time now. owner_sub, s3_key and
 * filename are required; content_type may be NULL and size_bytes -1 when
 * unknown. Returns STORE_OK, STORE_CONFLICT when the key is recorded already,
 * STORE_UNAVAILABLE, or STORE_ERROR for an unclean field, a negative size
 * other than -1, or an invalid or unmigrated tenant. */
enum store_result files_record(const char *tenant, const struct files_file *f, time_t now)
{
    char size[NUM_TEXT_MAX], at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (!field_ok(f->owner_sub, true) || !field_ok(f->s3_key, true) ||
        !field_ok(f->filename, true) || !field_ok(f->content_type, false) ||
        f->size_bytes < -1)
        return STORE_ERROR;
    const char *const params[] = {f->owner_sub, f->s3_key, f->filename, f->content_type,
                                  f->size_bytes >= 0 ? pg_num_text(size, f->size_bytes) : NULL,
                                  pg_num_text(at, (long long)now)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "INSERT INTO files (owner_sub, s3_key, filename, content_type,"
                             " size_bytes, created_at)"
                             " VALUES ($1, $2, $3, $4, $5::bigint, to_timestamp($6::bigint))",
                             6, params))
        rc = pg_store_conflict(&q);
    pg_query_cleanup(&q);
    return rc;
}

/* Fills out[0..max) with the files of owner_sub in tenant, newest first
 * (max is capped at FILES_LIST_MAX), and sets *n to how many. Strings are
 * copied into a. Returns STORE_OK (also when there are none),
 * STORE_UNAVAILABLE or STORE_ERROR; *n is 0 unless STORE_OK. */
enum store_result files_list(const char *tenant, const char *owner_sub, struct arena *a,
                             struct files_file *out, size_t max, size_t *n)
{
    char limit[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *n = 0;
    if (!field_ok(owner_sub, true))
        return STORE_ERROR;
    if (max > FILES_LIST_MAX)
        max = FILES_LIST_MAX;
    const char *const params[] = {owner_sub, pg_num_text(limit, (long long)max)};
    pg_query_init(&q);
    if (!pg_query_run_tenant(&q, tenant,
                             "SELECT owner_sub, s3_key, filename, content_type, size_bytes,"
                             " extract(epoch FROM created_at)::bigint FROM files"
                             " WHERE owner_sub = $1 ORDER BY created_at DESC, id DESC"
                             " LIMIT $2::int",
                             2, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    for (int row = 0; row < pg_query_rows(&q) && *n < max; row++) {
        struct files_file *f = &out[(*n)++];
        f->owner_sub = arena_strdup(a, pg_query_value(&q, row, COL_OWNER));
        f->s3_key = arena_strdup(a, pg_query_value(&q, row, COL_KEY));
        f->filename = arena_strdup(a, pg_query_value(&q, row, COL_NAME));
        f->content_type = pg_query_is_null(&q, row, COL_TYPE)
                              ? NULL
                              : arena_strdup(a, pg_query_value(&q, row, COL_TYPE));
        f->size_bytes = pg_query_is_null(&q, row, COL_SIZE)
                            ? -1
                            : strtoll(pg_query_value(&q, row, COL_SIZE), NULL, 10);
        f->created_at = (time_t)strtoll(pg_query_value(&q, row, COL_CREATED), NULL, 10);
    }
out:
    pg_query_cleanup(&q);
    return rc;
}
