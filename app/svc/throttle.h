/* SPDX-License-Identifier: MIT */
/* throttle: the brakes on password guessing. Failed sign-ins are counted
 * per account (a tenant's email, whether or not it has an account) and per
 * client address, in PostgreSQL so that every worker of every pool sees
 * the same counts; past a few free failures each key is locked for a time
 * that doubles per failure (the rules are in core/limits.h). While a key
 * is locked no password is tried at Cognito, the right one included.
 *
 * A sign-in asks throttle_check first, then tells throttle_failed (a wrong
 * password or unknown email) or throttle_passed (the password was right).
 * struct throttle is the caller's, filled by throttle_check and read by the
 * other two; it holds digests only, never the email. */
#ifndef GH_THROTTLE_H
#define GH_THROTTLE_H

#include "store/lockout.h"

struct throttle {
    unsigned char account[LOCKOUT_KEY_BYTES], address[LOCKOUT_KEY_BYTES];
    struct lockout_state state;
};

enum throttle_verdict {
    THROTTLE_GO,          /* try the password */
    THROTTLE_LOCKED,      /* refuse: th->state.wait_s seconds are left */
    THROTTLE_UNAVAILABLE, /* the counts cannot be read: refuse (503) */
};

/* throttle_check tells whether a sign-in of email (input_check_email has
 * passed it) from client_addr (as nginx reports it; may be NULL) at tenant
 * may try its password, and fills th. */
enum throttle_verdict throttle_check(const char *tenant, const char *email,
                                     const char *client_addr, const char *request_id,
                                     struct throttle *th);
/* throttle_failed counts a refused password; throttle_passed clears the
 * account's count. A failure to write is logged, never told. */
void throttle_failed(const char *tenant, const struct throttle *th, const char *request_id);
void throttle_passed(const char *tenant, const struct throttle *th, const char *request_id);
/* throttle_message writes what a person is told while locked for wait_s
 * more seconds (the same for every email: it names no account). */
#define THROTTLE_MESSAGE_MAX 128
void throttle_message(long long wait_s, char out[THROTTLE_MESSAGE_MAX]);
/* throttle_forget clears the count of email at tenant, whose owner proved
 * they hold it (a password reset with an emailed code). */
void throttle_forget(const char *tenant, const char *email, const char *request_id);

#endif
