#!/usr/bin/env bash
# make test: every layer, one total at the end.
#   0. the test stack starts (ports 18443/18080/15433/19229/19329/14569)
#   1. C unit tests (tests/unit), each binary ending in "N passed, N failed";
#      the store tests make scratch databases in the test stack's PostgreSQL
#   2. a short libFuzzer run of every harness on its committed corpus
#   3. integration tests (Node's test runner) against the real stack:
#      nginx with TLS, PostgreSQL, cognito-local, s3rver, the pool
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

echo "== fuzz harnesses (${FUZZ_SECONDS}s each)"
if make -s fuzz-build >/dev/null 2>build/fuzz-build.log; then
  fuzz_out=$(FUZZ_SECONDS=$FUZZ_SECONDS scripts/fuzz.sh build/fuzz/fuzz_* 2>&1); echo "$fuzz_out"
  add_counts "$(echo "$fuzz_out" | tail -1)"
else
  cat build/fuzz-build.log; echo "fuzz: the harnesses did not build"; failed=$((failed + 1))
fi

echo "== integration tests (test stack)"
if [ "$stack_up" = 1 ]; then
  node_out=$(cd tests/integration && node --test --test-reporter=tap --test-concurrency=1 2>&1)
  echo "$node_out" | grep -E '^(not ok|# (tests|pass|fail|skipped|todo))|^\s+(error|expected|actual):' | head -200
  np=$(echo "$node_out" | sed -n 's/^# pass \([0-9]*\)$/\1/p' | tail -1)
  nf=$(echo "$node_out" | sed -n 's/^# fail \([0-9]*\)$/\1/p' | tail -1)
  ns=$(echo "$node_out" | sed -n 's/^# skipped \([0-9]*\)$/\1/p' | tail -1)
  if [ -z "$np" ]; then echo "$node_out" | tail -40; nf=1; np=0; fi
  [ "${ns:-0}" -gt 0 ] && { echo "integration: ${ns} skipped tests count as failures"; nf=$((nf + ns)); }
  echo "integration: $np passed, $nf failed"
  passed=$((passed + np)); failed=$((failed + nf))
  if [ "$nf" -gt 0 ]; then echo "-- gatehouse log (last 40 lines)"; tail -40 var/test/log/gatehouse.log; fi
else
  echo "integration: not run, the test stack is down"
fi
scripts/stack.sh stop >>build/stack-test.log 2>&1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
