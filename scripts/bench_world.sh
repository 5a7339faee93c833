#!/usr/bin/env bash
# World-scale benchmarks (issue 3 / issue 8 targets). Usage: scripts/bench_world.sh [--cards=N] [--engine-cards=N]
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo bench --bench world -- "$@"
# start-to-ready of the real binary on the default fixture
cargo build --release --quiet; bin="${CARGO_TARGET_DIR:-target}/release/carrier-sim"
best=""
for i in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 20000))
  start=$(date +%s%N)
  "$bin" serve --bind 127.0.0.1:$port >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/_sim/ready" >/dev/null; do sleep 0.005; done
  end=$(date +%s%N)
  kill $pid; wait $pid 2>/dev/null || true
  echo "binary start to ready run $i: $(( (end - start) / 1000000 )) ms"
done
# generate to a file
t0=$(date +%s%N); "$bin" generate --cards 1000000 --seed 1 -o /tmp/fleet-1m.json; t1=$(date +%s%N)
echo "carrier-sim generate --cards 1000000 (JSON to file, $(du -h /tmp/fleet-1m.json | cut -f1)): $(( (t1 - t0) / 1000000 )) ms"
rm -f /tmp/fleet-1m.json
