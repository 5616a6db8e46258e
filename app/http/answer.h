/* SPDX-License-Identifier: MIT */
/* answer: JSON bodies and the one error shape every JSON error uses,
 * {"error": code, "message": text, "field": name|null, "request_id": id},
 * with the standard code and wording of each HTTP status. The pages and the
 * JSON API both answer JSON through here.
 *
 * Functions that take a json_object consume it. Each answering function
 * returns the status it set. */
#ifndef GH_ANSWER_H
#define GH_ANSWER_H

#include "core/result.h"
#include "http/request.h"
#include "http/response.h"

struct json_object;

/* answer_json answers obj (consumed) with status. */
enum http_status answer_json(struct response *resp, enum http_status status,
                             struct json_object *obj);
/* answer_error_object builds the error shape (field may be NULL) for a
 * caller that adds members of its own; it owns the result. */
struct json_object *answer_error_object(const struct request *req, const char *code,
                                        const char *message, const char *field);
/* answer_error answers status with the error shape; field may be NULL. */
enum http_status answer_error(const struct request *req, struct response *resp,
                              enum http_status status, const char *code, const char *message,
                              const char *field);
/* answer_status_error answers status with its standard code and, when
 * message is NULL, its standard wording. */
enum http_status answer_status_error(const struct request *req, struct response *resp,
                                     enum http_status status, const char *message);
/* answer_status_of is the one mapping of a store result (or a domain
 * step's failure told as one) to the status that answers it. */
enum http_status answer_status_of(enum store_result r);
/* answer_status_text gives the standard code and wording of status. */
void answer_status_text(enum http_status status, const char **code, const char **message);

#endif
