#!/usr/bin/env bash
# CUCC benchmark (issue 5): GET /rws/api/v1/devices/{iccid} with HTTP Basic
# auth over HTTP on loopback, side by side in one run with a bare axum
# handler returning the same body (examples/cucc_bench.rs ceiling). Two
# simulator figures: the full server (`carrier-sim serve`, control plane
# middleware included) and the CUCC router alone. The rate limit is turned
# off for both (`[dialects.cucc] rate_per_sec = 0`), since wrk is far beyond
# any real client's call rate.
# Needs wrk (apt-get install -y wrk); CI does not run this script.
# Usage: scripts/bench_cucc.sh [duration=10s] [connections=32] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}; conns=${2:-32}; rounds=${3:-2}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo build --release --quiet --bin carrier-sim --example cucc_bench
free_port() { # a random port nobody listens on
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
}
p1=$(free_port); p2=$(free_port); p3=$(free_port)
pids=()
body=$(mktemp); fixture=$(mktemp --suffix=.toml)
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -f "$body" "$fixture"; }
trap cleanup EXIT
cat fixtures/default.toml > "$fixture"
printf '\n[dialects.cucc]\nrate_per_sec = 0\n' >> "$fixture"
"${CARGO_TARGET_DIR:-target}"/release/carrier-sim serve --fixture "$fixture" --bind 127.0.0.1:$p1 >/dev/null 2>&1 & pids+=($!)
"${CARGO_TARGET_DIR:-target}"/release/examples/cucc_bench dialect 127.0.0.1:$p2 >/dev/null 2>&1 & pids+=($!)
wait_up() { # gives up after 30 s
  for _ in $(seq 3000); do curl -s -o /dev/null "$1" && return; sleep 0.01; done
  echo "no answer from $1"; exit 1
}
auth="Authorization: Basic $(printf 'cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f' | base64 -w0)"
path=/rws/api/v1/devices/89860600000000000013
for _ in $(seq 3000); do curl -sf -o /dev/null "http://127.0.0.1:$p1/_sim/ready" && break; sleep 0.01; done
wait_up "http://127.0.0.1:$p2$path"
full_url="http://127.0.0.1:$p1$path"; dialect_url="http://127.0.0.1:$p2$path"
curl -sf -H "$auth" "$full_url" > "$body"
grep -q '"status":"ACTIVATED"' "$body" || { echo "GET /devices failed: $(cat "$body")"; exit 1; }
"${CARGO_TARGET_DIR:-target}"/release/examples/cucc_bench ceiling 127.0.0.1:$p3 "$body" & pids+=($!)
ceil_url="http://127.0.0.1:$p3$path"
wait_up "$ceil_url"
echo "command: wrk -t2 -c$conns -d$dur --latency -H '<Basic auth>' <url>, $rounds rounds, alternating; body $(wc -c < "$body") bytes"
run() { # prints "req/s p99 non2xx"
  wrk -t2 -c"$conns" -d"$dur" --latency -H "$auth" "$1" \
    | awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} /Non-2xx/{n=$NF} END{print r, p, (n==""?0:n)}'
}
pct() { awk -v s="$1" -v c="$2" 'BEGIN{printf "%.0f%%", 100*s/c}'; }
for i in $(seq 1 "$rounds"); do
  read -r crps cp99 _ < <(run "$ceil_url")
  read -r drps dp99 dn < <(run "$dialect_url")
  read -r frps fp99 fn < <(run "$full_url")
  echo "round $i: ceiling $crps req/s p99 $cp99 | dialect alone $drps req/s p99 $dp99 ($(pct "$drps" "$crps"), non-2xx $dn) | full server $frps req/s p99 $fp99 ($(pct "$frps" "$crps"), non-2xx $fn)"
done
