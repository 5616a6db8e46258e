/* SPDX-License-Identifier: MIT */
/* utf8: strict UTF-8 validation for everything a request hands us.
 *
 * Pure functions over (pointer, length): no allocation, no locale. */
#ifndef GH_UTF8_H
#define GH_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* utf8_valid returns true when the len bytes at s are well-formed UTF-8
 * (RFC 3629): no overlong forms, no surrogates (U+D800..U+DFFF), nothing
 * above U+10FFFF, no truncated sequence. NUL bytes are valid UTF-8 here;
 * callers that need C strings reject them separately. */
bool utf8_valid(const char *s, size_t len);

/* utf8_has_control returns true when the len bytes at s contain a Unicode
 * control character (category Cc) other than tab, LF and CR: that is
 * U+0000..U+001F, U+007F and U+0080..U+009F. Meant for validating fields
 * whose text has already passed utf8_valid. */
bool utf8_has_control(const char *s, size_t len);

/* utf8_has_invisible returns true when the len bytes at s (valid UTF-8)
 * contain a character that shows as nothing or reorders the text around
 * it: the soft hyphen, zero-width characters, the line and paragraph
 * separators, the bidirectional controls and the other format characters
 * of Unicode's category Cf that are used that way (U+00AD, U+061C, U+180E,
 * U+200B..U+200F, U+2028..U+202E, U+2060..U+206F, U+FEFF, U+FFF9..U+FFFB).
 * An address or a name holding one looks like another one. */
bool utf8_has_invisible(const char *s, size_t len);

#endif
