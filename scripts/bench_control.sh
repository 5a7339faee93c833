#!/usr/bin/env bash
# Control-plane middleware cost (issue 9): the same CUCC REST call
# (GET /rws/api/v1/devices/{iccid}, Basic auth) on one `carrier-sim serve`,
# first with the request journal recording (the default), then with
# recording off (`POST /_sim/requests/config {"enabled": false}`), then with
# recording on and a latency-0 fault rule in force (rule matching on every
# request). The CUCC rate limit is turned off (wrk is far beyond any real
# client's rate).
# Needs wrk (apt-get install -y wrk); CI does not run this script.
# Usage: scripts/bench_control.sh [duration=10s] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}; conns=${2:-32}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo build --release --quiet --bin carrier-sim
port=$((20000 + RANDOM % 20000))
fixture=$(mktemp --suffix=.toml)
cat fixtures/default.toml > "$fixture"
printf '\n[dialects.cucc]\nrate_per_sec = 0\n' >> "$fixture"
./target/release/carrier-sim serve --fixture "$fixture" --bind 127.0.0.1:$port >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$fixture"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 3000); do curl -s -o /dev/null "$base/_sim/health" && break; sleep 0.01; done
auth="Authorization: Basic $(printf 'cucc-demo:2f1c9a1e-6b0e-4c3a-9d55-7a1b2c3d4e5f' | base64 -w0)"
url="$base/rws/api/v1/devices/89860600000000000013"
curl -sf -H "$auth" "$url" >/dev/null || { echo "the CUCC call fails"; exit 1; }
run() {
  echo "== $1"
  wrk -t2 -c"$conns" -d"$dur" -H "$auth" --latency "$url" | grep -E "Requests/sec|Latency  |50%|99%"
}
run "journal on (default)"
curl -s -X POST -H 'content-type: application/json' -d '{"enabled": false}' "$base/_sim/requests/config" >/dev/null
run "journal off"
curl -s -X POST -H 'content-type: application/json' -d '{"enabled": true}' "$base/_sim/requests/config" >/dev/null
curl -s -X POST -H 'content-type: application/json' -d '{"kind": "latency", "ms": 0, "carrier": "cucc"}' "$base/_sim/faults" >/dev/null
run "journal on + a fault rule matching every request"
