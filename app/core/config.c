/* SPDX-License-Identifier: MIT */
/* config: environment and .env settings (see config.h).
 *
 * The .env file is parsed into a private list of KEY=VALUE pairs and never
 * exported with setenv(): the process environment stays what it was at
 * start-up, so a reload that re-reads the file sees the file's new values
 * while variables set in the environment keep precedence, as with dotenv.
 * Numeric settings are parsed strictly and range-checked in config_check,
 * which explains each problem in a sentence an operator can act on. The
 * token issuer and JWKS URL are templates of {region} and {pool}: one
 * setting holds for every tenant, and config_check makes sure each fills in
 * to a URL that fits. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "limits.h"
#include "xalloc.h"

#define ENV_FILE_LINE_MAX 4096
#define ENV_FILE_ENTRIES_MAX 256
#define POOL_PROCESSES_MAX 32
#define POOL_THREADS_MAX 64
#define REQUEST_TIMEOUT_MAX_S 600
#define TENANT_CACHE_TTL_MAX_S 3600
/* Cognito's issuer: the same for every endpoint the API is reached at (the
 * public one, a VPC endpoint, a FIPS one). */
#define COGNITO_ISSUER_AWS "https://cognito-idp.{region}.amazonaws.com/{pool}"
#define JWKS_PATH "/.well-known/jwks.json"
#define PLACEHOLDER_REGION "{region}"
#define PLACEHOLDER_POOL "{pool}"

struct env_entry {
    char *key;
    char *value;
};

struct env_file {
    struct env_entry entries[ENV_FILE_ENTRIES_MAX];
    int count;
};

static void env_file_free(struct env_file *f)
{
    for (int i = 0; i < f->count; i++) {
        free(f->entries[i].key);
        free(f->entries[i].value);
    }
    f->count = 0;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* parse_line accepts "KEY=VALUE", "export KEY=VALUE", blank lines and
 * comments; VALUE may be wrapped in single or double quotes. */
static int parse_line(struct env_file *f, char *line, int lineno,
                      const char *path, char *err, size_t errlen)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return 0;
    if (!strncmp(s, "export ", 7))
        s = trim(s + 7);
    char *eq = strchr(s, '=');
    if (!eq) {
        snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
        return -1;
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    for (char *k = key; *k; k++) {
        if (!isalnum((unsigned char)*k) && *k != '_') {
            snprintf(err, errlen, "%s:%d: invalid variable name", path, lineno);
            return -1;
        }
    }
    size_t vlen = strlen(value);
    if (vlen >= 2 && (value[0] == '"' || value[0] == '\'') &&
        value[vlen - 1] == value[0]) {
        value[vlen - 1] = '\0';
        value++;
    }
    if (f->count == ENV_FILE_ENTRIES_MAX) {
        snprintf(err, errlen, "%s:%d: more than %d settings", path, lineno,
                 ENV_FILE_ENTRIES_MAX);
        return -1;
    }
    f->entries[f->count].key = xstrdup(key);
    f->entries[f->count].value = xstrdup(value);
    f->count++;
    return 0;
}

static int env_file_read(struct env_file *f, const char *path, char *err,
                         size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[ENV_FILE_LINE_MAX];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), fp)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(fp)) {
            snprintf(err, errlen, "%s:%d: line too long", path, lineno);
            rc = -1;
            break;
        }
        if (parse_line(f, line, lineno, path, err, errlen) < 0) {
            rc = -1;
            break;
        }
    }
    fclose(fp);
    return rc;
}

/* lookup gives the environment's value first, then the file's, else NULL. */
static const char *lookup(const struct env_file *f, const char *key)
{
    const char *v = getenv(key);
    if (v)
        return v;
    for (int i = f->count - 1; i >= 0; i--)
        if (!strcmp(f->entries[i].key, key))
            return f->entries[i].value;
    return NULL;
}

static char *string_setting(const struct env_file *f, const char *key,
                            const char *fallback)
{
    const char *v = lookup(f, key);
    if (!v || !*v)
        v = fallback;
    return v ? xstrdup(v) : NULL;
}

