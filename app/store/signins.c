/* SPDX-License-Identifier: MIT */
/* signins: the JSON API's sign-ins (see signins.h).
 *
 * Why a row per refresh token: Cognito's access tokens from a refresh carry
 * nothing that ties them to the sign-in they came from at every Cognito
 * (the local one has no origin_jti, and a refresh gets a new iat), so a
 * logout that sends only its access token could not end the refresh chain
 * by looking at tokens. The server keeps the chain instead: the row knows
 * the jti of the last access token it gave out, which is what a logout
 * presents, and a refresh through the API must find its row.
 *
 * Every statement is parameterised and names its tenant: a refresh token of
 * one tenant finds nothing at another. Rows whose idle deadline has passed
 * are never found, and are deleted by the next sign-in of any user (one
 * cheap indexed DELETE at a moment that is not a page view).
 *
 * Ownership: found strings are copied into the caller's arena; an opened
 * refresh token goes into the caller's buffer, which the caller wipes. */
#include "store/signins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/seal.h"
#include "store/sealed.h"

#define HASH_HEX_LEN (2 * SEAL_SHA256_BYTES)
#define FIELD_MAX 256 /* a sub, a user name or a jti */
#define SIGNIN_USER_AGENT_MAX 512 /* bytes of User-Agent kept, as for sessions */
#define SIGNIN_CLIENT_ADDR_MAX 64 /* an IPv6 address with zone */
/* How "Your devices" names a sign-in: as store/sessions names a session. */
#define HANDLE_SQL "encode(substring(sha256(id_hash) FROM 1 FOR 16), 'hex')"

/* token_hash keys a refresh token: its SHA-256, as hex for the statements. */
static bool token_hash(const char *token, unsigned char hash[SEAL_SHA256_BYTES],
                       char hex[HASH_HEX_LEN + 1])
{
    size_t n = token ? strnlen(token, REFRESH_TOKEN_MAX + 1) : 0;
    if (n == 0 || n > REFRESH_TOKEN_MAX)
        return false;
    seal_sha256(token, n, hash);
    hex_encode(hash, SEAL_SHA256_BYTES, hex);
    return true;
}

/* handle_ok: a handle as signins_list_user gives them out (a malformed
 * one matches nothing). */
static bool handle_ok(const char *handle)
{
    return handle && strlen(handle) == DEVICE_HANDLE_LEN &&
           strspn(handle, "0123456789abcdef") == DEVICE_HANDLE_LEN;
}

/* open_row_token opens the refresh token of the first row of a statement
 * answering encode(id_hash, 'hex'), encode(refresh_token_enc, 'hex') (a
 * SELECT, or a DELETE ... RETURNING), into out (outlen bytes); "" when it
 * does not open. */
static void open_row_token(const struct pg_query *q, char *out, size_t outlen)
{
    unsigned char row_hash[SEAL_SHA256_BYTES];
    size_t hex_len = pg_query_len(q, 0, 1), len = hex_len / 2;
    struct arena a;
    arena_init(&a);
    unsigned char *sealed = arena_alloc(&a, len + 1);
    if (!hex_decode(pg_query_value(q, 0, 0), pg_query_len(q, 0, 0), row_hash, sizeof row_hash) ||
        !hex_decode(pg_query_value(q, 0, 1), hex_len, sealed, len) ||
        !sealed_open(sealed, len, row_hash, out, outlen)) {
        if (outlen)
            out[0] = '\0';
    }
    arena_free(&a);
}

/* Records a new sign-in, sealing its refresh token; expired rows of any
 * user go in the same statement. STORE_OK, STORE_UNAVAILABLE or
 * STORE_ERROR (bad fields, no key). */
