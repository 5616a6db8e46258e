/* SPDX-License-Identifier: MIT */
/* admin_import: invitations from a CSV file (`email,name,tier`).
 *
 * GET /admin/import shows where to paste the file; POST /admin/import with
 * step=preview shows what would happen to each row (invite, change the
 * tier, nothing, invalid and why), with step=apply does it and shows each
 * row's result. The apply plans the file again (svc/invite): a preview is
 * only ever shown, never read back. */
#ifndef GH_ADMIN_IMPORT_H
#define GH_ADMIN_IMPORT_H

#include "http/request.h"
#include "http/response.h"

enum http_status admin_import_form(struct request *req, struct response *resp);
enum http_status admin_import_submit(struct request *req, struct response *resp);

#endif
