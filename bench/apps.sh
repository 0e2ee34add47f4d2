#!/usr/bin/env bash
# Measures the Application API's group operations through a real `keepstar
# serve` on a benchmark site (bench/appsdata: 100,000 accounts, 300,000
# characters, 50 groups) with wrk (Debian: apt-get install wrk), loopback
# only: /healthz as the ceiling, GET /api/app/v2/groups/{cid} for random
# characters, and POST /api/app/v1/groups with 1,000 random characters.
# Figures go to docs/performance.md.
#   usage: bench/apps.sh [sqlite|postgres]
#   KEEPSTAR_BENCH_ACCOUNTS changes the size; postgres needs
#   KEEPSTAR_BENCH_POSTGRES, a server URL without a database, e.g.
#   postgres://postgres@127.0.0.1:5432 (a database is made and dropped).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:-sqlite}
accounts=${KEEPSTAR_BENCH_ACCOUNTS:-100000}
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
until curl -fso /dev/null "http://$KEEPSTAR_LISTEN/readyz"; do sleep 0.05; done
curl -fsS -H "Authorization: $AUTH" "http://$KEEPSTAR_LISTEN/api/app/v2/groups/$FIRST_CHARACTER"; echo
# Warm up: the authenticator checks the secret (argon2id) once, the caches fill.
wrk -t2 -c64 -d3s -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN" >/dev/null
# load NAME WRK-ARGS...: runs wrk and adds the server's CPU time per request
# (utime + stime of the serve process, in clock ticks of 10 ms), which the
# other processes on the machine disturb less than the throughput.
load() {
  local name=$1; shift
  local before after out n
  before=$(awk '{print $14 + $15}' /proc/$pid/stat)
  out=$(wrk "$@")
  after=$(awk '{print $14 + $15}' /proc/$pid/stat)
  n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "== $engine: $name"
  echo "$out"
  echo "server CPU per request: $(( (after - before) * 10000 / n )) us; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
}
load "wrk /healthz, 2 threads, 64 connections, 15 s" -t2 -c64 -d15s --latency "http://$KEEPSTAR_LISTEN/healthz"
load "wrk GET /api/app/v2/groups/{random character}, 2 threads, 64 connections, 15 s" \
  -t2 -c64 -d15s --latency -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN"
# Latency grows with the connections wrk keeps busy (each waits its turn
# for the two cores): the same endpoint at 32.
load "wrk GET /api/app/v2/groups/{random character}, 2 threads, 32 connections, 15 s" \
  -t2 -c32 -d15s --latency -s "$dir/groups.lua" "http://$KEEPSTAR_LISTEN"
load "wrk POST /api/app/v1/groups with 1,000 random characters, one at a time, 10 s" \
  -t1 -c1 -d10s --latency -s "$dir/bulk.lua" "http://$KEEPSTAR_LISTEN"
echo "resident memory after the load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
kill -INT $pid; wait $pid
