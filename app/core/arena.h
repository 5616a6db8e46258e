/* SPDX-License-Identifier: MIT */
/* arena: per-request bump allocator.
 *
 * Each worker thread owns one arena. Everything a request parses (params,
 * cookies, headers, decoded strings) is allocated from it and released all at
 * once by arena_reset when the request ends, so parsers never free piecemeal.
 * Memory is never returned to the system until arena_free. */
#ifndef GH_ARENA_H
#define GH_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head; /* chunk being filled; older ones behind it */
};

void arena_init(struct arena *a);
/* arena_alloc returns size bytes aligned for any type; never NULL. */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* arena_reset keeps the first chunk for reuse and frees the rest. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
