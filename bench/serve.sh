#!/usr/bin/env bash
# Measures an idle `keepstar serve` on SQLite: start-up to ready on an existing
# database, resident memory when idle, and /healthz throughput with wrk (from
# Debian: apt-get install wrk). Loopback only. Figures go to docs/performance.md.
#   usage: bench/serve.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/keepstar" ./cmd/keepstar
export KEEPSTAR_DATABASE_URL="sqlite:$dir/keepstar.db"
export KEEPSTAR_SECRET_KEY=$(head -c 48 /dev/urandom | base64)
export KEEPSTAR_LISTEN=127.0.0.1:18080
export KEEPSTAR_LOG_LEVEL=warn
"$dir/keepstar" migrate >/dev/null

ready() { curl -fso /dev/null "http://$KEEPSTAR_LISTEN/readyz"; }

echo "start-up to ready (existing database), $runs runs:"
for _ in $(seq "$runs"); do
  t0=$(date +%s%N)
  "$dir/keepstar" serve & pid=$!
  until ready; do sleep 0.002; done
  t1=$(date +%s%N)
  echo "  $(( (t1 - t0) / 1000000 )) ms"
  kill -INT $pid; wait $pid
done

"$dir/keepstar" serve & pid=$!
until ready; do sleep 0.01; done
sleep 10
echo "idle resident memory after 10 s: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
if command -v wrk >/dev/null; then
  echo "wrk /healthz, 2 threads, 64 connections, 15 s:"
  wrk -t2 -c64 -d15s "http://$KEEPSTAR_LISTEN/healthz"
  echo "resident memory after the load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status)"
fi
kill -INT $pid; wait $pid
