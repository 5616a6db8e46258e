/* SPDX-License-Identifier: MIT */
/* tenantcmd: tenant administration from the command line (see tenantcmd.h).
 *
 *   tenant create --slug S --name N --admin-email E [--secret]
 *                 [--admin-temp-password P | --admin-no-email]
 *                                       (the first admin's temporary password
 *                                        given, or made and printed once, and
 *                                        no email sent: for a pool that cannot
 *                                        send email yet, or a local emulator)
 *   tenant list
 *   tenant delete --slug S [--yes]      (asks to type the slug otherwise)
 *   tenant set --slug S [--name N] [--color #rrggbb] [--logo URL]
 *              [--terms-url URL] [--privacy-url URL]
 *                       [--enumeration hide|reveal] [--mfa off|optional|required]
 *                                       (whether sign-up and confirmation may
 *                                        tell that an email has an account;
 *                                        see svc/registration.h)
 *   tenant refresh --slug S             (reads the pool's password policy
 *                                        again, after a change in Cognito)
 *
 * Running `create` again after a failure resumes where it stopped. The
 * command holds its own libpq connection and curl handle, like a worker
 * thread, and releases them before exiting. */
#include "server/tenantcmd.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "aws/awshttp.h"
#include "core/config.h"
#include "core/hex.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/seal.h"
#include "store/pg.h"
#include "store/tenants.h"
#include "svc/contrast.h"
#include "svc/provision.h"

#define CONFIRM_MAX 128

struct options {
    const char *slug, *name, *admin_email, *color, *logo, *enumeration, *admin_password, *mfa;
    const char *terms_url, *privacy_url;
    bool secret, yes, no_email;
};

static int usage(void)
{
    fprintf(stderr,
            "usage: gatehouse tenant create --slug S --name N --admin-email E [--secret]\n"
            "                               [--admin-temp-password P | --admin-no-email]\n"
            "       gatehouse tenant list\n"
            "       gatehouse tenant delete --slug S [--yes]\n"
            "       gatehouse tenant set --slug S [--name N] [--color #rrggbb] [--logo URL]\n"
            "                            [--terms-url URL] [--privacy-url URL]\n"
            "                            [--enumeration hide|reveal]\n"
            "                            [--mfa off|optional|required]\n"
            "       gatehouse tenant refresh --slug S\n");
    return 2;
}

static int parse(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        const char **slot = !strcmp(a, "--slug") ? &o->slug
                          : !strcmp(a, "--name") ? &o->name
                          : !strcmp(a, "--admin-email") ? &o->admin_email
                          : !strcmp(a, "--color") ? &o->color
                          : !strcmp(a, "--logo") ? &o->logo
                          : !strcmp(a, "--terms-url") ? &o->terms_url
                          : !strcmp(a, "--privacy-url") ? &o->privacy_url
                          : !strcmp(a, "--enumeration") ? &o->enumeration
                          : !strcmp(a, "--mfa") ? &o->mfa
                          : !strcmp(a, "--admin-temp-password") ? &o->admin_password : NULL;
        if (slot && v) {
            *slot = v;
            i++;
        } else if (!strcmp(a, "--secret")) {
            o->secret = true;
        } else if (!strcmp(a, "--yes")) {
            o->yes = true;
        } else if (!strcmp(a, "--admin-no-email")) {
            o->no_email = true;
        } else {
            fprintf(stderr, "gatehouse: unexpected argument %s\n", a);
            return -1;
        }
    }
    return 0;
}

/* made_password makes a temporary password every pool's policy accepts:
 * 128 random bits in hex, with the four classes Cognito can ask for. */
static bool made_password(char out[TEMP_PASSWORD_LEN + 1])
{
    unsigned char raw[TEMP_PASSWORD_RANDOM_BYTES];
    char hex[2 * TEMP_PASSWORD_RANDOM_BYTES + 1];
    if (seal_random(raw, sizeof raw) != 0)
        return false;
    hex_encode(raw, sizeof raw, hex);
    snprintf(out, TEMP_PASSWORD_LEN + 1, "Gh-%s-Aa1!", hex);
    seal_wipe(raw, sizeof raw);
    seal_wipe(hex, sizeof hex);
    return true;
}

