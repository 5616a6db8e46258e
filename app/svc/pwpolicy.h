/* SPDX-License-Identifier: MIT */
/* pwpolicy: the password policy of a tenant's user pool — read from Cognito
 * with DescribeUserPool, kept with the tenant's record (store/tenants.h) so
 * that every worker has it with the tenant, and read again when that copy
 * is older than PASSWORD_POLICY_MAX_AGE_S. svc/input.c checks and describes
 * passwords with it.
 *
 * Who reads it: provisioning, right after it makes the pool;
 * `gatehouse tenant refresh` on an operator's word (after changing a pool's
 * policy); and a worker that needs the policy (a page or call that takes a
 * new password) when its copy is missing or old, one worker of all pools at
 * a time (store's claim). */
#ifndef GH_PWPOLICY_H
#define GH_PWPOLICY_H

#include <stddef.h>

struct cog_client;
struct tenant;
struct tenant_password_policy;

/* pwpolicy_refresh reads the policy of c's pool (c->pool_id; an admin call)
 * into out and keeps it with tenant slug. Returns 0, or -1 with why in err
 * (Cognito refused or did not answer, no usable policy, PostgreSQL). */
int pwpolicy_refresh(const struct cog_client *c, const char *slug,
                     struct tenant_password_policy *out, char *err, size_t errlen);
/* pwpolicy_of fills out with tenant t's policy: the copy kept with t, or,
 * when it is missing or old and this worker wins the claim, a fresh one.
 * When nothing is known, out->known is false (Cognito decides). */
void pwpolicy_of(const struct tenant *t, struct tenant_password_policy *out);

#endif
