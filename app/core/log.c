/* SPDX-License-Identifier: MIT */
/* log: structured one-line events on stderr (see log.h).
 *
 * Each line is formatted into a stack buffer of LOG_LINE_MAX bytes and
 * written with one write(2); a longer line is cut and marked "truncated=1".
 * Timestamps are UTC with microseconds. State is two process-wide settings
 * that are set before threads start and only read afterwards.
 *
 * A log must never stop the service: when stderr is a pipe or a socket
 * (systemd's journal, a `| logger`) whose reader stalls, a plain write
 * would block every worker thread once the buffer fills. There a line that
 * would wait is dropped instead. A regular file keeps plain writes (a full
 * disk fails at once with ENOSPC anyway).
 *
 * A thread that serves requests may hold its info and debug lines
 * (log_hold) and write them together: a worker thread logs two or more
 * lines a request, and one write(2) per line was a good part of what a
 * cheap page cost (the writes of all threads queue on the file's lock).
 * The worker writes a request's held lines just before its answer
 * (log_flush), so whoever sees the answer can find its lines, and again
 * when the request is done; a line is written at once anyway when
 * the next would not fit in LOG_HOLD_MAX (PIPE_BUF: a pipe takes the batch
 * whole) and before any warn or error line, which is never held. A write
 * still carries whole lines only. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#define LOG_HOLD_MAX PIPE_BUF /* bytes of lines a thread holds */
_Static_assert(LOG_LINE_MAX <= LOG_HOLD_MAX, "a held batch has room for any line");

static const char *process_kind = "main";
static int process_id; /* cached: getpid is a system call, and every line needs it */
static enum log_level min_level = LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

static pthread_once_t stderr_kind_once = PTHREAD_ONCE_INIT;
static bool stderr_is_socket; /* send without waiting */

/* prepare_stderr runs once, in the master before any fork or thread. A pipe
 * is reopened through /proc as a private non-blocking description (setting
 * O_NONBLOCK on the inherited one would change it for whoever shares it); a
 * socket is written with MSG_DONTWAIT instead. */
static void prepare_stderr(void)
{
    struct stat st;
    if (fstat(STDERR_FILENO, &st) < 0)
        return;
    stderr_is_socket = S_ISSOCK(st.st_mode);
    if (!S_ISFIFO(st.st_mode))
        return;
    int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return; /* no reader, or no /proc: writes fail or block as before */
    dup2(fd, STDERR_FILENO);
    close(fd);
}

/* write_line writes one line to stderr. On a pipe or socket it gives up
 * rather than wait for room (EAGAIN), so a stalled reader costs lines, not
 * service; a line, and a held batch of them, is at most PIPE_BUF bytes, so
 * it is written whole or not. */
static void write_line(const char *line, size_t len)
{
    pthread_once(&stderr_kind_once, prepare_stderr);
    ssize_t w;
    do {
        w = stderr_is_socket ? send(STDERR_FILENO, line, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                             : write(STDERR_FILENO, line, len);
    } while (w < 0 && errno == EINTR);
}

static _Thread_local bool holding;
static _Thread_local size_t held_len;
static _Thread_local char held[LOG_HOLD_MAX];

void log_flush(void)
{
    if (held_len)
        write_line(held, held_len);
    held_len = 0;
}

bool log_held(void)
{
    return held_len > 0;
}

void log_hold(bool on)
{
    if (!on)
        log_flush();
    holding = on;
}

/* emit writes a finished line, or holds it (see the top of this file). */
static void emit(enum log_level level, const char *line, size_t len)
{
    if (!holding || level > LOG_INFO) {
        log_flush(); /* the held lines came first */
        write_line(line, len);
        return;
    }
    if (held_len + len > sizeof(held))
        log_flush();
    memcpy(held + held_len, line, len);
    held_len += len;
}

void log_set_process(const char *kind)
{
    process_kind = kind;
    process_id = (int)getpid(); /* called again in each worker after fork */
}

void log_set_level(enum log_level min)
{
    min_level = min;
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char line[LOG_LINE_MAX];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line),
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s pid=%d "
                     "proc=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)tv.tv_usec, level_names[level], process_id ? process_id : (int)getpid(),
                     process_kind, event);
    if (fmt && *fmt && n > 0 && (size_t)n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    /* Leave room for the truncation mark and the newline. */
    const char mark[] = " truncated=1";
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line) - 1) {
        n = (int)(sizeof(line) - sizeof(mark) - 1);
        memcpy(line + n, mark, sizeof(mark) - 1);
        n += (int)sizeof(mark) - 1;
    }
    line[n++] = '\n';
    emit(level, line, (size_t)n);
}

const char *log_quote(char *out, unsigned outlen, const char *s)
{
    unsigned o = 0;
    if (outlen < 3) {
        if (outlen)
            out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (; s && *s && o + 5 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (unsigned)snprintf(out + o, outlen - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}
