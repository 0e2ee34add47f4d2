#!/usr/bin/env bash
# Measures the Application API's group operations through a real `keepstar
# serve` on a benchmark site (bench/appsdata: 100,000 accounts, 300,000
# characters, 50 groups) with wrk (Debian: apt-get install wrk), loopback
# only, against bench/groupsfloor: a bare net/http server answering the same
# question with one prepared statement on the same database. In each round,
# /healthz of both and GET /api/app/v2/groups/{random cid} of both run one
# after the other, and the ratio Keepstar / floor is taken within the round,
# so that other load on the machine touches both sides alike. Then the groups
# at 32 connections and POST /api/app/v1/groups with 1,000 random characters.
# Figures go to docs/performance.md.
#   usage: bench/apps.sh [sqlite|postgres]
#   KEEPSTAR_BENCH_ACCOUNTS changes the size (default 100000),
#   KEEPSTAR_BENCH_ROUNDS the rounds (default 3), KEEPSTAR_BENCH_SECONDS each
#   wrk run's length (default 10); postgres needs KEEPSTAR_BENCH_POSTGRES, a
#   server URL without a database, e.g. postgres://postgres@127.0.0.1:5432
#   (a database is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:-sqlite}
accounts=${KEEPSTAR_BENCH_ACCOUNTS:-100000}
rounds=${KEEPSTAR_BENCH_ROUNDS:-3}
seconds=${KEEPSTAR_BENCH_SECONDS:-10}
dir=$(mktemp -d)
pgdb=keepstar_bench_apps_$$
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  wait 2>/dev/null || true
  if [ "$engine" = postgres ]; then psql -q "$KEEPSTAR_BENCH_POSTGRES/postgres" -c "DROP DATABASE IF EXISTS $pgdb" || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/keepstar" ./cmd/keepstar
go build -o "$dir/appsdata" ./bench/appsdata
go build -o "$dir/groupsfloor" ./bench/groupsfloor
case $engine in
  sqlite) export KEEPSTAR_DATABASE_URL="sqlite:$dir/keepstar.db" ;;
  postgres)
    psql -q "$KEEPSTAR_BENCH_POSTGRES/postgres" -c "CREATE DATABASE $pgdb"
    export KEEPSTAR_DATABASE_URL="$KEEPSTAR_BENCH_POSTGRES/$pgdb?sslmode=disable" ;;
  *) echo "usage: bench/apps.sh [sqlite|postgres]" >&2; exit 2 ;;
esac
export KEEPSTAR_SECRET_KEY=$(head -c 48 /dev/urandom | base64)
export KEEPSTAR_LISTEN=127.0.0.1:18081
export KEEPSTAR_LOG_LEVEL=warn
floor=127.0.0.1:18082
"$dir/keepstar" migrate >/dev/null
eval "$("$dir/appsdata" -accounts "$accounts")"

cat >"$dir/groups.lua" <<EOF
wrk.headers["Authorization"] = "$AUTH"
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/app/v2/groups/" .. ($FIRST_CHARACTER + math.random(0, $CHARACTERS - 1)))
end
EOF
cat >"$dir/bulk.lua" <<EOF
wrk.method = "POST"
wrk.headers["Authorization"] = "$AUTH"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())
request = function()
  local ids = {}
  for i = 1, 1000 do ids[i] = $FIRST_CHARACTER + math.random(0, $CHARACTERS - 1) end
  return wrk.format("POST", "/api/app/v1/groups", nil, "[" .. table.concat(ids, ",") .. "]")
end
EOF

"$dir/keepstar" serve & pid=$!
"$dir/groupsfloor" -app "$APP_ID" -listen "$floor" & floorpid=$!
until curl -fso /dev/null "http://$KEEPSTAR_LISTEN/readyz" && curl -fso /dev/null "http://$floor/healthz"; do sleep 0.05; done
# The floor must answer what Keepstar answers, or the ratio means nothing:
# the same status and body for characters of every kind (no groups,
# deactivated, unknown).
for i in $(seq 0 199) $((CHARACTERS + 5)); do
  c=$((FIRST_CHARACTER + i * 1499 % (CHARACTERS + 10)))
  k=$(curl -s -w ' %{http_code}' -H "Authorization: $AUTH" "http://$KEEPSTAR_LISTEN/api/app/v2/groups/$c")
  f=$(curl -s -w ' %{http_code}' "http://$floor/api/app/v2/groups/$c")
  if [ "$k" != "$f" ]; then echo "character $c: Keepstar answers $k, the floor $f" >&2; exit 1; fi
done
curl -fsS -H "Authorization: $AUTH" "http://$KEEPSTAR_LISTEN/api/app/v2/groups/$FIRST_CHARACTER"; echo
echo "the floor answers as Keepstar does for 201 characters"
# Warm up: the authenticator checks the secret once, the caches fill.
wrk -t2 -c64 -d3s -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN" >/dev/null
wrk -t2 -c64 -d3s -s "$dir/groups.lua" "http://$floor" >/dev/null

# load NAME PID WRK-ARGS...: runs wrk, prints its output and the server's
# CPU time per request (utime + stime of the process PID, in clock ticks of
# 10 ms), which other processes on the machine disturb less than the
# throughput, and leaves the requests per second in $rps.
load() {
  local name=$1 p=$2; shift 2
  local before after out n
  before=$(awk '{print $14 + $15}' /proc/$p/stat)
  out=$(wrk "$@")
  after=$(awk '{print $14 + $15}' /proc/$p/stat)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "== $engine: $name"
  echo "$out"
  echo "server CPU per request: $(( (after - before) * 10000 / n )) us; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
summary=()
for round in $(seq "$rounds"); do
  load "round $round: Keepstar /healthz, 2 threads, 64 connections, $seconds s" $pid \
    -t2 -c64 -d${seconds}s --latency "http://$KEEPSTAR_LISTEN/healthz"; kh=$rps
  load "round $round: bare /healthz (groupsfloor), 2 threads, 64 connections, $seconds s" $floorpid \
    -t2 -c64 -d${seconds}s --latency "http://$floor/healthz"; fh=$rps
  load "round $round: Keepstar GET /api/app/v2/groups/{random character}, 2 threads, 64 connections, $seconds s" $pid \
    -t2 -c64 -d${seconds}s --latency -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN"; kg=$rps
  load "round $round: floor GET /api/app/v2/groups/{random character}, 2 threads, 64 connections, $seconds s" $floorpid \
    -t2 -c64 -d${seconds}s --latency -s "$dir/groups.lua" "http://$floor"; fg=$rps
  summary+=("round $round: /healthz $kh / $fh = $(ratio "$kh" "$fh"); groups $kg / $fg = $(ratio "$kg" "$fg") of the floor")
done
# Latency grows with the connections wrk keeps busy (each waits its turn
# for the two cores): the same endpoint at 32.
load "Keepstar GET /api/app/v2/groups/{random character}, 2 threads, 32 connections, $seconds s" $pid \
  -t2 -c32 -d${seconds}s --latency -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN"
load "POST /api/app/v1/groups with 1,000 random characters, one at a time, $seconds s" $pid \
  -t1 -c1 -d${seconds}s --latency -s "$dir/bulk.lua" "http://$KEEPSTAR_LISTEN"
echo "resident memory after the load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
echo "== $engine: Keepstar against the floor (requests per second, 64 connections)"
printf '%s\n' "${summary[@]}"
kill -INT $pid; wait $pid
