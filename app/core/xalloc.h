/* SPDX-License-Identifier: MIT */
/* xalloc: allocation that never returns NULL.
 *
 * Running out of memory in a worker is not an input error a handler can
 * answer; the process aborts and the master replaces it. Error paths in the
 * rest of the code therefore deal with bad input, not with every small
 * malloc. Everything returned here is released with plain free(). */
#ifndef GH_XALLOC_H
#define GH_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
