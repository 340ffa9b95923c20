#!/usr/bin/env bash
# retained.sh -- retained publishes per second with 1,000 and with 60,000
# retained topics held (make bench; issue 10, item 16).
#
# For each size N a fresh release-build node on 127.0.0.1: bench/loadgen
# fills N retained topics (fill: N publishes, each a new topic), then
# publishes M more over the same N topics (replace: each replaces a held
# message), QoS 0, one subscriber on bench/r/# that asks for no retained
# messages on subscribe.  A retained publish finds its topic by hash, so
# the replace rate should not depend on N (goal: at 60,000 topics at least
# 0.5x the rate at 1,000).
#
#   PN=BINARY        the node (default ./partnernet)
#   BENCH_QUICK=1    fewer replacement publishes
set -euo pipefail
cd "$(dirname "$0")/.."
PN=${PN:-./partnernet}
LG=build/rel/bench/loadgen
[ -x "$LG" ] || make --no-print-directory "$LG" >/dev/null
if [ "${BENCH_QUICK:-0}" = 1 ]; then M=20000; else M=100000; fi
LABEL="NATO UNCLASSIFIED"

T=$(mktemp -d)
NODE=
cleanup() {
    if [ -n "$NODE" ]; then kill -9 "$NODE" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        port_free "$p" && { echo "$p"; return; }
    done
}
echo pw-bench | $PN principal add bench --nation USA --clearance NS --password-stdin \
    --principals "$T/principals.json" >/dev/null

# rate N PHASE MESSAGES: run loadgen, print its messages/s
rate() {
    local out
    out=$("$LG" --port "$PORT" --user bench --password pw-bench --label "$LABEL" --qos 0 \
        --size 64 --messages "$3" --retain-topics "$1" --topic bench/r) ||
        { echo "bench: loadgen failed ($2, $1 topics): $out" >&2; exit 1; }
    sed -E 's/.* rate=([0-9.]+).*/\1/' <<<"$out"
}

declare -A REPLACE
for n in 1000 60000; do
    PORT=$(pick_port)
    rm -rf "$T/data"
    printf '[node]\nname = bench\ndata = %s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s\nretained_max = 200000\nretained_per_principal = 200000\n' \
        "$T/data" "$PORT" "$T/principals.json" >"$T/node.conf"
    $PN serve --config "$T/node.conf" >"$T/node.log" 2>&1 &
    NODE=$!
    for _ in $(seq 100); do grep -q ' ready: ' "$T/node.log" && break; sleep 0.1; done
    grep -q ' ready: ' "$T/node.log" || { echo "bench: node did not start: $(cat "$T/node.log")" >&2; exit 1; }
    fill=$(rate "$n" fill "$n")
    REPLACE[$n]=$(rate "$n" replace "$M")
    printf 'retained topics %6d: fill %10.0f publishes/s, replace %10.0f publishes/s\n' "$n" "$fill" "${REPLACE[$n]}"
    kill "$NODE"
    wait "$NODE" 2>/dev/null || true
    NODE=
done
awk -v a="${REPLACE[60000]}" -v b="${REPLACE[1000]}" \
    'BEGIN { printf "replace rate at 60,000 topics / at 1,000: %.2fx (goal >= 0.5x)\n", a / b }'