static int create(const struct config *cfg, const struct options *o)
{
    if (!o->slug || !o->name || !o->admin_email || (o->admin_password && o->no_email))
        return usage();
    char made[TEMP_PASSWORD_LEN + 1] = "";
    if (o->no_email && !made_password(made)) {
        fprintf(stderr, "gatehouse: no random bytes for a password\n");
        return 1;
    }
    bool admin_created = false;
    struct provision_request r = {o->slug, o->name, o->admin_email, o->secret,
                                  made[0] ? made : o->admin_password, &admin_created};
    struct tenant t;
    char err[512];
    enum provision_result res = provision_tenant(cfg, &r, stdout, &t, err, sizeof(err));
    int rc = 0;
    if (res != PROVISION_OK) {
        /* A later step failed, but the admin has this password now: a
         * re-run will not show it again. */
        if (admin_created && made[0])
            printf("  first admin: %s, temporary password (shown once): %s\n", o->admin_email,
                   made);
        fprintf(stderr, "gatehouse: tenant %s: %s%s\n", o->slug, err,
                res == PROVISION_FAILED ? " (run the same command again to resume)" : "");
        rc = 1;
        goto out;
    }
    printf("tenant %s is ready: pool %s, client %s\n"
           "  pages: https://%s.<BASE_DOMAIN>/ or /t/%s/ on this site\n",
           t.slug, t.user_pool_id, t.client_id, t.slug, t.slug);
    if (!r.admin_password)
        printf("  first admin: %s (Cognito emails a temporary password)\n", o->admin_email);
    else if (!admin_created)
        printf("  first admin: %s (made by an earlier run; their password is unchanged)\n",
               o->admin_email);
    else if (made[0])
        printf("  first admin: %s, temporary password (shown once): %s\n", o->admin_email, made);
    else
        printf("  first admin: %s, with the temporary password given\n", o->admin_email);
out:
    seal_wipe(made, sizeof made);
    return rc;
}

