/* SPDX-License-Identifier: MIT */
/* sessions: signed-in browsers in gatehouse.sessions. The cookie holds 256
 * random bits (43 base64url characters); the table holds only their SHA-256,
 * the refresh token sealed under SESSION_KEY, and a per-session CSRF secret.
 * Loaded sessions live in the caller's arena. Functions answer an enum
 * store_result (store/pg.h); STORE_NOT_FOUND is "no live session for that
 * cookie and tenant". Contracts are in sessions.c. */
#ifndef GH_SESSIONS_H
#define GH_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/seal.h"
#include "store/pg.h"

struct arena;

#define SESS_COOKIE_NAME "__Host-gh_session"
#define SESS_ID_BYTES 32
#define SESS_ID_LEN SEAL_B64URL_LEN(SESS_ID_BYTES) /* 43 characters */
#define SESS_CSRF_SECRET_BYTES 32

struct sess_tokens { /* NULL: none (create) or keep the stored one (update) */
    const char *id_token, *access_token, *refresh_token;
    const char *attributes;   /* the id token's profile claims as a JSON object */
    time_t access_expires_at; /* 0: unknown */
};

struct sess_new { /* what a login knows; user_agent and client_addr may be NULL */
    long long tenant_id;
    const char *sub, *email, *name, *tier; /* name NULL: unknown; tier NULL: standard */
    const char *const *groups;
    size_t ngroups;
    struct sess_tokens tokens;
    bool remember;
    const char *user_agent, *client_addr;
};

struct sess_profile { /* NULL fields and !set_groups leave a value as it is */
    const char *name, *tier;
    const char *email; /* a verified new email (account self-service) */
    const char *const *groups;
    size_t ngroups;
    bool set_groups;
};

struct sess_session { /* strings in the caller's arena; NULL when absent */
    long long tenant_id;
    const char *sub, *email, *name, *tier, *attributes;
    const char *id_token, *access_token; /* after sess_load_tokens (or create) */
    const char **groups;
    size_t ngroups;
    time_t access_expires_at, created_at, last_seen_at, idle_expires_at,
        absolute_expires_at;
    bool remember;
    unsigned char csrf_secret[SESS_CSRF_SECRET_BYTES];
    unsigned char id_hash[SEAL_SHA256_BYTES]; /* for sessions.c */
    const unsigned char *refresh_sealed;      /* for sessions.c */
    size_t refresh_sealed_len;
};

void sess_init_worker(const unsigned char key[SEAL_KEY_BYTES]);
void sess_cleanup_worker(void);
enum store_result sess_create(const struct sess_new *in, time_t now, struct arena *a,
                              char id[SESS_ID_LEN + 1], struct sess_session *out);
enum store_result sess_load(const char *cookie, long long tenant_id, time_t now,
                            struct arena *a, struct sess_session *out);
enum store_result sess_load_tokens(struct sess_session *s, struct arena *a);
enum store_result sess_update_tokens(struct sess_session *s, struct arena *a,
                                     const struct sess_tokens *t);
enum store_result sess_update_profile(long long tenant_id, const char *sub,
                                      const struct sess_profile *p);
enum store_result sess_refresh_token(const struct sess_session *s, char *out,
                                     size_t outlen);
enum store_result sess_delete(const char *cookie, long long tenant_id);
enum store_result sess_delete_user(long long tenant_id, const char *sub,
                                   const struct sess_session *keep, long long *deleted);
enum store_result sess_sweep(time_t now, long long *deleted);

/* One of a user's sessions as "Your devices" lists it (strings in the
 * caller's arena; user_agent and client_addr NULL when unknown). */
struct sess_device {
    const char *handle; /* DEVICE_HANDLE_LEN hex characters; names it to sess_end_devices */
    const char *user_agent, *client_addr;
    time_t created_at, last_seen_at;
    bool remember, current;
};
enum store_result sess_list_user(long long tenant_id, const char *sub,
                                 const struct sess_session *current, time_t now,
                                 struct arena *a, struct sess_device **out, size_t *n);
enum store_result sess_end_devices(long long tenant_id, const char *sub, const char *handle,
                                   const struct sess_session *keep, struct arena *a,
                                   struct sess_session **gone, size_t *n);
enum store_result sess_set_reauth(const struct sess_session *s, time_t at);
enum store_result sess_reauth_at(const struct sess_session *s, time_t *at);


#endif
