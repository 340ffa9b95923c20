#!/usr/bin/env bash
# demo-federation.sh -- part of `make demo`: three federated nodes.
#
# An alliance HQ node and two national nodes (SWE, UKR), each pulling from
# HQ through a [peer hq] link as a principal of its own nation.  Three
# reports are published at HQ; each national node stores only what its
# nation may hold, decided by HQ's decide() for the link's principal.
set -euo pipefail
cd "$(dirname "$0")/.."
pn=${PN:-./partnernet}
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 20000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
}
hq=$(free_port)

echo
echo "== Federation: HQ, a Swedish and a Ukrainian node; each receives only what its nation may hold =="
echo pub-pw | "$pn" principal add hq-desk --nation NATO --clearance CTS --password-stdin --principals "$dir/hq.json" >/dev/null
for n in swe ukr; do
    nation=$(echo "$n" | tr a-z A-Z)
    echo "$n-link-pw" >"$dir/$n.pass"
    "$pn" principal add "$n-node" --nation "$nation" --clearance NS --role node --password-stdin \
        --principals "$dir/hq.json" <"$dir/$n.pass"
    # HQ's principal at the node: decide() for it guards what HQ relays there.
    "$pn" principal add hq --nation NATO --clearance CTS --no-credential --principals "$dir/$n.json" >/dev/null
done
# Origin signatures: each node's key, and the partners verify HQ's.
"$pn" node init --data "$dir/hq" --name hq | tail -1 >"$dir/trust.keys"
echo "  HQ's signing key, trusted by SWE and UKR: $(cut -c1-40 "$dir/trust.keys")..."
conf() { # NAME PORT [PEER-LINK-PRINCIPAL]
    printf '[node]\nname = %s\ndata = %s/%s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/%s.json\n' \
        "$1" "$dir" "$1" "$2" "$dir" "$1"
    [ -z "${3:-}" ] || printf '[trust]\nkeys = %s/trust.keys\n' "$dir"
    [ -z "${3:-}" ] || printf '[peer hq]\naddress = 127.0.0.1:%s\nprincipal = %s\npassword_file = %s/%s.pass\ntopics = intel/#\n' \
        "$hq" "$3" "$dir" "$1"
}
start() { # NAME CONF
    printf '%s' "$2" >"$dir/$1.conf"
    "$pn" serve --config "$dir/$1.conf" >"$dir/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do grep -q ' ready: ' "$dir/$1.log" 2>/dev/null && break; sleep 0.05; done
    grep ' ready: ' "$dir/$1.log" | sed 's/^/  /'
}
start hq "$(conf hq "$hq")"
start swe "$(conf swe "$(free_port)" swe-node)"
start ukr "$(conf ukr "$(free_port)" ukr-node)"
for n in swe ukr; do
    for _ in $(seq 100); do grep -q '"state": "up"' "$dir/$n/peers.json" 2>/dev/null && break; sleep 0.05; done
done
for spec in 'NATO SECRET REL TO NATO|allied eyes only' 'NATO CONFIDENTIAL REL TO NATO, UKR|shared with Ukraine' \
    'NATO CONFIDENTIAL REL TO EX-NORDIC-RESPONSE|exercise community (UKR takes part)'; do
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
