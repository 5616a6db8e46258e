/* SPDX-License-Identifier: MIT */
/* s3files: users' files in S3 (a premium feature), by presigned URL only —
 * the bytes go between the client and S3, never through gatehouse. (The
 * page of GET /files is pages/myfiles.h.)
 *   POST /files/upload-url    {filename, content_type, size} -> a PUT URL
 *   GET  /files/download-url  ?key=... -> a GET URL for a key of the caller
 *   GET  /files/list          the caller's files, newest first
 * The JSON routes accept a bearer access token or the browser session (then
 * a POST carries the page's CSRF token in X-CSRF-Token). */
#ifndef GH_S3FILES_H
#define GH_S3FILES_H

#include "http/request.h"
#include "http/response.h"

enum http_status s3files_upload_url(struct request *req, struct response *resp);
enum http_status s3files_download_url(struct request *req, struct response *resp);
enum http_status s3files_list(struct request *req, struct response *resp);

#endif