enum store_result signins_record(const struct signins_new *in, time_t now)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX],
        until[NUM_TEXT_MAX];
    bool failed = false;
    struct pg_query q;
    enum store_result rc = STORE_ERROR;

    if (in->tenant_id <= 0 || !token_hash(in->refresh_token, hash, hash_hex) ||
        !pg_field_ok(in->sub, FIELD_MAX, true) || !pg_field_ok(in->username, FIELD_MAX, true) ||
        !pg_field_ok(in->access_jti, FIELD_MAX, false))
        return STORE_ERROR;
    /* What the device page shows is kept only when it is clean text: a
     * header that is not is dropped, not a reason to refuse the login. */
    const char *user_agent = pg_field_ok(in->user_agent, SIGNIN_USER_AGENT_MAX, true)
                                 ? in->user_agent : NULL;
    const char *client_addr = pg_field_ok(in->client_addr, SIGNIN_CLIENT_ADDR_MAX, true)
                                  ? in->client_addr : NULL;
    /* Nothing is sealed into an arena here: only the hex text is needed. */
    char *sealed = sealed_hex(in->refresh_token, hash, NULL, NULL, NULL, &failed);
    if (failed)
        goto out;
    const char *const params[] = {hash_hex, pg_num_text(tenant, in->tenant_id), in->sub,
                                  in->username, sealed, in->access_jti, pg_num_text(at, now),
                                  pg_num_text(until, now + API_SIGNIN_IDLE_S), user_agent,
                                  client_addr};
    pg_query_init(&q);
    if (pg_query_run(&q,
                     "WITH gone AS (DELETE FROM gatehouse.api_signins"
                     " WHERE expires_at <= to_timestamp($7::bigint))"
                     " INSERT INTO gatehouse.api_signins (id_hash, tenant_id, user_sub, username,"
                     " refresh_token_enc, access_jti, created_at, last_used_at, expires_at,"
                     " user_agent, client_addr)"
                     " VALUES (decode($1, 'hex'), $2::bigint, $3, $4, decode($5, 'hex'), $6,"
                     " to_timestamp($7::bigint), to_timestamp($7::bigint),"
                     " to_timestamp($8::bigint), $9, $10)"
                     " ON CONFLICT (id_hash) DO NOTHING",
                     10, params))
        rc = STORE_OK;
    else
        rc = pg_store_result(&q);
    pg_query_cleanup(&q);
out:
    free(sealed);
    return rc;
}

/* Finds the live sign-in of refresh_token at tenant_id: STORE_OK with *out
 * filled, STORE_NOT_FOUND (none: ended, expired, another tenant's, or not
 * a token we handed out), STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result signins_find(long long tenant_id, const char *refresh_token, time_t now,
                               struct arena *a, struct signins_signin *out)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    memset(out, 0, sizeof(*out));
    if (!token_hash(refresh_token, hash, hash_hex))
        return STORE_NOT_FOUND;
    const char *const params[] = {hash_hex, pg_num_text(tenant, tenant_id),
                                  pg_num_text(at, now)};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "SELECT user_sub, username FROM gatehouse.api_signins"
                      " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint"
                      " AND expires_at > to_timestamp($3::bigint)",
                      3, params)) {
        rc = pg_store_result(&q);
    } else if (pg_query_rows(&q) != 1) {
        rc = STORE_NOT_FOUND;
    } else {
        out->sub = arena_strdup(a, pg_query_value(&q, 0, 0));
        out->username = arena_strdup(a, pg_query_value(&q, 0, 1));
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Notes a refresh of the sign-in: the jti of the access token it gave out
 * and a new idle deadline. STORE_NOT_FOUND when the row went meanwhile (a
 * logout or a password change won the race: the caller must not answer the
 * new tokens). */
enum store_result signins_touch(long long tenant_id, const char *refresh_token,
                                const char *access_jti, time_t now)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX],
        until[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (!token_hash(refresh_token, hash, hash_hex) || !pg_field_ok(access_jti, FIELD_MAX, false))
        return STORE_ERROR;
    const char *const params[] = {hash_hex, pg_num_text(tenant, tenant_id), access_jti,
                                  pg_num_text(at, now), pg_num_text(until, now + API_SIGNIN_IDLE_S)};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "UPDATE gatehouse.api_signins SET access_jti = $3,"
                      " last_used_at = to_timestamp($4::bigint),"
                      " expires_at = to_timestamp($5::bigint)"
                      " WHERE id_hash = decode($1, 'hex') AND tenant_id = $2::bigint"
                      " AND expires_at > to_timestamp($4::bigint)",
                      5, params))
        rc = pg_store_result(&q);
    else
        rc = pg_query_affected(&q) == 1 ? STORE_OK : STORE_NOT_FOUND;
    pg_query_cleanup(&q);
    return rc;
}

