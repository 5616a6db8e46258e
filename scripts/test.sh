#!/usr/bin/env bash
# make test: every layer, one total at the end.
#   0. the test stack starts (ports 18443/18080/15433/19229/19329/14569)
#   1. C unit tests (tests/unit), each binary ending in "N passed, N failed";
#      the store tests make scratch databases in the test stack's PostgreSQL
#   1b. the layers: every #include in app/ against the floors of
#      app/README.md (scripts/check-layers.sh), and that checker's self-test;
#      the Makefile's front door (tests/build/frontdoor.sh)
#   2. a short libFuzzer run of every harness on its committed corpus
#   3. integration tests (Node's test runner) against the real stack:
#      nginx with TLS, PostgreSQL, cognito-local, s3rver, the pool
#   4. end-to-end tests (Node's test runner driving Debian's headless
#      chromium through playwright-core) against the same stack; their
#      screenshots are kept in tests/artifacts/e2e/
#   5. the same stack restarted with the pool behind Debian's PgBouncer in
#      transaction mode (STACK_PGBOUNCER=1: scripts/stack.sh, docs/SCALING.md),
#      and the integration tests that touch most of the database again
#      through it (PGBOUNCER_TESTS), with tests/pgbouncer/ (two tenants
#      taking turns on its few server connections)
# Prints "N passed, N failed" as its last line and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/rel}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
passed=0 failed=0
mkdir -p build

add_counts() { # "N passed, N failed" line → totals
  local line=$1 p f
  p=${line%% passed*}; p=${p##* }; f=${line#*, }; f=${f%% failed*}
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== test stack"
export STACK_PROFILE=test
# The stack stops however this script ends: a failure, ^C or a kill.
trap 'scripts/stack.sh stop >>build/stack-test.log 2>&1' EXIT
stack_up=0
if scripts/stack.sh start >build/stack-test.log 2>&1; then
  stack_up=1
  export GH_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:15433/postgres"
else
  cat build/stack-test.log; echo "the test stack did not start"; failed=$((failed + 1))
fi

echo "== unit tests"
unit_out=$(scripts/run-unit.sh "$@" 2>&1); echo "$unit_out"
add_counts "$(echo "$unit_out" | tail -1)"

echo "== layers and build"
# The include order of app/ (scripts/check-layers.sh against the block in
# app/README.md), then the checker's own tests on scratch trees, then the
# Makefile's front door (nothing asked of pkg-config before deps ran).
for check in scripts/check-layers.sh tests/layers/selftest.sh tests/build/frontdoor.sh; do
  layers_out=$("$check" 2>&1); echo "$layers_out"
  add_counts "$(echo "$layers_out" | tail -1)"
done

echo "== fuzz harnesses (${FUZZ_SECONDS}s each)"
if make -s fuzz-build >/dev/null 2>build/fuzz-build.log; then
  fuzz_out=$(FUZZ_SECONDS=$FUZZ_SECONDS scripts/fuzz.sh build/fuzz/fuzz_* 2>&1); echo "$fuzz_out"
  add_counts "$(echo "$fuzz_out" | tail -1)"
else
  cat build/fuzz-build.log; echo "fuzz: the harnesses did not build"; failed=$((failed + 1))
fi

# node_suite DIR LABEL [FILE...]: Node's test runner over DIR (or the given
# files of it) against the test stack, its counts added to the totals (a
# skipped test counts as a failure).
node_suite() {
  local dir=$1 label=$2 out np nf ns
  shift 2
  if [ "$stack_up" != 1 ]; then echo "$label: not run, the test stack is down"; failed=$((failed + 1)); return; fi
  out=$(cd "$dir" && node --test --test-reporter=tap --test-concurrency=1 "$@" 2>&1)
  # Failures with their reasons, the totals, and the soak's and PgBouncer
  # run's own figures.
  # A failure keeps the first lines of its report (the message may span
  # several).
  echo "$out" | awk '/^not ok/ { n = 16 } n > 0 { print; n--; next }
    /^# (tests|pass|fail|skipped|todo|soak|pgbouncer)|^#   / { print }' | head -300
  np=$(echo "$out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
  nf=$(echo "$out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
  ns=$(echo "$out" | sed -n 's/^# skipped \([0-9]*\)$/\1/p' | tail -1)
  if [ -z "$np" ]; then echo "$out" | tail -40; nf=1; np=0; fi
  [ "${ns:-0}" -gt 0 ] && { echo "$label: ${ns} skipped tests count as failures"; nf=$((nf + ns)); }
  echo "$label: $np passed, $nf failed"
  passed=$((passed + np)); failed=$((failed + nf))
  if [ "$nf" -gt 0 ]; then echo "-- gatehouse log (last 40 lines)"; tail -40 var/test/log/gatehouse.log; fi
}

echo "== integration tests (test stack)"
node_suite tests/integration integration
echo "== end-to-end browser tests (test stack, headless chromium; screenshots in tests/artifacts/e2e/)"
node_suite tests/e2e e2e

# The files whose tests reach most of the store (sessions, the users
# mirror, tier changes, audit, tenants and their schemas, files, bearer
# checks): about 30 s more, and a restart of the pool.
PGBOUNCER_TESTS="accounts.test.mjs admin.test.mjs tenants.test.mjs api.test.mjs ../pgbouncer/pgbouncer.test.mjs"
echo "== integration tests through PgBouncer (test stack, transaction pooling)"
if [ "$stack_up" = 1 ] && ! STACK_PGBOUNCER=1 scripts/stack.sh start >>build/stack-test.log 2>&1; then
  tail -20 build/stack-test.log; echo "the test stack did not restart behind PgBouncer"; stack_up=0
fi
# shellcheck disable=SC2086
node_suite tests/integration integration-pgbouncer $PGBOUNCER_TESTS

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
