#!/usr/bin/env bash
# harden_fed.sh -- a federation link does not take forged origins, ids or
# labels from its peer (issue 10, item 3).
#
# The HQ node pulls from two peers: [peer ukr], a rogue peer (a fake node
# written in Node.js, tests/it/node/roguepeer.js, that lets the link log in
# and relays crafted messages), and [peer swe], a genuine partnernet node.
#   - origins: a link accepts only origins configured for the peer; by
#     default only the peer's own node name (the [peer NAME]), plus this
#     node's own (already held: acknowledged, never stored)
#   - labels: decide() for the peer's principal at this node (peer_principal,
#     default NAME: here ukr, UKR NS) guards every import, as for a direct
#     publisher; an ambiguous label (two 'label' properties) is refused
#   - refusals are audited (import_refused), acknowledged with the reason so
#     the link does not stall, and a forged swe:0 does not block the genuine
#     swe:0 arriving later
#   - serve refuses a [peer] whose peer principal does not exist (exit 2)
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_need mosquitto_pub node || exit 1
it_tmp
T=$IT_TMP
L_U="NATO UNCLASSIFIED REL TO NATO, UKR"
L_TOP="COSMIC TOP SECRET ATOMAL"

principal() { # FILE NAME NATION CLEARANCE [ARG...]: password pw-NAME
    local f=$1 n=$2 nat=$3 cl=$4
    shift 4
    echo "pw-$n" >"$T/$n.pass"
    echo "pw-$n" | "$PN" principal add "$n" --nation "$nat" --clearance "$cl" --password-stdin \
        --principals "$f" "$@" >/dev/null
}
declare -A NPORT
for n in hq swe rogue; do NPORT[$n]=$(it_port); done
while [ "$(printf '%s\n' "${NPORT[@]}" | sort -u | wc -l)" -lt 3 ]; do NPORT[rogue]=$(it_port); done

# HQ: the peers' principals here (what each peer may hold), a reader.
principal "$T/hq.json" ukr UKR NS --role node
principal "$T/hq.json" swe SWE NS --role node
principal "$T/hq.json" reader NATO CTS --caveat ATOMAL
# SWE: HQ's link logs in as hq-node; a publisher.
principal "$T/swe.json" hq-node NATO CTS --role node
principal "$T/swe.json" pub-swe SWE NS
echo "pw-rogue" >"$T/rogue.pass"
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.json\n' \
    "$T" "${NPORT[hq]}" "$T" >"$T/hq.conf"
printf '\n[peer ukr]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/rogue.pass\ntopics = intel/#\n' \
    "${NPORT[rogue]}" "$T" >>"$T/hq.conf"
printf '\n[peer swe]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/hq-node.pass\ntopics = intel/#\n' \
    "${NPORT[swe]}" "$T" >>"$T/hq.conf"
printf '[node]\nname = swe\ndata = %s/swe\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/swe.json\n' \
    "$T" "${NPORT[swe]}" "$T" >"$T/swe.conf"

NOW=$(date +%s)
cat >"$T/script.json" <<EOF2
[
 {"pid": 1, "topic": "intel/forged", "payload": "forged swe:0",
  "props": [["label", "$L_TOP"], ["id", "swe:0"], ["time", "$NOW"]]},
 {"pid": 2, "topic": "intel/high", "payload": "above the peer",
  "props": [["label", "$L_TOP"], ["id", "ukr:1"], ["time", "$NOW"]]},
 {"pid": 3, "topic": "intel/ok", "payload": "good-1",
  "props": [["label", "$L_U"], ["id", "ukr:2"], ["time", "$NOW"]]},
 {"pid": 4, "topic": "intel/notrel", "payload": "not releasable to UKR",
  "props": [["label", "NATO SECRET REL TO NATO"], ["id", "ukr:3"], ["time", "$NOW"]]},
 {"pid": 5, "topic": "intel/own", "payload": "claims to be from hq",
  "props": [["label", "$L_U"], ["id", "hq:77"], ["time", "$NOW"]]},
 {"pid": 6, "topic": "intel/twolabels", "payload": "two labels",
  "props": [["label", "$L_U"], ["label", "$L_TOP"], ["id", "ukr:5"], ["time", "$NOW"]]},
 {"pid": 7, "topic": "intel/ok", "payload": "good-2",
  "props": [["label", "$L_U"], ["id", "ukr:4"], ["time", "$NOW"]]}
]
EOF2
node tests/it/node/roguepeer.js "${NPORT[rogue]}" "$T/rogue.events" "$T/script.json" 2>"$T/rogue.err" &
IT_PIDS+=($!)
ok "the rogue peer listens" wait_until 10 grep -q LISTENING "$T/rogue.events"

"$PN" serve --config "$T/hq.conf" >"$T/hq.log" 2>&1 &
HQ=$!
IT_PIDS+=("$HQ")
wait_ready "$HQ" "$T/hq.log"
_report $? "HQ starts with a [peer ukr] (rogue) and a [peer swe] link"
ok "the rogue peer gets all 7 acknowledgements" wait_until 15 bash -c "[ \$(grep -c '^PUBACK' '$T/rogue.events') -ge 7 ]"
puback() { grep "^PUBACK $1 " "$T/rogue.events" | head -1 | cut -d' ' -f3-; }
expect_out "forged origin swe (swe:0 labelled $L_TOP): PUBACK 0x87, origin not accepted" \
    "0x87 origin 'swe' is not accepted from peer ukr (origins =)" puback 1
