#!/usr/bin/env bash
# expiry_fed.sh -- a message's expiry holds across federation: published at
# HQ with a Message Expiry Interval while SWE's link is down, it is relayed
# when the link comes back only if it has not expired meanwhile (MQTT 5
# §3.3.2.3.3; issue 11), also after HQ restarted and refilled the link's
# queue from its log.  Two real nodes on 127.0.0.1.
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
principal swe hq NATO CTS --role node # at SWE: decide() for it guards what HQ relays
mkdir -p "$T/hq" "$T/swe"
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.principals.json\n' \
    "$T" "${NPORT[hq]}" "$T" >"$T/hq.conf"
printf '[node]\nname = swe\ndata = %s/swe\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/swe.principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\npassword_file = %s/swe-node.pass\ntopics = ex/#\n' \
    "$T" "${NPORT[swe]}" "$T" "${NPORT[hq]}" "$T" >"$T/swe.conf"
pub() { # TOPIC PAYLOAD [EXPIRY]: QoS 1 at HQ, acknowledged with success
    local out
    out=$(mosquitto_pub -d -h 127.0.0.1 -p "${NPORT[hq]}" -u pub -P pw-pub -V mqttv5 -q 1 -t "$1" -m "$2" \
        ${3:+-D publish message-expiry-interval "$3"} -D publish user-property label "$L" 2>&1)
    grep -q 'received PUBACK (Mid: 1, RC:0)' <<<"$out"
}
swe_topics() { "$PN" log list --data "$T/swe" --topic 'ex/#' | cut -f4 | sort | paste -sd' '; }

node_start hq
_report $? "setup: HQ starts"
node_start swe
_report $? "setup: SWE starts with a [peer hq] link"
ok "HQ accepts a first message" pub ex/first first 600
ok "it reaches SWE (the link is up)" wait_until 20 bash -c "'$PN' log list --data '$T/swe' --topic ex/first | grep -q first"
node_stop swe
_report $? "setup: SWE stops (the link is down)"
ok "HQ accepts a message expiring in 1 s" pub ex/short short 1
ok "and one expiring in 600 s" pub ex/long long 600
ok "and one without expiry" pub ex/none none
# HQ restarts: the link's session there is refilled from the log.
node_stop hq
_report $? "setup: HQ stops"
node_start hq
_report $? "setup: HQ restarts (its queue for the link comes from the log now)"
# The behaviour is a duration: more than 1 s must pass (whole seconds).
sleep 2.6
node_start swe
_report $? "setup: SWE comes back"
ok "the messages that have not expired reach SWE" wait_until 20 bash -c \
    "'$PN' log list --data '$T/swe' --topic ex/none | grep -q none"
expect_out "SWE holds the first, the 600 s and the unexpiring message, never the expired one" \
    "ex/first ex/long ex/none" swe_topics
node_stop swe
_report $? "setup: SWE stops"
node_stop hq
_report $? "setup: HQ stops"
ok "no sanitizer report" no_sanitizer_report "$T"/*.log
done_testing
