/* SPDX-License-Identifier: MIT */
/* fcgiout: a response's bytes written to nginx as FastCGI STDOUT records,
 * straight to the connection, in as few writes as the protocol allows.
 *
 * libfcgi copies what it is given into an 8 KB buffer and sends a record
 * each time the buffer fills: a 40 KB page costs five writes and wakes
 * nginx five times. A response is already whole in memory when it is sent
 * (http/response), so this writer keeps the small pieces that come first
 * (status line, headers) and sends them with the body in one writev of
 * records of up to 64 KB each. The records end nothing: libfcgi still ends
 * the stream and the request (FCGX_Finish_r) on the same connection,
 * after these bytes.
 *
 * Ownership: struct fcgiout lives on the caller's stack for one response;
 * it holds no memory of its own (the small pieces are copied into it, the
 * body is only pointed at until the write). */
#ifndef GH_FCGIOUT_H
#define GH_FCGIOUT_H

#include <stddef.h>

#define FCGIOUT_PENDING_MAX 2048 /* bytes of small pieces held for the next write */

struct fcgiout {
    int fd;
    int request_id;
    size_t pending_len;
    char pending[FCGIOUT_PENDING_MAX];
};

void fcgiout_init(struct fcgiout *out, int fd, int request_id);
/* fcgiout_write is an http/response resp_writer (ctx: a struct fcgiout):
 * it keeps a small piece for later, or writes what is kept and data. 0 or
 * -1 (the connection failed). */
int fcgiout_write(void *ctx, const char *data, size_t len);
/* fcgiout_flush writes what is kept. 0 or -1. */
int fcgiout_flush(struct fcgiout *out);

#endif
