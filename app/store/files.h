/* SPDX-License-Identifier: MIT */
/* files: t_<slug>.files, the record of the objects users put in S3 under
 * the tenant's prefix (the key, the name the user gave, the declared type
 * and size). S3 holds the bytes; this is what lists them. Listed rows live
 * in the caller's arena. Contracts are in files.c. */
#ifndef GH_FILES_H
#define GH_FILES_H

#include <stddef.h>
#include <time.h>

struct arena;

#define FILES_LIST_MAX 100 /* rows one listing returns at most */

enum files_result {
    FILES_OK = 0,
    FILES_EXISTS,      /* the key is recorded already */
    FILES_UNAVAILABLE, /* PostgreSQL unreachable: answer 503 */
    FILES_ERROR,       /* bad argument, unknown tenant schema, a bug: 500 */
};

struct files_file {
    const char *owner_sub, *s3_key, *filename;
    const char *content_type; /* NULL: unknown */
    long long size_bytes;     /* -1: unknown */
    time_t created_at;        /* read only */
};

enum files_result files_record(const char *tenant, const struct files_file *f, time_t now);
enum files_result files_list(const char *tenant, const char *owner_sub, struct arena *a,
                             struct files_file *out, size_t max, size_t *n);

#endif
