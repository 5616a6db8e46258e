/* SPDX-License-Identifier: MIT */
/* signins: the JSON API's sign-ins in gatehouse.api_signins, one row per
 * refresh token handed out by an API login (see
 * sql/core/009_api_signins.sql). The row is keyed by the SHA-256 of the
 * refresh token and holds the token only sealed (store/sealed), so a copy
 * of the table authenticates nowhere. A refresh is allowed only while its
 * row lives; logouts, password resets and changes delete rows.
 *
 * Functions answer an enum store_result (store/pg.h); STORE_NOT_FOUND is
 * "no live sign-in". Strings handed out live in the caller's arena. */
#ifndef GH_SIGNINS_H
#define GH_SIGNINS_H

#include <stddef.h>
#include <time.h>

#include "store/pg.h"

struct arena;

struct signins_new {
    long long tenant_id;
    const char *refresh_token, *sub, *username;
    const char *access_jti; /* of the access token handed out with it */
    const char *user_agent, *client_addr; /* of the login; may be NULL */
};

struct signins_device { /* one sign-in as "Your devices" lists it; in the caller's arena */
    const char *handle; /* DEVICE_HANDLE_LEN hex characters */
    const char *user_agent, *client_addr; /* NULL when unknown */
    const char *access_jti; /* of the last access token it gave out; NULL: none */
    time_t created_at, last_used_at;
};

struct signins_signin { /* in the caller's arena */
    const char *sub, *username;
};

enum store_result signins_record(const struct signins_new *in, time_t now);
enum store_result signins_find(long long tenant_id, const char *refresh_token, time_t now,
                               struct arena *a, struct signins_signin *out);
enum store_result signins_touch(long long tenant_id, const char *refresh_token,
                                const char *access_jti, time_t now);
enum store_result signins_end(long long tenant_id, const char *sub, const char *refresh_token,
                              const char *access_jti, char *refresh_out, size_t refresh_len);
enum store_result signins_end_user(long long tenant_id, const char *sub, const char *keep_handle,
                                   long long *ended);
enum store_result signins_list_user(long long tenant_id, const char *sub, time_t now,
                                    struct arena *a, struct signins_device **out, size_t *n);
enum store_result signins_refresh_token(long long tenant_id, const char *sub, const char *handle,
                                        char *refresh_out, size_t refresh_len);
enum store_result signins_end_handle(long long tenant_id, const char *sub, const char *handle,
                                     char *refresh_out, size_t refresh_len, char *jti_out,
                                     size_t jti_len);

#endif
