#!/usr/bin/env bash
# bench-setup.sh BASE — the targets of `make bench` that need data or a session.
#
# Called by scripts/bench.sh with BASE (https://127.0.0.1:<port>) and
# STACK_PROFILE in the environment, once the stack runs. It prints one target
# per line, as bench.sh reads them: "name|path|Header: value".
#   GET /login, GET /signup        anonymous pages
#   GET /account                   a plain user's session
#   GET /admin                     an admin's session, with 10,000 users in the
#                                  default tenant's users mirror (the statistics)
#   (none)                         1,000 tenants (many-0001 ...) for bench.sh's
#                                  pages across random tenants, made once
# It is idempotent: the 10,000 mirror rows (subs bench-00001 ...) are inserted
# only when missing; the two users (bench-admin@bench.example in the admin
# group, bench-user@bench.example) are made in cognito-local only when
# missing, with a permanent password, and each run signs them in afresh
# through the real pages (GET /login for the CSRF token, POST /login), as a
# browser would. Progress and problems go to stderr; a target whose set-up
# failed is left out rather than measured wrong.
#
# The password below is for the local emulator only: these users exist in no
# real pool.
set -uo pipefail
cd "$(dirname "$0")/.."

BASE=${1:?usage: scripts/bench-setup.sh https://127.0.0.1:PORT}
PROFILE=${STACK_PROFILE:-dev}
STACK_ENV=var/$PROFILE/stack.env
MIRROR_USERS=10000
BENCH_PASSWORD='Bench-Passw0rd!'
ADMIN_EMAIL=bench-admin@bench.example
USER_EMAIL=bench-user@bench.example
SESSION_COOKIE=__Host-gh_session
CURL_TIMEOUT=10

say() { echo "bench-setup: $*" >&2; }

[ -r "$STACK_ENV" ] || { say "no $STACK_ENV: is the '$PROFILE' stack running?"; exit 1; }
env_value() { sed -n "s/^$1=//p" "$STACK_ENV" | tail -n 1; }
DATABASE_URL=$(env_value DATABASE_URL)
COGNITO_LOCAL=$(env_value COGNITO_LOCAL)
POOL_ID=$(env_value COGNITO_USER_POOL_ID)
ORIGIN=${BASE%/}

# The anonymous pages need nothing.
echo "GET /login|/login"
echo "GET /signup|/signup"

# ---- 10,000 users in the mirror ---------------------------------------------

seed_mirror() {
  # Mixed tiers and statuses, created over the last 60 days, so every chart
  # of the statistics page has something to draw.
  psql "$DATABASE_URL" -qtAX -v ON_ERROR_STOP=1 -c "
    INSERT INTO t_default.users (sub, email, name, tier, status, enabled, created_at, updated_at)
    SELECT 'bench-' || lpad(g::text, 5, '0'), 'bench-' || lpad(g::text, 5, '0') || '@bench.example',
           'Bench User ' || g,
           CASE WHEN g % 4 = 0 THEN 'premium' ELSE 'standard' END,
           CASE WHEN g % 7 = 0 THEN 'UNCONFIRMED' WHEN g % 31 = 0 THEN 'FORCE_CHANGE_PASSWORD'
                ELSE 'CONFIRMED' END,
           true, now() - (g % 60) * interval '1 day' - (g % 86400) * interval '1 second', now()
    FROM generate_series(1, $MIRROR_USERS) g
    ON CONFLICT DO NOTHING" >/dev/null
}

# ---- users in cognito-local and their sessions ------------------------------

cognito() { # OPERATION JSON → the answer on stdout; fails on an error status
  curl -fsS -m "$CURL_TIMEOUT" -X POST "$COGNITO_LOCAL" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H "X-Amz-Target: AWSCognitoIdentityProviderService.$1" -d "$2"
}

ensure_user() { # EMAIL [GROUP]
  local email=$1 group=${2:-}
  if ! cognito AdminGetUser "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\"}" >/dev/null 2>&1; then
    cognito AdminCreateUser "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",\"MessageAction\":\"SUPPRESS\",
      \"UserAttributes\":[{\"Name\":\"email\",\"Value\":\"$email\"},{\"Name\":\"email_verified\",\"Value\":\"true\"},
      {\"Name\":\"name\",\"Value\":\"Bench\"}]}" >/dev/null || return 1
    cognito AdminSetUserPassword "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",
      \"Password\":\"$BENCH_PASSWORD\",\"Permanent\":true}" >/dev/null || return 1
    say "created $email in cognito-local"
  fi
  if [ -n "$group" ]; then
    cognito AdminAddUserToGroup "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",\"GroupName\":\"$group\"}" \
      >/dev/null || return 1
  fi
}

# login EMAIL → the session cookie's value on stdout, signed in through the
# pages exactly as a browser: the login form's CSRF token and cookie, then
# the POST with our Origin.
login() {
  local email=$1 jar page csrf cookie
  jar=$(mktemp)
  page=$(curl -ksS -m "$CURL_TIMEOUT" -c "$jar" -b "$jar" "$BASE/login") || { rm -f "$jar"; return 1; }
  csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n 1)
  curl -ksS -m "$CURL_TIMEOUT" -o /dev/null -c "$jar" -b "$jar" -H "Origin: $ORIGIN" \
    --data-urlencode "email=$email" --data-urlencode "password=$BENCH_PASSWORD" \
    --data-urlencode "csrf=$csrf" "$BASE/login" || { rm -f "$jar"; return 1; }
  cookie=$(awk -v name="$SESSION_COOKIE" '$6 == name {print $7}' "$jar" | tail -n 1)
  rm -f "$jar"
  [ -n "$cookie" ] && echo "$cookie"
}

if ensure_user "$USER_EMAIL" && cookie=$(login "$USER_EMAIL"); then
  echo "GET /account|/account|Cookie: $SESSION_COOKIE=$cookie"
else
  say "could not sign in $USER_EMAIL: GET /account is left out"
fi

if ! seed_mirror; then
  say "could not seed the users mirror: GET /admin is left out"
elif ensure_user "$ADMIN_EMAIL" admin && cookie=$(login "$ADMIN_EMAIL"); then
  say "users in the mirror: $(psql "$DATABASE_URL" -qtAX -c 'SELECT count(*) FROM t_default.users')"
  echo "GET /admin|/admin|Cookie: $SESSION_COOKIE=$cookie"
else
  say "could not sign in $ADMIN_EMAIL: GET /admin is left out"
fi

# ---- JSON API and files (api): appended by the API's engineer; others append theirs below ----
# GET /api/v1/me with a bearer access token (the token is verified on every
# call). The same token serves bench.sh's POST /files/upload-url. The user is
# premium (files need it), made in cognito-local when missing and signed in
# afresh through POST /api/v1/auth/login; each run first forgets the bench
# user's file rows so that they do not pile up.
API_EMAIL=bench-api@bench.example

ensure_premium_user() {
  local email=$1 tier='{"Name":"custom:user_tier","Value":"premium"}'
  if cognito AdminGetUser "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\"}" >/dev/null 2>&1; then
    cognito AdminUpdateUserAttributes "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",
      \"UserAttributes\":[$tier]}" >/dev/null
    return
  fi
  cognito AdminCreateUser "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",\"MessageAction\":\"SUPPRESS\",
    \"UserAttributes\":[{\"Name\":\"email\",\"Value\":\"$email\"},{\"Name\":\"email_verified\",\"Value\":\"true\"},
    {\"Name\":\"name\",\"Value\":\"Bench Api\"},$tier]}" >/dev/null || return 1
  cognito AdminSetUserPassword "{\"UserPoolId\":\"$POOL_ID\",\"Username\":\"$email\",
    \"Password\":\"$BENCH_PASSWORD\",\"Permanent\":true}" >/dev/null || return 1
  say "created $email (premium) in cognito-local"
}

api_token() { # EMAIL → an access token on stdout
  curl -ksS -m "$CURL_TIMEOUT" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1\",\"password\":\"$BENCH_PASSWORD\"}" "$BASE/api/v1/auth/login" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

if ensure_premium_user "$API_EMAIL" && token=$(api_token "$API_EMAIL") && [ -n "$token" ]; then
  echo "GET /api/v1/me|/api/v1/me|Authorization: Bearer $token"
  psql "$DATABASE_URL" -qtAX -c "DELETE FROM t_default.files WHERE owner_sub IN
    (SELECT sub FROM t_default.users WHERE email = '$API_EMAIL')" >/dev/null 2>&1
  # POST /files/upload-url is not a wrk target: nginx limits POSTs to 10 a
  # second per address (the dev profile, as in production), so wrk from one
  # address would measure the rate limit. bench.sh measures it on the slow
  # lane's socket instead, with this token (tests/bench/fcgi-load.mjs).
else
  say "could not sign in $API_EMAIL through the API: the API targets are left out"
fi

# ---- a second tenant (tenants) ------------------------------------------------
# GET /login at a tenant named by the /t/<slug> prefix, to compare with the
# default tenant's: resolving the tenant must cost nothing noticeable.
# The list is read once: `tenant list | grep -q` under pipefail fails when
# grep stops reading a long list early.
BENCH_TENANT=benchco
TENANT_LIST=$(app/gatehouse tenant list --env-file "var/$PROFILE/gatehouse.env" 2>/dev/null)
if grep -q "^$BENCH_TENANT  *active" <<<"$TENANT_LIST" ||
   app/gatehouse tenant create --slug "$BENCH_TENANT" --name "Bench Co" \
     --admin-email "admin@$BENCH_TENANT.example" --env-file "var/$PROFILE/gatehouse.env" >/dev/null 2>&1; then
  echo "GET /t/$BENCH_TENANT/login|/t/$BENCH_TENANT/login"
else
  say "could not create tenant $BENCH_TENANT: its target is left out"
fi

# ---- many tenants (issue 13) --------------------------------------------------
# BENCH_TENANTS more tenants (1,000: many-0001 ...) for bench.sh's pages across
# random tenants. They are made as an operator makes any tenant, by `tenant
# create` (a user pool and app client in cognito-local, the row, the schema,
# a first admin), once: a run makes only the ones a single `tenant list` does
# not show. The first run takes a few minutes; progress goes to stderr.
BENCH_TENANTS=${BENCH_TENANTS:-1000}
declare -A have_tenant=()
while read -r slug status _; do
  if [ "$status" = active ]; then have_tenant[$slug]=1; fi
done <<<"$TENANT_LIST"
made=0
for i in $(seq -f %04g 1 "$BENCH_TENANTS"); do
  [ -n "${have_tenant[many-$i]:-}" ] && continue
  if ! app/gatehouse tenant create --slug "many-$i" --name "Many $i" --admin-email "admin@many-$i.example" \
       --env-file "var/$PROFILE/gatehouse.env" >/dev/null 2>>"var/$PROFILE/log/bench-tenants.log"; then
    say "could not create tenant many-$i (see var/$PROFILE/log/bench-tenants.log)"
    break
  fi
  made=$((made + 1))
  if [ $((made % 100)) = 0 ]; then say "made $made of the missing bench tenants (many-$i)"; fi
done
if [ "$made" -gt 0 ]; then say "made $made bench tenants"; fi

# ---- a tenant of a million users (issue 15) -----------------------------------
# Tenant bigco, whose users mirror holds 1,000,000 users (tests/bench/
# million-users.sql: generate_series straight into t_bigco.users, in a few
# minutes, once: a run seeds only when the mirror holds fewer), and an admin
# of it (bench-admin@bench.example in bigco's pool and admin group). Targets:
# its overview (/admin: the statistics of a million rows), and the user list
# with a filter and a sort (the standard tier, newest first: 750,000 match),
# page 1 and a deep page, whose link starts after row 500,000 as a keyset
# link the list itself writes (the row's sort key and sub, base64url).
BIG_TENANT=bigco
BIG_USERS=1000000
BIG_DEEP_ROW=500000
BIG_LIST="/t/$BIG_TENANT/admin/users?tier=standard&sort=created&dir=desc"
b64url() { printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d '='; }

big_tenant() {
  grep -q "^$BIG_TENANT  *active" <<<"$TENANT_LIST" ||
    app/gatehouse tenant create --slug "$BIG_TENANT" --name "Big Co" \
      --admin-email "admin@$BIG_TENANT.example" --env-file "var/$PROFILE/gatehouse.env" >/dev/null 2>&1
}

big_seed() {
  local have
  have=$(psql "$DATABASE_URL" -qtAX -c "SELECT count(*) FROM t_$BIG_TENANT.users") || return 1
  [ "$have" -ge "$BIG_USERS" ] && return 0
  say "seeding $BIG_USERS users into t_$BIG_TENANT.users (once; a few minutes)"
  psql "$DATABASE_URL" -qtAX -v ON_ERROR_STOP=1 -c "SET search_path TO t_$BIG_TENANT" \
    -f tests/bench/million-users.sql >/dev/null || return 1
  # The visibility map lets a filter's total be counted from an index.
  psql "$DATABASE_URL" -qtAX -c "VACUUM ANALYZE t_$BIG_TENANT.users" >/dev/null
}

# login_at PREFIX EMAIL COOKIE: login, at the tenant whose pages start with
# PREFIX and whose session cookie is called COOKIE.
login_at() {
  local prefix=$1 email=$2 name=$3 jar page csrf cookie
  jar=$(mktemp)
  page=$(curl -ksS -m "$CURL_TIMEOUT" -c "$jar" -b "$jar" "$BASE$prefix/login") || { rm -f "$jar"; return 1; }
  csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' <<<"$page" | head -n 1)
  curl -ksS -m "$CURL_TIMEOUT" -o /dev/null -c "$jar" -b "$jar" -H "Origin: $ORIGIN" \
    --data-urlencode "email=$email" --data-urlencode "password=$BENCH_PASSWORD" \
    --data-urlencode "csrf=$csrf" "$BASE$prefix/login" || { rm -f "$jar"; return 1; }
  cookie=$(awk -v name="$name" '$6 == name {print $7}' "$jar" | tail -n 1)
  rm -f "$jar"
  [ -n "$cookie" ] && echo "$cookie"
}

BIG_COOKIE=$SESSION_COOKIE-$BIG_TENANT # a tenant's own session cookie
if big_tenant && big_seed &&
   big_pool=$(psql "$DATABASE_URL" -qtAX -c "SELECT user_pool_id FROM gatehouse.tenants WHERE slug = '$BIG_TENANT'") &&
   [ -n "$big_pool" ] && POOL_ID=$big_pool ensure_user "$ADMIN_EMAIL" admin &&
   cookie=$(login_at "/t/$BIG_TENANT" "$ADMIN_EMAIL" "$BIG_COOKIE"); then
  read -r deep_key deep_sub < <(psql "$DATABASE_URL" -qtAX -F ' ' -c "
    SELECT (extract(epoch FROM created_at) * 1000000)::bigint, sub FROM t_$BIG_TENANT.users
    WHERE deleted_at IS NULL AND tier = 'standard' ORDER BY created_at DESC, sub DESC
    OFFSET $((BIG_DEEP_ROW - 1)) LIMIT 1")
  say "users in t_$BIG_TENANT: $(psql "$DATABASE_URL" -qtAX -c "SELECT count(*) FROM t_$BIG_TENANT.users")"
  echo "GET /admin 1M users|/t/$BIG_TENANT/admin|Cookie: $BIG_COOKIE=$cookie"
  echo "users list 1M page 1|$BIG_LIST|Cookie: $BIG_COOKIE=$cookie"
  if [ -n "$deep_key" ]; then
    echo "users list 1M deep|$BIG_LIST&after=$(b64url "$deep_key").$(b64url "$deep_sub")|Cookie: $BIG_COOKIE=$cookie"
  fi
else
  say "could not set up tenant $BIG_TENANT with $BIG_USERS users: its targets are left out"
fi
