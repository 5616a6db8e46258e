/* SPDX-License-Identifier: MIT */
/* devices: "Your devices" — the person's own browser sessions and API
 * sign-ins at a tenant, described in plain words, and signing them out:
 * one, or every one but the device asking.
 *
 * Signing a device out ends it everywhere: its row goes (the pool-wide
 * session cache hears of it through the NOTIFY eviction), its refresh
 * token is revoked at Cognito (RevokeToken: the tokens it gave out die
 * with it), and its bearer tokens are refused by the API's denylist. The
 * device asking keeps its own sign-in: no global sign-out here.
 *
 * Ownership: lists live in the caller's arena. */
#ifndef GH_DEVICES_H
#define GH_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct arena;
struct sess_session;
struct signin;
struct tenant;

enum devices_outcome {
    DEVICES_OK,
    DEVICES_NOT_FOUND,   /* no such device of this person (or it ended already) */
    DEVICES_UNAVAILABLE, /* PostgreSQL is briefly unavailable */
    DEVICES_ERROR,
};

enum devices_kind { DEVICES_BROWSER, DEVICES_API };

struct devices_item {
    enum devices_kind kind;
    const char *handle;      /* names it to devices_end */
    const char *description; /* "Firefox on Linux": from the User-Agent */
    const char *client_addr; /* NULL: unknown */
    time_t signed_in_at, last_seen_at;
    bool remember, current;
};

/* devices_list lists user sub's live sessions and API sign-ins at t, this
 * device marked and first: the browser session `current`, or the API
 * sign-in that gave out the access token current_jti (either may be NULL),
 * browsers first, each newest first. */
enum devices_outcome devices_list(const struct tenant *t, const char *sub,
                                  const struct sess_session *current, const char *current_jti,
                                  struct arena *a, struct devices_item **out, size_t *n);
/* devices_end signs out user sub's device of that kind named handle. The
 * session `current` cannot be named: signing this device out is /logout. */
enum devices_outcome devices_end(const struct tenant *t, const char *sub,
                                 enum devices_kind kind, const char *handle,
                                 const struct sess_session *current, const char *request_id);
/* devices_end_others signs out every session of the user but `current`,
 * and every API sign-in; *ended (may be NULL) gets how many. */
enum devices_outcome devices_end_others(const struct tenant *t, const struct sess_session *current,
                                        const char *request_id, long long *ended);
/* devices_end_others_of_api does the same for an API client: it signs out
 * every browser session of user sub and every API sign-in but the one that
 * gave out the access token jti, then refuses every bearer token issued so
 * far and renews the asking sign-in, whose new tokens are in *renewed
 * (outcome SIGNIN_TOKENS; release with signin_free). When the asking
 * sign-in cannot be told (its token came from elsewhere), it is signed out
 * too and renewed->outcome is SIGNIN_REFUSED. */
enum devices_outcome devices_end_others_of_api(const struct tenant *t, const char *sub,
                                               const char *jti, const char *request_id,
                                               struct signin *renewed, long long *ended);
/* devices_describe puts a plain description of a User-Agent ("Chrome on
 * Android", "Unknown browser") in out (cap bytes). */
void devices_describe(const char *user_agent, char *out, size_t cap);

#endif
