/* SPDX-License-Identifier: MIT */
/* url: query encoding and local-path checks (see url.h).
 *
 * The local-path check is deliberately narrow rather than a URL parser:
 * browsers treat "//evil", "/\evil" and "\/evil" as other hosts, and
 * tabs or newlines inside are stripped by them before parsing, so any of
 * those characters anywhere makes the path unacceptable. */
#include "http/url.h"

#include <string.h>

#include "core/buf.h"

void url_encode(struct buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            buf_putc(out, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(out, esc, 3);
        }
    }
}

bool url_is_local_path(const char *s)
{
    if (!s || s[0] != '/' || s[1] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return false;
    return true;
}
