#!/usr/bin/env bash
# CTCC legacy benchmark (issue 6): single-card queryTraffic with full auth
# (DES passWord check + DES sign check per request) over HTTP on loopback,
# side by side in one run with the same server's trivial `/_sim/health` as
# the ceiling. The per-account rate limit is switched off through the
# one rate limiter (`PUT /_sim/ratelimits {"items": []}`).
# Needs wrk (apt-get install -y wrk); CI does not run this script.
# Usage: scripts/bench_ctcc.sh [duration=10s] [connections=32] [rounds=2]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}; conns=${2:-32}; rounds=${3:-2}
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)"; exit 1; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u +%F)"
cargo build --release --quiet --bin carrier-sim
port=$((20000 + RANDOM % 10000))
fx=$(mktemp --suffix=.toml); body=$(mktemp)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -f "$fx" "$body"; }
trap cleanup EXIT
cp fixtures/default.toml "$fx"
./target/release/carrier-sim serve --fixture "$fx" --bind 127.0.0.1:$port >/dev/null 2>&1 & pid=$!
base="http://127.0.0.1:$port"
until curl -s -o /dev/null "$base/_sim/health"; do sleep 0.01; done
# Every rate limit off (the one limiter serves every carrier).
curl -sf -X PUT -H 'Content-Type: application/json' -d '{"items": []}' "$base/_sim/ratelimits" >/dev/null
# passWord and sign are the spec's test vectors (§2.5) for testuser / abcdefghi.
pw=41894168BD86A2CC637DB4FA6CE97037
sign=45E8B9924DE397A8DAEF2C60DB715B1B74CC7E1685BA702C9C4C367EFDAE5D938F7F19EA3F28117669379E20030180BA32E5804EA05BAA501F7A25C6B0F7A091AD4838ED34374D16B37F49C390E236D6C299054019958A8B
url="$base/m2m_ec/query.do?method=queryTraffic&access_number=14910000000&needDtl=0&user_id=testuser&passWord=$pw&sign=$sign"
curl -sf "$url" > "$body"
grep -q '<IRESULT>0</IRESULT>' "$body" || { echo "queryTraffic failed: $(cat "$body")"; exit 1; }
ceil_url="$base/_sim/health"
echo "command: wrk -t2 -c$conns -d$dur --latency <url>, $rounds rounds, alternating; queryTraffic body $(wc -c < "$body") bytes"
run() { # prints "req/s p99"
  wrk -t2 -c"$conns" -d"$dur" --latency "$1" | awk '/Requests\/sec/{r=$2} /^ +99%/{p=$2} END{print r, p}'
}
pct() { awk -v s="$1" -v c="$2" 'BEGIN{printf "%.0f%%", 100*s/c}'; }
for i in $(seq 1 "$rounds"); do
  read -r crps cp99 < <(run "$ceil_url")
  read -r qrps qp99 < <(run "$url")
  echo "round $i: ceiling (/_sim/health) $crps req/s p99 $cp99 | queryTraffic with DES auth + sign $qrps req/s p99 $qp99 ($(pct "$qrps" "$crps"))"
done
