/* SPDX-License-Identifier: MIT */
/* myfiles: GET /files, the signed-in user's files page (a premium
 * feature; the upgrade page otherwise). Its script calls the JSON routes
 * of api/s3files.h with the page's CSRF token. */
#ifndef GH_MYFILES_H
#define GH_MYFILES_H

#include "http/request.h"
#include "http/response.h"

enum http_status myfiles_page(struct request *req, struct response *resp);

#endif
