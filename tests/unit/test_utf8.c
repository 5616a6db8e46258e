/* SPDX-License-Identifier: MIT */
/* test_utf8: utf8_valid against tables of well-formed and ill-formed
 * sequences, then against an independent reference decoder over every
 * 1- and 2-byte input and a dense sample of 3- and 4-byte ones; and
 * utf8_has_control on C0, DEL and C1 controls, utf8_has_invisible on the
 * characters that show as nothing or reorder text. */
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "test.h"

struct utf8_case {
    const char *name;
    const char *s;
    size_t len; /* 0: strlen(s) */
    bool want;
};

static const struct utf8_case valid_cases[] = {
    {"empty", "", 0, true},
    {"ascii", "hello, world", 0, true},
    {"all ascii controls are UTF-8", "\x01\x1f\x7f", 0, true},
    {"embedded NUL is UTF-8", "a\0b", 3, true},
    {"U+0080", "\xC2\x80", 0, true},
    {"U+00E9", "caf\xC3\xA9", 0, true},
    {"U+07FF", "\xDF\xBF", 0, true},
    {"U+0800", "\xE0\xA0\x80", 0, true},
    {"U+20AC", "\xE2\x82\xAC", 0, true},
    {"U+D7FF", "\xED\x9F\xBF", 0, true},
    {"U+E000", "\xEE\x80\x80", 0, true},
    {"U+FFFD", "\xEF\xBF\xBD", 0, true},
    {"U+FFFF", "\xEF\xBF\xBF", 0, true},
    {"U+10000", "\xF0\x90\x80\x80", 0, true},
    {"U+1F600", "\xF0\x9F\x98\x80", 0, true},
    {"U+10FFFF", "\xF4\x8F\xBF\xBF", 0, true},
    {"mixed", "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80z", 0, true},
    {"lone continuation 80", "\x80", 0, false},
    {"lone continuation BF", "a\xBF", 0, false},
    {"overlong NUL C0 80", "\xC0\x80", 0, false},
    {"overlong C1 BF", "\xC1\xBF", 0, false},
    {"overlong slash C0 AF", "\xC0\xAF", 0, false},
    {"overlong E0 80 80", "\xE0\x80\x80", 0, false},
    {"overlong U+07FF E0 9F BF", "\xE0\x9F\xBF", 0, false},
    {"overlong slash E0 80 AF", "\xE0\x80\xAF", 0, false},
    {"overlong F0 80 80 80", "\xF0\x80\x80\x80", 0, false},
    {"overlong U+FFFF F0 8F BF BF", "\xF0\x8F\xBF\xBF", 0, false},
    {"surrogate U+D800", "\xED\xA0\x80", 0, false},
    {"surrogate U+DBFF", "\xED\xAF\xBF", 0, false},
    {"surrogate U+DC00", "\xED\xB0\x80", 0, false},
    {"surrogate U+DFFF", "\xED\xBF\xBF", 0, false},
    {"CESU-8 pair", "\xED\xA0\xBD\xED\xB8\x80", 0, false},
    {"U+110000", "\xF4\x90\x80\x80", 0, false},
    {"F5 lead", "\xF5\x80\x80\x80", 0, false},
    {"5-byte form", "\xF8\x88\x80\x80\x80", 0, false},
    {"6-byte form", "\xFC\x84\x80\x80\x80\x80", 0, false},
    {"FE", "\xFE", 0, false},
    {"FF", "\xFF", 0, false},
    {"truncated 2-byte", "\xC3", 0, false},
    {"truncated 3-byte", "\xE2\x82", 0, false},
    {"truncated 4-byte", "\xF0\x9F\x98", 0, false},
    {"truncated after ascii", "abc\xC3", 0, false},
    {"truncated by len", "\xE2\x82\xAC", 2, false},
    {"bad 2nd byte of 2", "\xC3\x28", 0, false},
    {"bad 2nd byte of 3", "\xE2\x28\xA1", 0, false},
    {"bad 3rd byte of 3", "\xE2\x82\x28", 0, false},
    {"bad 2nd byte of 4", "\xF0\x28\x8C\xBC", 0, false},
    {"bad 3rd byte of 4", "\xF0\x90\x28\xBC", 0, false},
    {"bad 4th byte of 4", "\xF0\x9F\x98\x28", 0, false},
    {"continuation then lead", "\xC3\xA9\xA9", 0, false},
};

static const struct utf8_case control_cases[] = {
    {"plain text", "hello", 0, false},
    {"tab CR LF allowed", "a\tb\r\nc", 0, false},
    {"U+00A0 is not a control", "\xC2\xA0", 0, false},
    {"U+00E9", "\xC3\xA9", 0, false},
    {"U+2028 is not Cc", "\xE2\x80\xA8", 0, false},
    {"empty", "", 0, false},
    {"NUL", "a\0b", 3, true},
    {"SOH", "\x01", 0, true},
    {"ESC", "x\x1B[31m", 0, true},
    {"US", "\x1F", 0, true},
    {"vertical tab", "a\vb", 0, true},
    {"DEL", "a\x7F", 0, true},
    {"C1 U+0080", "\xC2\x80", 0, true},
    {"C1 NEL U+0085", "a\xC2\x85z", 0, true},
    {"C1 U+009F", "\xC2\x9F", 0, true},
    {"C2 at end", "\xC2", 0, false},
};

