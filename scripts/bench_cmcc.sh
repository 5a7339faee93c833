#!/usr/bin/env bash
# CMCC OneLink benchmark (issue 4): /v5/ec/query/sim-data-usage with a valid
# token, by ICCID, over HTTP on loopback, side by side in one run with a bare
# axum handler returning the same body (examples/cmcc_ceiling.rs). Two
# simulator figures: the full server (`carrier-sim serve`, which journals every
# carrier request in the control plane) and the CMCC router alone.
# Needs wrk (apt-get install -y wrk); CI does not run this script.
# Usage: scripts/bench_cmcc.sh [duration=10s] [connections=32] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}; conns=${2:-32}; rounds=${3:-2}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo build --release --quiet --bin carrier-sim --example cmcc_ceiling
p1=$((20000 + RANDOM % 5000)); p2=$((25000 + RANDOM % 5000)); p3=$((30000 + RANDOM % 5000))
pids=()
body=$(mktemp)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -f "$body"; }
trap cleanup EXIT
./target/release/carrier-sim serve --bind 127.0.0.1:$p1 >/dev/null 2>&1 & pids+=($!)
./target/release/examples/cmcc_ceiling dialect 127.0.0.1:$p2 >/dev/null 2>&1 & pids+=($!)
wait_up() { until curl -s -o /dev/null "$1"; do sleep 0.01; done; }
data_usage_url() { # base → URL with a fresh token
  local token
  token=$(curl -sf "$1/get/token?appid=100001&password=cmcc-demo-pass&transid=1000012026112410000000000001" \
    | sed -E 's/.*"token":"([^"]+)".*/\1/')
  echo "$1/query/sim-data-usage?transid=1000012026112410000000000002&token=$token&iccid=89860000000000000019"
}
wait_up "http://127.0.0.1:$p1/_sim/health"; wait_up "http://127.0.0.1:$p2/v5/ec/get/token"
full_url=$(data_usage_url "http://127.0.0.1:$p1/v5/ec")
dialect_url=$(data_usage_url "http://127.0.0.1:$p2/v5/ec")
curl -sf "$full_url" > "$body"
grep -q '"status":"0"' "$body" || { echo "sim-data-usage failed: $(cat "$body")"; exit 1; }
./target/release/examples/cmcc_ceiling ceiling 127.0.0.1:$p3 "$body" & pids+=($!)
ceil_url="http://127.0.0.1:$p3/v5/ec/query/sim-data-usage"
wait_up "$ceil_url"
echo "command: wrk -t2 -c$conns -d$dur --latency <url>, $rounds rounds, alternating; body $(wc -c < "$body") bytes"
run() { # prints "req/s p99"
  wrk -t2 -c"$conns" -d"$dur" --latency "$1" | awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} END{print r, p}'
}
pct() { awk -v s="$1" -v c="$2" 'BEGIN{printf "%.0f%%", 100*s/c}'; }
for i in $(seq 1 "$rounds"); do
  read -r crps cp99 < <(run "$ceil_url")
  read -r drps dp99 < <(run "$dialect_url")
  read -r frps fp99 < <(run "$full_url")
  echo "round $i: ceiling $crps req/s p99 $cp99 | dialect alone $drps req/s p99 $dp99 ($(pct "$drps" "$crps")) | full server $frps req/s p99 $fp99 ($(pct "$frps" "$crps"))"
done
