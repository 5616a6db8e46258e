#!/usr/bin/env bash
# Runs each libFuzzer harness for FUZZ_SECONDS on a copy of its committed
# corpus (tests/fuzz/corpus/<name>), so new inputs it finds never dirty the
# tree. A harness that crashes or leaks counts as a failure; the crashing
# input is kept under build/fuzz/crashes/.
set -u
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
passed=0 failed=0
mkdir -p build/fuzz/crashes
for bin in "$@"; do
  name=$(basename "$bin"); name=${name#fuzz_}
  work=build/fuzz/corpus-$name; rm -rf "$work"; mkdir -p "$work"
  [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
  if "$bin" -max_total_time="$FUZZ_SECONDS" -max_len=8192 -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/crashes/"$name"- "$work" >build/fuzz/"$name".log 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' build/fuzz/"$name".log | grep -o '[0-9]*$' || echo '?') runs)"
    passed=$((passed + 1))
  else
    echo "fuzz $name: FAILED"; tail -30 build/fuzz/"$name".log; failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
