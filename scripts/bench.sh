#!/usr/bin/env bash
# make bench: wrk against the local (dev) stack, bounded in time.
#
# Two ceilings are measured in the same run, interleaved with the targets
# so that a noisy neighbour hurts them alike: an nginx static file of a
# page's size, and a minimal libfcgi responder of our own (tests/bench)
# behind the same nginx. Each target runs ROUNDS times for SECONDS; the
# median requests/s and the median p50/p99 are printed with the ratio to
# both ceilings. Then the resident memory of each worker process.
set -u
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
export STACK_PROFILE=${STACK_PROFILE:-dev}
VAR=var/$STACK_PROFILE
PORT=$(sed -n 's/^HTTPS_PORT=//p' "$VAR/stack.env" 2>/dev/null)
PORT=${PORT:-8443}
BASE=https://127.0.0.1:$PORT

command -v wrk >/dev/null || { echo "bench: wrk is missing (make deps)"; exit 1; }
scripts/stack.sh start >/dev/null || { echo "bench: the stack did not start"; exit 1; }

# Targets: name|path|header|wrk script (the last two optional). Authenticated pages are added by the
# bench setup script when it exists (a session cookie, a bearer token).
targets=(
  "static|/__bench/static.html"
  "responder|/__bench/fcgi"
  "GET /|/"
  "GET /healthz|/healthz"
)
if [ -x scripts/bench-setup.sh ]; then
  while IFS= read -r line; do targets+=("$line"); done < <(scripts/bench-setup.sh "$BASE")
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# run_wrk PATH [HEADER] [SCRIPT] → "rps p50_ms p99_ms errors"
run_wrk() {
  local path=$1 header=${2:-} script=${3:-}
  local args=(-t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency --timeout 5s)
  [ -n "$header" ] && args+=(-H "$header")
  [ -n "$script" ] && args+=(-s "$script")
  local out; out=$(wrk "${args[@]}" "$BASE$path" 2>&1)
  local rps p50 p99 non2xx errors
  rps=$(echo "$out" | awk '/^Requests\/sec:/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ {print $NF}')
  errors=$(echo "$out" | awk '/Socket errors:/ {gsub(",",""); print $4+$6+$8+$10}')
  echo "${rps:-0} $(to_ms "${p50:-0}") $(to_ms "${p99:-0}") $(( ${non2xx:-0} + ${errors:-0} ))"
}

to_ms() { # wrk prints 1.23ms, 456.00us, 1.02s
  awk -v v="$1" 'BEGIN { n = v + 0;
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000;
    printf "%.2f", n }'
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A RPS P50 P99 ERR
for round in $(seq "$ROUNDS"); do
  for t in "${targets[@]}"; do
    IFS='|' read -r name path header script <<<"$t"
    read -r rps p50 p99 errs < <(run_wrk "$path" "$header" "$script")
    RPS[$name]+="$rps "; P50[$name]+="$p50 "; P99[$name]+="$p99 "; ERR[$name]=$(( ${ERR[$name]:-0} + errs ))
  done
done

med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
static=$(med "${RPS[static]}"); responder=$(med "${RPS[responder]}")
printf '\n%-22s %10s %9s %9s %8s %12s %12s\n' target "req/s" "p50 ms" "p99 ms" errors "vs static" "vs responder"
for t in "${targets[@]}"; do
  IFS='|' read -r name _ <<<"$t"
  r=$(med "${RPS[$name]}")
  printf '%-22s %10.0f %9.2f %9.2f %8d %11.1f%% %11.1f%%\n' "$name" "$r" "$(med "${P50[$name]}")" \
    "$(med "${P99[$name]}")" "${ERR[$name]}" "$(awk -v a="$r" -v b="$static" 'BEGIN{print (b>0 ? 100*a/b : 0)}')" \
    "$(awk -v a="$r" -v b="$responder" 'BEGIN{print (b>0 ? 100*a/b : 0)}')"
done

echo
master=$(cat "$VAR/run/gatehouse.pid" 2>/dev/null)
max_kb=0
for pid in $(pgrep -P "${master:-0}"); do
  kb=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
  anon=$(awk '/^RssAnon:/ {print $2}' /proc/"$pid"/status 2>/dev/null)
  echo "worker $pid resident: $(( ${kb:-0} / 1024 )).$(( (${kb:-0} % 1024) * 10 / 1024 )) MB" \
       "(of which private: $(( ${anon:-0} / 1024 )).$(( (${anon:-0} % 1024) * 10 / 1024 )) MB; the rest is shared libraries)"
  [ "${kb:-0}" -gt "$max_kb" ] && max_kb=${kb:-0}
