#!/usr/bin/env bash
# harden_retained_fed.sh -- a retained message published at HQ while the
# SWE link is down reaches SWE after HQ restarts (issue 10, item 6: a link
# subscribes with Retain As Published, and its session at HQ must not skip
# retained records).  Two real nodes on 127.0.0.1; HQ restarts once with
# SIGTERM and once with kill -9.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

it_need mosquitto_pub || exit
it_tmp
T=$IT_TMP
. tests/it/lib/nodes.sh
L="NATO UNCLASSIFIED REL TO NATO, SWE"

declare -A NPORT
for n in hq swe; do NPORT[$n]=$(it_port); done
while [ "${NPORT[hq]}" = "${NPORT[swe]}" ]; do NPORT[swe]=$(it_port); done

principal hq pub USA NS
principal hq swe-node SWE NS --role node
principal hq hq NATO CTS --role node # at SWE (same file): decide() for it guards what HQ relays
mkdir -p "$T/hq" "$T/swe"
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.principals.json\n' \
    "$T" "${NPORT[hq]}" "$T" >"$T/hq.conf"
printf '[node]\nname = swe\ndata = %s/swe\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\npassword_file = %s/swe-node.pass\ntopics = fed/#\n' \
    "$T" "${NPORT[swe]}" "$T" "${NPORT[hq]}" "$T" >"$T/swe.conf"

pub() { # TOPIC PAYLOAD [ARG...]: QoS 1 at HQ
    local t=$1 p=$2
    shift 2
    mosquitto_pub -h 127.0.0.1 -p "${NPORT[hq]}" -u pub -P pw-pub -V mqttv5 -q 1 \
        -t "$t" -m "$p" -D publish user-property label "$L" "$@"
}
# SWE's log holds a message with payload P on topic T.
swe_has() { $PN log list --data "$T/swe" --topic "$1" | awk -F'\t' '{print $6}' | grep -qx "$2"; }

node_start hq
_report $? "HQ starts"
node_start swe
_report $? "SWE starts with a [peer hq] link"
# The link subscribes just after it logs in: probe until a probe arrives.
probe() { pub fed/probe probe && wait_until 1 swe_has fed/probe probe; }
ok "a probe published at HQ reaches SWE (the link's session at HQ is subscribed)" \
    wait_until 20 probe

for how in sigterm kill9; do
    node_stop swe
    _report $? "$how: SWE stops (the link is down)"
    ok "$how: HQ acknowledges a retained message meanwhile" pub "fed/$how" "ret-$how" -r
    if [ $how = sigterm ]; then
        node_stop hq
        _report $? "$how: HQ stops with exit 0"
    else
        node_kill9 hq
    fi
    node_start hq
    _report $? "$how: HQ restarts"
    node_start swe
    _report $? "$how: SWE starts again"
    ok "$how: the retained message reaches SWE after HQ's restart" \
        wait_until 15 swe_has "fed/$how" "ret-$how"
done

ok "no sanitizer report" no_sanitizer_report "$T"/*.log
node_stop swe
_report $? "SWE stops with exit 0"
node_stop hq
_report $? "HQ stops with exit 0"
done_testing
