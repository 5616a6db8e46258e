/* SPDX-License-Identifier: MIT */
/* log: one line per event, key=value, to stderr.
 *
 * nginx or systemd collects stderr; a line is written with a single write(2)
 * so lines from many threads and processes never interleave. A failing write
 * (a full disk, a closed pipe) is dropped: logging never stops serving. A
 * thread may hold its info lines to write several at once (log_hold). */
#ifndef GH_LOG_H
#define GH_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_DEBUG,
    LOG_INFO,
    LOG_WARN,
    LOG_ERROR
};

/* log_set_process names the process kind ("master", "worker") in every line
 * and notes its pid; call it again after a fork. */
void log_set_process(const char *kind);
void log_set_level(enum log_level min);
/* log_event writes "ts=… level=… pid=… proc=… event=<event> <fmt…>". fmt
 * holds further key=value pairs; values that may contain spaces go through
 * log_quote first. Never pass a password, token, code or secret. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* log_hold(true) makes this thread keep its info and debug lines until
 * log_flush, a batch would outgrow PIPE_BUF, or a warn or error line comes
 * (written at once, after them); log_hold(false) writes them and stops.
 * log_held tells whether any wait. A worker thread flushes before each
 * answer and once more when the request is done, so no line comes after
 * the answer of its request or waits on an idle thread. */
void log_hold(bool on);
void log_flush(void);
bool log_held(void);
/* log_quote copies s into out (size outlen) as a double-quoted value with
 * quotes, backslashes and control characters escaped, truncating if needed.
 * It returns out. */
const char *log_quote(char *out, unsigned outlen, const char *s);

#endif