/* switch_setting returns 1 for "on", 0 for "off", the fallback when unset,
 * or -1 for anything else (config_check reports it). */
static int switch_setting(const struct env_file *f, const char *key, int fallback)
{
    const char *v = lookup(f, key);
    if (!v || !*v)
        return fallback;
    if (!strcmp(v, "on"))
        return 1;
    if (!strcmp(v, "off"))
        return 0;
    return -1;
}

/* int_setting returns the value, the fallback when unset, or INT_MIN when
 * the text is not a plain decimal number (config_check reports it). */
static int int_setting(const struct env_file *f, const char *key, int fallback)
{
    const char *v = lookup(f, key);
    if (!v || !*v)
        return fallback;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || n > INT_MAX)
        return INT_MIN;
    return (int)n;
}

static bool parse_session_key(const char *hex, unsigned char *out)
{
    return hex && hex_decode(hex, strlen(hex), out, CONFIG_SESSION_KEY_BYTES);
}

int config_load(struct config *cfg, const char *env_file, char *err,
                size_t errlen)
{
    struct env_file *f = xcalloc(1, sizeof(*f));
    int rc = -1;
    memset(cfg, 0, sizeof(*cfg));
    if (env_file && env_file_read(f, env_file, err, errlen) < 0)
        goto out;

    cfg->listen = string_setting(f, "GATEHOUSE_LISTEN", "var/run/gatehouse.sock");
    cfg->listen_slow = string_setting(f, "GATEHOUSE_LISTEN_SLOW", NULL);
    cfg->slow_threads = int_setting(f, "GATEHOUSE_SLOW_THREADS", 8);
    cfg->processes = int_setting(f, "GATEHOUSE_PROCESSES", 2);
    cfg->threads = int_setting(f, "GATEHOUSE_THREADS", 8);
    cfg->max_requests = int_setting(f, "GATEHOUSE_MAX_REQUESTS", 100000);
    cfg->request_timeout_s = int_setting(f, "GATEHOUSE_REQUEST_TIMEOUT", 30);
    cfg->slow_ms = int_setting(f, "GATEHOUSE_SLOW_MS", 1000);
    cfg->tenant_cache_ttl_s = int_setting(f, "GATEHOUSE_TENANT_CACHE_TTL", 30);
    cfg->address_failures = int_setting(f, "GATEHOUSE_ADDRESS_FAILURES", THROTTLE_ADDRESS_FREE);
    cfg->templates_dir = string_setting(f, "GATEHOUSE_TEMPLATES", "templates");
    cfg->sql_dir = string_setting(f, "GATEHOUSE_SQL", "sql");
    cfg->socket_group = string_setting(f, "GATEHOUSE_SOCKET_GROUP", NULL);
    cfg->pid_file = string_setting(f, "GATEHOUSE_PID_FILE", NULL);
    cfg->site_name = string_setting(f, "GATEHOUSE_SITE_NAME", "gatehouse");
    cfg->database_url = string_setting(f, "DATABASE_URL", NULL);
    cfg->database_listen_url = string_setting(f, "DATABASE_LISTEN_URL", NULL);
    cfg->database_prepared = switch_setting(f, "DATABASE_PREPARED_STATEMENTS", 1);
    cfg->aws_region = string_setting(f, "AWS_REGION", "us-east-1");
    cfg->aws_access_key_id = string_setting(f, "AWS_ACCESS_KEY_ID", NULL);
    cfg->aws_secret_access_key = string_setting(f, "AWS_SECRET_ACCESS_KEY", NULL);
    cfg->aws_session_token = string_setting(f, "AWS_SESSION_TOKEN", NULL);
    cfg->cognito_user_pool_id = string_setting(f, "COGNITO_USER_POOL_ID", NULL);
    cfg->cognito_client_id = string_setting(f, "COGNITO_CLIENT_ID", NULL);
    cfg->cognito_client_secret = string_setting(f, "COGNITO_CLIENT_SECRET", NULL);
    cfg->cognito_endpoint = string_setting(f, "COGNITO_ENDPOINT", NULL);
    cfg->cognito_issuer = string_setting(f, "COGNITO_ISSUER", COGNITO_ISSUER_AWS);
    cfg->cognito_jwks_url = string_setting(f, "COGNITO_JWKS_URL", NULL);
    if (!cfg->cognito_jwks_url) {
        /* Where OpenID Connect says an issuer's keys are, and Cognito has them. */
        size_t n = strlen(cfg->cognito_issuer) + sizeof(JWKS_PATH);
        cfg->cognito_jwks_url = xmalloc(n);
        snprintf(cfg->cognito_jwks_url, n, "%s" JWKS_PATH, cfg->cognito_issuer);
    }
    cfg->s3_bucket = string_setting(f, "S3_BUCKET_NAME", NULL);
    cfg->s3_endpoint = string_setting(f, "S3_ENDPOINT", NULL);
    cfg->has_session_key =
        parse_session_key(lookup(f, "SESSION_KEY"), cfg->session_key);
    cfg->admin_group = string_setting(f, "ADMIN_GROUP", "admin");
    cfg->base_domain = string_setting(f, "BASE_DOMAIN", NULL);
    cfg->platform_admin_token = string_setting(f, "PLATFORM_ADMIN_TOKEN", NULL);
    cfg->cors_origins = string_setting(f, "CORS_ORIGINS", NULL);
    /* The loopback names by default: a browser cannot be made to send them
     * to a public site (a rebinding page sends its own name), and they keep
     * `curl http://127.0.0.1/...` on the machine itself working. */
    cfg->site_hosts = string_setting(f, "SITE_HOSTS", "localhost,127.0.0.1,[::1]");
    rc = 0;
out:
    env_file_free(f);
    free(f);
    return rc;
}

