#!/usr/bin/env bash
# run.sh -- `make bench`: every benchmark, numbers printed with their goals.
#
# Method and reference figures: ../shared/BENCHMARKS.md (and docs/benchmarks.md).
# The decide benchmark has no reference broker (brokers decide nothing);
# broker benchmarks that compare with mosquitto join this script with the
# exchange node.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== decide(): one core, precompiled labels (goal: >= 50 M/s, p99 < 1 us) =="
for run in 1 2 3; do ./partnernet bench decide --seconds "${BENCH_SECONDS:-3}" | sed "s/^/run $run: /"; done
