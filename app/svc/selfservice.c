/* SPDX-License-Identifier: MIT */
/* selfservice: a person's own profile, email and account (see
 * selfservice.h).
 *
 * The attributes sent are built here from the four named fields, so no
 * form or JSON key can reach custom:user_tier or custom:tenant_id (the app
 * client's WriteAttributes refuse them too: aws/appclient checks that at
 * start-up). Cognito is the truth and goes first; the mirror, the sessions
 * and the audit follow only what Cognito accepted. */
#include "svc/selfservice.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "aws/cognito.h"
#include "core/arena.h"
#include "core/limits.h"
#include "core/log.h"
#include "store/events.h"
#include "store/sessions.h"
#include "store/tenants.h"
#include "store/users.h"
#include "svc/input.h"
#include "svc/session.h"
#include "svc/svc.h"

#define PROFILE_ATTRS 4

static void event(const struct tenant *t, const struct selfservice_who *who, const char *kind,
                  const char *detail, const char *request_id)
{
    struct events_event e = {.user_sub = who->sub, .user_email = who->email, .kind = kind,
                             .detail = detail, .request_id = request_id};
    if (events_record(t->slug, &e) != STORE_OK)
        log_event(LOG_WARN, "account_event_not_recorded", "id=%s tenant=%s kind=%s", request_id,
                  t->slug, kind);
}

static int no_token(struct cog_result *r)
{
    memset(r, 0, sizeof(*r));
    r->err = COGERR_NOT_AUTHORIZED;
    r->error = cogerr_get(r->err, COGERR_CTX_SESSION);
    return -1;
}

const char *selfservice_check_profile(const struct selfservice_profile *p, const char **problem)
{
    const struct { const char *field, *value; size_t max; } f[PROFILE_ATTRS] = {
        {"name", p->name, INPUT_NAME_MAX},
        {"company", p->company, INPUT_ATTRIBUTE_MAX},
        {"department", p->department, INPUT_ATTRIBUTE_MAX},
        {"role", p->role, INPUT_ATTRIBUTE_MAX},
    };
    for (size_t i = 0; i < PROFILE_ATTRS; i++) {
        if (!f[i].value || !*f[i].value)
            continue;
        if ((*problem = input_check_text(f[i].value, f[i].max, false)))
            return f[i].field;
    }
    *problem = NULL;
    return NULL;
}

int selfservice_profile(const struct tenant *t, const struct selfservice_who *who,
                        const struct selfservice_profile *p, const char *request_id,
                        struct cog_result *r)
{
    struct cog_attr set[PROFILE_ATTRS], gone[PROFILE_ATTRS];
    size_t n = 0, ngone = 0;
    const struct { const char *attr, *value; bool removable; } f[PROFILE_ATTRS] = {
        {"name", p->name, false},
        {"custom:company", p->company, true},
        {"custom:department", p->department, true},
        {"custom:role", p->role, true},
    };
    if (!who->access_token)
        return no_token(r);
    for (size_t i = 0; i < PROFILE_ATTRS; i++) {
        if (f[i].value && *f[i].value)
            set[n++] = (struct cog_attr){f[i].attr, f[i].value};
        else if (f[i].value && f[i].removable)
            gone[ngone++] = (struct cog_attr){f[i].attr, ""};
    }
    memset(r, 0, sizeof(*r));
    if (n == 0 && ngone == 0)
        return 0; /* nothing to change */
    struct cog_client c;
    svc_client(t, &c);
    if (n) {
        struct cog_params cp = {.access_token = who->access_token, .attrs = set, .n_attrs = n};
        if (cog_run(&c, COG_UPDATE_ATTRIBUTES, &cp, r) < 0)
            return -1;
        cog_result_free(r);
    }
    if (ngone) {
        struct cog_params cp = {.access_token = who->access_token, .attrs = gone,
                                .n_attrs = ngone};
        if (cog_run(&c, COG_DELETE_ATTRIBUTES, &cp, r) < 0)
            return -1;
        cog_result_free(r);
    }
    if (p->name && *p->name) {
        time_t now = time(NULL);
        struct users_user u = {.sub = who->sub, .email = who->email, .name = p->name,
                               .enabled = true};
        struct sess_profile sp = {.name = p->name};
        if (users_upsert(t->slug, &u, now, USERS_MERGE) != STORE_OK ||
            sess_update_profile(t->id, who->sub, &sp) != STORE_OK)
            log_event(LOG_WARN, "profile_not_mirrored", "id=%s tenant=%s", request_id, t->slug);
    }
    event(t, who, "profile_updated", NULL, request_id);
    log_event(LOG_INFO, "profile_updated", "id=%s tenant=%s set=%zu removed=%zu", request_id,
              t->slug, n, ngone);
    return 0;
}