static int check_range(FILE *report, const char *key, int value, int min,
                       int max)
{
    if (value == INT_MIN) {
        fprintf(report, "%s: not a whole number\n", key);
        return 1;
    }
    if (value < min || value > max) {
        fprintf(report, "%s: %d is outside %d..%d\n", key, value, min, max);
        return 1;
    }
    return 0;
}

int config_socket_group(const struct config *cfg, gid_t *gid)
{
    if (!cfg->socket_group)
        return 0;
    const struct group *g = getgrnam(cfg->socket_group);
    if (g) {
        *gid = g->gr_gid;
        return 1;
    }
    char *end;
    errno = 0;
    unsigned long n = strtoul(cfg->socket_group, &end, 10);
    if (errno || *end || !isdigit((unsigned char)cfg->socket_group[0]) || n >= (gid_t)-1)
        return -1;
    *gid = (gid_t)n;
    return getgrgid(*gid) ? 1 : -1;
}

/* host_name_ok: a DNS name (letters, digits, dots, hyphens) or an IPv6
 * address in brackets, as a Host header carries it without its port. */
static bool host_name_ok(const char *name, size_t len)
{
    if (len == 0)
        return false;
    if (name[0] == '[') {
        if (len < 3 || name[len - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < len; i++)
            if (!isxdigit((unsigned char)name[i]) && name[i] != ':' && name[i] != '.')
                return false;
        return true;
    }
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '.' && name[i] != '-')
            return false;
    return true;
}

/* check_site_hosts reports each SITE_HOSTS entry that cannot be a host. */
static int check_site_hosts(const char *list, FILE *report)
{
    int problems = 0;
    for (const char *p = list; p && *p;) {
        p += strspn(p, ", ");
        size_t n = strcspn(p, ", ");
        if (n && !host_name_ok(p, n)) {
            fprintf(report,
                    "SITE_HOSTS: \"%.*s\" is not a host name (no scheme, no port; "
                    "an IPv6 address in brackets)\n",
                    (int)n, p);
            problems++;
        }
        p += n;
    }
    return problems;
}

/* url_char_ok: a byte that may stand in a URL as written in a setting
 * (printable ASCII, none of the characters RFC 3986 leaves out, no
 * fragment); the braces are judged by the caller. */
static bool url_char_ok(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"<>\\^`|#", c);
}

/* loopback_host is true when the URL text after "http://" names this
 * machine: localhost, 127.x.x.x or [::1]. Keys fetched over plain HTTP from
 * anywhere else could be swapped on the way, and then tokens forged. */