/* An independent reference: decode the code point, then check minimal
 * length and range, rather than checking byte ranges as utf8.c does. */
static bool ref_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint32_t c = s[i], cp, min;
        size_t n;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

/* Bytes at every boundary the validator cares about. */
static const uint8_t edge_bytes[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90,
                                     0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0,
                                     0xF0, 0xF4, 0xF5, 0xFF};
#define N_EDGE (sizeof(edge_bytes) / sizeof(edge_bytes[0]))

static void test_against_reference(void)
{
    uint8_t b[4];
    size_t mismatches = 0, valid_seen = 0;

    for (unsigned x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        mismatches += utf8_valid((char *)b, 1) != ref_valid(b, 1);
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (uint8_t)y;
            bool v = utf8_valid((char *)b, 2);
            mismatches += v != ref_valid(b, 2);
            valid_seen += v;
            for (size_t z = 0; z < N_EDGE; z++) {
                b[2] = edge_bytes[z];
                mismatches += utf8_valid((char *)b, 3) != ref_valid(b, 3);
                if (x < 0xF0)
                    continue;
                for (size_t w = 0; w < N_EDGE; w++) {
                    b[3] = edge_bytes[w];
                    v = utf8_valid((char *)b, 4);
                    mismatches += v != ref_valid(b, 4);
                }
            }
        }
    }
    test_cond("utf8_valid agrees with the reference decoder", mismatches == 0);
    /* 128*128 ASCII pairs + 1920 two-byte code points. */
    test_cond("2-byte inputs: expected number valid",
              valid_seen == 128 * 128 + 1920);

    /* Every 3-byte sequence with a valid lead and continuation bytes. */
    mismatches = 0;
    size_t valid3 = 0;
    for (unsigned x = 0xE0; x <= 0xEF; x++)
        for (unsigned y = 0x80; y <= 0xBF; y++)
            for (unsigned z = 0x80; z <= 0xBF; z++) {
                uint8_t s3[3] = {(uint8_t)x, (uint8_t)y, (uint8_t)z};
                bool v = utf8_valid((char *)s3, 3);
                mismatches += v != ref_valid(s3, 3);
                valid3 += v;
            }
    test_cond("3-byte forms agree with the reference", mismatches == 0);
    /* U+0800..U+FFFF minus the 2048 surrogates. */
    test_cond("3-byte forms: expected number valid",
              valid3 == 0x10000 - 0x800 - 0x800);
}

int main(void)
{
    for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
        const struct utf8_case *c = &valid_cases[i];
        size_t len = c->len ? c->len : strlen(c->s);
        test_cond(c->name, utf8_valid(c->s, len) == c->want);
    }
    for (size_t i = 0; i < sizeof(control_cases) / sizeof(control_cases[0]);
         i++) {
        const struct utf8_case *c = &control_cases[i];
        size_t len = c->len ? c->len : strlen(c->s);
        test_cond(c->name, utf8_has_control(c->s, len) == c->want);
    }
    static const struct utf8_case invisible_cases[] = {
        {"invisible: plain ASCII", "ada@example.com", 0, false},
        {"invisible: letters with accents and CJK", "zo\xc3\xab\xe6\x97\xa5", 0, false},
        {"invisible: an emoji (4 bytes)", "\xf0\x9f\x99\x82", 0, false},
        {"invisible: U+2028 line separator", "a\xe2\x80\xa8@b.co", 0, true},
        {"invisible: U+202E right-to-left override", "a\xe2\x80\xae" "b", 0, true},
        {"invisible: U+200B zero width space", "a\xe2\x80\x8b" "b", 0, true},
        {"invisible: U+2066 isolate", "\xe2\x81\xa6" "a", 0, true},
        {"invisible: U+FEFF byte order mark", "\xef\xbb\xbf" "a", 0, true},
        {"invisible: U+00AD soft hyphen", "a\xc2\xad" "b", 0, true},
        {"invisible: U+061C Arabic letter mark", "\xd8\x9c", 0, true},
        {"invisible: U+2030 next to the range", "\xe2\x80\xb0", 0, false},
        {"invisible: U+FFFC next to the range", "\xef\xbf\xbc", 0, false},
    };
    for (size_t i = 0; i < sizeof(invisible_cases) / sizeof(invisible_cases[0]); i++) {
        const struct utf8_case *c = &invisible_cases[i];
        test_cond(c->name, utf8_has_invisible(c->s, strlen(c->s)) == c->want);
    }
    test_cond("NULL with len 0 is valid", utf8_valid(NULL, 0));
    test_cond("len limits the scan", utf8_valid("ab\xFF", 2));
    test_against_reference();
    return test_report();
}