/* Ends one sign-in of user sub at tenant_id: the one of refresh_token when
 * it is given, else the one that last gave out the access token access_jti.
 * Its refresh token is opened into refresh_out (refresh_len bytes), for
 * revoking at Cognito; "" when it does not open. STORE_OK, STORE_NOT_FOUND
 * (no such sign-in of that user), STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result signins_end(long long tenant_id, const char *sub, const char *refresh_token,
                              const char *access_jti, char *refresh_out, size_t refresh_len)
{
    unsigned char hash[SEAL_SHA256_BYTES];
    char hash_hex[HASH_HEX_LEN + 1], tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (refresh_len)
        refresh_out[0] = '\0';
    if (!pg_field_ok(sub, FIELD_MAX, true) || !pg_field_ok(access_jti, FIELD_MAX, false))
        return STORE_ERROR;
    bool by_token = refresh_token && token_hash(refresh_token, hash, hash_hex);
    if (!by_token && !access_jti)
        return STORE_NOT_FOUND;
    const char *const params[] = {pg_num_text(tenant, tenant_id), sub,
                                  by_token ? hash_hex : NULL, by_token ? NULL : access_jti};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "DELETE FROM gatehouse.api_signins"
                      " WHERE tenant_id = $1::bigint AND user_sub = $2"
                      " AND (id_hash = decode($3, 'hex') OR access_jti = $4)"
                      " RETURNING encode(id_hash, 'hex'), encode(refresh_token_enc, 'hex')",
                      4, params)) {
        rc = pg_store_result(&q);
    } else if (pg_query_rows(&q) < 1) {
        rc = STORE_NOT_FOUND;
    } else {
        open_row_token(&q, refresh_out, refresh_len);
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Ends every API sign-in of user sub at tenant_id (a password reset or
 * change), but the one named keep_handle (NULL: none kept; an API client
 * signing out its other devices). *ended (may be NULL) gets how many. */
enum store_result signins_end_user(long long tenant_id, const char *sub, const char *keep_handle,
                                   long long *ended)
{
    char tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    if (ended)
        *ended = 0;
    if (!pg_field_ok(sub, FIELD_MAX, true) || (keep_handle && !handle_ok(keep_handle)))
        return STORE_ERROR;
    const char *const params[] = {pg_num_text(tenant, tenant_id), sub, keep_handle};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "DELETE FROM gatehouse.api_signins"
                      " WHERE tenant_id = $1::bigint AND user_sub = $2"
                      " AND ($3::text IS NULL OR " HANDLE_SQL " <> $3)",
                      3, params))
        rc = pg_store_result(&q);
    else if (ended)
        *ended = pg_query_affected(&q);
    pg_query_cleanup(&q);
    return rc;
}

/* Lists user sub's live API sign-ins at tenant_id, last used first, at most
 * DEVICES_MAX, into *out (an array in a) and *n. STORE_OK (also for none),
 * STORE_UNAVAILABLE or STORE_ERROR. */
enum store_result signins_list_user(long long tenant_id, const char *sub, time_t now,
                                    struct arena *a, struct signins_device **out, size_t *n)
{
    char tenant[NUM_TEXT_MAX], at[NUM_TEXT_MAX], limit[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc = STORE_OK;

    *out = NULL;
    *n = 0;
    if (!pg_field_ok(sub, FIELD_MAX, true))
        return STORE_ERROR;
    const char *const params[] = {pg_num_text(tenant, tenant_id), sub, pg_num_text(at, now),
                                  pg_num_text(limit, DEVICES_MAX)};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      "SELECT " HANDLE_SQL ", user_agent, client_addr,"
                      " extract(epoch FROM created_at)::bigint,"
                      " extract(epoch FROM last_used_at)::bigint, access_jti"
                      " FROM gatehouse.api_signins WHERE tenant_id = $1::bigint"
                      " AND user_sub = $2 AND expires_at > to_timestamp($3::bigint)"
                      " ORDER BY last_used_at DESC LIMIT $4::int",
                      4, params)) {
        rc = pg_store_result(&q);
        goto out;
    }
    int rows = pg_query_rows(&q);
    struct signins_device *d = arena_alloc(a, sizeof(*d) * (size_t)(rows ? rows : 1));
    for (int i = 0; i < rows; i++) {
        d[i].handle = arena_strdup(a, pg_query_value(&q, i, 0));
        d[i].user_agent = pg_query_is_null(&q, i, 1) ? NULL
                                                     : arena_strdup(a, pg_query_value(&q, i, 1));
        d[i].client_addr = pg_query_is_null(&q, i, 2)
                               ? NULL
                               : arena_strdup(a, pg_query_value(&q, i, 2));
        d[i].created_at = (time_t)strtoll(pg_query_value(&q, i, 3), NULL, 10);
        d[i].last_used_at = (time_t)strtoll(pg_query_value(&q, i, 4), NULL, 10);
        d[i].access_jti = pg_query_is_null(&q, i, 5) ? NULL
                                                     : arena_strdup(a, pg_query_value(&q, i, 5));
    }
    *out = d;
    *n = (size_t)rows;
