#!/usr/bin/env bash
# demo-federation.sh -- part of `make demo`: three federated nodes.
#
# An alliance HQ node and two national nodes (SWE, UKR), each pulling from
# HQ through a [peer hq] link as a principal of its own nation.  Three
# reports are published at HQ; each national node stores only what its
# nation may hold, decided by HQ's decide() for the link's principal.
# Every node listens on free ports (scripts/demo-lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
pn=${PN:-./partnernet}
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
. scripts/demo-lib.sh

echo
echo "== Federation: HQ, a Swedish and a Ukrainian node; each receives only what its nation may hold =="
echo pub-pw | "$pn" principal add hq-desk --nation NATO --clearance CTS --password-stdin --principals "$dir/hq.json" >/dev/null
for n in swe ukr; do
    nation=$(echo "$n" | tr a-z A-Z)
    echo "$n-link-pw" >"$dir/$n.pass"
    "$pn" principal add "$n-node" --nation "$nation" --clearance NS --role node --password-stdin \
        --principals "$dir/hq.json" <"$dir/$n.pass" >/dev/null
    # HQ's principal at the node: the national node checks what HQ relays.
    "$pn" principal add hq --nation NATO --clearance CTS --no-credential --principals "$dir/$n.json" >/dev/null
done
echo "  HQ knows each national node as a principal of that nation, cleared NATO SECRET."
# Origin signatures: each node's key, and the partners verify HQ's.
"$pn" node init --data "$dir/hq" --name hq | tail -1 >"$dir/trust.keys"
echo "  HQ's signing key, trusted by SWE and UKR: $(cut -c1-40 "$dir/trust.keys")..."
conf() { # NAME [PEER-LINK-PRINCIPAL]: ports filled in by demo_serve
    printf '[node]\nname = %s\ndata = %s/%s\nmqtt = 127.0.0.1:@MQTT@\nhttp = off\nprincipals = %s/%s.json\n' \
        "$1" "$dir" "$1" "$dir" "$1"
    [ -z "${2:-}" ] || printf '[trust]\nkeys = %s/trust.keys\n' "$dir"
    [ -z "${2:-}" ] || printf '[peer hq]\naddress = 127.0.0.1:%s\nprincipal = %s\npassword_file = %s/%s.pass\ntopics = intel/#\n' \
        "$hq" "$2" "$dir" "$1"
}
start() { # NAME CONF
    demo_serve "$1" "$2" >"$dir/$1.ready"
    sed 's/^/  /' "$dir/$1.ready"
}
start hq "$(conf hq)"
hq=$MQTT_PORT
start swe "$(conf swe swe-node)"
start ukr "$(conf ukr ukr-node)"
for n in swe ukr; do
    for _ in $(seq 100); do grep -q '"state": "up"' "$dir/$n/peers.json" 2>/dev/null && break; sleep 0.05; done
done
for spec in 'NATO SECRET REL TO NATO|allied eyes only' 'NATO CONFIDENTIAL REL TO NATO, UKR|shared with Ukraine' \
    'NATO CONFIDENTIAL REL TO SAMPLE-NORTH|exercise community (UKR takes part)'; do
    echo "  HQ publishes \"${spec#*|}\" labelled ${spec%%|*}"
    mosquitto_pub -V mqttv5 -p "$hq" -u hq-desk -P pub-pw -q 1 -t intel/report -m "${spec#*|}" \
        -D publish user-property label "${spec%%|*}"
done
echo "  HQ publishes a last report releasable to both (messages from one origin arrive in order)"
mosquitto_pub -V mqttv5 -p "$hq" -u hq-desk -P pub-pw -q 1 -t intel/end -m end \
    -D publish user-property label 'NATO UNCLASSIFIED REL TO NATO, UKR'
for n in swe ukr; do
    for _ in $(seq 100); do "$pn" log list --data "$dir/$n" --topic intel/end | grep -q . && break; sleep 0.05; done
    echo "  the $(echo "$n" | tr a-z A-Z) node stores (offset, id, time, topic, label, payload):"
    "$pn" log list --data "$dir/$n" --topic intel/report | sed 's/^/    /'
done
echo "  UKR checks HQ's signature on what it stores ('partnernet verify'):"
"$pn" log list --data "$dir/ukr" --topic intel/report --json >"$dir/ukr.jsonl"
"$pn" verify "$dir/ukr.jsonl" --trust "$dir/trust.keys" | sed "s|$dir/||; s/^/    /"
echo "  'partnernet peers' at HQ:"
sleep 1.1 # peers.json is rewritten once a second
"$pn" peers --data "$dir/hq" | sed 's/^/    /'
