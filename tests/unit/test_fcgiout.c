/* SPDX-License-Identifier: MIT */
/* test_fcgiout: a response written as FastCGI STDOUT records reads back
 * whole and in order — the small pieces kept for the first write, a body
 * cut into records of at most 65535 bytes, one cut across several writev
 * rounds, nothing for an empty write, and -1 when nginx has gone. Each
 * record is checked: version 1, type 6, the request id in both bytes, no
 * padding. A reader thread drains the other end of a socket pair, so
 * writes larger than the socket's buffer complete. The end of a request
 * (an empty STDOUT record, then END_REQUEST) goes in the same write as
 * the body — a datagram socket pair keeps each write's bounds — and once
 * libfcgi is told, its FCGX_Finish_r adds nothing after it. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

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
    bool ended; /* the empty STDOUT record and END_REQUEST came last */
};

/* is_end tells whether h (n bytes) is exactly the end of a request. */
static bool is_end(const unsigned char *h, size_t n)
{
    /* one record a line */
    // clang-format off
    static const unsigned char end[] = {
        1, 6, REQUEST_ID >> 8, REQUEST_ID & 0xff, 0, 0, 0, 0, /* STDOUT, empty */
        1, 3, REQUEST_ID >> 8, REQUEST_ID & 0xff, 0, 8, 0, 0, /* END_REQUEST */
        0, 0, 0, 0, 0, 0, 0, 0, /* status 0, request complete */
    };
    // clang-format on
    return n == sizeof end && !memcmp(h, end, n);
}

static struct readback parse(const struct drain *d)
{
    struct readback r = {malloc(d->len + 1), 0, 0, true, false};
    size_t at = 0;
    while (at + 8 <= d->len) {
        const unsigned char *h = d->data + at;
        if (is_end(h, d->len - at)) {
            r.ended = true;
            at = d->len;
            break;
        }
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
static struct readback send_and_read(const size_t *sizes, int n, bool end, unsigned char **expect,
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
    *rc |= end ? fcgiout_end(&out) : fcgiout_flush(&out);
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

static void check_as(const char *name, const size_t *sizes, int n, bool end, int records)
{
    unsigned char *expect;
    size_t len;
    int rc;
    struct readback r = send_and_read(sizes, n, end, &expect, &len, &rc);
    bool ok = rc == 0 && same(&r, expect, len) && (records < 0 || r.records == records) &&
              r.ended == end;
    if (!ok)
        printf("  %s: rc %d, %d records, %zu of %zu bytes, headers %s\n", name, rc, r.records,
               r.len, len, r.headers_ok ? "ok" : "bad");
    test_cond(name, ok);
    free(r.content);
    free(expect);
}

static void check(const char *name, const size_t *sizes, int n, int records)
{
    check_as(name, sizes, n, false, records);
}

/* Each write of a page ended with fcgiout_end, on a socket pair that keeps
 * the bounds of writes: how many writes it took, and whether the last one
 * ends with the end of the request. */
static void check_one_write(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    static char body[32000];
    memset(body, 'x', sizeof body);
    struct fcgiout out;
    fcgiout_init(&out, sv[0], REQUEST_ID);
    int rc = fcgiout_write(&out, "Status: 200 OK\r\n", 17) | fcgiout_write(&out, "\r\n", 2) |
             fcgiout_write(&out, body, sizeof body) | fcgiout_end(&out);
    close(sv[0]);
    static unsigned char got[65536];
    int writes = 0;
    ssize_t n, last = 0;
    while ((n = read(sv[1], got, sizeof got)) > 0) {
        writes++;
        last = n;
    }
    close(sv[1]);
    size_t expect = 8 + 19 + 8 + sizeof body + 24;
    test_cond("a page and the end of its request go in one write",
              rc == 0 && writes == 1 && (size_t)last == expect && is_end(got + expect - 24, 24));
}

/* A request accepted by libfcgi over a socket pair, answered through
 * fcgiout and finished by FCGX_Finish_r: what nginx's end read. */
static void check_finish(bool tell_libfcgi)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    /* one record a line */
    // clang-format off
    static const unsigned char request[] = {
        1, 1, REQUEST_ID >> 8, REQUEST_ID & 0xff, 0, 8, 0, 0, /* BEGIN_REQUEST */
        0, 1, 1, 0, 0, 0, 0, 0, /* responder, keep the connection */
        1, 4, REQUEST_ID >> 8, REQUEST_ID & 0xff, 0, 0, 0, 0, /* PARAMS, none */
        1, 5, REQUEST_ID >> 8, REQUEST_ID & 0xff, 0, 0, 0, 0, /* STDIN, empty */
    };
    // clang-format on
    int rc = write(sv[1], request, sizeof request) == (ssize_t)sizeof request ? 0 : -1;
    FCGX_Request fcgi;
    FCGX_InitRequest(&fcgi, -1, 0);
    fcgi.ipcFd = sv[0];
    fcgi.keepConnection = 1;
    rc |= FCGX_Accept_r(&fcgi) < 0 ? -1 : 0;
    struct fcgiout out;
    fcgiout_init(&out, sv[0], REQUEST_ID);
    rc |= fcgiout_write(&out, "Status: 204\r\n\r\n", 15) | fcgiout_end(&out);
    if (tell_libfcgi)
        fcgiout_ended(&fcgi);
    FCGX_Finish_r(&fcgi);
    bool kept = fcgi.ipcFd == sv[0];
    close(sv[0]);
    static unsigned char got[4096];
    size_t len = 0;
    ssize_t n;
    while ((n = read(sv[1], got + len, sizeof got - len)) > 0)
        len += (size_t)n;
    close(sv[1]);
    size_t ours = 8 + 15 + 24;
    if (tell_libfcgi)
        test_cond("told, FCGX_Finish_r adds nothing and keeps the connection",
                  rc == 0 && kept && len == ours && is_end(got + ours - 24, 24));
    else /* the control: untold, libfcgi ends the request a second time */
        test_cond("untold, FCGX_Finish_r writes its own end after ours",
                  rc == 0 && len == ours + 24 && is_end(got + ours, 24));
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    FCGX_Init();
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
    check_as("a page ended: its records, then the end", page, 4, true, 2);
    check_as("a body over 64 KB ended: the end after its last record", large, 3, true, 3);
    check_as("a response of headers only ended", head_only, 3, true, 1);
    const size_t after[] = {40, 3000, 20, 5000, 2};
    check_as("small pieces after a large one stay in order", after, 5, true, -1);
    check_one_write();
    check_finish(true);
    check_finish(false);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    struct fcgiout out;
    fcgiout_init(&out, sv[0], REQUEST_ID);
    char body[4096] = {0};
    test_cond("nginx gone: -1", fcgiout_write(&out, "Status: 200\r\n", 13) == 0 &&
                                    fcgiout_write(&out, body, sizeof body) == 0 &&
                                    fcgiout_end(&out) == -1);
    close(sv[0]);
    return test_report();
}
