/* SPDX-License-Identifier: MIT */
/* input: checks of typed values (see input.h).
 *
 * The password rule mirrors the policy gatehouse gives every pool (see
 * svc/provision.c), so a password refused by Cognito is refused here first
 * with a sentence a person can act on. Nothing is allocated. */
#include "svc/input.h"

#include <ctype.h>
#include <string.h>

#include "core/limits.h"
#include "core/utf8.h"

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

const char *input_password_help(void)
{
    return "At least 8 characters, with an uppercase letter, a lowercase letter, "
           "a number and a symbol.";
}

const char *input_check_password(const char *pw)
{
    if (!pw || !*pw)
        return "Enter a password.";
    size_t len = strlen(pw);
    bool upper = false, lower = false, digit = false, symbol = false;
    for (const unsigned char *p = (const unsigned char *)pw; *p; p++) {
        upper |= isupper(*p) != 0;
        lower |= islower(*p) != 0;
        digit |= isdigit(*p) != 0;
        symbol |= (ispunct(*p) || *p == ' ' || *p >= 0x80);
    }
    if (len < INPUT_PASSWORD_MIN || len > INPUT_PASSWORD_MAX || !upper || !lower || !digit ||
        !symbol || isspace((unsigned char)pw[0]) || isspace((unsigned char)pw[len - 1]))
        return "Choose a stronger password: at least 8 characters, with an uppercase "
               "letter, a lowercase letter, a number and a symbol, and no space at "
               "either end.";
    return NULL;
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
