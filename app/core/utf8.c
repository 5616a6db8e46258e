/* SPDX-License-Identifier: MIT */
/* utf8: strict UTF-8 validation (see utf8.h).
 *
 * Validation follows the table of well-formed byte sequences in Unicode
 * chapter 3 (table 3-7): the lead byte fixes the sequence length and the
 * allowed range of the *second* byte, which is how overlongs (E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points above U+10FFFF
 * (F4 90..BF, F5..FF) are refused without decoding the code point. C0 and C1
 * are never valid lead bytes (they could only start overlong 2-byte forms).
 * A run of ASCII is skipped byte by byte; request fields are short, and a
 * word-at-a-time trick would not be worth its obscurity here.
 * Nothing is allocated; the caller owns the bytes. */
#include "utf8.h"

#include <stdint.h>

#define UTF8_CONT_MIN 0x80 /* continuation bytes are 10xxxxxx */
#define UTF8_CONT_MAX 0xBF
#define ASCII_MAX 0x7F
#define ASCII_DEL 0x7F
#define ASCII_SPACE 0x20   /* first byte that is not a C0 control */
#define C1_LEAD 0xC2       /* U+0080..U+00BF are encoded as C2 80..BF */
#define C1_LAST_TRAIL 0x9F /* ... and the C1 controls are C2 80..9F */

/* The number of continuation bytes after lead, and the range the first of
 * them must fall in; false when lead cannot start a sequence. */
static bool lead_info(uint8_t lead, size_t *cont, uint8_t *lo, uint8_t *hi)
{
    *lo = UTF8_CONT_MIN;
    *hi = UTF8_CONT_MAX;
    if (lead >= 0xC2 && lead <= 0xDF) {
        *cont = 1;
    } else if (lead == 0xE0) {
        *cont = 2;
        *lo = 0xA0; /* E0 80..9F would be overlong */
    } else if (lead == 0xED) {
        *cont = 2;
        *hi = 0x9F; /* ED A0..BF would be a surrogate */
    } else if (lead >= 0xE1 && lead <= 0xEF) {
        *cont = 2;
    } else if (lead == 0xF0) {
        *cont = 3;
        *lo = 0x90; /* F0 80..8F would be overlong */
    } else if (lead >= 0xF1 && lead <= 0xF3) {
        *cont = 3;
    } else if (lead == 0xF4) {
        *cont = 3;
        *hi = 0x8F; /* F4 90.. would be above U+10FFFF */
    } else {
        return false; /* stray continuation, C0/C1, or F5..FF */
    }
    return true;
}

bool utf8_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    while (i < len) {
        uint8_t lead = p[i];
        if (lead <= ASCII_MAX) {
            i++;
            continue;
        }
        size_t cont;
        uint8_t lo, hi;
        if (!lead_info(lead, &cont, &lo, &hi))
            return false;
        if (len - i - 1 < cont)
            return false; /* truncated at the end of the input */
        if (p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= cont; k++) {
            if (p[i + k] < UTF8_CONT_MIN || p[i + k] > UTF8_CONT_MAX)
                return false;
        }
        i += cont + 1;
    }
    return true;
}

bool utf8_has_control(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;

    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (c < ASCII_SPACE && c != '\t' && c != '\n' && c != '\r')
            return true;
        if (c == ASCII_DEL)
            return true;
        /* A C1 control is C2 followed by 80..9F. In valid UTF-8 a C2 byte is
         * always a lead byte, so looking at the next byte is exact. */
        if (c == C1_LEAD && i + 1 < len && p[i + 1] >= UTF8_CONT_MIN &&
            p[i + 1] <= C1_LAST_TRAIL)
            return true;
    }
    return false;
}

/* The ranges utf8_has_invisible refuses, as code points. */
static const struct {
    uint32_t first, last;
} invisible[] = {
    {0x00AD, 0x00AD}, {0x061C, 0x061C}, {0x180E, 0x180E}, {0x200B, 0x200F},
    {0x2028, 0x202E}, {0x2060, 0x206F}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB},
};

bool utf8_has_invisible(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp = p[i];
        size_t n = 1;
        if (cp >= 0xF0 && i + 3 < len) {
            cp = (uint32_t)(p[i] & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3F) << 12 |
                 (uint32_t)(p[i + 2] & 0x3F) << 6 | (p[i + 3] & 0x3F);
            n = 4;
        } else if (cp >= 0xE0 && i + 2 < len) {
            cp = (uint32_t)(p[i] & 0x0F) << 12 | (uint32_t)(p[i + 1] & 0x3F) << 6 |
                 (p[i + 2] & 0x3F);
            n = 3;
        } else if (cp >= 0xC0 && i + 1 < len) {
            cp = (uint32_t)(p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F);
            n = 2;
        }
        for (size_t r = 0; r < sizeof(invisible) / sizeof(invisible[0]); r++)
            if (cp >= invisible[r].first && cp <= invisible[r].last)
                return true;
        i += n;
    }
    return false;
}
