/* SPDX-License-Identifier: MIT */
/* test_fcgiout: a response written as FastCGI STDOUT records reads back
 * whole and in order — the small pieces kept for the first write, a body
 * cut into records of at most 65535 bytes, one cut across several writev
 * rounds, nothing for an empty write, and -1 when nginx has gone. Each
 * record is checked: version 1, type 6, the request id in both bytes, no
 * padding. A reader thread drains the other end of a socket pair, so
 * writes larger than the socket's buffer complete. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/fcgiout.h"
#include "test.h"

#define REQUEST_ID 0x1234
#define RECORD_MAX 65535

struct drain {
    int fd;
    unsigned char *data;
    size_t len, cap;
};

static void *drain_all(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        if (d->len + 65536 > d->cap) {
            d->cap = d->cap ? 2 * d->cap : 1 << 20;
            d->data = realloc(d->data, d->cap);
        }
        ssize_t n = read(d->fd, d->data + d->len, d->cap - d->len);
        if (n <= 0)
            return NULL;
        d->len += (size_t)n;
    }
}

/* The records read back: their content joined, their count, and whether
 * every header was well formed. */
struct readback {
    unsigned char *content;
    size_t len;
    int records;
    bool headers_ok;
};

static struct readback parse(const struct drain *d)
{
    struct readback r = {malloc(d->len + 1), 0, 0, true};
    size_t at = 0;
    while (at + 8 <= d->len) {
        const unsigned char *h = d->data + at;
        size_t len = (size_t)h[4] << 8 | h[5];
        r.headers_ok &= h[0] == 1 && h[1] == 6 && h[2] == (REQUEST_ID >> 8) &&
                        h[3] == (REQUEST_ID & 0xff) && h[6] == 0 && len > 0 && len <= RECORD_MAX &&
                        at + 8 + len <= d->len;
        if (at + 8 + len > d->len)
            break;
        memcpy(r.content + r.len, h + 8, len);
        r.len += len;
        r.records++;
        at += 8 + len;
    }
    r.headers_ok &= at == d->len;
    return r;
}

/* send_and_read runs writes (pieces of sizes[], filled with a pattern)
 * through a fresh fcgiout and returns what the other end read; *expect
 * gets the bytes written, in order. */
static struct readback send_and_read(const size_t *sizes, int n, unsigned char **expect,
                                     size_t *expect_len, int *rc)
{
    int sv[2];
    struct drain d = {0};
    pthread_t reader;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += sizes[i];
    unsigned char *all = malloc(total + 1);
    for (size_t i = 0; i < total; i++)
        all[i] = (unsigned char)(i * 7 + i / 251);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    d.fd = sv[1];
    pthread_create(&reader, NULL, drain_all, &d);
    struct fcgiout out;
    fcgiout_init(&out, sv[0], REQUEST_ID);
    *rc = 0;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        *rc |= fcgiout_write(&out, (const char *)all + at, sizes[i]);
        at += sizes[i];
    }
    *rc |= fcgiout_flush(&out);
    close(sv[0]);
    pthread_join(reader, NULL);
    close(sv[1]);
    struct readback r = parse(&d);
    free(d.data);
    *expect = all;
    *expect_len = total;
    return r;
}

static bool same(const struct readback *r, const unsigned char *expect, size_t len)
{
    return r->headers_ok && r->len == len && !memcmp(r->content, expect, len);
}

static void check(const char *name, const size_t *sizes, int n, int records)
{
    unsigned char *expect;
    size_t len;
    int rc;
    struct readback r = send_and_read(sizes, n, &expect, &len, &rc);
    bool ok = rc == 0 && same(&r, expect, len) && (records < 0 || r.records == records);
    if (!ok)
        printf("  %s: rc %d, %d records, %zu of %zu bytes, headers %s\n", name, rc, r.records,
               r.len, len, r.headers_ok ? "ok" : "bad");
    test_cond(name, ok);
    free(r.content);
    free(expect);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const size_t head_only[] = {40, 300, 2};
    check("small pieces only: one record at the flush", head_only, 3, 1);
    const size_t page[] = {40, 300, 2, 32000};
    check("a page: the pieces, then its body, two records", page, 4, 2);
    const size_t large[] = {40, 2, 70000};
    check("a body over 64 KB is cut at 65535", large, 3, 3);
    const size_t huge[] = {40, 17 * (size_t)RECORD_MAX + 10};
    check("a body of more records than one writev carries", huge, 2, -1);
    const size_t overflow[] = {1500, 1500, 1500};
    check("pieces past what is kept go out in order", overflow, 3, -1);
    const size_t empty[] = {0, 0};
    check("empty writes send nothing", empty, 2, 0);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    struct fcgiout out;
    fcgiout_init(&out, sv[0], REQUEST_ID);
    char body[4096] = {0};
    test_cond("nginx gone: -1", fcgiout_write(&out, "Status: 200\r\n", 13) == 0 &&
                                    fcgiout_write(&out, body, sizeof body) == -1);
    close(sv[0]);
    return test_report();
}
