#!/usr/bin/env bash
# valgrind.sh — `make valgrind`: the integration flows against a pool whose
# master and worker run under valgrind's memcheck; fails on any memory error
# or definite leak.
#
#   scripts/valgrind.sh [TEST_FILE...]   (default: VALGRIND_TESTS, or the
#       flows that need no second worker process: accounts, api, admin,
#       http and tenants .test.mjs of tests/integration)
#   STACK_PROFILE (default valgrind) and STACK_PORT_BASE (default 27400)
#   name a private stack of its own, started here and stopped at the end.
#   GATEHOUSE_BIN is the binary to check (make valgrind passes its build).
#
# How the workers are covered: the stack runs gatehouse through a small
# wrapper (var/<profile>/valgrind-gatehouse) that starts `serve` under
# valgrind with one worker process of a few threads. A worker is a fork of
# the master, not an exec, so it stays under valgrind without
# --trace-children. Workers end with _exit(): that skips atexit handlers
# and stdio flushing, but valgrind's final leak check runs at the exit of
# every process it runs, exit_group included, so each worker is leak-checked
# when the pool stops (SIGTERM: the worker finishes, joins its threads,
# which release their connections and buffers, and cleans up first). Each
# process writes its own report (var/<profile>/log/valgrind.<pid>.log) and
# exits VALGRIND_ERROR_STATUS when it found an error or a definite leak
# (--errors-for-leak-kinds=definite); this script reads every report.
set -u
cd "$(dirname "$0")/.."
REPO=$(pwd -P)
export STACK_PROFILE=${STACK_PROFILE:-valgrind}
[ "$STACK_PROFILE" = dev ] || [ "$STACK_PROFILE" = test ] || export STACK_PORT_BASE=${STACK_PORT_BASE:-27400}
BIN=${GATEHOUSE_BIN:-$REPO/app/gatehouse}
VAR=$REPO/var/$STACK_PROFILE
LOG=$VAR/log
WRAPPER=$VAR/valgrind-gatehouse
VALGRIND_ERROR_STATUS=99
STOP_TIMEOUT=180 # valgrind's leak check at exit takes a while
read -r -a TESTS <<<"${*:-${VALGRIND_TESTS:-accounts.test.mjs api.test.mjs admin.test.mjs http.test.mjs tenants.test.mjs}}"

die() { echo "valgrind.sh: $*" >&2; exit 1; }
command -v valgrind >/dev/null || die "valgrind is not installed (apt-get install valgrind)"
[ -x "$BIN" ] || die "$BIN is missing: build it first (make)"

mkdir -p "$LOG"
rm -f "$LOG"/valgrind.*.log
# The wrapper: only `serve` runs under valgrind (migrate and error-pages are
# one-shot commands of the stack script). Settings from the environment win
# over the stack's env file, so the pool here is 1 process x 4 threads (and
# 4 of the slow lane), with a longer request timeout for valgrind's pace.
cat >"$WRAPPER" <<EOF
#!/bin/sh
# written by scripts/valgrind.sh
if [ "\$1" != serve ]; then exec "$BIN" "\$@"; fi
export GATEHOUSE_PROCESSES=1 GATEHOUSE_THREADS=4 GATEHOUSE_SLOW_THREADS=4 GATEHOUSE_REQUEST_TIMEOUT=120
exec valgrind --tool=memcheck --error-exitcode=$VALGRIND_ERROR_STATUS \\
    --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
    --num-callers=30 --log-file="$LOG/valgrind.%p.log" "$BIN" "\$@"
EOF
chmod 755 "$WRAPPER"

echo "== valgrind: starting the '$STACK_PROFILE' stack with gatehouse under memcheck"
GATEHOUSE_BIN=$WRAPPER scripts/stack.sh stop >/dev/null 2>&1
if ! GATEHOUSE_BIN=$WRAPPER scripts/stack.sh start >"$LOG/valgrind-stack.log" 2>&1; then
    cat "$LOG/valgrind-stack.log"
    GATEHOUSE_BIN=$WRAPPER scripts/stack.sh stop >/dev/null 2>&1
    die "the stack did not start"
fi
master=$(cat "$VAR/run/gatehouse.pid")

echo "== valgrind: integration flows: ${TESTS[*]}"
(cd tests/integration && GATEHOUSE_BIN=$BIN node --test --test-reporter=spec --test-concurrency=1 "${TESTS[@]}") \
    >"$LOG/valgrind-tests.log" 2>&1
tests_rc=$?
grep -E '^ℹ (tests|pass|fail)|^✖' "$LOG/valgrind-tests.log" | head -40

echo "== valgrind: stopping the pool (leak check at each process's exit)"
kill -TERM "$master" 2>/dev/null
for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$master" 2>/dev/null || break
    sleep 0.2
done
kill -0 "$master" 2>/dev/null && echo "valgrind.sh: the master did not stop within ${STOP_TIMEOUT}s"
GATEHOUSE_BIN=$WRAPPER scripts/stack.sh stop >/dev/null 2>&1

# Every report: the master, each worker (and any worker that was replaced).
bad=0 reports=0
for f in "$LOG"/valgrind.*.log; do
    [ -e "$f" ] || continue
    reports=$((reports + 1))
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9][0-9]*\) errors.*/\1/p' "$f" | tail -1)
    definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tail -1)
    kind=master
    [ "$(sed -n 's/^==[0-9]*== Parent PID: \([0-9]*\)$/\1/p' "$f")" = "$master" ] && kind=worker
    printf '  %s %-7s errors=%s definitely_lost=%s bytes\n' "${f#"$REPO"/}" "$kind" "${errors:-?}" "${definite:-0}"
    if [ -z "$errors" ]; then
        echo "    no ERROR SUMMARY: the process did not exit normally"
        bad=1
    elif [ "$errors" != 0 ] || [ "${definite:-0}" != 0 ]; then
        bad=1
        sed -n '/^==[0-9]*== [A-Z].*\(Invalid\|uninitialised\|Mismatched\|definitely lost\|overlap\)/,/^==[0-9]*== $/p' "$f" | head -80
    fi
done
[ "$reports" -ge 2 ] || { echo "valgrind.sh: expected reports of the master and a worker, found $reports"; bad=1; }
if [ "$tests_rc" != 0 ]; then
    echo "valgrind.sh: the integration flows failed under valgrind (see ${LOG#"$REPO"/}/valgrind-tests.log)"
    bad=1
fi
if [ "$bad" = 0 ]; then
    echo "valgrind: clean ($reports processes: no errors, no definite leaks)"
else
    echo "valgrind: FAILED (reports in ${LOG#"$REPO"/}/valgrind.*.log)"
fi
exit "$bad"
