/* SPDX-License-Identifier: MIT */
/* admin_audit: the tenant's audit log of tier changes, newest first — a
 * paged table (GET /admin/audit) and the same rows as a CSV download
 * (GET /admin/audit.csv, or /admin/audit?format=csv). */
#ifndef GH_ADMIN_AUDIT_H
#define GH_ADMIN_AUDIT_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_audit_page(struct request *req, struct response *resp);
enum http_status admin_audit_csv(struct request *req, struct response *resp);

#endif
