/* SPDX-License-Identifier: MIT */
/* url: building query strings and vetting return addresses. */
#ifndef GH_URL_H
#define GH_URL_H

#include <stdbool.h>

struct buf;

/* url_encode appends s percent-encoded for a query value (RFC 3986
 * unreserved characters stay; everything else, '/' included, is %XX). */
void url_encode(struct buf *out, const char *s);
/* url_is_local_path is true only for a path of this site: it starts with
 * one '/', is not "//host" or "/\\host", and holds no control character or
 * backslash — so a "next" parameter can never send anyone elsewhere. */
bool url_is_local_path(const char *s);

#endif
