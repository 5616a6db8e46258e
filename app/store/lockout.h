/* SPDX-License-Identifier: MIT */
/* lockout: t_<slug>.login_failures, the counts of failed password sign-ins
 * per account and per client address that svc/throttle turns into locks.
 * Keys are opaque 32-byte digests made by the caller; the rules (how many
 * failures are free, how long a lock lasts) are the caller's too, so this
 * module holds the mechanism only. Functions answer an enum store_result
 * (store/pg.h). Contracts are in lockout.c. */
#ifndef GH_LOCKOUT_H
#define GH_LOCKOUT_H

#include <stdbool.h>

#include "store/pg.h"

#define LOCKOUT_KEY_BYTES 32

struct lockout_keys { /* borrowed */
    const unsigned char *account; /* LOCKOUT_KEY_BYTES */
    const unsigned char *address; /* LOCKOUT_KEY_BYTES */
};

struct lockout_rules {
    int account_free, address_free; /* failures before the first lock */
    int lock_first_s, lock_max_s;   /* the first lock, doubled per failure up to max */
    int reset_s;                    /* a count untouched this long starts over */
};

struct lockout_state {
    long long wait_s; /* > 0: locked for this many more seconds */
    bool known;       /* the account has a count */
    bool counted;     /* this attempt is counted as a failure already */
};

enum store_result lockout_check(const char *tenant, const struct lockout_keys *k,
                                const struct lockout_rules *r, struct lockout_state *out);
enum store_result lockout_fail(const char *tenant, const struct lockout_keys *k,
                               bool account_counted, const struct lockout_rules *r);
enum store_result lockout_clear(const char *tenant, const unsigned char *account);

#endif
