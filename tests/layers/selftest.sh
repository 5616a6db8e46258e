#!/usr/bin/env bash
# tests/layers/selftest.sh: scripts/check-layers.sh against scratch trees
# (a copy of app/README.md and a few tiny sources) — a clean tree passes; an
# upward include, a sideways include between two folders of one floor and a
# folder on no floor each fail, naming the file and line.
# Ends with "N passed, N failed".
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
check=$repo/scripts/check-layers.sh
scratch=$(mktemp -d "${TMPDIR:-/tmp}/layers-selftest.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0 failed=0

ok()  { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/     | /'; }

# tree NAME: a clean scratch tree, printed as its path.
#   core/buf.{c,h}; http/request.c includes core; pages/home.c includes
#   http and core and its own folder; api/me.c includes core and http.
tree() {
  local t=$scratch/$1
  mkdir -p "$t/app/core" "$t/app/http" "$t/app/pages" "$t/app/api"
  cp "$repo/app/README.md" "$t/app/README.md"
  printf '#include "buf.h"\n#include <string.h>\nint buf_x;\n' >"$t/app/core/buf.c"
  printf '#include <stddef.h>\nextern int buf_x;\n' >"$t/app/core/buf.h"
  printf '#include "http/request.h"\n#include "core/buf.h"\nint req_x;\n' >"$t/app/http/request.c"
  printf '#include "core/buf.h"\n' >"$t/app/http/request.h"
  printf '#include "home.h"\n#include "http/request.h"\n#include "core/buf.h"\n#include <json-c/json.h>\n' >"$t/app/pages/home.c"
  printf '#include "core/buf.h"\n' >"$t/app/pages/home.h"
  printf '#include "core/buf.h"\n#include "http/request.h"\nint me_x;\n' >"$t/app/api/me.c"
  echo "$t"
}

# expect NAME WANT-RC PATTERN...: run the checker on the tree NAME; its exit
# code must be WANT-RC, its last line the matching count, and each PATTERN
# (an extended regex) must match a line of its output.
expect() {
  local name=$1 want=$2 out rc last pat miss=""; shift 2
  out=$("$check" "$scratch/$name" 2>&1); rc=$?
  last=$(printf '%s\n' "$out" | tail -1)
  if [ "$want" = 0 ]; then [ "$last" = "1 passed, 0 failed" ] || miss="last line: $last"
  else [ "$last" = "0 passed, 1 failed" ] || miss="last line: $last"; fi
  [ "$rc" = "$want" ] || miss="$miss; exit $rc, wanted $want"
  for pat in "$@"; do
    printf '%s\n' "$out" | grep -Eq -- "$pat" || miss="$miss; no line matches /$pat/"
  done
  if [ -z "$miss" ]; then ok "$name"; else bad "$name: ${miss#; }" "$out"; fi
}

# (a) a clean tree passes
tree clean >/dev/null
expect clean 0 '0 violations'

# (b) an upward include: http (parts) -> pages (adapters)
t=$(tree upward)
printf '#include "core/buf.h"\n#include "pages/home.h"\n' >"$t/app/http/cookies.c"
expect upward 1 '^app/http/cookies\.c:2: http -> pages \(pages is above http\)$' '1 violation in 1 file'

# (b') upward from the ground floor, in a header
t=$(tree upward-header)
printf '#include "tmpl/tmpl.h"\n' >"$t/app/core/log.h"
expect upward-header 1 '^app/core/log\.h:1: core -> tmpl \(tmpl is above core\)$'

# (c) sideways: pages -> api, two folders of one floor
t=$(tree sideways)
printf '#include "home.h"\n#include "api/me.h"\n' >"$t/app/pages/login.c"
expect sideways 1 '^app/pages/login\.c:2: pages -> api \(api and pages share a floor\)$'

# (d) a folder on no floor
t=$(tree nofloor)
mkdir -p "$t/app/foo"
printf '#include "core/buf.h"\n' >"$t/app/foo/foo.c"
expect nofloor 1 '^app/foo is on no floor'

# (d') an include of a folder on no floor, from a folder on a floor
t=$(tree tonofloor)
mkdir -p "$t/app/foo"
printf 'int foo_x;\n' >"$t/app/foo/foo.h"
printf '#include "foo/foo.h"\n' >"$t/app/api/x.c"
expect tonofloor 1 '^app/foo is on no floor' '^app/api/x\.c:1: api -> foo \(foo is on no floor\)$'

# (e) every violation is listed, not only the first
t=$(tree several)
printf '#include "pages/home.h"\n#include "api/me.h"\n' >"$t/app/core/bad.c"
printf '#include "api/me.h"\n' >"$t/app/pages/bad.c"
expect several 1 'core/bad\.c:1: core -> pages' 'core/bad\.c:2: core -> api' 'pages/bad\.c:1: pages -> api' \
  '3 violations in 2 files'

# (f) no layers block: the checker says so and fails
t=$(tree noblock)
printf '# app/\nno order here\n' >"$t/app/README.md"
expect noblock 2 'no ```layers block'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
