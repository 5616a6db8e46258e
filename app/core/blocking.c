/* SPDX-License-Identifier: MIT */
/* blocking: the per-thread "a long wait follows" hook (see blocking.h).
 *
 * A thread-local function pointer: set once by the worker thread that owns
 * the connections, read on the same thread, so no lock is needed. */
#include "core/blocking.h"

#include <stddef.h>

static __thread void (*thread_hook)(void);

void blocking_set_hook(void (*hook)(void))
{
    thread_hook = hook;
}

void blocking_begin(void)
{
    if (thread_hook)
        thread_hook();
}
