/* SPDX-License-Identifier: MIT */
/* fcgiout: a response's bytes written to nginx as FastCGI STDOUT records,
 * straight to the connection, in as few writes as the protocol allows.
 *
 * libfcgi copies what it is given into an 8 KB buffer and sends a record
 * each time the buffer fills: a 40 KB page costs five writes and wakes
 * nginx five times. A response is already whole in memory when it is sent
 * (http/response), so this writer keeps the small pieces that come first
 * (status line, headers) and sends them with the body in one writev of
 * records of up to 64 KB each. fcgiout_end sends the last of them together
 * with the records that end the stream and the request, so nginx is woken
 * once per response rather than once more for the end (libfcgi's
 * FCGX_Finish_r would write those in a write of their own; the caller then
 * tells it they are written, see worker.c).
 *
 * Ownership: struct fcgiout lives on the caller's stack for one response;
 * it holds no memory of its own: the small pieces are copied into it, a
 * larger one is only pointed at, so it must stay valid until the next
 * write, flush or end. */
#ifndef GH_FCGIOUT_H
#define GH_FCGIOUT_H

#include <stddef.h>

#include <fcgiapp.h>

#define FCGIOUT_PENDING_MAX 2048 /* bytes of small pieces held for the next write */

struct fcgiout {
    int fd;
    int request_id;
    size_t pending_len;
    const char *held; /* a larger piece, to go after the pending ones */
    size_t held_len;
    char pending[FCGIOUT_PENDING_MAX];
};

void fcgiout_init(struct fcgiout *out, int fd, int request_id);
/* fcgiout_write is an http/response resp_writer (ctx: a struct fcgiout):
 * it keeps a piece for later, writing what was kept before when the new
 * piece cannot join it. 0 or -1 (the connection failed). */
int fcgiout_write(void *ctx, const char *data, size_t len);
/* fcgiout_flush writes what is kept. 0 or -1. */
int fcgiout_flush(struct fcgiout *out);
/* fcgiout_end writes what is kept, then the empty STDOUT record that ends
 * the stream and the END_REQUEST record (application status 0, request
 * complete), in one write. 0 or -1. */
int fcgiout_end(struct fcgiout *out);
/* fcgiout_ended tells libfcgi that request's output and error streams are
 * ended (by fcgiout_end), so that FCGX_Finish_r writes nothing more: it
 * closes them as FCGX_FClose would, without its records. Call it only
 * after fcgiout_end returned 0 and nothing went through the streams. */
void fcgiout_ended(FCGX_Request *request);

#endif
