/* SPDX-License-Identifier: MIT */
/* provision: making and removing a tenant — its Cognito user pool, app
 * client, admin group and first admin, its row and its PostgreSQL schema.
 *
 * Used by the `gatehouse tenant` commands and by POST /auth/tenants. Each
 * step is recorded in the tenant's row as it completes, so a run that
 * failed half-way is completed by running the same request again. */
#ifndef GH_PROVISION_H
#define GH_PROVISION_H

#include <stdbool.h>
#include <stdio.h>

#include "store/tenants.h"

struct config;

struct provision_request {
    const char *slug, *name, *admin_email;
    bool with_secret; /* an app client with a secret (SECRET_HASH) */
    /* The first admin's temporary password, given to Cognito with nothing
     * emailed (MessageAction SUPPRESS): for pools that cannot send email
     * yet. NULL: Cognito makes one and emails it. */
    const char *admin_password;
    bool *admin_created; /* out (may be NULL): this run created the first admin */
};

enum provision_result {
    PROVISION_OK,
    PROVISION_INVALID,     /* bad slug, name or email: err says which */
    PROVISION_EXISTS,      /* the slug belongs to a tenant already set up */
    PROVISION_FAILED,      /* a step failed: err says which; re-run to resume */
};

/* provision_tenant runs (or resumes) every step and fills out. Progress
 * lines go to report (may be NULL). */
enum provision_result provision_tenant(const struct config *cfg, const struct provision_request *r,
                                       FILE *report, struct tenant *out, char *err, size_t errlen);
/* provision_refresh reads the tenant's pool settings that gatehouse keeps
 * with its record (the password policy) again from Cognito, and reports
 * them. 0, or -1 with err. */
int provision_refresh(const struct config *cfg, const char *slug, FILE *report, char *err,
                      size_t errlen);
/* provision_delete removes the pool, the schema and the row (and with it
 * the sessions). 0, or -1 with err. */
int provision_delete(const struct config *cfg, const char *slug, FILE *report, char *err,
                     size_t errlen);

/* What provision_check_clients found. */
struct provision_checks {
    int checked;     /* clients Cognito described */
    int unsafe;      /* clients gatehouse must not run with */
    int unchecked;   /* clients (or the tenant list) that could not be read */
};

/* provision_check_clients judges (aws/appclient) the app client of the
 * settings (COGNITO_CLIENT_ID) and, when with_tenants, that of every tenant
 * in PostgreSQL, and writes one line per finding to report: the
 * problem prefix and what to fix for a client users could write their tier
 * or tenant with, the warning prefix and why for one that could not be
 * checked. It uses the calling thread's HTTP handle and PostgreSQL
 * connection, which the caller releases. */
void provision_check_clients(const struct config *cfg, bool with_tenants, FILE *report,
                             const char *problem, const char *warning,
                             struct provision_checks *out);

/* provision_set_mfa sets the two-step verification of tenant slug to
 * setting (TENANT_MFA_*): the pool first (SetUserPoolMfaConfig: OFF, or
 * OPTIONAL with software tokens), then the tenant's row. gatehouse itself
 * takes a 'required' user through enrolment at log-in (pages/login.c), so
 * the pool stays OPTIONAL there: Cognito's ON would answer MFA_SETUP, whose
 * session-bound enrolment the local Cognito does not offer. */
int provision_set_mfa(const struct config *cfg, const char *slug, const char *setting,
                      char *err, size_t errlen);

#endif
