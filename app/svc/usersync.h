/* SPDX-License-Identifier: MIT */
/* usersync: a tenant's users as Cognito lists them (ListUsers, page by
 * page), and `gatehouse users sync`, which reconciles the users mirror with
 * them. The admin pages use the listing; the command uses both. */
#ifndef GH_USERSYNC_H
#define GH_USERSYNC_H

#include <stdbool.h>
#include <stdio.h>

#include "aws/cognito.h"
#include "store/users.h"

#define USERSYNC_PAGE_MAX 60 /* ListUsers' own limit per call */

/* usersync_list_page asks Cognito for at most limit users of c's pool after
 * token (NULL: from the start), matching filter (NULL: all; see
 * admintext_list_filter). Returns cog_call's answer; on success out->reply
 * holds "Users" and, when more follow, "PaginationToken". */
int usersync_list_page(const struct cog_client *c, const char *filter, const char *token,
                       int limit, struct cog_result *out);
/* usersync_user reads one user of a ListUsers answer ("Attributes") or an
 * AdminGetUser answer ("UserAttributes") into *u, and its Cognito username
 * into *username. The strings are borrowed from user. A tier that is not
 * standard or premium reads as standard. False when sub or email is missing. */
bool usersync_user(struct json_object *user, struct users_user *u, const char **username);

struct usersync_counts {
    long added, changed, deleted, unchanged;
};

/* usersync_run reconciles tenant's mirror with every user of c's pool,
 * writing one line per change to report (may be NULL). Nothing is deleted
 * unless the whole listing succeeded. Returns 0, or -1 with err filled. */
int usersync_run(const char *tenant, const struct cog_client *c, FILE *report,
                 struct usersync_counts *counts, char *err, size_t errlen);

/* usersync_watch is told after each page of the listing how many users were
 * listed so far (seen) and what was written; answering false stops the sync
 * there (nothing deleted), as a failure "stopped". */
typedef bool (*usersync_watch)(void *ctx, long seen, const struct usersync_counts *counts);
/* usersync_run_watched is usersync_run with watch (may be NULL) called
 * after every page. */
int usersync_run_watched(const char *tenant, const struct cog_client *c, FILE *report,
                         struct usersync_counts *counts, usersync_watch watch, void *ctx,
                         char *err, size_t errlen);
#endif
