#!/usr/bin/env bash
# review_r1_fed_time.sh -- (review r1) a peer's 'time' user property of 19
# digits overflows int64_t in parseTime (src/federation/link.c): signed
# overflow (UBSan aborts the sanitizer build; undefined in release), and a
# time far in the future is stored as the message's time (time-based
# retention and history 'since' assume times never go down).  Expected:
# the node survives and refuses or clamps an implausible time.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_need node || exit 1
it_tmp
T=$IT_TMP
L_U="NATO UNCLASSIFIED REL TO NATO, UKR"
HQP=$(it_port)
RP=$(it_port)
while [ "$RP" = "$HQP" ]; do RP=$(it_port); done
echo "pw-ukr" | "$PN" principal add ukr --nation UKR --clearance NS --password-stdin \
    --principals "$T/hq.json" --role node >/dev/null
echo "pw-rogue" >"$T/rogue.pass"
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.json\n' \
    "$T" "$HQP" "$T" >"$T/hq.conf"
printf '\n[peer ukr]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/rogue.pass\ntopics = intel/#\n' \
    "$RP" "$T" >>"$T/hq.conf"
cat >"$T/script.json" <<EOF2
[
 {"pid": 1, "topic": "intel/overflow", "payload": "t",
  "props": [["label", "$L_U"], ["id", "ukr:0"], ["time", "9999999999999999999"]]},
 {"pid": 2, "topic": "intel/future", "payload": "t",
  "props": [["label", "$L_U"], ["id", "ukr:1"], ["time", "999999999999"]]},
 {"pid": 3, "topic": "intel/now", "payload": "t",
  "props": [["label", "$L_U"], ["id", "ukr:2"], ["time", "$(date +%s)"]]}
]
EOF2
node tests/it/node/roguepeer.js "$RP" "$T/rogue.events" "$T/script.json" 2>"$T/rogue.err" &
IT_PIDS+=($!)
ok "setup: the rogue peer listens" wait_until 10 grep -q LISTENING "$T/rogue.events"
"$PN" serve --config "$T/hq.conf" >"$T/hq.log" 2>&1 &
HQ=$!
IT_PIDS+=("$HQ")
wait_ready "$HQ" "$T/hq.log"
_report $? "setup: HQ starts with [peer ukr]"
wait_until 10 bash -c "[ \$(grep -c '^PUBACK' '$T/rogue.events') -ge 3 ]"
ok "HQ is still running after a 'time' of 19 nines" _alive "$HQ"
ok "no sanitizer report (signed overflow in parseTime)" no_sanitizer_report "$T/hq.log"
expect_out "the 19-digit time and the year-33,658 time are refused (0x99), the present one stored" \
    "PUBACK 1 0x99|PUBACK 2 0x99|PUBACK 3 0x00" bash -c "grep '^PUBACK' '$T/rogue.events' | cut -d' ' -f1-3 | sort | paste -sd'|'"
expect_out "HQ's log holds only the message with a plausible time" "intel/now" \
    bash -c "'$PN' log list --data '$T/hq' | cut -f4"
grep -h 'runtime error' "$T/hq.log" | head -2 | sed 's/^/# /'
"$PN" log list --data "$T/hq" 2>/dev/null | sed 's/^/# /'
kill -TERM "$HQ" 2>/dev/null
done_testing
