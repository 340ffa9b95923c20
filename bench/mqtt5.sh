#!/usr/bin/env bash
# mqtt5.sh -- MQTT 5 features under load (make bench), on a release-build
# node on 127.0.0.1, with raw MQTT 5 clients (Node.js): bytes saved by
# server-to-client topic aliases on a 100-topic, 10,000-message stream
# (bench/aliases.js), and 10,000 QoS 1 messages through a shared
# subscription of three members (bench/shared.js).
#   PN=BINARY   the node (default ./partnernet)
set -euo pipefail
cd "$(dirname "$0")/.."
PN=${PN:-./partnernet}
command -v node >/dev/null || { echo "bench/mqtt5.sh: node is not installed" >&2; exit 1; }
T=$(mktemp -d)
NODE=
cleanup() {
    if [ -n "$NODE" ]; then kill -9 "$NODE" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
echo pw-bench | $PN principal add bench --nation USA --clearance NS --password-stdin \
    --principals "$T/principals.json" >/dev/null
for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 30000))
    $PN serve --data "$T/d" --mqtt "127.0.0.1:$PORT" --http off --principals "$T/principals.json" \
        >"$T/node.log" 2>&1 &
    NODE=$!
    for _ in $(seq 100); do grep -q ' ready: ' "$T/node.log" && break; kill -0 "$NODE" 2>/dev/null || break; sleep 0.1; done
    grep -q ' ready: ' "$T/node.log" && break
    NODE=
done
[ -n "$NODE" ] || { echo "bench/mqtt5.sh: the node did not start" >&2; cat "$T/node.log" >&2; exit 1; }
echo "== server-to-client topic aliases: bytes to a subscriber (goal: fewer bytes on narrow links) =="
node bench/aliases.js "$PORT" bench pw-bench 10000 100
echo "== shared subscription: 10,000 QoS 1 messages to a group of three members (each message once) =="
node bench/shared.js "$PORT" bench pw-bench 10000 3
