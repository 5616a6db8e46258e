/* SPDX-License-Identifier: MIT */
/* userquery: the admin's user list as plain GET parameters — q, tier,
 * status, mfa, enabled, sort, dir, and after or before (a row to start
 * from) — read into a store query and written back into links. One reader
 * for every view of the list (the page, and the CSV export of the filtered
 * list), so a link made by one is understood by the other. */
#ifndef GH_USERQUERY_H
#define GH_USERQUERY_H

#include <stdbool.h>

#include "http/request.h"
#include "store/users.h"

struct buf;

/* userquery_read fills out from req's query string (strings in the
 * request's arena). Returns NULL, or what to tell the admin about a value
 * it cannot use (then the page is a 400); out then holds what could be
 * read, without the start row. */
const char *userquery_read(struct request *req, struct users_query *out);

/* userquery_append appends q's filters, and with_order its sort and
 * direction, to b as "name=value" pairs each preceded by '&', except that
 * the first one written starts with *sep ('?' or '&'; updated). Only what
 * differs from the defaults is written. */
void userquery_append(struct buf *b, const struct users_query *q, bool with_order, char *sep);

/* userquery_cursor appends the value of an after= or before= parameter
 * naming the row (key, sub) to b. */
void userquery_cursor(struct buf *b, const char *key, const char *sub);

/* The names of the sorts as the sort parameter says them, for the page's
 * select (index by enum users_sort), and their labels. */
const char *userquery_sort_name(enum users_sort sort);
const char *userquery_sort_label(enum users_sort sort);

#endif
