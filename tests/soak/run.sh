#!/usr/bin/env bash
# make soak: ten minutes (SOAK_SECONDS) of mixed traffic at SOAK_RATE
# requests/s against the local stack of STACK_PROFILE (default: test, on its
# own ports, as make test uses it; a private profile also needs
# STACK_PORT_BASE, as scripts/stack.sh says), then the figures: requests and errors
# per operation, worker memory and descriptors after warm-up. The stack is
# started first and stopped afterwards, as make test does. Exit status 0
# when the run had no error, flat memory and no descriptor growth.
set -u
cd "$(dirname "$0")/../.."
export STACK_PROFILE=${STACK_PROFILE:-test}
export SOAK_SECONDS=${SOAK_SECONDS:-600} SOAK_RATE=${SOAK_RATE:-40}
mkdir -p build
echo "== soak: starting the '$STACK_PROFILE' stack (log: build/stack-soak.log)"
if ! scripts/stack.sh start >build/stack-soak.log 2>&1; then
  cat build/stack-soak.log
  echo "soak: the stack did not start"
  exit 1
fi
echo "== soak: ${SOAK_SECONDS} s at ${SOAK_RATE} requests/s"
node tests/soak/soak.mjs --seconds "$SOAK_SECONDS" --rate "$SOAK_RATE"
rc=$?
scripts/stack.sh stop >>build/stack-soak.log 2>&1
exit $rc
