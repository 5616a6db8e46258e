# shellcheck shell=bash
# lib-stack.sh — helpers of scripts/stack.sh (sourced, not run).
#
# Everything here works on one profile's state directory, $VAR, which the
# caller sets before using them. A process is "ours" when it is alive and its
# command line or its working directory names $VAR: that is how pid files are
# trusted (a recycled pid is not ours) and how leftovers are found after a
# crash, never by a program name alone.

shopt -u patsub_replacement 2>/dev/null || true  # "&" stays literal in ${x//p/r}

say()  { printf '%s\n' "stack[$PROFILE]: $*"; }
warn() { printf '%s\n' "stack[$PROFILE]: warning: $*" >&2; }
die()  { printf '%s\n' "stack[$PROFILE]: error: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# wait_until SECONDS CMD... — runs CMD every 0.2 s until it succeeds (0) or
# SECONDS have passed (1).
wait_until() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# pid_alive PID — true while PID runs. A zombie counts as gone: the daemons
# are orphans, and some init processes (a container's) reap them late.
pid_alive() {
    local stat state
    [[ "$1" =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$1/stat" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    state=${stat##*) }
    state=${state%% *}
    [ "$state" != Z ] && [ "$state" != X ]
}

pid_gone() { ! pid_alive "$1"; }

# pid_is_ours PID — true when PID is alive and names $VAR in its command line
# or has its working directory under $VAR.
pid_is_ours() {
    local pid=$1 cmd cwd
    pid_alive "$pid" || return 1
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || cwd=
    [[ "$cmd" == *"$VAR/"* || "$cmd" == *"$VAR "* || "$cwd" == "$VAR" || "$cwd" == "$VAR/"* ]]
}

# pidfile_pid FILE — prints the pid in FILE when that process is ours.
pidfile_pid() {
    local pid
    [ -s "$1" ] || return 1
    read -r pid <"$1" || return 1
    pid_is_ours "$pid" || return 1
    printf '%s\n' "$pid"
}

# stop_pid PID NAME SIGNAL SECONDS — sends SIGNAL, waits up to SECONDS for
# the process to go, then kills it.
stop_pid() {
    local pid=$1 name=$2 sig=$3 secs=$4
    kill -"$sig" "$pid" 2>/dev/null || return 0
    if ! wait_until "$secs" pid_gone "$pid"; then
        warn "$name (pid $pid) did not stop in ${secs}s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 5 pid_gone "$pid" || true
    fi
}

# stop_pidfile FILE NAME SIGNAL SECONDS — stop_pid for the process of a pid
# file (when it is ours); the pid file goes either way.
stop_pidfile() {
    local pid
    if pid=$(pidfile_pid "$1"); then
        say "stopping $2 (pid $pid)"
        stop_pid "$pid" "$2" "$3" "$4"
    fi
    rm -f "$1"
}

# The programs the stack runs: only these are ever taken for leftovers, so a
# developer's `tail -f var/dev/log/...` or editor survives `stop`.
STACK_PROGRAMS=" postgres pgbouncer node nginx gatehouse bench-responder "

# leftover_pids — every process of STACK_PROGRAMS that is ours, except this
# shell and its ancestors.
leftover_pids() {
    local skip=" " p=$$ d pid exe
    while [ "$p" -gt 1 ] 2>/dev/null; do
        skip+="$p "
        p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || break
    done
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [[ "$skip" == *" $pid "* ]] && continue
        exe=$(readlink "$d/exe" 2>/dev/null) || continue
        exe=${exe% (deleted)}
        [[ "$STACK_PROGRAMS" == *" ${exe##*/} "* ]] || continue
        pid_is_ours "$pid" && printf '%s\n' "$pid"
    done
    return 0
}

# kill_leftovers — TERM, then KILL after a few seconds, whatever of ours
# still runs once the pid files have been dealt with.
kill_leftovers() {
    local pids
    pids=$(leftover_pids | tr '\n' ' ')
    [ -n "${pids// /}" ] || return 0
    warn "killing leftover processes: $pids"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    local deadline=$(($(date +%s) + 5)) p alive
    while :; do
        alive=
        for p in $pids; do pid_alive "$p" && alive+="$p "; done
        [ -z "$alive" ] && return 0
        if [ "$(date +%s)" -ge "$deadline" ]; then
            # shellcheck disable=SC2086
            kill -KILL $alive 2>/dev/null || true
            return 0
        fi
        sleep 0.2
    done
}

# port_owner PORT — prints "name(pid)" of what listens on TCP PORT on any
# address; fails when nothing does.
port_owner() {
    local line
    line=$(ss -Hltnp "sport = :$1" 2>/dev/null | head -n 1)
    [ -n "$line" ] || return 1
    sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' <<<"$line" | tr -d '"' | sed 's/,pid=/(/; s/$/)/'
    return 0
}

# port_pid PORT — the pid listening on TCP PORT (empty when none).
port_pid() {
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1
}

# require_port_free PORT WHAT — dies when something that is not ours
# listens on PORT.
require_port_free() {
    local pid owner
    pid=$(port_pid "$1")
    [ -n "$pid" ] || return 0
    pid_is_ours "$pid" && return 0
    owner=$(port_owner "$1") || owner="pid $pid"
    die "port $1 (for $2) is taken by $owner; stop it or use the other STACK_PROFILE"
}

# ensure_traversable USER DIR — lets USER reach DIR: every directory on the
# way gets o+x (search only: nobody can list them) when USER cannot pass it.
# Needed because PostgreSQL and nginx's workers do not run as root, while the
# repository may sit under a private directory.
ensure_traversable() {
    local user=$1 dir=$2 path='' part
    local IFS=/
    for part in $dir; do
        [ -n "$part" ] || continue
        path+="/$part"
        [[ "$(stat -c %A "$path")" == *x ]] && continue
        runuser -u "$user" -- test -x "$path" 2>/dev/null && continue
        chmod o+x "$path"
        say "chmod o+x $path (so that $user can reach $dir)"
    done
}

# render_template SRC DST KEY=VALUE... — writes SRC to DST with every @KEY@
# replaced by VALUE; dies when a @NAME@ is left over.
render_template() {
    local src=$1 dst=$2 text kv
    shift 2
    text=$(<"$src")
    for kv in "$@"; do
        text=${text//@${kv%%=*}@/${kv#*=}}
    done
    if grep -qE '@[A-Z_]+@' <<<"$text"; then
        die "$src: no value for $(grep -oE '@[A-Z_]+@' <<<"$text" | sort -u | tr '\n' ' ')"
    fi
    printf '%s\n' "$text" >"$dst"
}
