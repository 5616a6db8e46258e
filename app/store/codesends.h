/* SPDX-License-Identifier: MIT */
/* codesends: t_<slug>.code_sends, when an emailed code was last sent to a
 * key (an opaque 32-byte digest made by the caller, svc/resend.h) — the
 * mechanism of the resend wait; the rule (how long) is the caller's.
 * Functions answer an enum store_result (core/result.h); the wait is
 * counted with the database's clock, so it ends at the same moment for
 * every pool. Contracts are in codesends.c. */
#ifndef GH_CODESENDS_H
#define GH_CODESENDS_H

#include "store/pg.h"

#define CODESENDS_KEY_BYTES 32

enum store_result codesends_claim(const char *tenant, const unsigned char *key, int wait_s,
                                  long long *left_s);
enum store_result codesends_left(const char *tenant, const unsigned char *key, int wait_s,
                                 long long *left_s);
enum store_result codesends_release(const char *tenant, const unsigned char *key);

#endif
