/* SPDX-License-Identifier: MIT */
/* cogerr: the catalogue of Cognito errors, the one place their wording lives.
 *
 * A Cognito error type (the reply's "__type") becomes an enum cogerr; with
 * the context of the call it becomes a struct cogerr_info: a stable code for
 * JSON, the HTTP status to answer, the form field concerned and a message a
 * person understands. Entries are static: nothing to free, any thread. */
#ifndef GH_COGERR_H
#define GH_COGERR_H

#include <stdbool.h>
#include <stddef.h>

enum cogerr {
    COGERR_NONE = 0, /* success: no entry */
    COGERR_USERNAME_EXISTS, COGERR_INVALID_PASSWORD, COGERR_CODE_MISMATCH,
    COGERR_EXPIRED_CODE, COGERR_NOT_AUTHORIZED, COGERR_USER_NOT_CONFIRMED,
    COGERR_USER_NOT_FOUND, COGERR_LIMIT_EXCEEDED, COGERR_TOO_MANY_REQUESTS,
    COGERR_THROTTLING, COGERR_TOO_MANY_FAILED_ATTEMPTS, COGERR_INVALID_PARAMETER,
    COGERR_PASSWORD_RESET_REQUIRED, COGERR_CODE_DELIVERY_FAILURE,
    COGERR_INTERNAL_ERROR, COGERR_ALIAS_EXISTS, COGERR_RESOURCE_NOT_FOUND,
    COGERR_INVALID_LAMBDA_RESPONSE, COGERR_UNEXPECTED_LAMBDA,
    COGERR_USER_LAMBDA_VALIDATION, COGERR_INVALID_USER_POOL_CONFIGURATION,
    COGERR_FORBIDDEN, COGERR_GROUP_EXISTS,
    COGERR_USER_DISABLED, /* NotAuthorizedException "User is disabled." (aws/cognito.c) */
    COGERR_UNAVAILABLE, /* gatehouse's own: no answer in time, unreachable */
    COGERR_UNKNOWN,     /* gatehouse's own: a type or answer not listed */
    COGERR_COUNT
};

/* What the call was doing, because a few types must be told differently:
 * at login an unknown email reads exactly like a wrong password. */
enum cogerr_ctx {
    COGERR_CTX_GENERIC,
    COGERR_CTX_LOGIN,           /* InitiateAuth with a password */
    COGERR_CTX_SEND_CODE,       /* ForgotPassword, ResendConfirmationCode */
    COGERR_CTX_USE_CODE,        /* ConfirmSignUp, ConfirmForgotPassword */
    COGERR_CTX_USE_CODE_ALIKE,  /* ConfirmSignUp where every refused code reads
                                   alike (a tenant hiding its accounts) */
    COGERR_CTX_SESSION,         /* calls made with a session's tokens */
    COGERR_CTX_CHANGE_PASSWORD, /* ChangePassword */
    COGERR_CTX_ADMIN,           /* SigV4-signed calls of admins and operators */
    COGERR_CTX_COUNT
};

struct cogerr_info {
    enum cogerr err;     /* the type this entry describes */
    const char *type;    /* Cognito's type name; NULL for gatehouse's own */
    const char *code;    /* stable snake_case for JSON, e.g. "code_mismatch" */
    int status;          /* HTTP status to answer */
    const char *field;   /* "email", "password", "current_password", "code"; NULL: the form */
    const char *message; /* one or two sentences for a person */
    bool conceal;        /* answer as if the call succeeded (hides whether an email exists) */
};

/* The code of a password Cognito refuses for its policy: the pages and the
 * API tell it with the tenant's own rules (svc/input.h) instead of the
 * catalogue's sentence, which cannot know them. */
#define COGERR_CODE_INVALID_PASSWORD "invalid_password"

/* cogerr_from_type maps "__type" ("Name", "prefix#Name" or "Name:detail")
 * to its enum. A NULL, empty or unlisted type gives COGERR_UNKNOWN. */
enum cogerr cogerr_from_type(const char *type);
/* cogerr_base_type copies the bare type name of type (no "prefix#", no
 * ":detail") into out, truncated to outlen - 1 bytes, and returns out. */
const char *cogerr_base_type(const char *type, char *out, size_t outlen);
/* cogerr_get returns the entry for err as seen in ctx: never NULL, except for
 * COGERR_NONE. Out-of-range values give the COGERR_UNKNOWN entry. */
const struct cogerr_info *cogerr_get(enum cogerr err, enum cogerr_ctx ctx);
/* cogerr_transient is true when err in ctx says "try again later" (Cognito
 * throttled, failed or did not answer) rather than "no". */
bool cogerr_transient(enum cogerr err, enum cogerr_ctx ctx);

#endif
