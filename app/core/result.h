/* SPDX-License-Identifier: MIT */
/* result: what a step on stored data comes to — the one result type every
 * store module answers (app/store/pg.h) and the failures the domain steps
 * pass on. It lives on the ground floor so that the HTTP layer can hold the
 * one mapping to a status (answer_status_of in http/answer.h) without
 * knowing PostgreSQL. */
#ifndef GH_RESULT_H
#define GH_RESULT_H

enum store_result {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* no such row: 404 */
    STORE_CONFLICT,    /* it exists already (a unique violation): 409 */
    STORE_UNAVAILABLE, /* PostgreSQL unreachable: 503 */
    STORE_ERROR,       /* bad argument, unknown tenant schema, a bug: 500 */
};

#endif
