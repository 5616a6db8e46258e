#!/usr/bin/env bash
# stack.sh — the whole local gatehouse stack, on loopback only.
#
#   scripts/stack.sh start|stop|restart|status|wait|env
#   STACK_PROFILE=dev (default, `make run`) or test (`make test`)
#
# Each profile is separate (ports, and all state under var/<profile>/), so a
# developer's stack and a test run can live side by side:
#   profile  https  http   postgres  cognito-local  s3rver  cognito shim  pgbouncer
#   dev      8443   8080   5433      9229           4569    9329          6433
#   test     18443  18080  15433     19229          14569   19329         16433
# STACK_PGBOUNCER=1 at `start` puts Debian's PgBouncer between the pool and
# PostgreSQL, as docs/SCALING.md describes a production behind one: transaction
# pooling with a pool of PGBOUNCER_POOL server connections (so that the
# pool's threads, and the tenants they serve, really take turns on them),
# DATABASE_URL pointing at it, DATABASE_LISTEN_URL at PostgreSQL itself (the
# cache listeners' LISTEN and the migrations need sessions of their own) and
# DATABASE_PREPARED_STATEMENTS=off, which PgBouncer 1.18 needs in that mode;
# STACK_PG_PREPARED=on keeps them on, to see what fails without the setting.
# A `start` without STACK_PGBOUNCER=1 goes back to the direct connection and
# stops the profile's PgBouncer. `make test` runs part of the integration
# tests a second time this way (scripts/test.sh).
# Workers cache tenants for 30 s (dev, production); tests that delete or
# disable a tenant want to see it at once, so their profiles use 1 s (a
# private profile takes STACK_TENANT_CACHE_TTL instead, as `make bench` does).
# POSTs are rate-limited per client address: 10/s with a burst of 20 for a
# person (dev, and production's config); the test profile allows 100/s with
# a burst of 200, since every test client shares 127.0.0.1, and its rate-limit
# test sends more than that. For the same reason failed sign-ins lock an
# address after 100 (production's default, and dev's) but only after 100000
# in the test profiles, whose database outlives many runs of every test's
# wrong passwords; tests/integration/throttle.test.mjs tries the address
# lock on a pool of its own with a low GATEHOUSE_ADDRESS_FAILURES.
# The cognito shim is tests/double/cognito-double.mjs in front of
# cognito-local: it passes every call through unchanged and answers only
# the calls cognito-local lacks (ResendConfirmationCode, GlobalSignOut); the
# test profile's tests also use it to inject faults. gatehouse talks to the
# shim (COGNITO_ENDPOINT). cognito-local issues tokens in the shim's name
# (http://127.0.0.1:<shim port>/<pool>, not Cognito's https://cognito-idp.
# <region>.amazonaws.com/<pool>) and serves its key there, so the settings
# name that issuer and JWKS URL (COGNITO_ISSUER, COGNITO_JWKS_URL); pointing
# COGNITO_ENDPOINT at cognito-local directly works too, minus those calls.
# var/<profile>/ holds pg/ (the cluster), cognito/ (cognito-local's data:
# users, their codes), s3/, tls/, log/, run/ (sockets, pid files; the
# pool's two sockets in run/gatehouse/, mode 750, group of nginx's user),
# nginx.conf, gatehouse.env (the app's settings), admin.env (the seeded admin
# login) and stack.env (URLs and paths, for tests).
#
# `start` is safe to repeat: what runs is left alone (PostgreSQL, the
# emulators), reloaded (nginx; gatehouse on SIGHUP) or restarted when its
# binary or settings changed. `stop` stops what the profile's pid files name,
# then any leftover process of ours (see lib-stack.sh), and is safe when
# nothing runs.
#
# Running as root (as CI and the dev machines do), PostgreSQL runs as the
# `postgres` user and nginx's workers as `www-data`. Their data and sockets
# stay under var/ all the same, so that one directory is the whole state of a
# profile; the directories above it get o+x (traverse, not list) where these
# users could not pass, which is the only change made outside var/.
#
# STACK_WITHOUT_APP=1 lets the stack start without app/gatehouse: the bench
# responder then stands in for the pool on its socket (to try nginx and the
# scripts before the app exists). Without it a missing binary is an error.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd -P)
PROFILE=${STACK_PROFILE:-dev}
case "$PROFILE" in
dev)  TENANT_CACHE_TTL=30; POST_RATE=10r/s; POST_BURST=20; ADDRESS_FAILURES=100; HTTPS_PORT=8443;  HTTP_PORT=8080;  PG_PORT=5433;  COGNITO_PORT=9229;  S3_PORT=4569;  SHIM_PORT=9329;  PGB_PORT=6433 ;;
test) TENANT_CACHE_TTL=1; POST_RATE=100r/s; POST_BURST=200; ADDRESS_FAILURES=100000; HTTPS_PORT=18443; HTTP_PORT=18080; PG_PORT=15433; COGNITO_PORT=19229; S3_PORT=14569; SHIM_PORT=19329; PGB_PORT=16433 ;;
*)  # A private profile (a second developer, a parallel test run): its
    # ports start at STACK_PORT_BASE, in the order of the table above.
    [[ "$PROFILE" =~ ^[a-z0-9]+$ && "${STACK_PORT_BASE:-}" =~ ^[1-5][0-9]{4}$ ]] || {
        echo "stack.sh: STACK_PROFILE is dev, test, or a name with STACK_PORT_BASE=NNNNN" >&2; exit 2; }
    # STACK_TENANT_CACHE_TTL: `make bench` on such a profile asks for
    # production's 30 s; a later start without it goes back to 1 s.
    TENANT_CACHE_TTL=${STACK_TENANT_CACHE_TTL:-1}; POST_RATE=100r/s; POST_BURST=200; ADDRESS_FAILURES=100000
    [[ "$TENANT_CACHE_TTL" =~ ^[0-9]{1,4}$ ]] || {
        echo "stack.sh: STACK_TENANT_CACHE_TTL is a number of seconds" >&2; exit 2; }
    HTTPS_PORT=$STACK_PORT_BASE; HTTP_PORT=$((STACK_PORT_BASE + 1)); PG_PORT=$((STACK_PORT_BASE + 2))
    COGNITO_PORT=$((STACK_PORT_BASE + 3)); S3_PORT=$((STACK_PORT_BASE + 4)); SHIM_PORT=$((STACK_PORT_BASE + 5))
    PGB_PORT=$((STACK_PORT_BASE + 6)) ;;
