/* SPDX-License-Identifier: MIT */
/* filekey: object keys of users' files (see filekey.h).
 *
 * Keys are made, never taken: the filename a user gives only ever becomes
 * the last segment, reduced to a conservative ASCII alphabet, behind a
 * random UUID that keeps two uploads of "report.pdf" apart. Reading a key
 * back (a download) is the opposite direction and is strict: the key must
 * have the exact shape we make, in the caller's tenant and, unless the
 * caller is an admin, under the caller's own sub. Anything odd — "..",
 * a backslash, control characters, an empty or extra segment — is refused
 * as invalid before any prefix is compared, so no normalisation trick can
 * turn a foreign key into one that looks like ours.
 *
 * Everything is written into the caller's buffers; nothing is allocated. */
#include "svc/filekey.h"

#include <stdio.h>
#include <string.h>

#include "core/seal.h"
#include "core/utf8.h"

#define EXTENSION_MAX 16 /* an extension this short survives truncation */
#define UUID_BYTES 16

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* trim_ends drops '.' and '-' from both ends of s (length *len, in place). */
static void trim_ends(char *s, size_t *len)
{
    size_t start = 0;
    while (start < *len && (s[start] == '.' || s[start] == '-'))
        start++;
    memmove(s, s + start, *len - start);
    *len -= start;
    while (*len > 0 && (s[*len - 1] == '.' || s[*len - 1] == '-'))
        (*len)--;
    s[*len] = '\0';
}

char *filekey_safe_name(const char *filename, char out[FILEKEY_NAME_MAX + 1])
{
    /* Reduce the whole name first (into a buffer as long as it could get
     * after collapsing), then fit it, so an extension is found reliably. */
    char full[FILEKEY_MAX + 1];
    size_t len = 0;
    for (const unsigned char *p = (const unsigned char *)(filename ? filename : "");
         *p && len < FILEKEY_MAX; p++) {
        char c = is_name_char(*p) ? (char)*p : '-';
        /* A run of dots could spell ".."; a run of dashes is just noise. */
        if ((c == '.' || c == '-') && len > 0 && full[len - 1] == c)
            continue;
        if (c == '-' && len > 0 && full[len - 1] == '.')
            continue;
        if (c == '.' && len > 0 && full[len - 1] == '-') { /* "a-.txt": "a.txt" */
            full[len - 1] = '.';
            continue;
        }
        full[len++] = c;
    }
    full[len] = '\0';
    trim_ends(full, &len);

    if (len > FILEKEY_NAME_MAX) {
        const char *dot = strrchr(full, '.');
        size_t ext = dot ? strlen(dot) : 0;
        if (ext > EXTENSION_MAX)
            ext = 0;
        size_t stem = FILEKEY_NAME_MAX - ext;
        memmove(full + stem, full + len - ext, ext);
        len = stem + ext;
        full[len] = '\0';
        /* The cut may leave a '-' or '.' before the extension. */
        while (stem > 0 && (full[stem - 1] == '-' || full[stem - 1] == '.')) {
            memmove(full + stem - 1, full + stem, ext + 1);
            stem--;
            len--;
        }
        trim_ends(full, &len);
    }
    if (len == 0)
        snprintf(out, FILEKEY_NAME_MAX + 1, "%s", FILEKEY_FALLBACK_NAME);
    else
        memcpy(out, full, len + 1);
    return out;
}

bool filekey_uuid(char out[FILEKEY_UUID_LEN + 1])
{
    unsigned char b[UUID_BYTES];
    if (seal_random(b, sizeof(b)) < 0)
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, FILEKEY_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return true;
}

/* plain_segment: non-empty, and nothing a key segment of ours never holds. */
static bool plain_segment(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

bool filekey_make(const char *tenant, const char *sub, const char *uuid, const char *filename,
                  char *out, size_t outlen)
{
    char name[FILEKEY_NAME_MAX + 1];
    if (!plain_segment(tenant) || !plain_segment(sub) || !plain_segment(uuid))
        return false;
    int n = snprintf(out, outlen, "%s/%s/%s-%s", tenant, sub, uuid,
                     filekey_safe_name(filename, name));
    return n > 0 && (size_t)n < outlen;
}

enum filekey_access filekey_check(const char *key, const char *tenant, const char *sub,
                                  bool admin)
{
    if (!key || !tenant || !*tenant || !sub || !*sub)
        return FILEKEY_INVALID;
    size_t len = strlen(key);
    if (len == 0 || len > FILEKEY_MAX || !utf8_valid(key, len) || utf8_has_control(key, len))
        return FILEKEY_INVALID;
    /* utf8_has_control lets tab, CR and LF through (they are fine in text);
     * in a key they are not. */
    if (strpbrk(key, "\t\r\n\\") || strstr(key, ".."))
        return FILEKEY_INVALID;
    const char *first = strchr(key, '/');
    const char *second = first ? strchr(first + 1, '/') : NULL;
    if (!first || !second || first == key || second == first + 1 || second[1] == '\0' ||
        strchr(second + 1, '/'))
        return FILEKEY_INVALID;
    size_t tenant_len = (size_t)(first - key), owner_len = (size_t)(second - first - 1);
    if (tenant_len != strlen(tenant) || memcmp(key, tenant, tenant_len))
        return FILEKEY_FOREIGN;
    if (admin)
        return FILEKEY_OK;
    if (owner_len != strlen(sub) || memcmp(first + 1, sub, owner_len))
        return FILEKEY_FOREIGN;
    return FILEKEY_OK;
}
