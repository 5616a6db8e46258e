/* SPDX-License-Identifier: MIT */
/* cognito: the Cognito Identity Provider client (JSON 1.1, SigV4 for admin).
 *
 * cog_run sends one of the flows' operations built from struct cog_params, so
 * no handler writes Cognito JSON; cog_call sends any listed operation with a
 * json-c request the caller built (tenant provisioning). Both fill a struct
 * cog_result that the caller releases with cog_result_free. struct cog_client
 * only borrows its strings (from config or a tenant record): they must
 * outlive the call, and nothing here frees them. */
#ifndef GH_COGNITO_H
#define GH_COGNITO_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "aws/cogerr.h"
#include "aws/sigv4.h"

struct cog_client {
    const char *endpoint;      /* NULL: https://cognito-idp.<region>.amazonaws.com/ */
    const char *region, *pool_id, *client_id;
    const char *client_secret; /* NULL or "": the app client has none */
    struct sigv4_credentials cred; /* admin calls; no access key: sent unsigned */
};

enum cog_op {                    /* what each needs from struct cog_params */
    COG_SIGN_UP,                 /* username, password, attrs */
    COG_CONFIRM_SIGN_UP,         /* username, code */
    COG_RESEND_CODE,             /* username */
    COG_LOGIN,                   /* username, password (USER_PASSWORD_AUTH) */
    COG_REFRESH,                 /* refresh_token; username = the user's sub when
                                    the client has a secret (REFRESH_TOKEN_AUTH) */
    COG_NEW_PASSWORD,            /* username, password, session (NEW_PASSWORD_REQUIRED) */
    COG_GET_USER,                /* access_token */
    COG_CHANGE_PASSWORD,         /* access_token, previous_password, password */
    COG_FORGOT_PASSWORD,         /* username */
    COG_CONFIRM_FORGOT_PASSWORD, /* username, code, password (the new one) */
    COG_GLOBAL_SIGN_OUT,         /* access_token */
    COG_REVOKE_TOKEN,            /* refresh_token */
    COG_ADMIN_GET_USER,          /* username */
    COG_ADMIN_UPDATE_ATTRIBUTES, /* username, attrs */
    COG_ADMIN_ADD_TO_GROUP,      /* username, group */
    COG_ADMIN_LIST_GROUPS,       /* username */
    COG_ADMIN_GLOBAL_SIGN_OUT,   /* username: every sign-in of the user ends */
    COG_DESCRIBE_CLIENT,         /* nothing: the client's pool and app client */
    COG_UPDATE_ATTRIBUTES,       /* access_token, attrs: the user's own, as the client may write */
    COG_VERIFY_ATTRIBUTE,        /* access_token, code, attrs[0].name: the attribute verified */
    COG_DELETE_USER,             /* access_token: the user deletes their own account */
    COG_DELETE_ATTRIBUTES,       /* access_token, attrs (names; values ""): the user's own */
    COG_MFA_ASSOCIATE,           /* access_token: a new TOTP secret (SecretCode) */
    COG_MFA_VERIFY,              /* access_token, code, device_name (may be NULL) */
    COG_MFA_ENABLE,              /* access_token: TOTP enabled and preferred */
    COG_MFA_DISABLE,             /* access_token: TOTP disabled */
    COG_MFA_ANSWER,              /* username, code, session (SOFTWARE_TOKEN_MFA) */
    COG_ADMIN_DISABLE,           /* username: sign-ins refused until enabled again */
    COG_ADMIN_ENABLE,            /* username */
    COG_ADMIN_RESET_PASSWORD,    /* username: RESET_REQUIRED, a reset code sent */
    COG_ADMIN_MFA_OFF,           /* username: TOTP and SMS MFA turned off */
    COG_ADMIN_REMOVE_FROM_GROUP, /* username, group */
    COG_ADMIN_DELETE_USER,       /* username */
    COG_ADMIN_GROUP_MEMBERS,     /* group, next_token (NULL: the first page) */
    COG_ADMIN_DELETE_ATTRIBUTES, /* username, attrs (names; values "") */
    COG_OP_COUNT
};

struct cog_attr { const char *name, *value; };

struct cog_params { /* all borrowed for the call; unused ones stay NULL */
    const char *username, *password, *previous_password, *code;
    const char *access_token, *refresh_token, *session, *group;
    const char *device_name; /* COG_MFA_VERIFY: a name the user gives the device */
    const struct cog_attr *attrs;
    size_t n_attrs;
    const char *next_token; /* a list's next page (COG_ADMIN_GROUP_MEMBERS) */
};

#define COG_TYPE_MAX 96
struct cog_result {
    enum cogerr err;                 /* COGERR_NONE on success */
    const struct cogerr_info *error; /* what to tell the user; NULL on success */
    char type[COG_TYPE_MAX];         /* Cognito's error type, bare; "" if none */
    long http_status;                /* of the last answer; 0 when none came */
    int attempts;
    long latency_ms;
    struct json_object *reply;       /* on success: the answer, owned here */
};

/* cog_run and cog_call return 0 on success (out->reply holds the answer) and
 * -1 otherwise (out->err and out->error say why). cog_call borrows request;
 * an operation it does not list is refused. Both always fill out. */
int cog_run(const struct cog_client *c, enum cog_op op, const struct cog_params *p,
            struct cog_result *out);
int cog_call(const struct cog_client *c, const char *op, struct json_object *request,
             struct cog_result *out);
/* cog_get returns the text of the scalar at a dotted path of the reply
 * ("AuthenticationResult.IdToken"; numbers and booleans as JSON text), or
 * NULL; cog_user_attr returns the Value of UserAttributes[Name == name]. The
 * strings belong to out->reply. */
const char *cog_get(const struct cog_result *r, const char *path);
const char *cog_user_attr(const struct cog_result *r, const char *name);
/* cog_result_free releases the reply and zeroes r; safe to call twice. */
void cog_result_free(struct cog_result *r);

/* cog_admin_invite sends AdminCreateUser for username with attrs, Cognito
 * emailing the invitation and its temporary password (never retried: a
 * second call could send a second email); with resend, the invitation of a
 * user who has not signed in yet is sent again (MessageAction RESEND, attrs
 * unused). cog_admin_confirm_sign_up confirms an UNCONFIRMED user
 * (AdminConfirmSignUp). Both return as cog_run does. */
int cog_admin_invite(const struct cog_client *c, const char *username,
                     const struct cog_attr *attrs, size_t n_attrs, bool resend,
                     struct cog_result *out);
int cog_admin_confirm_sign_up(const struct cog_client *c, const char *username,
                              struct cog_result *out);

#endif
