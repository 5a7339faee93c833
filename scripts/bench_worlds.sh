#!/usr/bin/env bash
# Worlds on demand (issue 24): time to create a world from the default fixture, RSS of
# N worlds in one process and after deleting them, and one world's request rate alone vs
# while other worlds advance their clocks. Loopback only. Usage:
#   scripts/bench_worlds.sh [N=1000] [BUSY=50]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
busy=${2:-50}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F); load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --quiet
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
"${CARGO_TARGET_DIR:-target}/release/carrier-sim" serve --bind 127.0.0.1:$port --max-worlds $((n + busy + 10)) --world-ttl 0 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
until curl -sf "$base/_sim/health" >/dev/null; do sleep 0.01; done
rss() { awk '/VmRSS/{print $2}' /proc/$pid/status; }
echo "RSS with the root world only: $(rss) KiB"
t0=$(date +%s%N)
for i in $(seq 1 "$n"); do
  curl -sf -XPOST "$base/_sim/worlds" -H 'content-type: application/json' -d '{}' >/dev/null
done
t1=$(date +%s%N)
echo "created $n default worlds: $(( (t1 - t0) / 1000000 )) ms, $(( (t1 - t0) / n / 1000 )) µs per world including one curl process each"
echo "RSS with $n worlds: $(rss) KiB"
for i in $(seq 1 "$n"); do curl -sf -XDELETE "$base/_sim/worlds/w$i" >/dev/null; done
sleep 1
echo "RSS after deleting them: $(rss) KiB"
# One world's throughput alone, then while $busy others advance their clocks.
one=$(curl -sf -XPOST "$base/_sim/worlds" -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["urls"]["base"])')
rate() {
  python3 - "$one" <<'PY'
import sys, time, urllib.request
base = sys.argv[1]
n, t0 = 0, time.time()
while time.time() - t0 < 5:
    urllib.request.urlopen(base + "/_sim/clock").read()
    n += 1
print(f"{n / (time.time() - t0):.0f}")
PY
}
alone=$(rate)
ids=()
for i in $(seq 1 "$busy"); do
  ids+=("$(curl -sf -XPOST "$base/_sim/worlds" -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')")
done
for id in "${ids[@]}"; do
  ( for k in $(seq 1 20); do curl -sf -XPOST "$base/w/$id/_sim/clock" -d '{"advance":"1d"}' >/dev/null; done ) &
done
busy_rate=$(rate)
wait_children() { for j in $(jobs -p); do [ "$j" = "$pid" ] || wait "$j" 2>/dev/null || true; done; }
wait_children
echo "one world's GET /_sim/clock: $alone req/s alone, $busy_rate req/s while $busy worlds advance (ratio $(python3 -c "print(round($busy_rate/$alone, 2))"))"
