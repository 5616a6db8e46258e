/* SPDX-License-Identifier: MIT */
/* blocking: a thread about to wait long says so before it does.
 *
 * A page thread keeps several of nginx's connections open between requests
 * (server/worker.c), and nginx sends the next request on any of them: one
 * sent to a thread that is busy for half a second waits that half second,
 * though other threads are idle. So before a wait that may be long (a call
 * to AWS, a count over a large table), the code that waits calls
 * blocking_begin, and the hook its thread registered gives those connections
 * back first. A thread without a hook (tools, tests, the master) does nothing.
 *
 * The hook is per thread and owned by whoever set it; nothing here allocates. */
#ifndef GH_BLOCKING_H
#define GH_BLOCKING_H

/* blocking_set_hook makes hook (NULL: none) what blocking_begin calls on
 * this thread. */
void blocking_set_hook(void (*hook)(void));

/* blocking_begin tells this thread's hook that a long wait follows. */
void blocking_begin(void);

#endif
