/* SPDX-License-Identifier: MIT */
/* storage: users' files in S3, handed out as presigned URLs — a new upload
 * (its key made here and recorded) and a download of a key the caller may
 * reach. No S3 call is made: a URL costs a signature (and, for an upload,
 * one row).
 *
 * A struct storage_url's url and key live in the arena given. */
#ifndef GH_STORAGE_H
#define GH_STORAGE_H

#include <stdbool.h>
#include <time.h>

struct arena;
struct tenant;

enum storage_outcome {
    STORAGE_OK,
    STORAGE_FOREIGN_KEY,    /* another tenant's or another user's file */
    STORAGE_INVALID_KEY,    /* not a key gatehouse would make */
    STORAGE_NOT_CONFIGURED, /* no bucket or credentials, or signing failed (logged) */
    STORAGE_UNAVAILABLE,    /* PostgreSQL unreachable */
    STORAGE_ERROR,          /* a bug or bad data */
};

struct storage_url {
    const char *url, *key, *method;
    long expires_in;  /* seconds */
    time_t expires_at;
};

/* What an upload will be; content_type is bound into the URL. */
struct storage_upload {
    const char *filename, *content_type;
    long long size;
};

/* storage_upload_url makes the key of a new file of user sub at tenant t,
 * records it, and presigns its PUT. */
enum storage_outcome storage_upload_url(const struct tenant *t, const char *sub,
                                        const struct storage_upload *up, struct arena *a,
                                        const char *request_id, struct storage_url *out);
/* storage_download_url presigns the GET of key for user sub (an admin of
 * the tenant may reach every file of it). */
enum storage_outcome storage_download_url(const struct tenant *t, const char *sub, bool admin,
                                          const char *key, struct arena *a,
                                          const char *request_id, struct storage_url *out);

#endif