out:
    pg_query_cleanup(&q);
    return rc;
}

#define HANDLE_ROW_COLUMNS                                                       \
    "encode(id_hash, 'hex'), encode(refresh_token_enc, 'hex'), access_jti"
#define HANDLE_ROW_WHERE                                                         \
    " WHERE tenant_id = $1::bigint AND user_sub = $2 AND " HANDLE_SQL " = $3"

/* handle_row reads (or, with end, deletes) user sub's API sign-in named
 * handle at tenant_id, opening its refresh token into refresh_out ("" when
 * it does not open) and copying the jti of the last access token it gave
 * out into jti_out ("" when none; jti_len may be 0). A malformed or another
 * person's handle matches nothing: STORE_NOT_FOUND. */
static enum store_result handle_row(long long tenant_id, const char *sub, const char *handle,
                                    bool end, char *refresh_out, size_t refresh_len,
                                    char *jti_out, size_t jti_len)
{
    char tenant[NUM_TEXT_MAX];
    struct pg_query q;
    enum store_result rc;

    if (refresh_len)
        refresh_out[0] = '\0';
    if (jti_len)
        jti_out[0] = '\0';
    if (!pg_field_ok(sub, FIELD_MAX, true))
        return STORE_ERROR;
    if (!handle_ok(handle))
        return STORE_NOT_FOUND;
    const char *const params[] = {pg_num_text(tenant, tenant_id), sub, handle};
    pg_query_init(&q);
    if (!pg_query_run(&q,
                      end ? "DELETE FROM gatehouse.api_signins" HANDLE_ROW_WHERE
                            " RETURNING " HANDLE_ROW_COLUMNS
                          : "SELECT " HANDLE_ROW_COLUMNS
                            " FROM gatehouse.api_signins" HANDLE_ROW_WHERE,
                      3, params)) {
        rc = pg_store_result(&q);
    } else if (pg_query_rows(&q) < 1) {
        rc = STORE_NOT_FOUND;
    } else {
        open_row_token(&q, refresh_out, refresh_len);
        if (!pg_query_is_null(&q, 0, 2) && jti_len)
            snprintf(jti_out, jti_len, "%s", pg_query_value(&q, 0, 2));
        rc = STORE_OK;
    }
    pg_query_cleanup(&q);
    return rc;
}

/* Opens the refresh token of user sub's live API sign-in named handle at
 * tenant_id into refresh_out, leaving the sign-in as it is (the device asking
 * to sign out its others is renewed with it). STORE_OK, STORE_NOT_FOUND (no
 * such sign-in of this user, or its token does not open), STORE_UNAVAILABLE
 * or STORE_ERROR. */
enum store_result signins_refresh_token(long long tenant_id, const char *sub, const char *handle,
                                        char *refresh_out, size_t refresh_len)
{
    if (!refresh_len)
        return STORE_ERROR;
    enum store_result rc =
        handle_row(tenant_id, sub, handle, false, refresh_out, refresh_len, NULL, 0);
    return rc == STORE_OK && !refresh_out[0] ? STORE_NOT_FOUND : rc;
}

/* Ends user sub's API sign-in named handle at tenant_id (a malformed or
 * another person's handle matches nothing: STORE_NOT_FOUND). Its refresh
 * token is opened into refresh_out ("" when it does not open) for revoking
 * at Cognito, and the jti of the last access token it gave out copied into
 * jti_out ("" when none), for the bearer denylist. */
enum store_result signins_end_handle(long long tenant_id, const char *sub, const char *handle,
                                     char *refresh_out, size_t refresh_len, char *jti_out,
                                     size_t jti_len)
{
    return handle_row(tenant_id, sub, handle, true, refresh_out, refresh_len, jti_out, jti_len);
}