esac
PGBOUNCER=${STACK_PGBOUNCER:-0}
[[ "$PGBOUNCER" =~ ^[01]$ ]] || { echo "stack.sh: STACK_PGBOUNCER is 0 or 1" >&2; exit 2; }
PG_PREPARED=${STACK_PG_PREPARED:-off}
[[ "$PG_PREPARED" =~ ^(on|off)$ ]] || { echo "stack.sh: STACK_PG_PREPARED is on or off" >&2; exit 2; }

VAR=$REPO/var/$PROFILE
RUN=$VAR/run
LOG=$VAR/log
PGDATA=$VAR/pg
PG_SOCKET_DIR=$RUN/pg
ENV_FILE=$VAR/gatehouse.env
ADMIN_FILE=$VAR/admin.env
STACK_ENV=$VAR/stack.env
# The binary: app/gatehouse, or GATEHOUSE_BIN (make test SANITIZE=1 runs the
# instrumented build this way, leaving app/gatehouse the release one).
APP_BIN=${GATEHOUSE_BIN:-$REPO/app/gatehouse}
# The pool's sockets, as in production's /run/gatehouse: a directory of
# their own that only the pool and nginx's group may enter, and sockets only
# they may connect to (whoever can, says what REMOTE_ADDR is).
APP_RUN=$RUN/gatehouse
APP_SOCKET=$APP_RUN/gatehouse.sock
APP_SLOW_SOCKET=$APP_RUN/gatehouse-slow.sock
APP_PIDFILE=$RUN/gatehouse.pid
BENCH_SOCKET=$RUN/bench.sock
BENCH_PIDFILE=$RUN/bench.pid
# PgBouncer's files: it refuses to run as root, so as root it runs as the
# PostgreSQL user (like Debian's service), in a directory of its own.
PGB_DIR=$VAR/pgbouncer
PGB_PIDFILE=$PGB_DIR/pgbouncer.pid
# Server connections per database and user: far fewer than the pool's
# threads (2 x (4 + 8)), so that they take turns on them.
PGBOUNCER_POOL=3
BUILD=${BUILD:-build/rel}
RESPONDER=$REPO/$BUILD/tests/bench-responder
NODE_BIN=$REPO/node_modules/.bin

# The pool: processes x threads; nginx (one worker) keeps up to eight idle
# FastCGI connections a page thread, as many as a thread keeps
# (WAITER_KEEP_MAX in app/server/worker.c): under the bench's 32 requests in
# flight every request then finds a kept connection instead of a new one.
APP_PROCESSES=2
APP_THREADS=2       # per process, for pages (GETs): they never wait on Cognito (a page
                    # whose session is due for a refresh is handed to the slow lane) and
                    # PostgreSQL is local, so one per core keeps the cores busy; more only
                    # add switches between threads and backends (alternating runs of the
                    # million-user list: 4 threads up to 10% slower than 2, 2 about 10%
                    # slower than 1; 1 is not used while a page thread may still count a
                    # total inline, for up to a second, which would stall a whole process)
APP_SLOW_THREADS=8  # per process, for the slow lane: what waits on Cognito (POSTs, PATCHes,
                    # DELETEs, and the GETs flagged ROUTE_WAITS in app/server/router.c)
POOL_THREADS=$((APP_PROCESSES * APP_THREADS))
KEPT_PER_THREAD=8   # WAITER_KEEP_MAX
NGINX_WORKERS=1
S3_BUCKET=gatehouse

# Timeouts, seconds.
START_TIMEOUT=30
APP_STOP_TIMEOUT=20
STOP_TIMEOUT=10

# shellcheck source=scripts/lib-stack.sh
. "$REPO/scripts/lib-stack.sh"

pg_bin_dir() {
    local d
    if [ -x /usr/lib/postgresql/15/bin/postgres ]; then
        echo /usr/lib/postgresql/15/bin
        return
    fi
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    [ -x "$d/postgres" ] || d=
    [ -n "$d" ] || die "no PostgreSQL server in /usr/lib/postgresql (run scripts/deps.sh)"
    echo "$d"
}

# as_pg CMD... — runs CMD as the PostgreSQL user: `postgres` when we are root
# (the server refuses to run as root), else ourselves.
as_pg() {
    if is_root; then (cd "$PGDATA" && runuser -u postgres -- "$@" 9>&-); else "$@" 9>&-; fi
}

nginx_user() {
    if getent passwd www-data >/dev/null; then echo www-data; else echo nobody; fi
}

# socket_group — the group of the pool's sockets and their directory: that
# of nginx's workers (www-data's when we are root), else our own.
socket_group() {
    if is_root; then id -gn "$(nginx_user)"; else id -gn; fi
}

# ============================================================================
# start
# ============================================================================

