/* SPDX-License-Identifier: MIT */
/* fuzz_filekey: libFuzzer target for the S3 key rules of the files API and
 * the CORS origin list.
 *
 * Input: up to three '\n'-separated fields: a key (or a filename), an
 * origin list, an origin. Checked: a safe name is never empty, never longer
 * than FILEKEY_NAME_MAX, holds only [A-Za-z0-9._-], never "..", and neither
 * starts nor ends with '.' or '-'; a key made from any filename passes the
 * check for its owner; a key the check lets a user reach has exactly the
 * shape "acme/<sub>/<name>" with a clean name, and an admin reaches whatever
 * the user does; a listed origin is a whole entry of the list, or the list
 * says "*". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/cors.h"
#include "svc/filekey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert, never compiled out. */
#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "invariant failed: %s (%s:%d)\n", #cond,         \
                    __FILE__, __LINE__);                                     \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define TENANT "acme"
#define SUB "0b7c1f2e-1111-4222-8333-444455556666"
#define UUID "123e4567-e89b-42d3-a456-426614174000"
#define FIELDS 3

static void check_safe_name(const char *name)
{
    char out[FILEKEY_NAME_MAX + 1];
    filekey_safe_name(name, out);
    size_t len = strlen(out);
    CHECK(len > 0 && len <= FILEKEY_NAME_MAX);
    CHECK(strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len);
    CHECK(!strstr(out, ".."));
    CHECK(out[0] != '.' && out[0] != '-' && out[len - 1] != '.' && out[len - 1] != '-');

    char key[FILEKEY_MAX + 1];
    CHECK(filekey_make(TENANT, SUB, UUID, name, key, sizeof(key)));
    CHECK(filekey_check(key, TENANT, SUB, false) == FILEKEY_OK);
    CHECK(filekey_check(key, "other", SUB, true) == FILEKEY_FOREIGN);
}

static void check_key(const char *key)
{
    enum filekey_access user = filekey_check(key, TENANT, SUB, false);
    enum filekey_access admin = filekey_check(key, TENANT, SUB, true);
    if (user == FILEKEY_OK) {
        const char *prefix = TENANT "/" SUB "/";
        CHECK(!strncmp(key, prefix, strlen(prefix)));
        const char *name = key + strlen(prefix);
        CHECK(*name && !strchr(name, '/') && !strchr(name, '\\') && !strstr(key, ".."));
        for (const unsigned char *p = (const unsigned char *)key; *p; p++)
            CHECK(*p >= 0x20 && *p != 0x7f);
        CHECK(admin == FILEKEY_OK);
    }
    if (admin == FILEKEY_OK)
        CHECK(!strncmp(key, TENANT "/", strlen(TENANT "/")) && user != FILEKEY_INVALID);
    if (user == FILEKEY_INVALID)
        CHECK(admin == FILEKEY_INVALID);
}

static void check_origins(const char *list, const char *origin)
{
    if (!cors_origin_allowed(list, origin))
        return;
    CHECK(*origin);
    /* Allowed: "*" or the origin is one of the comma-separated entries. */
    size_t want = strlen(origin);
    bool found = false;
    for (const char *p = list; *p && !found;) {
        p += strspn(p, " \t,");
        size_t n = strcspn(p, ",");
        size_t len = n;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        found = (len == 1 && *p == '*') || (len == want && !strncasecmp(p, origin, len));
        p += n;
    }
    CHECK(found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *field[FIELDS] = {text, "", ""};
    for (int i = 1; i < FIELDS; i++) {
        char *nl = strchr(field[i - 1], '\n');
        if (!nl)
            break;
        *nl = '\0';
        field[i] = nl + 1;
    }
    check_safe_name(field[0]);
    check_key(field[0]);
    check_origins(field[1], field[2]);
    free(text);
    return 0;
}
