#!/usr/bin/env bash
# Memory soak (issue 19): a large fleet with hourly traces on every card runs
# a simulated year in monthly clock steps; RSS is sampled after each month and
# must stay under the goal. Takes minutes and most of the machine: never in CI.
#
# Usage: scripts/soak.sh [CARDS] [MONTHS] [RSS_LIMIT_MIB]
#   defaults: 1000000 cards, 12 months, 1536 MiB (1.5 GiB)
# Retention limits for the run can be set with SOAK_RETENTION, e.g.
#   SOAK_RETENTION=card_events=20,hour_history_days=2 scripts/soak.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export SOAK_CARDS="${1:-1000000}" SOAK_MONTHS="${2:-12}" SOAK_RSS_LIMIT_MIB="${3:-1536}"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -srm); load $(cut -d' ' -f1-3 /proc/loadavg); date: $(date -u +%FT%TZ)"
echo "soak: ${SOAK_CARDS} cards, ${SOAK_MONTHS} months, goal < ${SOAK_RSS_LIMIT_MIB} MiB, retention: ${SOAK_RETENTION:-defaults}"
cargo test --release --test api soak:: -- --ignored --nocapture --test-threads=1
