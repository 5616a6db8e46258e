/* SPDX-License-Identifier: MIT */
/* hex: base-16 encoding and decoding (see hex.h). */
#include "core/hex.h"

/* hex_digit is the value of one hex digit, or -1 for any other character. */
int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex_decode reads exactly 2 * n digits (len of them) at in into out; false,
 * with out in any state, for another length or a character that is not a
 * digit. */
bool hex_decode(const char *in, size_t len, unsigned char *out, size_t n)
{
    if (len != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit((unsigned char)in[2 * i]), lo = hex_digit((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

/* hex_encode writes the 2 * n lower-case digits of n bytes and a NUL to out
 * (2 * n + 1 bytes) and returns out. */
char *hex_encode(const void *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0x0F];
    }
    out[2 * n] = '\0';
    return out;
}
