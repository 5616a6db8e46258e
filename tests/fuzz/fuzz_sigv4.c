/* SPDX-License-Identifier: MIT */
/* fuzz_sigv4: libFuzzer harness for the SigV4 canonicalisation code.
 *
 * Input: one flags byte, then newline-separated fields: path, query, header
 * name, header value, S3 key, S3 base URL. Each input is signed in the mode
 * the flags byte picks and presigned for S3. Besides memory errors (ASan,
 * UBSan) it checks what must hold for any accepted input: a 64-hex
 * signature, a canonical URI of only unreserved characters, '/' and %XX
 * escapes (unless the S3 verbatim rule was asked for), and a URL built on
 * the base. The harness owns every copy it makes and frees it per input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sigv4.h"

#define FIELDS 6
#define SIG_HEX_LEN 64
#define FLAGS_MASK 0x1f /* every enum sigv4_flags bit */
#define WHEN 1704164645 /* fixed clock: runs must be reproducible */
#define EXPIRES 900

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_hex64(const char *s)
{
    if (strlen(s) != SIG_HEX_LEN)
        return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return false;
    return true;
}

/* canonical_uri_ok checks the second line of a canonical request. */
static bool canonical_uri_ok(const char *creq)
{
    const char *p = strchr(creq, '\n');
    if (!p || p[1] != '/')
        return false;
    for (p++; *p && *p != '\n'; p++) {
        char c = *p;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     strchr("-._~/%", c);
        if (!plain)
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0] & FLAGS_MASK;
    char *copy = malloc(size);
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';

    const char *field[FIELDS] = {"/", "", "X-Test", "", "key", "http://127.0.0.1:4569/b"};
    char *p = copy;
    for (int i = 0; i < FIELDS && p; i++) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        field[i] = p;
        p = nl ? nl + 1 : NULL;
    }

    struct sigv4_credentials cred = {"AKIDEXAMPLE", "secret", (flags & 1) ? "tok/+=" : NULL};
    struct sigv4_header headers[] = {{"Host", "example.amazonaws.com"}, {field[2], field[3]}};
    struct sigv4_request req = {
        .method = "POST",
        .path = field[0],
        .query = field[1],
        .headers = headers,
        .n_headers = 2,
        .payload = field[3],
        .payload_len = strlen(field[3]),
        .region = "us-east-1",
        .service = "service",
        .when = WHEN,
        .expires = EXPIRES,
        .flags = flags,
    };
    struct sigv4_result r;
    if (sigv4_sign(&req, &cred, &r, NULL, 0)) {
        if (!is_hex64(r.signature) || !r.canonical_request || !r.string_to_sign)
            abort();
        if (!(flags & SIGV4_S3_PATH) && !canonical_uri_ok(r.canonical_request))
            abort();
        if ((flags & SIGV4_QUERY) ? !r.query : !r.authorization)
            abort();
    }
    sigv4_result_free(&r);

    struct sigv4_presign ps = {
        .method = (flags & 2) ? "PUT" : "GET",
        .base_url = field[5],
        .key = field[4],
        .content_type = (flags & 4) ? field[3] : NULL,
        .region = "eu-west-1",
        .when = WHEN,
        .expires = EXPIRES,
    };
    if (sigv4_presign_s3(&ps, &cred, &r, NULL, 0)) {
        if (!r.url || strncmp(r.url, "http", 4) != 0 || !is_hex64(r.signature) ||
            !canonical_uri_ok(r.canonical_request))
            abort();
    }
    sigv4_result_free(&r);
    free(copy);
    return 0;
}
