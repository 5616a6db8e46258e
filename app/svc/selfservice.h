/* SPDX-License-Identifier: MIT */
/* selfservice: a signed-in person's own account — their profile (name and
 * work details), their email (changed only once a code sent to the new
 * address is entered) and the deletion of the account. The browser pages
 * and the JSON API both come here, with the user's own access token: these
 * are the user's Cognito calls (UpdateUserAttributes, VerifyUserAttribute,
 * DeleteUser), never admin ones, and the app client's WriteAttributes bound
 * them. Neither the tier nor the tenant can be written here: the profile
 * is a struct of the four attributes a person may edit, nothing else.
 *
 * Re-authentication for the email and the deletion is the caller's
 * (svc/reauth): these steps assume it was done. A struct cog_result filled
 * here is the caller's to free. */
#ifndef GH_SELFSERVICE_H
#define GH_SELFSERVICE_H

struct arena;
struct cog_result;
struct sess_session;
struct tenant;

struct selfservice_who { /* borrowed */
    const char *sub, *email; /* the signed-in user */
    const char *access_token;
};

struct selfservice_profile { /* NULL: left as it is */
    const char *name;                        /* "": left as it is too (a name stays) */
    const char *company, *department, *role; /* "": removed */
};

/* selfservice_check_profile names the first field of p that is not
 * acceptable text ("name", "company"...) and sets *problem, or NULL. */
const char *selfservice_check_profile(const struct selfservice_profile *p, const char **problem);
/* selfservice_profile writes p's attributes at Cognito (and removes the
 * work details given as ""), then the users mirror and every session of
 * the user. 0, or -1 (r says why). */
int selfservice_profile(const struct tenant *t, const struct selfservice_who *who,
                        const struct selfservice_profile *p, const char *request_id,
                        struct cog_result *r);
/* selfservice_email_start asks Cognito to move the account to new_email:
 * a code goes to it, and the old email stays the sign-in address until
 * selfservice_email_verify. 0, or -1 (r says why). */
int selfservice_email_start(const struct tenant *t, const struct selfservice_who *who,
                            const char *new_email, const char *request_id,
                            struct cog_result *r);
/* selfservice_email_verify enters the code; on success the account's
 * email (read back from Cognito) is copied to the mirror and the user's
 * sessions, into *email_out (in a). 0, or -1 (r says why). */
int selfservice_email_verify(const struct tenant *t, const struct selfservice_who *who,
                             const char *code, struct arena *a, const char *request_id,
                             struct cog_result *r, const char **email_out);
/* selfservice_delete deletes the account at Cognito, ends every session
 * and API sign-in of it, marks the mirror row deleted and keeps an audit
 * row. 0, or -1 (r says why; nothing was deleted). */
int selfservice_delete(const struct tenant *t, const struct selfservice_who *who,
                       const char *request_id, struct cog_result *r);
/* selfservice_renew refreshes session s's tokens now, so that it shows a
 * profile just changed (a failure is logged; the next refresh catches up). */
void selfservice_renew(const struct tenant *t, struct sess_session *s, struct arena *a,
                       const char *request_id);

#endif
