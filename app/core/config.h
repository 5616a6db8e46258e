/* SPDX-License-Identifier: MIT */
/* config: the settings of one gatehouse process, from the environment and an
 * optional .env file (the environment wins, as with dotenv).
 *
 * config_load fills a struct config whose strings it owns; config_free
 * releases them. The master loads a fresh struct on every SIGHUP and only
 * swaps it in when config_check finds no problem. */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define CONFIG_SESSION_KEY_BYTES 32

struct config {
    /* the pool */
    char *listen;          /* GATEHOUSE_LISTEN: FastCGI unix socket path */
    char *listen_slow;     /* GATEHOUSE_LISTEN_SLOW: socket of the slow lane, or NULL */
    int slow_threads;      /* GATEHOUSE_SLOW_THREADS per process on that socket */
    int processes;         /* GATEHOUSE_PROCESSES */
    int threads;           /* GATEHOUSE_THREADS per process */
    int max_requests;      /* GATEHOUSE_MAX_REQUESTS per process, 0 = never */
    int request_timeout_s; /* GATEHOUSE_REQUEST_TIMEOUT */
    int slow_ms;           /* GATEHOUSE_SLOW_MS */
    int tenant_cache_ttl_s; /* GATEHOUSE_TENANT_CACHE_TTL */
    int address_failures;  /* GATEHOUSE_ADDRESS_FAILURES: free failed sign-ins per address */
    char *templates_dir;   /* GATEHOUSE_TEMPLATES */
    char *sql_dir;         /* GATEHOUSE_SQL */
    char *socket_group;    /* GATEHOUSE_SOCKET_GROUP: the sockets' group (nginx's user is
                              in it), a name or number; NULL: the pool's own group */
    char *pid_file;        /* GATEHOUSE_PID_FILE, may be NULL */
    char *site_name;       /* GATEHOUSE_SITE_NAME: the default tenant's name */
    /* outside services */
    char *database_url;
    /* DATABASE_LISTEN_URL: a session of its own (LISTEN, migrations); NULL: DATABASE_URL */
    char *database_listen_url;
    /* DATABASE_PREPARED_STATEMENTS: 1 on (named statements prepared once per connection),
     * 0 off, -1 neither (config_check reports it) */
    int database_prepared;
    char *aws_region, *aws_access_key_id, *aws_secret_access_key;
    char *aws_session_token;
    char *cognito_user_pool_id, *cognito_client_id, *cognito_client_secret;
    char *cognito_endpoint; /* NULL: https://cognito-idp.<region>.amazonaws.com (the API only) */
    /* Where a tenant's tokens come from, as templates in which {region} and
     * {pool} stand for the tenant's: COGNITO_ISSUER, the iss its tokens
     * carry (by default Cognito's https://cognito-idp.{region}.amazonaws.com/
     * {pool}, whatever endpoint the API is reached at), and COGNITO_JWKS_URL,
     * where their signing keys are (by default the issuer's
     * /.well-known/jwks.json). Never NULL after a config_load that
     * succeeded. */
    char *cognito_issuer, *cognito_jwks_url;
    char *s3_bucket, *s3_endpoint;
    unsigned char session_key[CONFIG_SESSION_KEY_BYTES];
    bool has_session_key;
    char *admin_group, *base_domain, *platform_admin_token, *cors_origins;
    char *site_hosts; /* SITE_HOSTS: host names served besides BASE_DOMAIN and its
                         tenant subdomains, separated by commas or spaces */
};

/* config_load reads env_file (may be NULL) and the environment into cfg.
 * It returns 0, or -1 with a message in err when the file cannot be read or
 * a line is malformed. Values are not judged here: see config_check. */
int config_load(struct config *cfg, const char *env_file, char *err,
                size_t errlen);
/* config_check writes one explanatory line per problem to report and returns
 * how many it found (0: the settings are usable). */
int config_check(const struct config *cfg, FILE *report);
/* config_socket_group resolves GATEHOUSE_SOCKET_GROUP into *gid: 1 when it
 * names a group of this machine, 0 when it is not set (the sockets keep the
 * pool's own group), -1 when no such group exists. */
int config_socket_group(const struct config *cfg, gid_t *gid);
/* config_session_url is the conninfo for what needs a PostgreSQL session of
 * its own, which a transaction-pooling PgBouncer cannot give: the cache
 * listeners' LISTEN and the migrators' advisory lock. DATABASE_LISTEN_URL
 * when set, else DATABASE_URL (possibly NULL). */
const char *config_session_url(const struct config *cfg);
/* config_free releases every string and zeroes cfg; safe on a zeroed cfg. */
void config_free(struct config *cfg);

#endif
