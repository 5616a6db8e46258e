/* SPDX-License-Identifier: MIT */
/* test_cogerr: the Cognito error catalogue.
 *
 * 1. Every entry and every override: index, code format and uniqueness,
 *    status among the ones the design allows, field, message.
 * 2. "__type" parsing: bare, with a "namespace#" prefix, with a ":detail"
 *    suffix, and the unknown-type fallback.
 * 3. The design's rules: statuses of the main cases, and the contexts that
 *    must not reveal whether an email has an account. */
#include "test.h"

#include "aws/cogerr.c"

#include <ctype.h>
#include <stdio.h>

#define NAME_MAX_LEN 160

static const int allowed_status[] = {400, 401, 403, 404, 409, 429, 500, 502, 503};
static const char *const allowed_field[] = {"email", "password", "current_password", "code"};

static bool snake_case(const char *s)
{
    if (!s || !islower((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++) {
        bool ok = islower((unsigned char)*p) || (*p == '_' && p[1] && p[1] != '_');
        if (!ok)
            return false;
    }
    return true;
}

static bool status_allowed(int status)
{
    for (size_t i = 0; i < sizeof(allowed_status) / sizeof(*allowed_status); i++)
        if (allowed_status[i] == status)
            return true;
    return false;
}

static bool field_allowed(const char *field)
{
    if (!field)
        return true;
    for (size_t i = 0; i < sizeof(allowed_field) / sizeof(*allowed_field); i++)
        if (!strcmp(allowed_field[i], field))
            return true;
    return false;
}

/* message_ok: a sentence for a person, not Cognito's text. */
static bool message_ok(const char *m)
{
    size_t len = m ? strlen(m) : 0;
    return len > 10 && isupper((unsigned char)m[0]) && m[len - 1] == '.' &&
           !strstr(m, "Exception") && !strstr(m, "Cognito");
}

/* check_info runs the per-entry checks, each named after the entry. */
static void check_info(const char *where, const struct cogerr_info *info)
{
    char name[NAME_MAX_LEN];
#define NAMED(what) (snprintf(name, sizeof(name), "%s %s: %s", where, info->code, what), name)
    test_cond(NAMED("code is snake_case"), snake_case(info->code));
    if (info->conceal)
        test_cond(NAMED("concealed entry answers 200"), info->status == 200);
    else
        test_cond(NAMED("status is one the design allows"), status_allowed(info->status));
    test_cond(NAMED("field is a form field or none"), field_allowed(info->field));
    test_cond(NAMED("message is a sentence of our own"), message_ok(info->message));
    if (info->type) {
        size_t n = strlen(info->type);
        test_cond(NAMED("type names an exception"),
                  n > 9 && !strcmp(info->type + n - 9, "Exception"));
    }
#undef NAMED
}

static void test_entries(void)
{
    for (int e = COGERR_NONE + 1; e < COGERR_COUNT; e++) {
        const struct cogerr_info *info = &entries[e];
        test_cond("entry exists (no hole in the table)", info->code != NULL);
        if (!info->code)
            continue;
        test_cond(info->code, info->err == (enum cogerr)e);
        check_info("entry", info);
        for (int f = e + 1; f < COGERR_COUNT; f++)
            if (entries[f].code && !strcmp(entries[f].code, info->code))
                test_cond("entry codes are unique", false);
        bool own = e == COGERR_UNAVAILABLE || e == COGERR_UNKNOWN;
        test_cond("only gatehouse's own entries have no type", own == (info->type == NULL));
    }
    test_cond("no entry for COGERR_NONE", entries[COGERR_NONE].code == NULL);
}

static void test_overrides(void)
{
    for (size_t i = 0; i < OVERRIDES_COUNT; i++) {
        const struct override *o = &overrides[i];
        check_info("override", &o->info);
        test_cond("override names a real context",
                  o->ctx > COGERR_CTX_GENERIC && o->ctx < COGERR_CTX_COUNT);
        test_cond("override names a real type",
                  o->info.err > COGERR_NONE && o->info.err < COGERR_COUNT);
        test_cond("override keeps its type's name",
                  o->info.type && !strcmp(o->info.type, entries[o->info.err].type));
        test_cond("only code-sending conceals", !o->info.conceal || o->ctx == COGERR_CTX_SEND_CODE);
        test_cond("cogerr_get finds the override", cogerr_get(o->info.err, o->ctx) == &o->info);
        for (size_t j = i + 1; j < OVERRIDES_COUNT; j++)
            test_cond("one override per (context, type)",
                      overrides[j].ctx != o->ctx || overrides[j].info.err != o->info.err);
    }
}

static void test_get(void)
{
    for (int ctx = 0; ctx < COGERR_CTX_COUNT; ctx++) {
        test_cond("COGERR_NONE has no entry", cogerr_get(COGERR_NONE, ctx) == NULL);
        for (int e = COGERR_NONE + 1; e < COGERR_COUNT; e++) {
            const struct cogerr_info *info = cogerr_get((enum cogerr)e, (enum cogerr_ctx)ctx);
            test_cond("every (context, type) has an entry of that type",
                      info && info->err == (enum cogerr)e);
        }
    }
    test_cond("out of range: unknown", cogerr_get(COGERR_COUNT, COGERR_CTX_GENERIC) ==
                                           &entries[COGERR_UNKNOWN]);
    test_cond("negative: unknown",
              cogerr_get((enum cogerr)-1, COGERR_CTX_GENERIC) == &entries[COGERR_UNKNOWN]);
    test_cond("no override: the entry itself",
              cogerr_get(COGERR_CODE_MISMATCH, COGERR_CTX_LOGIN) == &entries[COGERR_CODE_MISMATCH]);
}

static void test_parse(void)
{
    char buf[NAME_MAX_LEN];
    for (int e = COGERR_NONE + 1; e < COGERR_COUNT; e++) {
        const char *type = entries[e].type;
        /* A disabled user shares NotAuthorized's type: the classifier tells
         * it by the message (aws/cognito.c). */
        if (!type || e == COGERR_USER_DISABLED)
            continue;
        test_cond("bare type", cogerr_from_type(type) == (enum cogerr)e);
        snprintf(buf, sizeof(buf), "com.amazonaws.cognito.identity.idp.model#%s", type);
        test_cond("type with namespace prefix", cogerr_from_type(buf) == (enum cogerr)e);
        snprintf(buf, sizeof(buf), "%s:http://internal.amazon.com/coral/com.amazon.coral/", type);
        test_cond("type with detail suffix", cogerr_from_type(buf) == (enum cogerr)e);
        snprintf(buf, sizeof(buf), "aws#%s:x", type);
        test_cond("type with both", cogerr_from_type(buf) == (enum cogerr)e);
    }
    static const char *const unknown[] = {
        "",
        "#",
        "FancyNewException",
        "CognitoLocal#Unsupported",
        "UsernameExists",
        "UsernameExistsExceptionX",
        "usernameexistsexception",
        "UsernameExistsException#",
        " UsernameExistsException",
        "a#b#UsernameExistsExceptionAndThenSomeVeryLongTailThatGoesOnAndOnForeverAndEver",
    };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(*unknown); i++)
        test_cond(unknown[i], cogerr_from_type(unknown[i]) == COGERR_UNKNOWN);
    test_cond("NULL type: unknown", cogerr_from_type(NULL) == COGERR_UNKNOWN);
    test_cond("last '#' wins",
              cogerr_from_type("a.b#c.d#ExpiredCodeException") == COGERR_EXPIRED_CODE);

    char small[8];
    test_cond("base type strips prefix and detail",
              !strcmp(cogerr_base_type("ns#CodeMismatchException:d", buf, sizeof(buf)),
                      "CodeMismatchException"));
    test_cond("base type truncates",
              !strcmp(cogerr_base_type("ns#CodeMismatchException", small, sizeof(small)),
                      "CodeMis"));
    test_cond("base type of NULL is empty", !strcmp(cogerr_base_type(NULL, buf, sizeof(buf)), ""));
    test_cond("base type of a bare name", !strcmp(cogerr_base_type("X", buf, sizeof(buf)), "X"));
}

static bool same_words(const struct cogerr_info *a, const struct cogerr_info *b)
{
    return a && b && !strcmp(a->code, b->code) && a->status == b->status &&
           a->field == b->field && !strcmp(a->message, b->message) && a->conceal == b->conceal;
}

static void test_design_rules(void)
{
    const enum cogerr_ctx G = COGERR_CTX_GENERIC;
    test_cond("duplicate: 409", cogerr_get(COGERR_USERNAME_EXISTS, G)->status == 409);
    test_cond("duplicate concerns the email",
              !strcmp(cogerr_get(COGERR_USERNAME_EXISTS, G)->field, "email"));
    test_cond("bad credentials: 401", cogerr_get(COGERR_NOT_AUTHORIZED, G)->status == 401);
    test_cond("unconfirmed: 403", cogerr_get(COGERR_USER_NOT_CONFIRMED, G)->status == 403);
    test_cond("throttled: 429", cogerr_get(COGERR_TOO_MANY_REQUESTS, G)->status == 429);
    test_cond("throttling: 429", cogerr_get(COGERR_THROTTLING, G)->status == 429);
    test_cond("limit: 429", cogerr_get(COGERR_LIMIT_EXCEEDED, G)->status == 429);
    test_cond("Cognito down: 503", cogerr_get(COGERR_INTERNAL_ERROR, G)->status == 503);
    test_cond("timeout: 503", cogerr_get(COGERR_UNAVAILABLE, G)->status == 503);
    int unknown = cogerr_get(COGERR_UNKNOWN, G)->status;
    test_cond("unknown: 502 or 500", unknown == 502 || unknown == 500);
    test_cond("wrong code concerns the code field",
              !strcmp(cogerr_get(COGERR_CODE_MISMATCH, G)->field, "code"));
    test_cond("weak password concerns the password field",
              !strcmp(cogerr_get(COGERR_INVALID_PASSWORD, G)->field, "password"));
    test_cond("stable codes", !strcmp(cogerr_get(COGERR_CODE_MISMATCH, G)->code, "code_mismatch") &&
                                  !strcmp(cogerr_get(COGERR_USERNAME_EXISTS, G)->code,
                                          "username_exists"));

    /* Login: an unknown email reads exactly as a wrong password. */
    const struct cogerr_info *nf = cogerr_get(COGERR_USER_NOT_FOUND, COGERR_CTX_LOGIN);
    const struct cogerr_info *na = cogerr_get(COGERR_NOT_AUTHORIZED, COGERR_CTX_LOGIN);
    test_cond("login: unknown user == wrong password", same_words(nf, na));
    test_cond("login: the agreed wording", !strcmp(na->message, "Incorrect email or password."));
    /* Sending a code: unknown and already-confirmed emails look sent. */
    test_cond("send code: unknown user concealed",
              cogerr_get(COGERR_USER_NOT_FOUND, COGERR_CTX_SEND_CODE)->conceal);
    test_cond("send code: invalid parameter concealed",
              cogerr_get(COGERR_INVALID_PARAMETER, COGERR_CTX_SEND_CODE)->conceal);
    test_cond("send code: throttling not concealed",
              !cogerr_get(COGERR_TOO_MANY_REQUESTS, COGERR_CTX_SEND_CODE)->conceal);
    /* Using a code: an unknown email reads as a wrong code. */
    test_cond("use code: unknown user == wrong code",
              same_words(cogerr_get(COGERR_USER_NOT_FOUND, COGERR_CTX_USE_CODE),
                         cogerr_get(COGERR_CODE_MISMATCH, COGERR_CTX_USE_CODE)));
    /* No context other than admin says "user_not_found". */
    for (int ctx = 0; ctx < COGERR_CTX_COUNT; ctx++) {
        const struct cogerr_info *i = cogerr_get(COGERR_USER_NOT_FOUND, (enum cogerr_ctx)ctx);
        bool may_tell = ctx == COGERR_CTX_ADMIN || ctx == COGERR_CTX_GENERIC;
        if (!may_tell)
            test_cond("user-facing contexts never say user_not_found",
                      strcmp(i->code, "user_not_found") != 0);
    }
    test_cond("session: refused token asks to log in again",
              cogerr_get(COGERR_NOT_AUTHORIZED, COGERR_CTX_SESSION)->status == 401 &&
                  !strcmp(cogerr_get(COGERR_NOT_AUTHORIZED, COGERR_CTX_SESSION)->code,
                          "session_expired"));
    test_cond("session: a malformed token also ends the session",
              !strcmp(cogerr_get(COGERR_INVALID_PARAMETER, COGERR_CTX_SESSION)->code,
                      "session_expired"));
    test_cond("change password: wrong current password is a field error",
              !strcmp(cogerr_get(COGERR_NOT_AUTHORIZED, COGERR_CTX_CHANGE_PASSWORD)->field,
                      "current_password"));
}

int main(void)
{
    test_entries();
    test_overrides();
    test_get();
    test_parse();
    test_design_rules();
    return test_report();
}
