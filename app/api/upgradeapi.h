/* SPDX-License-Identifier: MIT */
/* upgradeapi: the bearer's upgrade request, as on the upgrade page —
 * POST /api/v1/me/upgrade-request ({"note": optional, at most
 * UPGRADE_NOTE_MAX bytes}) asks an administrator for Premium: 201 with the
 * request; 409 upgrade_pending while one waits, 409 already_premium for a
 * premium user. GET /api/v1/me/upgrade-request tells the newest request:
 * its state (none, pending, approved, declined, closed), the note, and the
 * administrator's reason on a decline. */
#ifndef GH_UPGRADEAPI_H
#define GH_UPGRADEAPI_H

#include "http/request.h"
#include "http/response.h"

enum http_status upgradeapi_get(struct request *req, struct response *resp);
enum http_status upgradeapi_ask(struct request *req, struct response *resp);

#endif
