#!/usr/bin/env bash
# CUCC device search at scale (issue 16): one page of
# GET /rws/api/v1/devices?modifiedSince= over HTTP against the full server
# with N CUCC cards in one account (default 1,000,000), read from the
# per-account change index; beside it, in the same process, what one page
# cost before the index (a copy of every card of the account).
# Source: examples/cucc_search_bench.rs. CI does not run this script.
# Usage: scripts/bench_cucc_search.sh [cards=1000000] [profile=release|dev]
set -euo pipefail
cd "$(dirname "$0")/.."
cards=${1:-1000000}
profile=${2:-release}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); load: $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%F); profile: $profile"
if [ "$profile" = dev ]; then
  cargo build --quiet --example cucc_search_bench; dir=debug
else
  cargo build --release --quiet --example cucc_search_bench; dir=release
fi
"${CARGO_TARGET_DIR:-target}/$dir/examples/cucc_search_bench" --cards="$cards"
