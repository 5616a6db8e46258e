/* SPDX-License-Identifier: MIT */
/* buf: a growable byte buffer, always NUL-terminated.
 *
 * The owner embeds a struct buf, calls buf_init, appends, and releases the
 * memory with buf_free. buf_reset keeps the allocation so a per-thread output
 * buffer is reused from one request to the next without touching malloc. */
#ifndef GH_BUF_H
#define GH_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* buf_cstr returns a NUL-terminated view ("" when empty); the buffer keeps it. */
const char *buf_cstr(struct buf *b);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

#endif