static int delete(const struct config *cfg, const struct options *o)
{
    if (!o->slug)
        return usage();
    if (!o->yes) {
        char typed[CONFIRM_MAX] = "";
        printf("This deletes tenant %s: its user pool and every user in it, its data and its "
               "sessions.\nType the slug to confirm: ", o->slug);
        fflush(stdout);
        if (!fgets(typed, sizeof(typed), stdin) || strcspn(typed, "\n") != strlen(o->slug) ||
            strncmp(typed, o->slug, strlen(o->slug))) {
            fprintf(stderr, "gatehouse: not confirmed; nothing deleted\n");
            return 1;
        }
    }
    char err[512];
    if (provision_delete(cfg, o->slug, stdout, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: tenant %s: %s\n", o->slug, err);
        return 1;
    }
    return 0;
}

/* logo_ok (a logo, the terms and privacy links): an https:// URL, or a path on this site — one '/'
 * and no second: a browser reads "//host/x" and "/\host/x" as another
 * site. No white space, control character, quote or backslash anywhere. */
static bool logo_ok(const char *logo)
{
    if (!logo[0])
        return true; /* "" clears it */
    for (const char *p = logo; *p; p++)
        if (iscntrl((unsigned char)*p) || isspace((unsigned char)*p) || strchr("\"'\\<>", *p))
            return false;
    if (!strncmp(logo, "https://", strlen("https://")))
        return logo[strlen("https://")] != '\0' && logo[strlen("https://")] != '/';
    return logo[0] == '/' && logo[1] != '/';
}

/* color_ok refuses a colour that white text (its buttons) or the light
 * background (its links) would not read against at CONTRAST_MIN, saying
 * the ratio; in the dark scheme links use a tint of it that does
 * (pages/brand.c), said too. */
static bool color_ok(const char *color)
{
    double light, dark;
    char tint[CONTRAST_HEX_SIZE];
    if (!color[0])
        return true; /* "" clears it */
    if (!contrast_ratio(color, CONTRAST_LIGHT_BG, &light) ||
        !contrast_dark_tint(color, tint, &dark))
        return false;
    if (light < CONTRAST_MIN) {
        fprintf(stderr,
                "gatehouse: --color %s has a contrast ratio of %.2f:1 with white (its buttons' "
                "text and the light background of its links); at least %.1f:1 is needed "
                "(WCAG AA). Choose a darker colour.\n",
                color, light, CONTRAST_MIN);
        return false;
    }
    printf("colour %s: %.2f:1 with white; dark scheme links use %s (%.2f:1 on %s)\n", color,
           light, tint, dark, CONTRAST_DARK_BG);
    return true;
}

static int refresh(const struct config *cfg, const struct options *o)
{
    char err[512];
    if (!o->slug)
        return usage();
    if (provision_refresh(cfg, o->slug, stdout, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: tenant %s: %s\n", o->slug, err);
        return 1;
    }
    return 0;
}

static int set(const struct config *cfg, const struct options *o)
{
    char err[512];
    if (!o->slug || (!o->name && !o->color && !o->logo && !o->enumeration && !o->mfa &&
                     !o->terms_url && !o->privacy_url))
        return usage();
    if (o->mfa && strcmp(o->mfa, TENANT_MFA_OFF) && strcmp(o->mfa, TENANT_MFA_OPTIONAL) &&
        strcmp(o->mfa, TENANT_MFA_REQUIRED)) {
        fprintf(stderr, "gatehouse: --mfa takes off, optional or required\n");
        return 2;
    }
    if (o->enumeration && strcmp(o->enumeration, TENANT_ENUMERATION_HIDE) &&
        strcmp(o->enumeration, TENANT_ENUMERATION_REVEAL)) {
        fprintf(stderr, "gatehouse: --enumeration takes hide or reveal\n");
        return 2;
    }
    if (o->color && o->color[0] &&
        (strlen(o->color) != 7 || o->color[0] != '#' || strspn(o->color + 1, "0123456789abcdefABCDEF") != 6)) {
        fprintf(stderr, "gatehouse: --color takes #rrggbb (or \"\" to clear)\n");
        return 2;
    }
    if (o->logo && !logo_ok(o->logo)) {
        fprintf(stderr, "gatehouse: --logo takes an https:// URL or a path on this site "
                        "(one leading /, as in /brand/logo.svg), or \"\" to clear\n");
        return 2;
    }
    if ((o->terms_url && !logo_ok(o->terms_url)) || (o->privacy_url && !logo_ok(o->privacy_url))) {
        fprintf(stderr, "gatehouse: --terms-url and --privacy-url take an https:// URL or a path "
                        "on this site (one leading /, as in /legal/terms), or \"\" to clear\n");
        return 2;
    }
    if (o->color && !color_ok(o->color))
        return 2;
    enum store_result rc = STORE_OK;
    if (o->name || o->color || o->logo)
        rc = tenants_set_branding(o->slug, o->name, o->color, o->logo);
    if (rc == STORE_OK && (o->terms_url || o->privacy_url))
        rc = tenants_set_links(o->slug, o->terms_url, o->privacy_url);
    if (rc == STORE_OK && o->enumeration)
        rc = tenants_set_enumeration(o->slug, o->enumeration);
    if (rc == STORE_OK && o->mfa && provision_set_mfa(cfg, o->slug, o->mfa, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: tenant %s: %s\n", o->slug, err);
        return 1;
    }
    switch (rc) {
    case STORE_OK:
        printf("tenant %s updated\n", o->slug);
        return 0;
    case STORE_NOT_FOUND:
        fprintf(stderr, "gatehouse: no tenant %s\n", o->slug);
        return 1;
    default:
        fprintf(stderr, "gatehouse: the change was refused (PostgreSQL unavailable or a bad value)\n");
        return 1;
    }
}

int tenantcmd_run(int argc, char **argv, const char *env_file)
{
    struct config cfg;
    struct options o;
    char err[512];
    if (argc < 1 || parse(argc - 1, argv + 1, &o) < 0)
        return usage();
    if (config_load(&cfg, env_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        return 1;
    }
    int rc = 1;
    if (!cfg.database_url || !pg_init_worker(cfg.database_url, cfg.database_prepared, err, sizeof(err)) ||
        awshttp_global_init() < 0) {
        fprintf(stderr, "gatehouse: cannot reach PostgreSQL or libcurl: check DATABASE_URL\n");
        goto out;
    }
    tenants_init_worker(&cfg);
    log_set_level(LOG_WARN); /* the steps are reported on stdout */
    if (!strcmp(argv[0], "create"))
        rc = create(&cfg, &o);
    else if (!strcmp(argv[0], "delete"))
        rc = delete(&cfg, &o);
    else if (!strcmp(argv[0], "set"))
        rc = set(&cfg, &o);
    else if (!strcmp(argv[0], "refresh"))
        rc = refresh(&cfg, &o);
    else if (!strcmp(argv[0], "list"))
        rc = tenants_list(stdout) == STORE_OK ? 0 : 1;
    else
        rc = usage();
    awshttp_thread_cleanup();
    pg_cleanup_worker();
out:
    config_free(&cfg);
    return rc;
}
