#!/usr/bin/env bash
# Issue 19's table side by side in one run (release build, in
# ${CARGO_TARGET_DIR:-target}): examples/scale_bench.rs against the real
# binary (start from a [[groups]] fixture and from `generate -o` JSON with
# the port bound at once and /_sim/ready's progress, validate, /_sim/cards
# filters, one CUCC modifiedSince page, binary snapshot save/load and a
# start from it, month rollovers with RSS after each), then the engine's
# 30 days hourly at N cards (benches/world.rs), then the CUCC hot path
# against a bare axum handler (scripts/bench_cucc.sh, needs wrk).
# The machine may be shared: the load average is printed before and after;
# compare figures of one run with each other (ratios), not across runs.
# CI does not run this script.
# Usage: scripts/bench_scale.sh [cards=1000000] [months=3] [hot=10s|skip]
set -euo pipefail
cd "$(dirname "$0")/.."
cards=${1:-1000000}; months=${2:-3}; hot=${3:-10s}
target=${CARGO_TARGET_DIR:-target}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); date: $(date -u '+%F %H:%M UTC')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --quiet --bin carrier-sim --example scale_bench
"$target/release/examples/scale_bench" --cards="$cards" --months="$months" --bin="$target/release/carrier-sim"
echo "--- engine (benches/world.rs): 30 days hourly"
cargo bench --quiet --bench world -- --cards="$cards" --engine-cards="$cards" --quick 2>&1 | grep -E "engine|rollover|RSS|load"
if [ "$hot" != skip ]; then
  echo "--- hot path: CUCC GET device, Basic auth, vs a bare axum handler"
  scripts/bench_cucc.sh "$hot" 32 1
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
