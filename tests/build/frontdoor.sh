#!/usr/bin/env bash
# frontdoor: the Makefile must work on a machine where the -dev packages
# arrive only with `make deps`. make reads the Makefile before any recipe
# runs, so a library flag asked of pkg-config at read time is asked before
# deps has installed the library, and the build links without it. This
# test puts first on PATH a pkg-config of its own that records every call
# and answers fixed flags, and proves:
#   1. reading the Makefile (a target that compiles nothing) asks nothing;
#   2. a compile asks pkg-config, and runs the deps step before compiling;
#   3. the flags pkg-config gives reach the compiler and the linker.
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
passed=0 failed=0
check() { # name, condition (0 = true)
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "frontdoor: FAILED: $1"; fi
}

fake_bin=$(mktemp -d)
trap 'rm -rf "$fake_bin"' EXIT
cat >"$fake_bin/pkg-config" <<'SCRIPT'
#!/bin/sh
echo "$*" >>"$PKG_CALLS"
case "$*" in
  *--cflags*) echo "-I/frontdoor/include" ;;
  *--libs*) echo "-lfrontdoor" ;;
esac
SCRIPT
chmod +x "$fake_bin/pkg-config"
export PKG_CALLS="$fake_bin/calls"

: >"$PKG_CALLS"
PATH="$fake_bin:$PATH" make -n clean >/dev/null 2>&1
check "reading the Makefile asks pkg-config nothing" "$([ ! -s "$PKG_CALLS" ]; echo $?)"

: >"$PKG_CALLS"
out=$(PATH="$fake_bin:$PATH" make -n -B BUILD="$fake_bin/build" "$fake_bin/build/gatehouse" 2>&1)
deps_line=$(printf '%s\n' "$out" | grep -n 'scripts/deps.sh' | head -1 | cut -d: -f1)
cc_line=$(printf '%s\n' "$out" | grep -n -- ' -c -o ' | head -1 | cut -d: -f1)
check "a build runs deps before the first compile" \
  "$([ -n "$deps_line" ] && [ -n "$cc_line" ] && [ "$deps_line" -lt "$cc_line" ]; echo $?)"
check "each flag is asked once per run" \
  "$([ "$(grep -c -- --cflags "$PKG_CALLS")" -eq 1 ] && [ "$(grep -c -- --libs "$PKG_CALLS")" -eq 1 ]; echo $?)"
check "compiles get pkg-config's cflags" \
  "$(printf '%s\n' "$out" | grep -- ' -c -o ' | grep -qv -- '-I/frontdoor/include'; [ $? -ne 0 ]; echo $?)"
check "the link gets pkg-config's libs" \
  "$(printf '%s\n' "$out" | grep -- "-o $fake_bin/build/gatehouse " | grep -q -- '-lfrontdoor'; echo $?)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
