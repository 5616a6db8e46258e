/* SPDX-License-Identifier: MIT */
/* main: the gatehouse command line.
 *
 *   gatehouse serve        [--env-file F]   run the worker pool (foreground)
 *   gatehouse migrate      [--env-file F]   apply SQL migrations
 *   gatehouse check-config [--env-file F]   explain every settings problem,
 *                                           app clients (every tenant's) included
 *   gatehouse error-pages DIR [--env-file F] render nginx's static error pages
 *
 * Each command is a small function returning the process exit status; this
 * is the only file that decides exit codes. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/awshttp.h"
#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "http/request.h"
#include "http/response.h"
#include "pages/render.h"
#include "server/master.h"
#include "server/tenantcmd.h"
#include "server/userscmd.h"
#include "store/migrate.h"
#include "store/pg.h"
#include "svc/provision.h"
#include "svc/tokens.h"
#include "tmpl/tmpl.h"

static int usage(FILE *out)
{
    fprintf(out,
            "usage: gatehouse <command> [--env-file FILE]\n"
            "  serve               run the FastCGI worker pool in the foreground\n"
            "  migrate             apply sql/core and sql/tenant migrations\n"
            "  check-config        check the settings, templates and app clients, explain problems\n"
            "  error-pages DIR     render static error pages for nginx into DIR\n"
            "  tenant create|list|delete|set|refresh ...   manage tenants (gatehouse tenant for help)\n");
    return out == stderr ? 2 : 0;
}

static int load_config(struct config *cfg, const char *env_file)
{
    char err[512];
    if (config_load(cfg, env_file, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: %s\n", err);
        return -1;
    }
    return 0;
}

static struct tmpl_set *load_templates(const struct config *cfg)
{
    char err[512];
    struct tmpl_set *set = tmpl_set_new();
    if (tmpl_set_load_dir(set, cfg->templates_dir, err, sizeof(err)) < 0 ||
        tmpl_set_link(set, true, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: template error: %s\n", err);
        tmpl_set_free(set);
        return NULL;
    }
    return set;
}

/* check_clients counts the app clients (the settings' and every tenant's)
 * that would let users write their own tier or tenant as problems; one that
 * cannot be read now (Cognito or PostgreSQL down) is a warning, as at
 * start-up. It fetches every tenant's JWKS as well and says what it found:
 * a JWKS that answers without keys is a problem, one that does not answer
 * a warning. */
static int check_clients(const struct config *cfg)
{
    struct provision_checks found;
    char err[512];
    if (awshttp_global_init() < 0) {
        fprintf(stderr, "gatehouse: cannot initialise libcurl to check the app clients\n");
        return 1;
    }
    log_set_level(LOG_WARN); /* findings are explained below, not logged per call */
    bool with_db = cfg->database_url && pg_init_worker(cfg->database_url, cfg->database_prepared, err, sizeof(err));
    if (cfg->database_url && !with_db)
        fprintf(stderr, "gatehouse: warning: could not check the tenants' app clients: %s\n", err);
    provision_check_clients(cfg, with_db, stderr, "gatehouse: ",
                            "gatehouse: warning: could not check the app client: ", &found);
    struct tokens_jwks_check jwks = {.info = stdout,
                                     .report = stderr,
                                     .prefix = "gatehouse: ",
                                     .problem = "gatehouse: ",
                                     .warning = "gatehouse: warning: "};
    tokens_check_jwks(cfg, with_db, &jwks);
    if (with_db)
        pg_cleanup_worker();
    awshttp_thread_cleanup();
    return found.unsafe + jwks.problems;
}

static int cmd_check_config(const char *env_file)
{
    struct config cfg;
    if (load_config(&cfg, env_file) < 0)
        return 1;
    int problems = config_check(&cfg, stderr);
    struct tmpl_set *set = load_templates(&cfg);
    if (!set)
        problems++;
    tmpl_set_free(set);
    problems += check_clients(&cfg);
    config_free(&cfg);
    if (problems) {
        fprintf(stderr, "gatehouse: %d problem%s found\n", problems, problems > 1 ? "s" : "");
        return 1;
    }
    printf("gatehouse: the settings, templates and app clients are usable\n");
    return 0;
}

