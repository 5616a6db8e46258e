/* SPDX-License-Identifier: MIT */
/* hex: base-16 digits, the one place they are read and written (keys in
 * settings, bytea values from PostgreSQL, percent-escapes, cache
 * notifications). Reading accepts either case; writing is lower case. The
 * caller owns every buffer. */
#ifndef GH_HEX_H
#define GH_HEX_H

#include <stdbool.h>
#include <stddef.h>

int hex_digit(int c);
bool hex_decode(const char *in, size_t len, unsigned char *out, size_t n);
char *hex_encode(const void *in, size_t n, char *out);

#endif
