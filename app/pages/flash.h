/* SPDX-License-Identifier: MIT */
/* flash: one-shot messages carried across a Post/Redirect/Get.
 *
 * The cookie holds only a key from a fixed catalogue, never text, so it can
 * neither inject markup nor be used to make the site say something else. */
#ifndef GH_FLASH_H
#define GH_FLASH_H

#include "http/request.h"
#include "http/response.h"

struct json_object;

/* flash_set makes the next page show the message of key (a catalogue key). */
void flash_set(struct response *resp, const char *key);
/* flash_take adds the pending message, if any, to ctx as "flash" (an array
 * of {kind, message}) and clears the cookie. */
void flash_take(struct request *req, struct response *resp, struct json_object *ctx);
/* flash_peek is the catalogue key of the pending message (it stays
 * pending), or NULL: for a page whose state follows from it. */
const char *flash_peek(struct request *req);

#endif
