#!/usr/bin/env bash
# review_r1_fed_idcase.sh -- (review r1) a publisher's user property "ID"
# (a case variant of the node's 'id') is accepted and acknowledged at the
# origin and forwarded next to the node's own 'id'; every federation link
# then refuses the message as "ambiguous id" (mqttUserPropOnly), so an
# acknowledged message never reaches the peers.  Expected: the origin
# strips or refuses case variants of label/id/time, and HQ stores it.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_need mosquitto_pub || exit 1
it_tmp
T=$IT_TMP
L_U="NATO UNCLASSIFIED REL TO NATO, SWE"

principal() { # FILE NAME NATION CLEARANCE [ARG...]: password pw-NAME
    local f=$1 n=$2 nat=$3 cl=$4
    shift 4
    echo "pw-$n" >"$T/$n.pass"
    echo "pw-$n" | "$PN" principal add "$n" --nation "$nat" --clearance "$cl" --password-stdin \
        --principals "$f" "$@" >/dev/null
}
HQP=$(it_port)
SWEP=$(it_port)
while [ "$SWEP" = "$HQP" ]; do SWEP=$(it_port); done
principal "$T/hq.json" swe SWE NS --role node
principal "$T/swe.json" hq-node NATO CTS --role node
principal "$T/swe.json" pub-swe SWE NS
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.json\n' \
    "$T" "$HQP" "$T" >"$T/hq.conf"
printf '\n[peer swe]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/hq-node.pass\ntopics = intel/#\n' \
    "$SWEP" "$T" >>"$T/hq.conf"
printf '[node]\nname = swe\ndata = %s/swe\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/swe.json\n' \
    "$T" "$SWEP" "$T" >"$T/swe.conf"
"$PN" serve --config "$T/swe.conf" >"$T/swe.log" 2>&1 &
SWE=$!
IT_PIDS+=("$SWE")
wait_ready "$SWE" "$T/swe.log"
_report $? "setup: SWE starts"
"$PN" serve --config "$T/hq.conf" >"$T/hq.log" 2>&1 &
HQ=$!
IT_PIDS+=("$HQ")
wait_ready "$HQ" "$T/hq.log"
_report $? "setup: HQ starts with [peer swe]"
ok "setup: HQ's link to SWE comes up" wait_until 15 bash -c \
    "'$PN' peers --data '$T/hq' --json | tr -d ' \n' | grep -q '\"peer\":\"swe\",[^}]*\"state\":\"up\"'"
ok "setup: a plain message (swe:0) is acknowledged at SWE" mosquitto_pub -h 127.0.0.1 -p "$SWEP" -u pub-swe \
    -P pw-pub-swe -V mqttv5 -q 1 -t intel/plain -m plain -D publish user-property label "$L_U"
ok "setup: HQ stores swe:0" wait_until 15 bash -c "'$PN' log list --data '$T/hq' | cut -f2 | grep -qx swe:0"
ok "a message with a user property 'ID' is acknowledged at SWE (swe:1)" mosquitto_pub -h 127.0.0.1 -p "$SWEP" \
    -u pub-swe -P pw-pub-swe -V mqttv5 -q 1 -t intel/withid -m withid \
    -D publish user-property label "$L_U" -D publish user-property ID ref-42
ok "SWE holds it" bash -c "'$PN' log list --data '$T/swe' | cut -f2 | grep -qx swe:1"
ok "HQ stores swe:1 too (acknowledged messages reach the peer)" wait_until 10 bash -c \
    "'$PN' log list --data '$T/hq' | cut -f2 | grep -qx swe:1"
echo "# HQ audit:"
"$PN" audit --data "$T/hq" --kind import_refused --json | head -3 | sed 's/^/# /'
kill -TERM "$HQ" "$SWE"
wait "$HQ" "$SWE"
ok "no sanitizer report in the nodes' logs" bash -c "! grep -hE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$T'/*.log"
done_testing
