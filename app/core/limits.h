/* SPDX-License-Identifier: MIT */
/* limits: every size and count limit of gatehouse, in one place.
 *
 * Each limit is checked where the input arrives and exceeding it is answered
 * with a clean 4xx (or a clear error for operators), never an assert. nginx
 * enforces the outer ones too, but a worker never trusts nginx alone. */
#ifndef GH_LIMITS_H
#define GH_LIMITS_H

/* ---- requests ---------------------------------------------------------- */
#define REQ_BODY_MAX (64 * 1024)        /* form or JSON body, bytes: else 413 */
#define REQ_PATH_MAX 2048               /* decoded path, bytes: else 414 */
#define REQ_QUERY_MAX 4096              /* raw query string, bytes: else 414 */
#define REQ_PARAMS_MAX 64               /* fields in one form or query: else 400 */
#define REQ_PARAM_NAME_MAX 128          /* one field name, bytes: else 400 */
#define REQ_PARAM_VALUE_MAX (16 * 1024) /* one field value, bytes: else 400 */
#define REQ_COOKIE_HEADER_MAX 8192      /* the whole Cookie header: else 400 */
#define REQ_COOKIES_MAX 32              /* cookies kept from one header */
#define REQ_JSON_DEPTH_MAX 16           /* nesting of a JSON body: else 400 */

/* ---- memory ------------------------------------------------------------ */
#define ARENA_CHUNK_SIZE (32 * 1024) /* first chunk of a request's arena */

/* ---- templates --------------------------------------------------------- */
#define TMPL_SOURCE_MAX (1024 * 1024) /* one template file, bytes */
#define TMPL_NESTING_MAX 64           /* open sections/blocks while compiling */
#define TMPL_PARTIAL_DEPTH_MAX 32     /* partial/parent expansion while rendering */
#define TMPL_NAME_MAX 128             /* a tag's name, bytes */

/* ---- outside services -------------------------------------------------- */
#define COGNITO_RESPONSE_MAX (256 * 1024) /* bytes read from one Cognito reply */
#define HTTP_CONNECT_TIMEOUT_MS 2000      /* libcurl connect timeout */
#define HTTP_TOTAL_TIMEOUT_MS 5000        /* libcurl whole-call timeout */

#endif
