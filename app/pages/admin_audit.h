/* SPDX-License-Identifier: MIT */
/* admin_audit: the tenant's audit log of every admin action, newest first
 * — a table paged by id (GET /admin/audit) and the same rows as a CSV
 * download (GET /admin/audit.csv, or /admin/audit?format=csv), both
 * filtered by the query's actor (email, or "system"), target (email) and
 * action (store/adminlog.h's names); ?before=<id> is a page. A filter that
 * cannot be searched is 400. */
#ifndef GH_ADMIN_AUDIT_H
#define GH_ADMIN_AUDIT_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_audit_page(struct request *req, struct response *resp);
enum http_status admin_audit_csv(struct request *req, struct response *resp);

#endif
