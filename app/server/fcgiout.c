/* SPDX-License-Identifier: MIT */
/* fcgiout: FastCGI STDOUT records written with one writev (see fcgiout.h).
 *
 * A record is an 8-byte header (version 1, type FCGI_STDOUT, the request
 * id and the content length, both big-endian, no padding) and at most
 * 65535 bytes of content. A write sends the kept pieces as one record and
 * the data as as many as it needs, every header and piece one iovec, and
 * goes on after a partial write until all is sent. The end of a response
 * is an empty STDOUT record and an END_REQUEST record (FastCGI 1.0,
 * sections 5.3 and 5.5), sent in the same writev as the last data. */
#include "server/fcgiout.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#define RECORD_HEADER_LEN 8
#define RECORD_CONTENT_MAX 65535
#define FCGI_VERSION_1 1
#define FCGI_END_REQUEST 3
#define FCGI_STDOUT 6
#define FCGI_REQUEST_COMPLETE 0
#define END_BODY_LEN 8 /* application status (4 bytes), protocol status, 3 reserved */
/* iovecs of one write: the kept pieces' record and up to this many of the
 * data's (more data takes further writes). */
#define DATA_RECORDS_MAX 16
#define IOVECS_MAX (2 * (DATA_RECORDS_MAX + 1) + 1) /* + the ending */

void fcgiout_init(struct fcgiout *out, int fd, int request_id)
{
    out->fd = fd;
    out->request_id = request_id;
    out->pending_len = 0;
    out->held = NULL;
    out->held_len = 0;
}

static void record_header(unsigned char h[RECORD_HEADER_LEN], int type, int request_id, size_t len)
{
    h[0] = FCGI_VERSION_1;
    h[1] = (unsigned char)type;
    h[2] = (unsigned char)((request_id >> 8) & 0xff);
    h[3] = (unsigned char)(request_id & 0xff);
    h[4] = (unsigned char)((len >> 8) & 0xff);
    h[5] = (unsigned char)(len & 0xff);
    h[6] = 0; /* padding */
    h[7] = 0;
}

/* write_all sends every iovec of v, going on after partial writes. */
static int write_all(int fd, struct iovec *v, int n)
{
    while (n > 0) {
        ssize_t sent = writev(fd, v, n);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        while (n > 0 && (size_t)sent >= v->iov_len) {
            sent -= (ssize_t)v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (char *)v->iov_base + sent;
            v->iov_len -= (size_t)sent;
        }
    }
    return 0;
}

/* send_records writes the kept pieces, then data cut into records, then
 * (when end) the records that end the stream and the request, with the
 * last of the data. */
static int send_records(struct fcgiout *out, const char *data, size_t len, bool end)
{
    unsigned char ending[2 * RECORD_HEADER_LEN + END_BODY_LEN] = {0};
    unsigned char headers[DATA_RECORDS_MAX + 1][RECORD_HEADER_LEN];
    struct iovec v[IOVECS_MAX];
    do {
        int n = 0, h = 0;
        if (out->pending_len) {
            record_header(headers[h], FCGI_STDOUT, out->request_id, out->pending_len);
            v[n++] = (struct iovec){headers[h++], RECORD_HEADER_LEN};
            v[n++] = (struct iovec){out->pending, out->pending_len};
            out->pending_len = 0;
        }
        for (int records = 0; len && records < DATA_RECORDS_MAX; records++) {
            size_t part = len < RECORD_CONTENT_MAX ? len : RECORD_CONTENT_MAX;
            record_header(headers[h], FCGI_STDOUT, out->request_id, part);
            v[n++] = (struct iovec){headers[h++], RECORD_HEADER_LEN};
            /* writev only reads iov_base: the const is kept in spirit. */
            v[n++] = (struct iovec){(void *)(uintptr_t)data, part};
            data += part;
            len -= part;
        }
        if (end && !len) {
            record_header(ending, FCGI_STDOUT, out->request_id, 0);
            record_header(ending + RECORD_HEADER_LEN, FCGI_END_REQUEST, out->request_id,
                          END_BODY_LEN);
            ending[2 * RECORD_HEADER_LEN + 4] = FCGI_REQUEST_COMPLETE; /* status 0 before it */
            v[n++] = (struct iovec){ending, sizeof(ending)};
        }
        if (write_all(out->fd, v, n) < 0)
            return -1;
    } while (len);
    return 0;
}

/* send_kept writes the pending pieces and the held one, and the end of
 * the request when end. */
static int send_kept(struct fcgiout *out, bool end)
{
    const char *held = out->held;
    size_t held_len = out->held_len;
    out->held = NULL;
    out->held_len = 0;
    return send_records(out, held, held_len, end);
}

int fcgiout_write(void *ctx, const char *data, size_t len)
{
    struct fcgiout *out = ctx;
    if (!len)
        return 0;
    /* Only pieces that come before the held one can be copied in. */
    if (out->held_len && send_kept(out, false) < 0)
        return -1;
    if (len <= sizeof(out->pending) - out->pending_len) {
        memcpy(out->pending + out->pending_len, data, len);
        out->pending_len += len;
    } else {
        out->held = data;
        out->held_len = len;
    }
    return 0;
}

int fcgiout_flush(struct fcgiout *out)
{
    return out->pending_len || out->held_len ? send_kept(out, false) : 0;
}

int fcgiout_end(struct fcgiout *out)
{
    return send_kept(out, true);
}

/* FCGX_FClose writes a stream's closing records unless wasFCloseCalled is
 * set (libfcgi 2.4, fcgiapp.c); these are the public fields of
 * FCGX_Stream it sets itself once a stream is closed. */
static void mark_closed(FCGX_Stream *stream)
{
    if (!stream)
        return;
    stream->wasFCloseCalled = 1;
    stream->isClosed = 1;
    stream->rdNext = stream->stop = stream->wrNext;
}

void fcgiout_ended(FCGX_Request *request)
{
    mark_closed(request->err);
    mark_closed(request->out);
}
