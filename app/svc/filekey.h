/* SPDX-License-Identifier: MIT */
/* filekey: the S3 object keys of users' files, and the one check that a
 * requested key is one the caller may reach.
 *
 * A key is "<tenant slug>/<user sub>/<uuid>-<safe filename>": exactly three
 * segments, so a tenant's objects share its prefix and a user's their own.
 * Pure functions over caller-owned buffers: no allocation, any thread. */
#ifndef GH_FILEKEY_H
#define GH_FILEKEY_H

#include <stdbool.h>
#include <stddef.h>

#define FILEKEY_MAX 1024          /* S3's limit on a key, bytes */
#define FILEKEY_NAME_MAX 100      /* the safe filename part, bytes */
#define FILEKEY_UUID_LEN 36       /* 8-4-4-4-12 hex digits */
#define FILEKEY_FALLBACK_NAME "file"

enum filekey_access {
    FILEKEY_OK,      /* the caller may reach this key */
    FILEKEY_INVALID, /* not a key we would make: "..", control characters, empty
                        or extra segments, a leading "/", too long: 400 */
    FILEKEY_FOREIGN, /* well-formed, but another tenant's or another user's: 403 */
};

/* filekey_safe_name writes a version of filename (any bytes; NULL is "")
 * that is safe as the last segment of a key and in a URL: ASCII letters,
 * digits, '.', '_' and '-' only, no "..", no leading or trailing '.' or
 * '-', at most FILEKEY_NAME_MAX bytes keeping a short extension, and
 * FILEKEY_FALLBACK_NAME when nothing is left. out needs FILEKEY_NAME_MAX + 1
 * bytes; returns out. */
char *filekey_safe_name(const char *filename, char out[FILEKEY_NAME_MAX + 1]);
/* filekey_uuid writes a random (version 4) UUID; false if no randomness. */
bool filekey_uuid(char out[FILEKEY_UUID_LEN + 1]);
/* filekey_make writes "<tenant>/<sub>/<uuid>-<safe name of filename>" into
 * out; returns false when tenant or sub is empty, holds '/' or the key does
 * not fit in outlen bytes. */
bool filekey_make(const char *tenant, const char *sub, const char *uuid, const char *filename,
                  char *out, size_t outlen);
/* filekey_check says whether a user (sub) of tenant may reach key; an admin
 * may reach any key under the tenant's prefix. */
enum filekey_access filekey_check(const char *key, const char *tenant, const char *sub,
                                  bool admin);

#endif
