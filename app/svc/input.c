/* SPDX-License-Identifier: MIT */
/* input: checks of typed values (see input.h).
 *
 * A password is checked against the policy of the tenant's own pool (read
 * from Cognito, svc/pwpolicy.c), so that a password Cognito would refuse is
 * refused here first with a sentence a person can act on, and one it would
 * accept is not refused here. The classes are Cognito's. Nothing is
 * allocated. */
#include "svc/input.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/utf8.h"
#include "store/tenants.h"

const char *input_check_email(const char *email)
{
    if (!email || !*email)
        return "Enter your email address.";
    size_t len = strlen(email);
    const char *at = strchr(email, '@');
    if (len > INPUT_EMAIL_MAX || !at || at == email || strchr(at + 1, '@') ||
        !strchr(at + 1, '.') || at[1] == '.' || email[len - 1] == '.')
        return "Enter a valid email address, like name@example.com.";
    for (const char *p = email; *p; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
            return "Enter a valid email address, like name@example.com.";
    /* Control, invisible and bidirectional characters make an address
     * look like another one; none belongs in an address people type. */
    if (!utf8_valid(email, len) || utf8_has_control(email, len) || utf8_has_invisible(email, len))
        return "Enter a valid email address, like name@example.com.";
    return NULL;
}

/* Cognito's classes: Basic Latin letters and digits, and its symbols. A
 * space counts as a symbol too, where it may be (not at either end);
 * nothing outside ASCII counts for any class. */
static const char symbols[] = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/* rules writes "at least N characters[, with an uppercase letter, ... and a
 * symbol]" for p into buf at *used. */
static void rules(const struct tenant_password_policy *p, char *buf, size_t len, size_t *used)
{
    const char *need[4];
    int n = 0;
    if (p->upper)
        need[n++] = "an uppercase letter";
    if (p->lower)
        need[n++] = "a lowercase letter";
    if (p->digit)
        need[n++] = "a number";
    if (p->symbol)
        need[n++] = "a symbol such as ! - # or a space";
    int w = snprintf(buf + *used, len - *used, "at least %d characters", p->min_length);
    *used += w > 0 && (size_t)w < len - *used ? (size_t)w : 0;
    for (int i = 0; i < n; i++) {
        w = snprintf(buf + *used, len - *used, "%s%s", i == 0 ? ", with " : i == n - 1 ? " and " : ", ",
                     need[i]);
        *used += w > 0 && (size_t)w < len - *used ? (size_t)w : 0;
    }
}

const char *input_password_help(const struct tenant_password_policy *p, char *buf, size_t len)
{
    size_t used = 0;
    if (!len)
        return buf;
    buf[0] = '\0';
    if (!p || !p->known) {
        snprintf(buf, len, "Use a long password that you use nowhere else.");
        return buf;
    }
    rules(p, buf, len, &used);
    if (used)
        buf[0] = 'A';
    snprintf(buf + used, len - used, ".");
    return buf;
}

const char *input_password_refusal(const struct tenant_password_policy *p, char *buf,
                                   size_t len)
{
    size_t used = 0;
    if (!len)
        return buf;
    if (!p || !p->known) {
        snprintf(buf, len, "This password is not accepted here. Choose a longer one, mixing "
                           "upper- and lower-case letters, numbers and symbols.");
        return buf;
    }
    int w = snprintf(buf, len, "Choose a stronger password: ");
    used = w > 0 && (size_t)w < len ? (size_t)w : 0;
    rules(p, buf, len, &used);
    snprintf(buf + used, len - used, ", and no space at either end.");
    return buf;
}

/* characters counts the code points of valid UTF-8, as Cognito counts a
 * password's length. */
static size_t characters(const char *s)
{
    size_t n = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        n += (*c & 0xC0) != 0x80;
    return n;
}

/* missing writes "Your password needs " and the rules pw breaks, joined,
 * into msg: only those, so that a person sees what to change rather than
 * the whole policy again. */
static const char *missing(const char *need[], int n, char *msg, size_t msglen)
{
    size_t used = 0;
    int w = snprintf(msg, msglen, "Your password needs ");
    used = w > 0 && (size_t)w < msglen ? (size_t)w : 0;
    for (int i = 0; i < n; i++) {
        w = snprintf(msg + used, msglen - used, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ",
                     need[i]);
        used += w > 0 && (size_t)w < msglen - used ? (size_t)w : 0;
    }
    snprintf(msg + used, msglen - used, ".");
    return msg;
}

const char *input_check_password(const char *pw, const struct tenant_password_policy *p,
                                 char *msg, size_t msglen)
{
    if (!pw || !*pw)
        return "Enter a password.";
    size_t len = strlen(pw);
    bool upper = false, lower = false, digit = false, symbol = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pw[i];
        upper |= c >= 'A' && c <= 'Z';
        lower |= c >= 'a' && c <= 'z';
        digit |= c >= '0' && c <= '9';
        symbol |= c != '\0' && strchr(symbols, c) != NULL;
    }
    /* What every pool refuses, known policy or not. */
    if (len > INPUT_PASSWORD_MAX || !utf8_valid(pw, len) || utf8_has_control(pw, len))
        return "Your password is too long or has characters that cannot be typed.";
    if (isspace((unsigned char)pw[0]) || isspace((unsigned char)pw[len - 1]))
        return "Your password cannot start or end with a space.";
    bool known = p && p->known;
    size_t min = known ? (size_t)p->min_length : POOL_PASSWORD_LENGTH_LOW;
    const char *need[5];
    int n = 0;
    char length[48];
    if (characters(pw) < min) {
        snprintf(length, sizeof(length), "at least %zu characters", min);
        need[n++] = length;
    }
    if (known && p->upper && !upper)
        need[n++] = "an uppercase letter";
    if (known && p->lower && !lower)
        need[n++] = "a lowercase letter";
    if (known && p->digit && !digit)
        need[n++] = "a number";
    if (known && p->symbol && !symbol)
        need[n++] = "a symbol such as ! - # or a space";
    return n ? missing(need, n, msg, msglen) : NULL;
}

const char *input_check_text(const char *text, size_t max, bool required)
{
    if (!text || !*text)
        return required ? "This field is required." : NULL;
    size_t len = strlen(text);
    if (len > max)
        return "This is too long.";
    if (utf8_has_control(text, len))
        return "This contains characters that are not allowed.";
    return NULL;
}

const char *input_check_code(const char *code)
{
    if (!code || strlen(code) != INPUT_CODE_DIGITS)
        return "Enter the 6-digit code from the email.";
    for (const char *p = code; *p; p++)
        if (!isdigit((unsigned char)*p))
            return "Enter the 6-digit code from the email.";
    return NULL;
}
