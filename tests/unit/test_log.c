/* SPDX-License-Identifier: MIT */
/* test_log: lines on stderr, whole, one event each; and a thread's held
 * lines: none written until log_flush, in order, a warn line written at
 * once after the held ones, batches never past PIPE_BUF and always whole
 * lines, log_hold(false) writing what is left, another thread's lines
 * never held by this one's setting. stderr is pointed at a pipe and read
 * back after each step (the test writes far less than a pipe holds). */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "test.h"

static int reader = -1;
static char got[1 << 16];

/* drain reads into got what stderr received since the last call and
 * returns its length. */
static size_t drain(void)
{
    size_t len = 0;
    ssize_t n;
    while (len < sizeof got - 1 && (n = read(reader, got + len, sizeof got - 1 - len)) > 0)
        len += (size_t)n;
    got[len] = '\0';
    return len;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static void *other_thread(void *arg)
{
    (void)arg;
    log_event(LOG_INFO, "from_other_thread", NULL);
    return NULL;
}

int main(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    dup2(fds[1], STDERR_FILENO);
    reader = fds[0];
    log_set_process("test");

    log_event(LOG_INFO, "plain", "k=%d", 1);
    drain();
    test_cond("without hold a line is written at once",
              strstr(got, "event=plain k=1\n") && count(got, "\n") == 1);

    log_hold(true);
    log_event(LOG_INFO, "first", NULL);
    log_event(LOG_DEBUG, "quiet", NULL); /* below the level: never written */
    log_event(LOG_INFO, "second", NULL);
    test_cond("held lines wait", drain() == 0 && log_held());
    log_flush();
    drain();
    const char *a = strstr(got, "event=first"), *b = strstr(got, "event=second");
    test_cond("log_flush writes them, in order",
              a && b && a < b && count(got, "\n") == 2 && !log_held() && !strstr(got, "quiet"));

    log_event(LOG_INFO, "before_warn", NULL);
    log_event(LOG_WARN, "a_warning", NULL);
    drain();
    a = strstr(got, "event=before_warn");
    b = strstr(got, "event=a_warning");
    test_cond("a warn line is written at once, after what was held",
              a && b && a < b && !log_held());

    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    drain();
    test_cond("another thread does not hold", strstr(got, "event=from_other_thread") != NULL);

    /* Enough lines to pass PIPE_BUF several times: every write so far must
     * have been whole lines, and each batch at most PIPE_BUF. */
    char value[200];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    int lines = 0;
    size_t largest = 0, total = 0;
    bool whole = true;
    for (int i = 0; i < 100; i++) {
        log_event(LOG_INFO, "bulk", "i=%d v=%s", i, value);
        size_t n = drain();
        if (n) {
            whole &= got[n - 1] == '\n' && strncmp(got, "ts=", 3) == 0;
            largest = n > largest ? n : largest;
            lines += count(got, "event=bulk");
            total += n;
        }
    }
    test_cond("held batches go out whole, none past PIPE_BUF",
              whole && total > 0 && largest <= PIPE_BUF && lines > 0 && lines < 100);
    log_hold(false);
    drain();
    lines += count(got, "event=bulk");
    test_cond("log_hold(false) writes the rest: every line once", lines == 100 && !log_held());
    log_event(LOG_INFO, "after", NULL);
    drain();
    test_cond("after log_hold(false) lines go at once again", strstr(got, "event=after") != NULL);

    return test_report();
}
