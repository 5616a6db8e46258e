/* SPDX-License-Identifier: MIT */
/* test_domain_rules: the rules of svc/ that need no service — the tiers
 * and their order, what people may type, and the admin group decided from
 * a user's groups. */
#include <string.h>

#include "core/config.h"
#include "core/limits.h"
#include "store/tenants.h"
#include "svc/input.h"
#include "svc/svc.h"
#include "svc/tier.h"
#include "test.h"

static void test_tiers(void)
{
    test_cond("tiers: the two known", tier_known(TIER_STANDARD) && tier_known(TIER_PREMIUM));
    test_cond("tiers: anything else is unknown",
              !tier_known(NULL) && !tier_known("") && !tier_known("Premium") &&
                  !tier_known("premium ") && !tier_known("gold"));
    test_cond("tiers: a foreign claim reads as standard",
              !strcmp(tier_or_standard("gold"), TIER_STANDARD) &&
                  !strcmp(tier_or_standard(NULL), TIER_STANDARD) &&
                  !strcmp(tier_or_standard(TIER_PREMIUM), TIER_PREMIUM));
    test_cond("tiers: premium includes standard",
              tier_allows(TIER_PREMIUM, TIER_STANDARD) && tier_allows(TIER_PREMIUM, TIER_PREMIUM));
    test_cond("tiers: standard (or none) is not premium",
              !tier_allows(TIER_STANDARD, TIER_PREMIUM) && !tier_allows(NULL, TIER_PREMIUM) &&
                  tier_allows(NULL, TIER_STANDARD));
    test_cond("tiers: an unknown tier grants nothing and is granted to no one",
              !tier_allows("gold", TIER_PREMIUM) && !tier_allows(TIER_PREMIUM, "gold"));
}

static void test_input(void)
{
    char long_email[INPUT_EMAIL_MAX + 2];
    memset(long_email, 'a', sizeof long_email);
    memcpy(long_email + sizeof long_email - 13, "@example.com", 13);
    test_cond("email: a plain address", !input_check_email("ada@example.com"));
    test_cond("email: missing or malformed",
              input_check_email(NULL) && input_check_email("") && input_check_email("ada") &&
                  input_check_email("@example.com") && input_check_email("ada@example") &&
                  input_check_email("ada@.example.com") && input_check_email("a@b@c.com") &&
                  input_check_email("ada@example.com.") && input_check_email("a da@example.com") &&
                  input_check_email("ada\t@example.com"));
    test_cond("email: over INPUT_EMAIL_MAX bytes", input_check_email(long_email) != NULL);
    test_cond("email: invisible, bidi and control characters refused",
              input_check_email("a\xe2\x80\xa8@b.co") && input_check_email("a\xe2\x80\xae@b.co") &&
                  input_check_email("a\xe2\x80\x8b@b.co") && input_check_email("a\xc2\x85@b.co") &&
                  input_check_email("a\xff@b.co"));
    test_cond("email: an international address is fine", !input_check_email("zo\xc3\xab@example.com"));
    /* The policy of the tenant's pool decides (here Cognito's default:
     * 8 characters and every class); Cognito's classes are ASCII. */
    struct tenant_password_policy every = {.known = true, .min_length = 8, .upper = true,
                                           .lower = true, .digit = true, .symbol = true};
    struct tenant_password_policy long_only = {.known = true, .min_length = 14};
    struct tenant_password_policy unknown = {0};
    char m[INPUT_PASSWORD_RULE_MAX];
#define PW(pw, p) input_check_password((pw), &(p), m, sizeof(m))
    test_cond("password: every class", !PW("Correct-Horse9", every));
    test_cond("password: a class missing or too short",
              PW("correct-horse9", every) && PW("CORRECT-HORSE9", every) &&
                  PW("Correct-Horse", every) && PW("CorrectHorse9", every) && PW("Ab1-", every) &&
                  PW(NULL, every));
    test_cond("password: no space at either end",
              PW(" Correct-Horse9", every) && PW("Correct-Horse9 ", every));
    test_cond("password: an inner space is a symbol, a non-ASCII letter is not",
              !PW("Correct Horse9", every) && PW("Correct\xc3\xa9Horse9", every));
    test_cond("password: the length is counted in characters",
              PW("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "aaaaaa", long_only) &&
                  !PW("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "aaaaaaa", long_only));
    test_cond("password: a policy without classes wants only its length",
              !PW("correcthorsebattery", long_only) && PW("Correct-Hors9", long_only));
    test_cond("password: an unknown policy refuses only what every pool does",
              !PW("abcdef", unknown) && PW("abcde", unknown) && PW(" abcdefgh", unknown));
    test_cond("password: the refusal names only the broken rules",
              !strcmp(PW("short", long_only), "Your password needs at least 14 characters.") &&
                  !strcmp(PW("correct-horse", every),
                          "Your password needs an uppercase letter and a number.") &&
                  !strcmp(PW("Correct-Horse", every), "Your password needs a number."));
#undef PW
    test_cond("code: six digits only",
              !input_check_code("123456") && input_check_code("12345") &&
                  input_check_code("1234567") && input_check_code("12345a") &&
                  input_check_code(NULL));
    test_cond("text: optional empty, required empty",
              !input_check_text("", 10, false) && input_check_text("", 10, true) &&
                  input_check_text(NULL, 10, true));
    test_cond("text: too long or control characters",
              input_check_text("abcdefghijk", 10, false) && input_check_text("a\x01" "b", 10, false) &&
                  !input_check_text("Zoë", 10, true));
    char help[INPUT_PASSWORD_RULE_MAX];
    test_cond("password help names the rule",
              !strcmp(input_password_help(&every, help, sizeof(help)),
                      "At least 8 characters, with an uppercase letter, a lowercase letter, a "
                      "number and a symbol such as ! - # or a space.") &&
                  !strcmp(input_password_help(&long_only, help, sizeof(help)),
                          "At least 14 characters."));
}

static void test_admin_group(void)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.admin_group = "admin";
    svc_init_worker(&cfg);
    const char *admins[] = {"staff", "admin"}, *others[] = {"administrators", "Admin", "admin "};
    test_cond("admin: the group among others", svc_is_admin(admins, 2));
    test_cond("admin: only the exact name", !svc_is_admin(others, 3));
    test_cond("admin: no groups", !svc_is_admin(NULL, 0));
    const char *comma[] = {"a,b"};
    cfg.admin_group = "a";
    test_cond("admin: a name is never split on commas", !svc_is_admin(comma, 1));
    cfg.admin_group = "admin";
    cfg.admin_group = "operators";
    test_cond("admin: the configured group, not the word admin",
              !svc_is_admin(admins, 2) && svc_is_admin((const char *[]){"operators"}, 1));
}

int main(void)
{
    test_tiers();
    test_input();
    test_admin_group();
    return test_report();
}