static int cmd_migrate(const char *env_file)
{
    struct config cfg;
    char err[512];
    if (load_config(&cfg, env_file) < 0)
        return 1;
    int rc = 0;
    if (!cfg.database_url) {
        fprintf(stderr, "gatehouse: DATABASE_URL is not set\n");
        rc = 1;
    } else if (migrate_run(config_session_url(&cfg), cfg.sql_dir, stdout, err, sizeof(err)) < 0) {
        fprintf(stderr, "gatehouse: migration failed: %s\n", err);
        rc = 1;
    }
    config_free(&cfg);
    return rc;
}

static int write_file(const char *path, const struct buf *body)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    size_t n = fwrite(body->data, 1, body->len, fp);
    return (fclose(fp) == 0 && n == body->len) ? 0 : -1;
}

/* cmd_error_pages renders the statuses nginx may answer by itself (body too
 * large, rate limited, the pool down or slow) with the site's own error
 * template, so they look like every other page. */
static int cmd_error_pages(const char *dir, const char *env_file)
{
    static const int statuses[] = {413, 429, 500, 502, 503, 504};
    struct config cfg;
    if (load_config(&cfg, env_file) < 0)
        return 1;
    struct tmpl_set *set = load_templates(&cfg);
    int rc = set ? 0 : 1;
    if (set)
        render_init_worker(&cfg, set);
    for (size_t i = 0; set && i < sizeof(statuses) / sizeof(statuses[0]); i++) {
        char *envp[] = {"REQUEST_URI=/", "REQUEST_ID=-", NULL};
        struct arena arena;
        struct request req;
        struct response resp;
        char path[4096];
        arena_init(&arena);
        resp_init(&resp);
        req_init(&req, &arena, envp, NULL, NULL);
        render_error(&req, &resp, statuses[i], NULL, false);
        req_cleanup(&req);
        snprintf(path, sizeof(path), "%s/%d.html", dir, statuses[i]);
        if (write_file(path, &resp.body) < 0) {
            fprintf(stderr, "gatehouse: cannot write %s: %s\n", path, strerror(errno));
            rc = 1;
        }
        resp_free(&resp);
        arena_free(&arena);
    }
    tmpl_set_free(set);
    config_free(&cfg);
    return rc;
}

/* Commands take the arguments after their name (options already removed)
 * and the --env-file path. Other modules' commands are declared in their
 * own headers and listed here. */
static int run_serve(int argc, char **argv, const char *env_file)
{
    (void)argv;
    if (argc) {
        fprintf(stderr, "gatehouse: serve takes no arguments\n");
        return 2;
    }
    if (awshttp_global_init() < 0) {
        fprintf(stderr, "gatehouse: cannot initialise libcurl\n");
        return 1;
    }
    return master_run(env_file);
}

static int run_migrate(int argc, char **argv, const char *env_file)
{
    (void)argc, (void)argv;
    return cmd_migrate(env_file);
}

static int run_check_config(int argc, char **argv, const char *env_file)
{
    (void)argc, (void)argv;
    return cmd_check_config(env_file);
}

static int run_error_pages(int argc, char **argv, const char *env_file)
{
    if (argc != 1) {
        fprintf(stderr, "gatehouse: error-pages takes one directory\n");
        return 2;
    }
    return cmd_error_pages(argv[0], env_file);
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv, const char *env_file);
} commands[] = {
    {"serve", run_serve},
    {"migrate", run_migrate},
    {"check-config", run_check_config},
    {"error-pages", run_error_pages},
    /* ---- commands of other modules ---- */
    {"tenant", tenantcmd_run},
    {"users", userscmd_main},
};

int main(int argc, char **argv)
{
    const char *env_file = NULL;
    char **args = calloc((size_t)argc + 1, sizeof(char *));
    int nargs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--env-file") && i + 1 < argc)
            env_file = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout);
        else
            args[nargs++] = argv[i];
    }
    int rc = 2;
    if (nargs == 0) {
        rc = usage(stderr);
        goto out;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(args[0], commands[i].name)) {
            rc = commands[i].run(nargs - 1, args + 1, env_file);
            goto out;
        }
    }
    rc = usage(stderr);
out:
    free(args);
    return rc;
}