prepare_dirs() {
    mkdir -p "$RUN" "$APP_RUN" "$LOG" "$VAR/tls" "$VAR/bench" "$VAR/s3" "$VAR/cognito/.cognito" \
        "$VAR"/nginx-tmp/{body,fastcgi,proxy,uwsgi,scgi} "$PG_SOCKET_DIR" "$PGDATA"
    chmod 755 "$VAR" "$RUN" "$VAR/bench"
    chgrp "$(socket_group)" "$APP_RUN"
    chmod 750 "$APP_RUN"
    # A unix socket path must fit in sockaddr_un.sun_path (108 bytes with
    # its NUL); PostgreSQL's is the longest of ours.
    local longest="$PG_SOCKET_DIR/.s.PGSQL.$PG_PORT.lock"
    [ "${#longest}" -lt 108 ] || die "$longest is too long for a unix socket: move the repository to a shorter path"
    if is_root; then
        chown postgres:postgres "$PGDATA" "$PG_SOCKET_DIR"
        chmod 700 "$PGDATA"
        chown -R "$(nginx_user)" "$VAR/nginx-tmp"
        ensure_traversable postgres "$VAR"
        ensure_traversable "$(nginx_user)" "$VAR"
        local d
        for d in "$REPO/static" "$REPO/node_modules/bootstrap/dist"; do
            [ -d "$d" ] || continue
            runuser -u "$(nginx_user)" -- test -r "$d" -a -x "$d" ||
                warn "$(nginx_user) cannot read $d: nginx will answer 403 there"
        done
    fi
}

make_certificate() {
    [ -s "$VAR/tls/cert.pem" ] && [ -s "$VAR/tls/key.pem" ] && return 0
    say "making a self-signed certificate for localhost"
    openssl req -x509 -nodes -days 825 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
        -keyout "$VAR/tls/key.pem" -out "$VAR/tls/cert.pem" -subj /CN=localhost \
        -addext "subjectAltName=DNS:localhost,DNS:*.localhost,IP:127.0.0.1,IP:::1" \
        -addext "extendedKeyUsage=serverAuth" 2>"$LOG/openssl.log" ||
        die "openssl could not make the certificate (see $LOG/openssl.log)"
    chmod 600 "$VAR/tls/key.pem"
}

# ---- PostgreSQL ------------------------------------------------------------

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }

start_postgres() {
    PG_BIN=$(pg_bin_dir)
    if [ ! -s "$PGDATA/PG_VERSION" ]; then
        say "initdb $PGDATA"
        as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
            >"$LOG/initdb.log" 2>&1 || die "initdb failed (see $LOG/initdb.log)"
        echo "include_if_exists = 'gatehouse.conf'" >>"$PGDATA/postgresql.conf"
    fi
    # Rewritten at every start, so a moved repository or a changed profile
    # port is picked up. initdb's pg_hba.conf trusts local and loopback
    # connections only, and the server listens on loopback only.
    {
        echo "# written by scripts/stack.sh at every start"
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $PG_PORT"
        echo "unix_socket_directories = '$PG_SOCKET_DIR'"
        echo "max_connections = 100"
        echo "synchronous_commit = off"
        echo "log_line_prefix = '%m [%p] %q%u@%d '"
        if [ "$PROFILE" = test ]; then
            # Test data is thrown away: skip the disk flushes.
            echo "fsync = off"
            echo "full_page_writes = off"
        fi
    } >"$PGDATA/gatehouse.conf"
    touch "$LOG/postgresql.log"
    if is_root; then chown postgres:postgres "$PGDATA/gatehouse.conf" "$LOG/postgresql.log"; fi

    if pg_running; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" reload >/dev/null
        return 0
    fi
    require_port_free "$PG_PORT" postgresql
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$LOG/postgresql.log" -w -t "$START_TIMEOUT" start >/dev/null ||
        die "PostgreSQL did not start (see $LOG/postgresql.log)"
}

psql_admin() {
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAX -v ON_ERROR_STOP=1 -c "$1"
}

create_database() {
    wait_until "$START_TIMEOUT" pg_isready -q -h 127.0.0.1 -p "$PG_PORT" ||
        die "PostgreSQL does not answer on port $PG_PORT (see $LOG/postgresql.log)"
    if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse'")" != 1 ]; then
        say "creating role gatehouse"
        psql_admin "CREATE ROLE gatehouse LOGIN" >/dev/null
    fi
    if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = 'gatehouse'")" != 1 ]; then
        say "creating database gatehouse"
        psql_admin "CREATE DATABASE gatehouse OWNER gatehouse" >/dev/null
    fi
}

# ---- PgBouncer (STACK_PGBOUNCER=1) ------------------------------------------

# as_pgb CMD... — runs CMD as PgBouncer's user (as_pg's, whose rule it shares).
as_pgb() {
    if is_root; then (cd "$PGB_DIR" && runuser -u postgres -- "$@" 9>&-); else "$@" 9>&-; fi
}

pgbouncer_admin() { psql "postgresql://pgbouncer@127.0.0.1:$PGB_PORT/pgbouncer" -qtAX -c "$1"; }
pgbouncer_up() { pgbouncer_admin 'SHOW VERSION' >/dev/null 2>&1; }

