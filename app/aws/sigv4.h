/* SPDX-License-Identifier: MIT */
/* sigv4: AWS Signature Version 4, computed locally with libcrypto.
 *
 * sigv4_sign signs a request into headers (Cognito admin calls) or into its
 * query; sigv4_presign_s3 builds an S3 presigned URL. Inputs are borrowed for
 * the call; every output, intermediate pieces included, is heap memory in a
 * struct sigv4_result released by one sigv4_result_free. */
#ifndef GH_SIGV4_H
#define GH_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sigv4_header { const char *name, *value; };

struct sigv4_credentials {
    const char *access_key_id, *secret_access_key;
    const char *session_token; /* NULL or "" when there is none */
};

enum sigv4_flags {
    SIGV4_QUERY = 1 << 0,          /* sign into the query string (presign) */
    SIGV4_S3_PATH = 1 << 1,        /* path is already encoded once: sign as is */
    SIGV4_KEEP_PATH = 1 << 2,      /* encode, but keep dot segments and "//" */
    SIGV4_CONTENT_SHA256 = 1 << 3, /* header mode: also sign x-amz-content-sha256 */
    SIGV4_TOKEN_UNSIGNED = 1 << 4, /* attach the session token after signing */
};

struct sigv4_request {
    const char *method, *path; /* path as on the request line, e.g. "/" */
    const char *query;         /* raw, without '?'; NULL or "" when none */
    const struct sigv4_header *headers; /* must include Host */
    size_t n_headers;
    const void *payload;
    size_t payload_len;
    const char *payload_hash; /* NULL: SHA-256 of payload; else as given */
    const char *region, *service;
    time_t when;
    long expires; /* SIGV4_QUERY only: seconds, 1 to 7 days */
    unsigned flags;
};

#define SIGV4_ADDED_HEADERS_MAX 4
struct sigv4_result {
    char *canonical_request, *string_to_sign;
    char *authorization; /* header mode: the Authorization value */
    char *query;         /* query mode: X-Amz-* params to append to the query */
    char *url;           /* sigv4_presign_s3: the whole presigned URL */
    char signature[65];  /* lowercase hex */
    char amz_date[17];   /* YYYYMMDDTHHMMSSZ */
    struct { const char *name; char *value; } headers[SIGV4_ADDED_HEADERS_MAX];
    size_t n_headers;    /* header mode: headers to send, in this order */
};

struct sigv4_presign {
    const char *method;   /* "GET" or "PUT" */
    const char *base_url; /* https://bkt.s3.<region>.amazonaws.com, http://127.0.0.1:4569/bkt */
    const char *key;      /* object key, raw bytes */
    const char *content_type; /* NULL, or signed: the PUT must send it as is */
    const char *content_length; /* NULL, or signed: the PUT must send exactly this many bytes */
    bool attachment;      /* GET: S3 answers Content-Disposition: attachment */
    const char *region;
    time_t when;
    long expires;
};

bool sigv4_sign(const struct sigv4_request *req, const struct sigv4_credentials *cred,
                struct sigv4_result *out, char *err, size_t errlen);
bool sigv4_presign_s3(const struct sigv4_presign *p, const struct sigv4_credentials *cred,
                      struct sigv4_result *out, char *err, size_t errlen);
void sigv4_result_free(struct sigv4_result *r);

#endif
