/* SPDX-License-Identifier: MIT */
/* throttle: counts of failed sign-ins and their locks (see throttle.h).
 *
 * The rules follow what identity services do (Cognito's own lockout,
 * Keycloak's brute-force detection): the first THROTTLE_ACCOUNT_FREE
 * failures at an account are free, then each locks it for a time that
 * doubles up to THROTTLE_LOCK_MAX_S; the count starts over after
 * THROTTLE_RESET_S without failures, or when the right password is given
 * (outside a lock). An address gets the same with THROTTLE_ADDRESS_FREE
 * failures, higher because an office or a carrier puts many people behind
 * one (GATEHOUSE_ADDRESS_FAILURES sets it); it catches one password tried
 * against many emails. IPv6 addresses
 * are counted per /64, the block one subscriber is usually given.
 *
 * Keys: an HMAC-SHA-256 under a key derived from SESSION_KEY of the kind,
 * the tenant and the value (the email in lower case, or the address), so
 * the table names no one, and the same email has unrelated keys at two
 * tenants. Every email that passes input_check_email is counted, whether
 * or not Cognito knows it: a lock then says nothing about who has an
 * account.
 *
 * While locked, the right password is refused like a wrong one: it may be
 * a guess that happened to be right, and answering it differently would
 * tell the guesser so. Attempts refused by a lock are not counted: they
 * tried nothing, and counting them would turn a flood of refused requests,
 * which now cost one read each, into as many writes. The owner is told to
 * wait or to reset their password; a reset clears the account's count.
 *
 * When the counts cannot be read the sign-in is refused as unavailable:
 * letting it through would let guesses through with it. */
#include "svc/throttle.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/limits.h"
#include "core/log.h"
#include "svc/svc.h"

#define KEY_LABEL "gatehouse login-failures v1" /* names the derived key */

_Static_assert(LOCKOUT_KEY_BYTES == SVC_KEY_BYTES, "a lockout key is a derived key");
#define ADDRESS_TEXT_MAX 64 /* an address as counted (INET6_ADDRSTRLEN fits) */
#define IPV6_SUBSCRIBER_BYTES 8 /* a /64 */

/* rules_of fills the rules: limits.h's, with the free failures per address
 * from GATEHOUSE_ADDRESS_FAILURES (the local test stacks, whose every client
 * is 127.0.0.1, raise it). */
static void rules_of(struct lockout_rules *r)
{
    const struct config *cfg = svc_config();
    *r = (struct lockout_rules){
        .account_free = THROTTLE_ACCOUNT_FREE,
        .address_free = cfg && cfg->address_failures > 0 ? cfg->address_failures
                                                          : THROTTLE_ADDRESS_FREE,
        .lock_first_s = THROTTLE_LOCK_FIRST_S,
        .lock_max_s = THROTTLE_LOCK_MAX_S,
        .reset_s = THROTTLE_RESET_S,
    };
}

/* address_of writes the address as counted: an IPv6 address cut to its /64
 * (an IPv4-mapped one as the IPv4 address), anything else as given. */
static void address_of(const char *addr, char out[ADDRESS_TEXT_MAX])
{
    struct in6_addr a6;
    if (!addr || !*addr) {
        snprintf(out, ADDRESS_TEXT_MAX, "-");
        return;
    }
    if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a6) == 1) {
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
            if (inet_ntop(AF_INET, &a6.s6_addr[12], out, ADDRESS_TEXT_MAX))
                return;
        } else {
            memset(&a6.s6_addr[IPV6_SUBSCRIBER_BYTES], 0, 16 - IPV6_SUBSCRIBER_BYTES);
            if (inet_ntop(AF_INET6, &a6, out, ADDRESS_TEXT_MAX))
                return;
        }
    }
    snprintf(out, ADDRESS_TEXT_MAX, "%s", addr);
}

enum throttle_verdict throttle_check(const char *tenant, const char *email,
                                     const char *client_addr, const char *request_id,
                                     struct throttle *th)
{
    char address[ADDRESS_TEXT_MAX];
    memset(th, 0, sizeof(*th));
    address_of(client_addr, address);
    if (!svc_derive_key(KEY_LABEL, "account", tenant, email, th->account) ||
        !svc_derive_key(KEY_LABEL, "address", tenant, address, th->address)) {
        log_event(LOG_ERROR, "throttle_unavailable", "id=%s tenant=%s reason=key", request_id,
                  tenant ? tenant : "-");
        return THROTTLE_UNAVAILABLE;
    }
    struct lockout_keys k = {.account = th->account, .address = th->address};
    struct lockout_rules rules;
    rules_of(&rules);
    enum store_result rc = lockout_check(tenant, &k, &rules, &th->state);
    if (rc != STORE_OK) {
        log_event(LOG_WARN, "throttle_unavailable", "id=%s tenant=%s reason=store", request_id,
                  tenant);
        return THROTTLE_UNAVAILABLE;
    }
    if (th->state.wait_s > 0) {
        log_event(LOG_INFO, "login_locked", "id=%s tenant=%s wait_s=%lld", request_id, tenant,
                  th->state.wait_s);
        return THROTTLE_LOCKED;
    }
    return THROTTLE_GO;
}

void throttle_failed(const char *tenant, const struct throttle *th, const char *request_id)
{
    struct lockout_keys k = {.account = th->account, .address = th->address};
    struct lockout_rules rules;
    rules_of(&rules);
    if (lockout_fail(tenant, &k, th->state.counted, &rules) != STORE_OK)
        log_event(LOG_WARN, "throttle_not_counted", "id=%s tenant=%s", request_id, tenant);
}

void throttle_passed(const char *tenant, const struct throttle *th, const char *request_id)
{
    /* Nearly every sign-in finds no count: nothing to write. */
    if (th->state.known && lockout_clear(tenant, th->account) != STORE_OK)
        log_event(LOG_WARN, "throttle_not_cleared", "id=%s tenant=%s", request_id, tenant);
}

void throttle_forget(const char *tenant, const char *email, const char *request_id)
{
    unsigned char account[LOCKOUT_KEY_BYTES];
    if (!svc_derive_key(KEY_LABEL, "account", tenant, email, account) ||
        lockout_clear(tenant, account) != STORE_OK)
        log_event(LOG_WARN, "throttle_not_cleared", "id=%s tenant=%s", request_id,
                  tenant ? tenant : "-");
}

void throttle_message(long long wait_s, char out[THROTTLE_MESSAGE_MAX])
{
    long long minutes = wait_s > 0 ? (wait_s + 59) / 60 : 1;
    snprintf(out, THROTTLE_MESSAGE_MAX,
             "Too many attempts. Try again in %lld minute%s, or reset your password.", minutes,
             minutes == 1 ? "" : "s");
}
