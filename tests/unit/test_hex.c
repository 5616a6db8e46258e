/* SPDX-License-Identifier: MIT */
/* test_hex: base-16 digits read in either case, written in lower case, and
 * every malformed input refused. */
#include <string.h>

#include "core/hex.h"
#include "test.h"

int main(void)
{
    unsigned char out[4], all[256];
    char text[2 * sizeof all + 1];
    bool digits_ok = true;

    for (int c = 0; c < 256; c++) {
        int want = c >= '0' && c <= '9' ? c - '0'
                   : c >= 'a' && c <= 'f' ? c - 'a' + 10
                   : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : -1;
        digits_ok &= hex_digit(c) == want;
    }
    test_cond("hex_digit: every byte value", digits_ok);
    test_cond("decode lower case", hex_decode("00ff7a10", 8, out, 4) &&
                                       !memcmp(out, "\x00\xff\x7a\x10", 4));
    test_cond("decode upper case", hex_decode("DEADBEEF", 8, out, 4) &&
                                       !memcmp(out, "\xde\xad\xbe\xef", 4));
    test_cond("odd or wrong length refused",
              !hex_decode("abc", 3, out, 2) && !hex_decode("abcd", 4, out, 1) &&
                  !hex_decode("", 0, out, 1));
    test_cond("non-digits refused", !hex_decode("0g", 2, out, 1) && !hex_decode(" 1", 2, out, 1) &&
                                        !hex_decode("1\0", 2, out, 1));
    test_cond("zero bytes from nothing", hex_decode("", 0, out, 0));
    for (size_t i = 0; i < sizeof all; i++)
        all[i] = (unsigned char)i;
    hex_encode(all, sizeof all, text);
    test_cond("encode is lower case with a NUL",
              strlen(text) == 2 * sizeof all && !strncmp(text, "000102", 6) &&
                  !strcmp(text + 2 * 250, "fafbfcfdfeff"));
    unsigned char back[sizeof all];
    test_cond("round trip", hex_decode(text, strlen(text), back, sizeof back) &&
                                !memcmp(back, all, sizeof all));
    return test_report();
}