static bool loopback_host(const char *host)
{
    size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?");
    return (n == strlen("localhost") && !strncmp(host, "localhost", n)) ||
           (n == strlen("[::1]") && !strncmp(host, "[::1]", n)) ||
           (n > strlen("127.") && !strncmp(host, "127.", strlen("127.")) &&
            strspn(host, "0123456789.") == n);
}

/* check_pool_url reports what makes the template tmpl of setting key
 * unusable: a scheme other than https:// or http:// (this machine only), no
 * host, a character
 * a URL cannot hold, a placeholder other than {region} and {pool}, no
 * {pool} when need_pool, or a length that could overflow ISSUER_MAX once
 * filled in. One line for the first problem; returns 1, or 0 when none. */
static int check_pool_url(FILE *report, const char *key, const char *tmpl, bool need_pool)
{
    size_t len = strlen(tmpl), regions = 0, pools = 0;
    size_t scheme = !strncmp(tmpl, "https://", 8) ? 8 : !strncmp(tmpl, "http://", 7) ? 7 : 0;
    const char *problem = NULL;
    if (len > POOL_URL_TEMPLATE_MAX) {
        fprintf(report, "%s: longer than %d bytes\n", key, POOL_URL_TEMPLATE_MAX);
        return 1;
    }
    if (!scheme)
        problem = "must start with https:// (http:// only for a local Cognito)";
    else if (!tmpl[scheme] || strchr("/?", tmpl[scheme]))
        problem = "names no host after the scheme";
    else if (scheme == strlen("http://") && !loopback_host(tmpl + scheme))
        problem = "uses http:// for a host other than this machine (localhost, 127.x.x.x, "
                  "[::1]): keys or issuers over plain HTTP could be swapped on the way";
    for (const char *p = tmpl; !problem && *p; p++) {
        if (!strncmp(p, PLACEHOLDER_REGION, strlen(PLACEHOLDER_REGION))) {
            regions++;
            p += strlen(PLACEHOLDER_REGION) - 1;
        } else if (!strncmp(p, PLACEHOLDER_POOL, strlen(PLACEHOLDER_POOL))) {
            pools++;
            p += strlen(PLACEHOLDER_POOL) - 1;
        } else if (*p == '{' || *p == '}') {
            problem = "only {region} and {pool} can be filled in; no other braces";
        } else if (!url_char_ok((unsigned char)*p)) {
            problem = "holds a character a URL cannot (a space, a quote, a control or "
                      "non-ASCII character, #)";
        }
    }
    if (!problem && need_pool && !pools)
        problem = "must contain {pool}: a token names its user pool in its issuer, and only "
                  "the tenant's own pool's tokens may pass";
    size_t longest = len + regions * (REGION_NAME_MAX - strlen(PLACEHOLDER_REGION)) +
                     pools * (POOL_ID_MAX - strlen(PLACEHOLDER_POOL));
    if (!problem && longest >= ISSUER_MAX)
        problem = "could be too long once {region} and {pool} are filled in";
    if (!problem)
        return 0;
    /* The value as written, but never a byte that could break the line
     * (the report of a reload goes to the log). */
    fprintf(report, "%s: \"", key);
    for (const char *p = tmpl; *p; p++)
        fputc(url_char_ok((unsigned char)*p) || *p == ' ' ? *p : '?', report);
    fprintf(report, "\" %s\n", problem);
    return 1;
}

