#!/usr/bin/env bash
# SMPP benchmark (issue 11): submit_sm throughput with a window of 100 on
# loopback against `carrier-sim serve --smpp-bind`, side by side with the
# protocol ceiling (enquire_link, same session, same window), then the
# submit_sm -> receipt deliver_sm latency and the handset MO -> deliver_sm
# latency. The load generator is the ignored test `bench_smpp` in
# tests/api/smpp.rs (release build, one TCP session).
# Usage: scripts/bench_smpp.sh [submits=200000] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}; rounds=${2:-2}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo build --release --quiet --bin carrier-sim
cargo test --release --quiet --test api --no-run 2>/dev/null
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}
for r in $(seq "$rounds"); do
  http=$(free_port); smpp=$(free_port)
  ./target/release/carrier-sim serve --bind 127.0.0.1:$http --smpp-bind 127.0.0.1:$smpp >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 3000); do curl -s -o /dev/null "http://127.0.0.1:$http/_sim/health" && break; sleep 0.01; done
  echo "round $r:"
  SMPP_BENCH_N=$n SMPP_BENCH_ADDR=127.0.0.1:$smpp SMPP_BENCH_URI=http://127.0.0.1:$http \
    cargo test --release --quiet --test api -- --ignored --nocapture smpp::bench_smpp 2>&1 \
    | grep -E "ceiling|latency"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
