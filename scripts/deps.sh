#!/usr/bin/env bash
# deps.sh — make sure what gatehouse builds and runs with is installed.
#
# Runs before every `make run` and `make test`, so the common case (all
# there) must cost next to nothing: one dpkg-query call and one timestamp
# comparison. Otherwise:
#   - missing Debian packages are installed with apt-get (as root; as another
#     user it prints the exact command to run and exits 1). Services are kept
#     from starting while they install, and the Debian nginx, PostgreSQL and
#     PgBouncer services are disabled when this script is what installed
#     them; a running system nginx is stopped. The stack runs its own nginx
#     masters, PostgreSQL clusters and PgBouncers (the pooled test run of
#     `make test`) under var/, never the system ones.
#   - node_modules is (re)built with `npm ci` when it is missing or older than
#     package-lock.json.
set -euo pipefail

cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
    build-essential pkg-config clang
    libfcgi-dev libpq-dev libjson-c-dev libjwt-dev libssl-dev libcurl4-openssl-dev libqrencode-dev
    nginx postgresql pgbouncer wrk chromium
    openssl curl ca-certificates psmisc procps
)
# The system services that installing these packages would start.
SYSTEM_SERVICES=(nginx postgresql pgbouncer)
POLICY_RC=/usr/sbin/policy-rc.d

say() { printf 'deps: %s\n' "$*"; }

# Prints the packages of DEBIAN_PACKAGES (and nodejs/npm when node is absent)
# that dpkg does not list as installed, one per line.
missing_packages() {
    local wanted=("${DEBIAN_PACKAGES[@]}") installed
    command -v node >/dev/null && command -v npm >/dev/null || wanted+=(nodejs npm)
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null |
        awk '$2 == "installed" { print $1 }') || true
    local p
    for p in "${wanted[@]}"; do
        grep -qx -- "$p" <<<"$installed" || printf '%s\n' "$p"
    done
}

# Installs the given packages with no service started meanwhile (a Debian
# policy-rc.d that answers 101 "action forbidden"), then disables the system
# services among them so that a reboot does not start them either.
install_packages() {
    local own_policy=0
    if [ ! -e "$POLICY_RC" ]; then
        printf '#!/bin/sh\n# written by gatehouse scripts/deps.sh during apt-get install\nexit 101\n' >"$POLICY_RC"
        chmod 755 "$POLICY_RC"
        own_policy=1
        trap 'rm -f "$POLICY_RC"' EXIT
    fi
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
    if [ "$own_policy" = 1 ]; then
        rm -f "$POLICY_RC"
        trap - EXIT
    fi

    local svc p
    for svc in "${SYSTEM_SERVICES[@]}"; do
        for p in "$@"; do
            [ "$p" = "$svc" ] || continue
            if [ -d /run/systemd/system ]; then
                systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
            elif command -v update-rc.d >/dev/null; then
                update-rc.d "$svc" disable >/dev/null 2>&1 || true
            fi
            say "disabled the system $svc service (the stack runs its own)"
        done
    done
}

mapfile -t missing < <(missing_packages)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "missing Debian packages: ${missing[*]}"
        say "install them as root, then run this again:"
        say "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
        exit 1
    fi
    install_packages "${missing[@]}"
    mapfile -t still < <(missing_packages)
    if [ "${#still[@]}" -gt 0 ]; then
        say "still missing after apt-get: ${still[*]}"
        exit 1
    fi
fi

# The Debian nginx service (its master writes /run/nginx.pid; ours live
# under var/ and are started with -p) is stopped and disabled if it runs:
# nothing of the stack uses it, and it only holds ports and memory.
if [ -s /run/nginx.pid ]; then
    read -r system_nginx </run/nginx.pid || system_nginx=
    if [ -n "$system_nginx" ] && [ -d "/proc/$system_nginx" ] &&
        ! tr '\0' ' ' <"/proc/$system_nginx/cmdline" | grep -q -- ' -p '; then
        if [ "$(id -u)" -eq 0 ]; then
            if [ -d /run/systemd/system ]; then
                systemctl disable --now nginx.service >/dev/null 2>&1 || kill -QUIT "$system_nginx"
            else
                kill -QUIT "$system_nginx"
                if command -v update-rc.d >/dev/null; then update-rc.d nginx disable >/dev/null 2>&1 || true; fi
            fi
            say "stopped the system nginx service (pid $system_nginx): the stack runs its own"
        else
            say "note: the system nginx service runs (pid $system_nginx); the stack does not need it"
        fi
    fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    say "node $(node --version) is too old: cognito-local and the tests need node 20 or newer"
    exit 1
fi

# npm writes node_modules/.package-lock.json at every install: when it is
# older than the committed lock file, the packages are stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    touch node_modules/.package-lock.json
fi