ok "a label the peer's principal (UKR NS) may not hold, ukr:1 $L_TOP: PUBACK 0x87 (clearance)" \
    bash -c "grep -q '^PUBACK 2 0x87 .*clearance' '$T/rogue.events'"
expect_out "a label releasable to UKR from origin ukr: stored (PUBACK 0x00)" "0x00 " puback 3
ok "NATO SECRET REL TO NATO from the UKR peer: PUBACK 0x87 (not releasable to UKR)" \
    bash -c "grep -q '^PUBACK 4 0x87 .*not releasable to nation UKR' '$T/rogue.events'"
expect_out "an id of this node's own (hq:77): acknowledged as held, not stored" "0x00 " puback 5
ok "two label properties: PUBACK 0x99" bash -c "grep -q '^PUBACK 6 0x99 .*more than one' '$T/rogue.events'"
expect_out "the good message behind the refusals: stored (no stall)" "0x00 " puback 7
expect_out "HQ stored exactly the two good messages from the rogue peer" "ukr:2|good-1 ukr:4|good-2" bash -c \
    "'$PN' log list --data '$T/hq' | awk -F'\t' '{print \$2 \"|\" \$6}' | sort | paste -sd' '"
ok "audit: the forged origin refused (import_refused)" bash -c \
    "'$PN' audit --data '$T/hq' --kind import_refused --json | grep -q \"origin 'swe' is not accepted from peer ukr\""
ok "audit: the label above the peer's principal refused, with the label and id" bash -c \
    "'$PN' audit --data '$T/hq' --kind import_refused --json | tr -d '\n' | grep -q 'intel/high.*$L_TOP.*ukr:1'"
ok "audit: 4 import refusals in all" bash -c \
    "[ \$('$PN' audit --data '$T/hq' --kind import_refused --json | grep -c '\"kind\": *\"import_refused\"') -eq 4 ]"
expect_out "HQ says so on stderr, once for the link" 1 bash -c \
    "grep -c 'peer ukr: refused a relayed message: origin .swe. is not accepted' '$T/hq.log'"
ok "the rogue link is still up, 4 refused, 2 stored" wait_until 5 bash -c \
    "'$PN' peers --data '$T/hq' --json | tr -d ' \n' | grep -o '\"peer\":\"ukr\",[^}]*' | grep -q '\"state\":\"up\".*\"stored\":2,\"duplicates\":1,\"refused\":4'"

echo "# the genuine swe:0 arrives later and is stored"
"$PN" serve --config "$T/swe.conf" >"$T/swe.log" 2>&1 &
SWE=$!
IT_PIDS+=("$SWE")
wait_ready "$SWE" "$T/swe.log"
_report $? "the genuine SWE node starts"
ok "HQ's link to SWE comes up" wait_until 15 bash -c \
    "'$PN' peers --data '$T/hq' --json | tr -d ' \n' | grep -q '\"peer\":\"swe\",[^}]*\"state\":\"up\"'"
ok "SWE publishes its first message (swe:0)" mosquitto_pub -h 127.0.0.1 -p "${NPORT[swe]}" -u pub-swe \
    -P pw-pub-swe -V mqttv5 -q 1 -t intel/genuine -m "genuine swe:0" -D publish user-property label "$L_U"
ok "it has the id swe:0 at SWE" bash -c "'$PN' log list --data '$T/swe' | cut -f2 | grep -qx swe:0"
ok "HQ stores the genuine swe:0" wait_until 15 bash -c \
    "'$PN' log list --data '$T/hq' --topic intel/genuine | awk -F'\t' '\$2==\"swe:0\" && \$6==\"genuine swe:0\"' | grep -q ."
ok "nothing forged was stored at HQ" bash -c "! '$PN' log list --data '$T/hq' | grep -qE 'intel/(forged|high|notrel|own|twolabels)'"

echo "# configuration"
ok "HQ still running" _alive "$HQ"
"$PN" principal remove ukr --principals "$T/hq.json" >/dev/null && kill -HUP "$HQ"
_report $? "the peer's principal ukr is removed at HQ (SIGHUP)"
ok "the rogue link closes and stays down: nothing guards its imports any more" wait_until 15 bash -c \
    "'$PN' peers --data '$T/hq' --json | tr -d '\n' | grep -q \"no principal 'ukr' at this node\""
kill -TERM "$SWE" "$HQ"
wait "$HQ"
_report $? "HQ stops cleanly (exit 0)"
wait "$SWE"
printf '[node]\nname = x\ndata = %s/x\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.json\n\n[peer nobody]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/rogue.pass\ntopics = intel/#\n' \
    "$T" "$(it_port)" "$T" "${NPORT[rogue]}" "$T" >"$T/x.conf"
expect_err "a [peer] without a principal for the peer at this node: exit 2, says so" 2 \
    "peer nobody: no principal 'nobody' at this node" timeout 20 "$PN" serve --config "$T/x.conf"
ok "no sanitizer report in the nodes' logs" bash -c "! grep -hE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' '$T'/*.log"
done_testing