done
# ---- GET /login while 200 logins wait on a slow Cognito -------------------
# The Cognito double answers InitiateAuth after 300 ms; login-storm.mjs keeps
# 200 logins in flight on the slow lane while wrk measures GET /login.
echo
STORM_CONCURRENCY=${BENCH_STORM:-200}
control=$(sed -n 's/^COGNITO_DOUBLE_CONTROL=//p' "$VAR/stack.env")
curl -fsS -X POST "$control" -H 'content-type: application/json' \
  -d '{"op":"InitiateAuth","mode":"delay","delayMs":300}' >/dev/null
node tests/bench/login-storm.mjs "$VAR/run/gatehouse/gatehouse-slow.sock" "$VAR/run/gatehouse/gatehouse.sock" \
  "$STORM_CONCURRENCY" $((SECONDS_PER_RUN + 4)) >"$tmp/storm.json" &
storm=$!
sleep 2
read -r s_rps s_p50 s_p99 s_errs < <(run_wrk /login)
wait "$storm"
curl -fsS -X POST "$control" -H 'content-type: application/json' -d '{"reset":true}' >/dev/null
printf 'GET /login during %d slow logins: %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d; storm %s\n' \
  "$STORM_CONCURRENCY" "$s_rps" "$s_p50" "$s_p99" "$s_errs" "$(cat "$tmp/storm.json")"
echo "GET /login p99 under 50 ms during the storm: $(awk -v p="$s_p99" 'BEGIN{print (p < 50) ? "yes" : "NO"}')"

# ---- POST /files/upload-url ------------------------------------------------
# nginx lets one client address make 10 POSTs a second, so this POST is
# measured on the pool's slow-lane socket by a FastCGI client of our own
# (tests/bench/fcgi-load.mjs), with the bearer token of the GET /api/v1/me
# target; the plain responder is measured by the same client for scale.
echo
bearer=
for t in "${targets[@]}"; do
  IFS='|' read -r name _ header _ <<<"$t"
  [ "$name" = "GET /api/v1/me" ] && bearer=${header#Authorization: Bearer }
done
if [ -n "$bearer" ]; then
  slow_socket=$(sed -n 's/^GATEHOUSE_LISTEN_SLOW=//p' "$VAR/gatehouse.env")
  upload=$(node tests/bench/fcgi-load.mjs "$slow_socket" POST /files/upload-url "$SECONDS_PER_RUN" \
    "$CONNECTIONS" "HTTP_AUTHORIZATION=Bearer $bearer" CONTENT_TYPE=application/json \
    'BODY={"filename":"bench.bin","content_type":"application/octet-stream","size":1024}')
  reference=$(node tests/bench/fcgi-load.mjs "$VAR/run/bench.sock" GET / "$SECONDS_PER_RUN" "$CONNECTIONS")
  echo "POST /files/upload-url (FastCGI, slow lane): $upload"
  echo "  the plain responder through the same client: $reference"
  echo "  upload-url vs responder: $(node -e 'const [a, b] = process.argv.slice(1).map((j) => JSON.parse(j).rps);
    console.log(b ? (100 * a / b).toFixed(1) + "%" : "-")' "$upload" "$reference")"
  psql "$(sed -n 's/^DATABASE_URL=//p' "$VAR/stack.env")" -qtAX -c "DELETE FROM t_default.files
    WHERE owner_sub IN (SELECT sub FROM t_default.users WHERE email = 'bench-api@bench.example')" >/dev/null 2>&1
else
  echo "POST /files/upload-url: left out (no bearer token from the bench setup)"
fi

page=$(med "${RPS[GET /]}")
verdict() { if [ "$1" = 1 ]; then echo "yes"; else echo "NO"; fi; }
echo "GET / reaches 80% of the responder: $(verdict "$(awk -v a="$page" -v b="$responder" 'BEGIN{print (b>0 && a>=0.8*b)?1:0}')")"
echo "every worker under 8 MB resident: $(verdict "$([ "$max_kb" -gt 0 ] && [ "$max_kb" -lt 8192 ] && echo 1)")"
