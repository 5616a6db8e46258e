/* SPDX-License-Identifier: MIT */
/* svc: what every domain step shares — the worker's settings and the
 * Cognito client of a tenant.
 *
 * svc/ is the domain floor: sessions, sign-in, sign-up, the tier,
 * provisioning, the users sync, file keys. Its functions call aws/ and
 * store/ and return outcomes (an enum and data), never a page, an HTTP
 * status or JSON: pages/ and api/ turn outcomes into answers. */
#ifndef GH_SVC_H
#define GH_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct config;
struct cog_client;
struct tenant;

/* svc_init_worker keeps cfg (owned by the caller, alive while the worker
 * runs) and starts the store modules the domain needs. */
void svc_init_worker(const struct config *cfg);
/* svc_config returns the settings given to svc_init_worker. */
const struct config *svc_config(void);
/* svc_is_admin is true when groups (a user's Cognito groups) include the
 * group whose members administer a tenant (ADMIN_GROUP). */
bool svc_is_admin(const char *const *groups, size_t ngroups);
/* svc_wait_until_second sleeps until the clock reads `second` (at most a
 * second ahead): tokens issued from then on carry an iat that a cut-off at
 * `second` does not catch. */
void svc_wait_until_second(time_t second);
/* svc_client fills c for tenant t; c borrows from t and the settings. */
void svc_client(const struct tenant *t, struct cog_client *c);

/* The size of a key svc_derive_key writes (an HMAC-SHA-256). */
#define SVC_KEY_BYTES 32
/* svc_derive_key writes to out the key of one value in a table of counts:
 * HMAC-SHA-256 under a key derived from SESSION_KEY and label (which names
 * the table, so two tables' keys never match) of "kind\ntenant\nvalue",
 * lower-cased (ASCII: input_check_email admits nothing that folds otherwise
 * in an address people type). A copy of the table without SESSION_KEY
 * cannot be read back to emails or addresses. False without SESSION_KEY, a
 * tenant or a value, or for an overlong value. */
bool svc_derive_key(const char *label, const char *kind, const char *tenant, const char *value,
                    unsigned char out[SVC_KEY_BYTES]);

#endif
