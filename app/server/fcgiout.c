/* SPDX-License-Identifier: MIT */
/* fcgiout: FastCGI STDOUT records written with one writev (see fcgiout.h).
 *
 * A record is an 8-byte header (version 1, type FCGI_STDOUT, the request
 * id and the content length, both big-endian, no padding) and at most
 * 65535 bytes of content. A write sends the kept pieces as one record and
 * the data as as many as it needs, every header and piece one iovec, and
 * goes on after a partial write until all is sent. */
#include "server/fcgiout.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#define RECORD_HEADER_LEN 8
#define RECORD_CONTENT_MAX 65535
#define FCGI_VERSION_1 1
#define FCGI_STDOUT 6
/* iovecs of one write: the kept pieces' record and up to this many of the
 * data's (more data takes further writes). */
#define DATA_RECORDS_MAX 16
#define IOVECS_MAX (2 * (DATA_RECORDS_MAX + 1))

void fcgiout_init(struct fcgiout *out, int fd, int request_id)
{
    out->fd = fd;
    out->request_id = request_id;
    out->pending_len = 0;
}

static void record_header(unsigned char h[RECORD_HEADER_LEN], int request_id, size_t len)
{
    h[0] = FCGI_VERSION_1;
    h[1] = FCGI_STDOUT;
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

/* send_records writes the kept pieces, then data cut into records. */
static int send_records(struct fcgiout *out, const char *data, size_t len)
{
    unsigned char headers[DATA_RECORDS_MAX + 1][RECORD_HEADER_LEN];
    struct iovec v[IOVECS_MAX];
    do {
        int n = 0, h = 0;
        if (out->pending_len) {
            record_header(headers[h], out->request_id, out->pending_len);
            v[n++] = (struct iovec){headers[h++], RECORD_HEADER_LEN};
            v[n++] = (struct iovec){out->pending, out->pending_len};
            out->pending_len = 0;
        }
        for (int records = 0; len && records < DATA_RECORDS_MAX; records++) {
            size_t part = len < RECORD_CONTENT_MAX ? len : RECORD_CONTENT_MAX;
            record_header(headers[h], out->request_id, part);
            v[n++] = (struct iovec){headers[h++], RECORD_HEADER_LEN};
            /* writev only reads iov_base: the const is kept in spirit. */
            v[n++] = (struct iovec){(void *)(uintptr_t)data, part};
            data += part;
            len -= part;
        }
        if (write_all(out->fd, v, n) < 0)
            return -1;
    } while (len);
    return 0;
}

int fcgiout_write(void *ctx, const char *data, size_t len)
{
    struct fcgiout *out = ctx;
    if (!len)
        return 0;
    if (len <= sizeof(out->pending) - out->pending_len) {
        memcpy(out->pending + out->pending_len, data, len);
        out->pending_len += len;
        return 0;
    }
    return send_records(out, data, len);
}

int fcgiout_flush(struct fcgiout *out)
{
    return out->pending_len ? send_records(out, NULL, 0) : 0;
}