# start_pgbouncer writes PgBouncer's configuration (every start) and starts
# it, or has the running one read the new configuration. Transaction pooling
# on loopback, a pool of PGBOUNCER_POOL server connections reached over
# PostgreSQL's unix socket, no socket of its own; trust, as PostgreSQL's own
# loopback access here, for the users it lists: gatehouse, and pgbouncer
# for the admin console (SHOW SERVERS, SHOW CLIENTS), which the tests read.
start_pgbouncer() {
    command -v pgbouncer >/dev/null || die "pgbouncer is missing: run scripts/deps.sh (make deps)"
    mkdir -p "$PGB_DIR"
    chmod 755 "$PGB_DIR"
    printf '"gatehouse" ""\n"pgbouncer" ""\n' >"$PGB_DIR/userlist.txt"
    cat >"$PGB_DIR/pgbouncer.ini" <<EOF
; written by scripts/stack.sh at every start (STACK_PGBOUNCER=1)
[databases]
gatehouse = host=$PG_SOCKET_DIR port=$PG_PORT dbname=gatehouse

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGB_DIR/userlist.txt
admin_users = pgbouncer
pool_mode = transaction
default_pool_size = $PGBOUNCER_POOL
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
logfile = $LOG/pgbouncer.log
pidfile = $PGB_PIDFILE
log_connections = 0
log_disconnections = 0
EOF
    touch "$LOG/pgbouncer.log"
    if is_root; then chown postgres:postgres "$PGB_DIR" "$PGB_DIR"/* "$LOG/pgbouncer.log"; fi
    if pidfile_pid "$PGB_PIDFILE" >/dev/null; then
        pgbouncer_admin RELOAD >/dev/null 2>&1 || warn "PgBouncer did not take RELOAD (see $LOG/pgbouncer.log)"
        return 0
    fi
    rm -f "$PGB_PIDFILE"
    require_port_free "$PGB_PORT" pgbouncer
    say "starting PgBouncer on 127.0.0.1:$PGB_PORT (transaction pooling, $PGBOUNCER_POOL server connections)"
    as_pgb pgbouncer -d -q "$PGB_DIR/pgbouncer.ini" >>"$LOG/pgbouncer.log" 2>&1 ||
        die "PgBouncer did not start (see $LOG/pgbouncer.log)"
    wait_until "$START_TIMEOUT" pgbouncer_up ||
        die "PgBouncer does not answer on port $PGB_PORT (see $LOG/pgbouncer.log)"
}

stop_pgbouncer() { stop_pidfile "$PGB_PIDFILE" pgbouncer TERM "$STOP_TIMEOUT"; }

# ---- the emulators ---------------------------------------------------------

# spawn PIDFILE LOGFILE DIR CMD... — starts CMD in the background in its own
# session (a later Ctrl-C in the terminal does not reach it), from DIR, with
# its output appended to LOGFILE, and records its pid. Every daemon is
# started without fd 9, the lock of this script, which it would hold forever.
spawn() {
    local pidfile=$1 logfile=$2 dir=$3
    shift 3
    (cd "$dir" && exec setsid "$@" >>"$logfile" 2>&1 </dev/null 9>&-) &
    echo $! >"$pidfile"
}

start_cognito() {
    # cognito-local keeps its config and data in ./.cognito: it runs from
    # var/<profile>/cognito. The codes it "emails" are printed to its log
    # (a "Confirmation Code Delivery" box) and kept with the user in
    # .cognito/db/<pool id>.json.
    cat >"$VAR/cognito/.cognito/config.json" <<EOF
{
  "TokenConfig": { "IssuerDomain": "http://127.0.0.1:$SHIM_PORT" },
  "UserPoolDefaults": { "UsernameAttributes": ["email"] }
}
EOF
    pidfile_pid "$RUN/cognito-local.pid" >/dev/null && return 0
    require_port_free "$COGNITO_PORT" cognito-local
    say "starting cognito-local on 127.0.0.1:$COGNITO_PORT"
    PORT=$COGNITO_PORT HOST=127.0.0.1 AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE=1 \
        spawn "$RUN/cognito-local.pid" "$LOG/cognito-local.log" "$VAR/cognito" "$NODE_BIN/cognito-local"
}

start_shim() {
    pidfile_pid "$RUN/cognito-shim.pid" >/dev/null && return 0
    require_port_free "$SHIM_PORT" "cognito shim"
    say "starting the cognito shim on 127.0.0.1:$SHIM_PORT"
    COGNITO_UPSTREAM=http://127.0.0.1:$COGNITO_PORT \
        spawn "$RUN/cognito-shim.pid" "$LOG/cognito-shim.log" "$VAR" node "$REPO/tests/double/cognito-double.mjs" "$SHIM_PORT"
}

start_s3() {
    # CORS so that a page of the site may PUT to a presigned URL directly.
    cat >"$VAR/s3-cors.xml" <<EOF
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>https://localhost:$HTTPS_PORT</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>
EOF
    pidfile_pid "$RUN/s3rver.pid" >/dev/null && return 0
    require_port_free "$S3_PORT" s3rver
    say "starting s3rver on 127.0.0.1:$S3_PORT"
    spawn "$RUN/s3rver.pid" "$LOG/s3rver.log" "$VAR" "$NODE_BIN/s3rver" \
        --directory "$VAR/s3" --address 127.0.0.1 --port "$S3_PORT" \
        --configure-bucket "$S3_BUCKET" "$VAR/s3-cors.xml"
}

cognito_up() { curl -fsS -m 2 "http://127.0.0.1:$COGNITO_PORT/health"; }
shim_up() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$SHIM_PORT/__control"; }
s3_up() { curl -sS -m 2 -o /dev/null "http://127.0.0.1:$S3_PORT/"; }

wait_emulators() {
    wait_until "$START_TIMEOUT" cognito_up ||
        die "cognito-local does not answer on port $COGNITO_PORT (see $LOG/cognito-local.log)"
    wait_until "$START_TIMEOUT" shim_up ||
        die "the cognito shim does not answer on port $SHIM_PORT (see $LOG/cognito-shim.log)"
    wait_until "$START_TIMEOUT" s3_up ||
        die "s3rver does not answer on port $S3_PORT (see $LOG/s3rver.log)"
}

# ---- settings --------------------------------------------------------------

# env_value FILE KEY — the value of KEY=... in FILE (empty when absent).
env_value() {
    [ -f "$1" ] || return 0
    sed -n "s/^$2=//p" "$1" | tail -n 1
}

# The keys gatehouse.env sets. The app lets the environment win over its env
# file, so these are removed from the environment it is started with.
APP_KEYS=(DATABASE_URL AWS_REGION AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    COGNITO_USER_POOL_ID COGNITO_CLIENT_ID COGNITO_CLIENT_SECRET COGNITO_ENDPOINT
    COGNITO_ISSUER COGNITO_JWKS_URL
    S3_BUCKET_NAME S3_ENDPOINT SESSION_KEY ADMIN_GROUP BASE_DOMAIN PLATFORM_ADMIN_TOKEN CORS_ORIGINS
    SITE_HOSTS GATEHOUSE_SOCKET_GROUP GATEHOUSE_LISTEN GATEHOUSE_PROCESSES GATEHOUSE_THREADS GATEHOUSE_MAX_REQUESTS
    GATEHOUSE_REQUEST_TIMEOUT GATEHOUSE_TEMPLATES GATEHOUSE_PID_FILE GATEHOUSE_LISTEN_SLOW
    GATEHOUSE_SLOW_THREADS GATEHOUSE_TENANT_CACHE_TTL GATEHOUSE_SQL GATEHOUSE_SLOW_MS
    GATEHOUSE_ADDRESS_FAILURES DATABASE_LISTEN_URL DATABASE_PREPARED_STATEMENTS)

write_settings() {
    local ids session_key admin_token pool_id client_id client_secret database_lines
    local direct_url="postgresql://gatehouse@/gatehouse?host=$PG_SOCKET_DIR&port=$PG_PORT"
    ids=$(node "$REPO/scripts/bootstrap-pool.mjs" --endpoint "http://127.0.0.1:$COGNITO_PORT" \
        --pool-id="$(env_value "$ENV_FILE" COGNITO_USER_POOL_ID)" \
        --client-id="$(env_value "$ENV_FILE" COGNITO_CLIENT_ID)" \
        --admin-file "$ADMIN_FILE" 2>>"$LOG/bootstrap-pool.log") ||
        die "could not set up the user pool in cognito-local (see $LOG/bootstrap-pool.log)"
    pool_id=$(sed -n 's/^COGNITO_USER_POOL_ID=//p' <<<"$ids")
    client_id=$(sed -n 's/^COGNITO_CLIENT_ID=//p' <<<"$ids")
    client_secret=$(sed -n 's/^COGNITO_CLIENT_SECRET=//p' <<<"$ids")

    # Secrets are made once and kept: changing them would end every session.
    session_key=$(env_value "$ENV_FILE" SESSION_KEY)
    [[ "$session_key" =~ ^[0-9a-f]{64}$ ]] || session_key=$(openssl rand -hex 32)
    admin_token=$(env_value "$ENV_FILE" PLATFORM_ADMIN_TOKEN)
    [ -n "$admin_token" ] || admin_token=$(openssl rand -hex 24)

    # Through PgBouncer (STACK_PGBOUNCER=1): the workers' statements go to
    # it, what needs a session of its own (LISTEN, the migrations) to
    # PostgreSQL itself, and no named prepared statements (docs/SCALING.md).
    if [ "$PGBOUNCER" = 1 ]; then
        database_lines="# Through PgBouncer in transaction mode (STACK_PGBOUNCER=1, docs/SCALING.md).
DATABASE_URL=postgresql://gatehouse@127.0.0.1:$PGB_PORT/gatehouse
DATABASE_LISTEN_URL=$direct_url
DATABASE_PREPARED_STATEMENTS=$PG_PREPARED"
    else
        database_lines="# The app reaches PostgreSQL over its unix socket, as in production (DEPLOY.md).
DATABASE_URL=$direct_url"
    fi

    local old_umask
    old_umask=$(umask)
    umask 077
    # S3RVER/S3RVER is the key pair s3rver checks signatures against, so
    # presigned URLs really verify; cognito-local accepts any key.
    cat >"$ENV_FILE.new" <<EOF
# gatehouse settings of the local '$PROFILE' stack, written by scripts/stack.sh
# at every start (SESSION_KEY, PLATFORM_ADMIN_TOKEN and the pool ids are kept).
$database_lines
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=S3RVER
AWS_SECRET_ACCESS_KEY=S3RVER
COGNITO_USER_POOL_ID=$pool_id
COGNITO_CLIENT_ID=$client_id
COGNITO_CLIENT_SECRET=$client_secret
COGNITO_ENDPOINT=http://127.0.0.1:$SHIM_PORT
COGNITO_ISSUER=http://127.0.0.1:$SHIM_PORT/{pool}
COGNITO_JWKS_URL=http://127.0.0.1:$SHIM_PORT/{pool}/.well-known/jwks.json
S3_BUCKET_NAME=$S3_BUCKET
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
SESSION_KEY=$session_key
ADMIN_GROUP=admin
BASE_DOMAIN=localhost
SITE_HOSTS=127.0.0.1,[::1]
CORS_ORIGINS=http://localhost:5173
PLATFORM_ADMIN_TOKEN=$admin_token
GATEHOUSE_LISTEN=$APP_SOCKET
GATEHOUSE_SOCKET_GROUP=$(socket_group)
GATEHOUSE_PROCESSES=$APP_PROCESSES
GATEHOUSE_THREADS=$APP_THREADS
GATEHOUSE_LISTEN_SLOW=$APP_SLOW_SOCKET
GATEHOUSE_SLOW_THREADS=$APP_SLOW_THREADS
GATEHOUSE_MAX_REQUESTS=100000
GATEHOUSE_REQUEST_TIMEOUT=20
GATEHOUSE_TENANT_CACHE_TTL=$TENANT_CACHE_TTL
GATEHOUSE_ADDRESS_FAILURES=$ADDRESS_FAILURES
GATEHOUSE_TEMPLATES=$REPO/templates
GATEHOUSE_PID_FILE=$APP_PIDFILE
EOF
    umask "$old_umask"
    if cmp -s "$ENV_FILE.new" "$ENV_FILE"; then
        rm -f "$ENV_FILE.new"
        SETTINGS_CHANGED=0
    else
        mv "$ENV_FILE.new" "$ENV_FILE"
        SETTINGS_CHANGED=1
    fi

    local admin_email admin_password
    admin_email=$(env_value "$ADMIN_FILE" ADMIN_EMAIL)
    admin_password=$(env_value "$ADMIN_FILE" ADMIN_PASSWORD)
    cat >"$STACK_ENV" <<EOF
# The local '$PROFILE' stack, for tests and tools: set -a; . $STACK_ENV
STACK_PROFILE=$PROFILE
BASE_URL=https://localhost:$HTTPS_PORT
HTTP_URL=http://localhost:$HTTP_PORT
HTTPS_PORT=$HTTPS_PORT
HTTP_PORT=$HTTP_PORT
PG_PORT=$PG_PORT
DATABASE_URL=postgresql://gatehouse@127.0.0.1:$PG_PORT/gatehouse
PGBOUNCER=$PGBOUNCER
PGBOUNCER_PORT=$PGB_PORT
PGBOUNCER_POOL=$PGBOUNCER_POOL
PGBOUNCER_ADMIN_URL=postgresql://pgbouncer@127.0.0.1:$PGB_PORT/pgbouncer
COGNITO_ENDPOINT=http://127.0.0.1:$SHIM_PORT
COGNITO_USER_POOL_ID=$pool_id
COGNITO_CLIENT_ID=$client_id
COGNITO_LOG=$LOG/cognito-local.log
COGNITO_LOCAL=http://127.0.0.1:$COGNITO_PORT
COGNITO_DOUBLE_CONTROL=http://127.0.0.1:$SHIM_PORT/__control
COGNITO_DB_DIR=$VAR/cognito/.cognito/db
S3_ENDPOINT=http://127.0.0.1:$S3_PORT
S3_BUCKET_NAME=$S3_BUCKET
TLS_CERT=$VAR/tls/cert.pem
LOG_DIR=$LOG
GATEHOUSE_ENV_FILE=$ENV_FILE
GATEHOUSE_SOCKET=$APP_SOCKET
PLATFORM_ADMIN_TOKEN=$admin_token
ADMIN_EMAIL=$admin_email
ADMIN_PASSWORD=$admin_password
EOF
    chmod 600 "$STACK_ENV"
}

# ---- the pool ----------------------------------------------------------------

# app_cmd — sets APP_CMD to app/gatehouse under `env` with none of the env
# file's keys left in its environment, so the env file is what counts.
app_cmd() {
    local k
    APP_CMD=(env)
    for k in "${APP_KEYS[@]}"; do APP_CMD+=(-u "$k"); done
    APP_CMD+=("$APP_BIN")
}

# ensure_responder — builds the bench responder with the Makefile's own rule
# when it is missing or older than its source. Fails when it cannot.
ensure_responder() {
    if [ -x "$RESPONDER" ] && [ "$RESPONDER" -nt "$REPO/tests/bench/responder.c" ]; then
        return 0
    fi
    say "building ${RESPONDER#"$REPO"/}"
    make -C "$REPO" --no-print-directory "$BUILD/tests/bench-responder" >>"$LOG/build.log" 2>&1
}

start_app() {
    local pid running
    if [ ! -x "$APP_BIN" ]; then
        [ "${STACK_WITHOUT_APP:-0}" = 1 ] ||
            die "$APP_BIN is missing: build it with 'make' (or set STACK_WITHOUT_APP=1 to stand the bench responder in for it)"
        ensure_responder || die "STACK_WITHOUT_APP=1 needs the bench responder, which did not build (see $LOG/build.log)"
        pidfile_pid "$APP_PIDFILE" >/dev/null && return 0
        warn "app/gatehouse is missing: the bench responder stands in for it (STACK_WITHOUT_APP=1)"
        rm -f "$APP_SOCKET"
        spawn "$APP_PIDFILE" "$LOG/gatehouse.log" "$VAR" "$RESPONDER" "$APP_SOCKET" "$POOL_THREADS"
        return 0
    fi

    say "migrating the database"
    app_cmd
    if ! (cd "$REPO" && "${APP_CMD[@]}" migrate --env-file "$ENV_FILE") >>"$LOG/gatehouse.log" 2>&1; then
        tail -n 20 "$LOG/gatehouse.log" >&2
        die "gatehouse migrate failed (see $LOG/gatehouse.log)"
    fi

    if pid=$(pidfile_pid "$APP_PIDFILE"); then
        # Another binary (a new build, or GATEHOUSE_BIN naming another
        # one, as a check against an older build does) means a restart.
        running=$(readlink "/proc/$pid/exe" 2>/dev/null) || running=
        if [ "$APP_BIN" -nt "$APP_PIDFILE" ] || [ "$SETTINGS_CHANGED" = 1 ] ||
            [ "${running% (deleted)}" != "$(readlink -f "$APP_BIN")" ] ||
            ! grep -qa -- "serve" "/proc/$pid/cmdline"; then
            say "restarting gatehouse (new binary or settings)"
            stop_pid "$pid" gatehouse TERM "$APP_STOP_TIMEOUT"
        else
            say "gatehouse runs (pid $pid): reloading it"
            kill -HUP "$pid"
            return 0
        fi
    fi
    # No stale socket, so that wait_app sees the new master's.
    rm -f "$APP_PIDFILE" "$APP_SOCKET"
    say "starting gatehouse ($APP_PROCESSES processes x $APP_THREADS threads)"
    spawn "$RUN/gatehouse.launch.pid" "$LOG/gatehouse.log" "$REPO" "${APP_CMD[@]}" serve --env-file "$ENV_FILE"
    APP_LAUNCH_PID=$(cat "$RUN/gatehouse.launch.pid")
    rm -f "$RUN/gatehouse.launch.pid"
}

wait_app() {
    if ! wait_until "$START_TIMEOUT" test -S "$APP_SOCKET"; then
        tail -n 20 "$LOG/gatehouse.log" >&2
        die "gatehouse did not open $APP_SOCKET (see $LOG/gatehouse.log)"
    fi
    if [ -n "${APP_LAUNCH_PID:-}" ]; then
        wait_until 5 test -s "$APP_PIDFILE" || echo "$APP_LAUNCH_PID" >"$APP_PIDFILE"
        pid_alive "$APP_LAUNCH_PID" || {
            tail -n 20 "$LOG/gatehouse.log" >&2
            die "gatehouse exited (see $LOG/gatehouse.log)"
        }
    fi
}

start_bench() {
    local pid
    if ! ensure_responder; then
        warn "the bench responder did not build (see $LOG/build.log): /__bench/fcgi will answer 502"
        return 0
    fi
    "$RESPONDER" --page >"$VAR/bench/static.html"
    "$RESPONDER" --page large >"$VAR/bench/static-large.html"
    chmod 644 "$VAR/bench/static.html" "$VAR/bench/static-large.html"
    if pid=$(pidfile_pid "$BENCH_PIDFILE"); then
        [ "$RESPONDER" -nt "$BENCH_PIDFILE" ] || return 0
        stop_pid "$pid" bench-responder TERM "$STOP_TIMEOUT"
    fi
    rm -f "$BENCH_SOCKET"
    spawn "$BENCH_PIDFILE" "$LOG/bench-responder.log" "$VAR" "$RESPONDER" "$BENCH_SOCKET" "$POOL_THREADS"
    wait_until "$START_TIMEOUT" test -S "$BENCH_SOCKET" ||
        die "the bench responder did not open $BENCH_SOCKET (see $LOG/bench-responder.log)"
}

# ---- nginx -----------------------------------------------------------------

render_nginx() {
    local conf=$VAR/nginx.conf.new
    render_template "$REPO/nginx/gatehouse.conf.in" "$conf" \
        "REPO=$REPO" "VAR=$VAR" "RUN=$RUN" "LOG=$LOG" \
        "HTTPS_PORT=$HTTPS_PORT" "HTTP_PORT=$HTTP_PORT" "NGINX_WORKERS=$NGINX_WORKERS" \
        "APP_SOCKET=$APP_SOCKET" "APP_KEEPALIVE=$((POOL_THREADS * KEPT_PER_THREAD / NGINX_WORKERS))" \
        "APP_SLOW_SOCKET=$APP_SLOW_SOCKET" \
        "BENCH_SOCKET=$BENCH_SOCKET" "POST_RATE=$POST_RATE" "POST_BURST=$POST_BURST"
    if ! is_root; then
        sed -i '/#root$/d' "$conf"
    elif [ "$(nginx_user)" != www-data ]; then
        sed -i "s/^user www-data www-data;/user $(nginx_user);/" "$conf"
    fi
    grep -q '00000000000000000000000000000001' /proc/net/if_inet6 2>/dev/null || sed -i '/#ipv6$/d' "$conf"
}

nginx_cmd() { nginx -p "$VAR/" -e "$LOG/nginx-error.log" "$@" 9>&-; }

start_nginx() {
    local pid code
    # nginx's own error answers use the site's error template, rendered by
    # the binary with the current templates (static/errors/ is not committed).
    mkdir -p "$REPO/static/errors"
    "$APP_BIN" error-pages "$REPO/static/errors" --env-file "$ENV_FILE" ||
        warn "could not render static/errors: nginx's own error pages stand in"
    render_nginx
    if ! nginx_cmd -c "$VAR/nginx.conf.new" -t -q 2>"$LOG/nginx-check.log"; then
        cat "$LOG/nginx-check.log" >&2
        die "the rendered nginx configuration is invalid ($VAR/nginx.conf.new)"
    fi
    mv "$VAR/nginx.conf.new" "$VAR/nginx.conf"
    if pid=$(pidfile_pid "$RUN/nginx.pid"); then
        say "nginx runs (pid $pid): reloading it"
        kill -HUP "$pid"
        return 0
    fi
    require_port_free "$HTTPS_PORT" "nginx https"
    require_port_free "$HTTP_PORT" "nginx http"
    say "starting nginx on https://localhost:$HTTPS_PORT/"
    (cd "$VAR" && nginx_cmd -c "$VAR/nginx.conf") || die "nginx did not start (see $LOG/nginx-error.log)"
}

nginx_up() { curl -ksS -m 2 -o /dev/null "https://127.0.0.1:$HTTPS_PORT/__bench/static.html"; }

# ---- all of it -------------------------------------------------------------

wait_all() {
    local t=${1:-$START_TIMEOUT}
    wait_until "$t" pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL does not answer on $PG_PORT"
    wait_until "$t" cognito_up || die "cognito-local does not answer on $COGNITO_PORT"
    wait_until "$t" s3_up || die "s3rver does not answer on $S3_PORT"
    wait_until "$t" test -S "$APP_SOCKET" || die "no gatehouse socket at $APP_SOCKET"
    wait_until "$t" nginx_up || die "nginx does not answer on https://127.0.0.1:$HTTPS_PORT/"
}

start() {
    if ! command -v nginx >/dev/null || [ ! -x "$NODE_BIN/cognito-local" ]; then
        die "nginx or node_modules is missing: run scripts/deps.sh (make deps)"
    fi
    mkdir -p "$VAR"
    exec 9>"$VAR/.stack.lock"
    flock -w 120 9 || die "another stack.sh holds $VAR/.stack.lock"

    # Every port free, or held by this profile already, before anything starts.
    require_port_free "$PG_PORT" postgresql
    require_port_free "$COGNITO_PORT" cognito-local
    require_port_free "$SHIM_PORT" "cognito shim"
    require_port_free "$S3_PORT" s3rver
    require_port_free "$HTTPS_PORT" "nginx https"
    require_port_free "$HTTP_PORT" "nginx http"
    [ "$PGBOUNCER" = 0 ] || require_port_free "$PGB_PORT" pgbouncer

    prepare_dirs
    make_certificate
    start_cognito
    start_shim
    start_s3
    start_postgres
    create_database
    [ "$PGBOUNCER" = 0 ] || start_pgbouncer
    wait_emulators
    write_settings
    start_app
    start_bench
    wait_app
    # Back to the direct connection: the pool no longer needs it.
    [ "$PGBOUNCER" = 1 ] || stop_pgbouncer
    start_nginx
    wait_all

    # The app answers through nginx (a stand-in responder answers anything).
    local code
    code=$(curl -ks -m 5 -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HTTPS_PORT/healthz") || code=000
    [ "$code" = 200 ] || warn "GET /healthz through nginx answered $code (see $LOG/gatehouse.log)"

    local stop_cmd="make stop"
    [ "$PROFILE" = dev ] || stop_cmd="STACK_PROFILE=$PROFILE scripts/stack.sh stop"
    cat <<EOF

  gatehouse ($PROFILE) is up at https://localhost:$HTTPS_PORT/  (self-signed certificate: accept it once)
  admin login:    $(env_value "$ADMIN_FILE" ADMIN_LOGIN)
  emailed codes:  ${LOG#"$REPO"/}/cognito-local.log (each in a "Confirmation Code Delivery" box),
                  also kept with the user in ${VAR#"$REPO"/}/cognito/.cognito/db/<pool id>.json
  logs:           ${LOG#"$REPO"/}/ (gatehouse.log, nginx-access.log, nginx-error.log, postgresql.log, ...)
  settings:       ${ENV_FILE#"$REPO"/}
  database:       psql postgresql://gatehouse@127.0.0.1:$PG_PORT/gatehouse
  another tenant: app/gatehouse tenant create --slug acme --name "Acme Corp" --admin-email you@example.com \\
                    --env-file ${ENV_FILE#"$REPO"/}
                  then https://localhost:$HTTPS_PORT/t/acme/ (or https://acme.localhost:$HTTPS_PORT/)
  stop:           $stop_cmd

EOF
}

# ============================================================================
# stop / status
# ============================================================================

stop() {
    [ -d "$VAR" ] || { say "nothing to stop"; return 0; }
    exec 9>"$VAR/.stack.lock"
    flock -w 120 9 || die "another stack.sh holds $VAR/.stack.lock"

    stop_pidfile "$RUN/nginx.pid" nginx QUIT "$STOP_TIMEOUT"
    stop_pidfile "$APP_PIDFILE" gatehouse TERM "$APP_STOP_TIMEOUT"
    stop_pidfile "$BENCH_PIDFILE" bench-responder TERM "$STOP_TIMEOUT"
    stop_pidfile "$RUN/s3rver.pid" s3rver TERM "$STOP_TIMEOUT"
    stop_pidfile "$RUN/cognito-shim.pid" "cognito shim" TERM "$STOP_TIMEOUT"
    stop_pidfile "$RUN/cognito-local.pid" cognito-local TERM "$STOP_TIMEOUT"
    stop_pgbouncer
    if [ -s "$PGDATA/PG_VERSION" ]; then
        PG_BIN=$(pg_bin_dir)
        if pg_running; then
            say "stopping PostgreSQL"
            as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t "$STOP_TIMEOUT" stop >/dev/null ||
                warn "pg_ctl stop failed"
        fi
    fi
    kill_leftovers
    rm -f "$APP_SOCKET" "$BENCH_SOCKET"
    say "stopped"
}

status() {
    local all=0 pid pg=stopped
    row() { printf '  %-16s %-8s %s\n' "$1" "$2" "$3"; }
    check_pidfile() {
        if pid=$(pidfile_pid "$2"); then row "$1" "pid $pid" "$3"; else row "$1" stopped "$3"; all=1; fi
    }
    echo "stack '$PROFILE' ($VAR):"
    if pg_isready -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then pg=running; else all=1; fi
    row postgresql "$pg" "127.0.0.1:$PG_PORT"
    if pid=$(pidfile_pid "$PGB_PIDFILE"); then row pgbouncer "pid $pid" "127.0.0.1:$PGB_PORT (transaction pooling)"; fi
    check_pidfile cognito-local "$RUN/cognito-local.pid" "http://127.0.0.1:$COGNITO_PORT"
    check_pidfile "cognito shim" "$RUN/cognito-shim.pid" "http://127.0.0.1:$SHIM_PORT/__control"
    check_pidfile s3rver "$RUN/s3rver.pid" "http://127.0.0.1:$S3_PORT"
    check_pidfile gatehouse "$APP_PIDFILE" "$APP_SOCKET"
    check_pidfile bench-responder "$BENCH_PIDFILE" "$BENCH_SOCKET"
    check_pidfile nginx "$RUN/nginx.pid" "https://localhost:$HTTPS_PORT/ (http $HTTP_PORT)"
    return "$all"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
restart) stop; start ;;
status) status ;;
wait) wait_all "${2:-$START_TIMEOUT}"; say "all services answer" ;;
env) [ -f "$STACK_ENV" ] || die "no $STACK_ENV yet: start the stack first"; cat "$STACK_ENV" ;;
*) echo "usage: STACK_PROFILE=dev|test $0 start|stop|restart|status|wait [SECONDS]|env" >&2; exit 2 ;;
esac