int selfservice_email_start(const struct tenant *t, const struct selfservice_who *who,
                            const char *new_email, const char *request_id,
                            struct cog_result *r)
{
    if (!who->access_token)
        return no_token(r);
    struct cog_client c;
    struct cog_attr attr = {"email", new_email};
    svc_client(t, &c);
    struct cog_params cp = {.access_token = who->access_token, .attrs = &attr, .n_attrs = 1};
    if (cog_run(&c, COG_UPDATE_ATTRIBUTES, &cp, r) < 0)
        return -1;
    cog_result_free(r);
    event(t, who, "email_change_requested", new_email, request_id);
    log_event(LOG_INFO, "email_change_requested", "id=%s tenant=%s", request_id, t->slug);
    return 0;
}

int selfservice_email_verify(const struct tenant *t, const struct selfservice_who *who,
                             const char *code, struct arena *a, const char *request_id,
                             struct cog_result *r, const char **email_out)
{
    *email_out = NULL;
    if (!who->access_token)
        return no_token(r);
    struct cog_client c;
    struct cog_attr attr = {"email", ""};
    svc_client(t, &c);
    struct cog_params cp = {.access_token = who->access_token, .code = code, .attrs = &attr,
                            .n_attrs = 1};
    if (cog_run(&c, COG_VERIFY_ATTRIBUTE, &cp, r) < 0)
        return -1;
    cog_result_free(r);
    /* The new address is Cognito's, read back: never the form's. */
    struct cog_params gp = {.access_token = who->access_token};
    const char *email = NULL;
    if (cog_run(&c, COG_GET_USER, &gp, r) == 0 && (email = cog_user_attr(r, "email")))
        email = arena_strdup(a, email);
    cog_result_free(r);
    if (email && strcmp(email, who->email)) {
        time_t now = time(NULL);
        struct users_user u = {.sub = who->sub, .email = email, .enabled = true};
        struct sess_profile sp = {.email = email};
        if (users_upsert(t->slug, &u, now, USERS_MERGE) != STORE_OK ||
            sess_update_profile(t->id, who->sub, &sp) != STORE_OK)
            log_event(LOG_WARN, "email_not_mirrored", "id=%s tenant=%s", request_id, t->slug);
        event(t, who, "email_changed", email, request_id);
    }
    log_event(LOG_INFO, "email_changed", "id=%s tenant=%s read_back=%d", request_id, t->slug,
              email != NULL);
    *email_out = email;
    return 0;
}

int selfservice_delete(const struct tenant *t, const struct selfservice_who *who,
                       const char *request_id, struct cog_result *r)
{
    if (!who->access_token)
        return no_token(r);
    struct cog_client c;
    svc_client(t, &c);
    struct cog_params cp = {.access_token = who->access_token};
    if (cog_run(&c, COG_DELETE_USER, &cp, r) < 0)
        return -1;
    cog_result_free(r);
    /* Every sign-in ends: sessions, API sign-ins, bearer tokens. Cognito's
     * own global sign-out fails for a deleted user (logged); its tokens
     * died with the user anyway. */
    session_end_user(t, who->sub, NULL, request_id);
    if (users_mark_deleted(t->slug, who->sub, time(NULL)) != STORE_OK)
        log_event(LOG_WARN, "deleted_user_not_marked", "id=%s tenant=%s", request_id, t->slug);
    event(t, who, "account_deleted", NULL, request_id);
    log_event(LOG_INFO, "account_deleted", "id=%s tenant=%s", request_id, t->slug);
    return 0;
}

void selfservice_renew(const struct tenant *t, struct sess_session *s, struct arena *a,
                       const char *request_id)
{
    /* session_fresh refreshes a token that is due: make it due. */
    s->access_expires_at = 0;
    if (session_fresh(t, s, NULL, a, request_id) != SESSION_OK)
        log_event(LOG_WARN, "session_not_renewed", "id=%s tenant=%s", request_id, t->slug);
}
