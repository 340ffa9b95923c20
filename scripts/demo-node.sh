#!/usr/bin/env bash
# demo-node.sh -- the second half of `make demo`: a live node.
#
# Starts a node on a free loopback port with its data in a temporary
# directory, adds two principals (a Swedish analyst, a Ukrainian liaison
# officer), subscribes as the Ukrainian with mosquitto_sub, publishes three
# reports as the Swede, and shows what was delivered and what was audited.
set -euo pipefail
cd "$(dirname "$0")/.."
pn=${PN:-./partnernet}
dir=$(mktemp -d)
trap 'kill "$node" 2>/dev/null; wait "$node" 2>/dev/null; rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))

echo
echo "== A live node: every delivery decided by decide() =="
echo 'analyst-pw' | "$pn" principal add sven --nation SWE --clearance NS --password-stdin --principals "$dir/principals.json"
echo 'liaison-pw' | "$pn" principal add olena --nation UKR --clearance NC --password-stdin --principals "$dir/principals.json"
"$pn" serve --data "$dir" --principals "$dir/principals.json" --mqtt "127.0.0.1:$port" --node demo >"$dir/serve.log" 2>&1 &
node=$!
for _ in $(seq 100); do grep -q ready "$dir/serve.log" 2>/dev/null && break; sleep 0.1; done
cat "$dir/serve.log"

# olena (UKR) listens; she should get exactly one of the three reports.
mosquitto_sub -V mqttv5 -p "$port" -u olena -P liaison-pw -t 'intel/#' -C 1 -W 10 \
    -F '  olena received: %t "%p" [%P]' >"$dir/sub.out" &
sub=$!
sleep 0.5
pub() {
    echo "  sven publishes \"$2\" labelled: ${1:-(no label)}"
    if [ -n "$1" ]; then
        mosquitto_pub -V mqttv5 -p "$port" -u sven -P analyst-pw -q 1 -t intel/report -m "$2" \
            -D publish user-property label "$1" 2>&1 | sed 's/^/    /'
    else
        mosquitto_pub -V mqttv5 -p "$port" -u sven -P analyst-pw -q 1 -t intel/report -m "$2" 2>&1 | sed 's/^/    /'
    fi
}
pub 'NATO SECRET REL TO NATO' 'allied eyes only'
pub 'NATO CONFIDENTIAL REL TO NATO, UKR' 'shared with Ukraine'
pub '' 'unlabelled'
wait "$sub" || true
cat "$dir/sub.out"
echo
echo "  audit trail:"
"$pn" audit --data "$dir" --since 1h | sed 's/^/  /'