int config_check(const struct config *cfg, FILE *report)
{
    int problems = 0;
    problems += check_range(report, "GATEHOUSE_PROCESSES", cfg->processes, 1,
                            POOL_PROCESSES_MAX);
    problems += check_range(report, "GATEHOUSE_THREADS", cfg->threads, 1,
                            POOL_THREADS_MAX);
    problems += check_range(report, "GATEHOUSE_SLOW_THREADS", cfg->slow_threads, 1,
                            POOL_THREADS_MAX);
    if (cfg->listen_slow && cfg->threads > 0 && cfg->slow_threads > 0 &&
        cfg->threads + cfg->slow_threads > POOL_THREADS_MAX) {
        fprintf(report, "GATEHOUSE_THREADS + GATEHOUSE_SLOW_THREADS: at most %d per process\n",
                POOL_THREADS_MAX);
        problems++;
    }
    problems += check_range(report, "GATEHOUSE_MAX_REQUESTS",
                            cfg->max_requests, 0, INT_MAX - 1);
    problems += check_range(report, "GATEHOUSE_REQUEST_TIMEOUT",
                            cfg->request_timeout_s, 1, REQUEST_TIMEOUT_MAX_S);
    problems += check_range(report, "GATEHOUSE_SLOW_MS", cfg->slow_ms, 1,
                            INT_MAX - 1);
    problems += check_range(report, "GATEHOUSE_TENANT_CACHE_TTL", cfg->tenant_cache_ttl_s, 0,
                            TENANT_CACHE_TTL_MAX_S);
    problems += check_range(report, "GATEHOUSE_ADDRESS_FAILURES", cfg->address_failures, 1,
                            THROTTLE_ADDRESS_FREE_MAX);
    if (!cfg->database_url) {
        fprintf(report, "DATABASE_URL: not set; give a libpq conninfo such as "
                        "\"host=127.0.0.1 dbname=gatehouse user=gatehouse\"\n");
        problems++;
    }
    if (cfg->database_prepared < 0) {
        fprintf(report, "DATABASE_PREPARED_STATEMENTS: on or off (off when DATABASE_URL is a "
                        "PgBouncer in transaction mode older than 1.21)\n");
        problems++;
    }
    if (!cfg->has_session_key) {
        fprintf(report, "SESSION_KEY: must be 64 hex characters (32 random "
                        "bytes, e.g. from `openssl rand -hex 32`)\n");
        problems++;
    }
    if (strlen(cfg->listen) >= 100) {
        fprintf(report, "GATEHOUSE_LISTEN: a unix socket path must be shorter "
                        "than 100 bytes\n");
        problems++;
    }
    gid_t gid;
    if (config_socket_group(cfg, &gid) < 0) {
        fprintf(report,
                "GATEHOUSE_SOCKET_GROUP: no group \"%s\" on this machine; name the "
                "group nginx's user is in (e.g. www-data, or gatehouse with www-data "
                "a member)\n",
                cfg->socket_group);
        problems++;
    }
    problems += check_site_hosts(cfg->site_hosts, report);
    if ((cfg->aws_access_key_id == NULL) != (cfg->aws_secret_access_key == NULL)) {
        fprintf(report, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY: set both "
                        "or neither\n");
        problems++;
    }
    problems += check_pool_url(report, "COGNITO_ISSUER", cfg->cognito_issuer, true);
    problems += check_pool_url(report, "COGNITO_JWKS_URL", cfg->cognito_jwks_url, false);
    if ((cfg->cognito_user_pool_id == NULL) != (cfg->cognito_client_id == NULL)) {
        fprintf(report, "COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID: the default "
                        "tenant needs both\n");
        problems++;
    }
    return problems;
}

const char *config_session_url(const struct config *cfg)
{
    return cfg->database_listen_url ? cfg->database_listen_url : cfg->database_url;
}

void config_free(struct config *cfg)
{
    char **strings[] = {
        &cfg->listen, &cfg->listen_slow, &cfg->templates_dir, &cfg->sql_dir, &cfg->pid_file,
        &cfg->site_name, &cfg->database_url, &cfg->database_listen_url, &cfg->aws_region,
        &cfg->aws_access_key_id, &cfg->aws_secret_access_key,
        &cfg->aws_session_token, &cfg->cognito_user_pool_id,
        &cfg->cognito_client_id, &cfg->cognito_client_secret,
        &cfg->cognito_endpoint, &cfg->cognito_issuer, &cfg->cognito_jwks_url,
        &cfg->s3_bucket, &cfg->s3_endpoint,
        &cfg->admin_group, &cfg->base_domain, &cfg->platform_admin_token,
        &cfg->cors_origins, &cfg->socket_group, &cfg->site_hosts,
    };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    memset(cfg, 0, sizeof(*cfg));
}
