#!/usr/bin/env bash
# integrity_seen.sh -- an id once held is never taken again: a message a
# peer relayed, stored, then removed by retention, is not stored a second
# time when a late copy arrives (by another path, or the same one) after
# the node restarted -- the node remembers which ids it held beyond what its
# log still holds.  A fake peer (tests/it/node/roguepeer.js) relays ukr:1..40
# to HQ, whose log keeps segments of 2 KiB up to 6 KiB in all; after a
# restart the peer relays ukr:1 and ukr:20 again, and ukr:41 (new).
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
printf 'segment_bytes = 2048\nretain_bytes = 6144\n' >>"$T/hq.conf"
printf '\n[peer ukr]\naddress = 127.0.0.1:%s\nprincipal = hq-node\npassword_file = %s/rogue.pass\ntopics = intel/#\n' \
    "$RP" "$T" >>"$T/hq.conf"
# script FILE SEQ...: one QoS 1 message per sequence number, 100-byte payloads
script() {
    local f=$1 pid=0 now sep=
    shift
    now=$(date +%s)
    echo '[' >"$f"
    for seq in "$@"; do
        pid=$((pid + 1))
        printf '%s{"pid": %d, "topic": "intel/r", "payload": "%s", "props": [["label", "%s"], ["id", "ukr:%d"], ["time", "%d"]]}\n' \
            "$sep" "$pid" "$(printf 'm%-99d' "$seq" | tr ' ' .)" "$L_U" "$seq" "$now" >>"$f"
        sep=,
    done
    echo ']' >>"$f"
}
rogue() { # SCRIPT EVENTS
    node tests/it/node/roguepeer.js "$RP" "$2" "$1" 2>>"$T/rogue.err" &
    ROGUE=$!
    IT_PIDS+=("$ROGUE")
    wait_until 10 grep -q LISTENING "$2"
}
hq() {
    "$PN" serve --config "$T/hq.conf" >>"$T/hq.log" 2>&1 &
    HQ=$!
    IT_PIDS+=("$HQ")
    wait_ready "$HQ" "$T/hq.log"
}
# held SEQ: how many copies of ukr:SEQ the log holds (nothing when it cannot be read)
held() {
    local l
    l=$("$PN" log list --data "$T/hq") || return
    cut -f6 <<<"$l" | grep -c "^m$1\."
}
held_is() { [ "$(held "$1")" = "$2" ]; }

script "$T/one.json" $(seq 1 40)
rogue "$T/one.json" "$T/one.events"
_report $? "setup: the fake peer listens"
hq
_report $? "setup: HQ starts with [peer ukr], 2 KiB segments, 6 KiB kept"
ok "HQ stored all 40 (40 PUBACKs 0x00)" \
    wait_until 15 bash -c "[ \$(grep -c '^PUBACK [0-9]* 0x00' '$T/one.events') -ge 40 ]"
ok "retention removed the oldest (ukr:1 no longer in the log)" \
    wait_until 10 held_is 1 0
kill "$ROGUE"
wait "$ROGUE" 2>/dev/null
kill -TERM "$HQ"
wait "$HQ"
_report $? "setup: HQ stops cleanly"

script "$T/two.json" 1 20 41
rogue "$T/two.json" "$T/two.events"
_report $? "setup: the peer comes back with ukr:1, ukr:20 again and ukr:41"
hq
_report $? "setup: HQ restarts"
ok "the peer gets its three PUBACKs" \
    wait_until 15 bash -c "[ \$(grep -c '^PUBACK' '$T/two.events') -ge 3 ]"
expect_out "the late copy of ukr:1 (removed by retention) is not stored again" 0 held 1
expect_out "ukr:20, still in the log, is held once, not twice" 1 held 20
expect_out "ukr:41, new, is stored" 1 held 41
kill -TERM "$HQ"
wait "$HQ"
_report $? "setup: HQ stops cleanly"
ok "no sanitizer report" no_sanitizer_report "$T/hq.log"
done_testing
