/* SPDX-License-Identifier: MIT */
/* files: t_<slug>.files, the record of the objects users put in S3 under
 * the tenant's prefix (the key, the name the user gave, the declared type
 * and size). S3 holds the bytes; this is what lists them. Listed rows live
 * in the caller's arena. Functions answer an enum store_result (store/pg.h);
 * STORE_CONFLICT means the key is recorded already. Contracts are in
 * files.c. */
#ifndef GH_FILES_H
#define GH_FILES_H

#include <stddef.h>
#include <time.h>

#include "store/pg.h"

struct arena;

#define FILES_LIST_MAX 100 /* rows one listing returns at most */

struct files_file {
    const char *owner_sub, *s3_key, *filename;
    const char *content_type; /* NULL: unknown */
    long long size_bytes;     /* -1: unknown */
    time_t created_at;        /* read only */
};

enum store_result files_record(const char *tenant, const struct files_file *f, time_t now);
enum store_result files_list(const char *tenant, const char *owner_sub, struct arena *a,
                             struct files_file *out, size_t max, size_t *n);


#endif
