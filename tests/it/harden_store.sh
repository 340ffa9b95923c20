#!/usr/bin/env bash
# harden_store.sh -- the message log under damage and a full disk (issue 10,
# items 7, 8 and 13), against real nodes and real clients.
#
#   7   a bit flipped in the newest log record: after a restart the next
#       publish gets an id above every id given before, and the damaged
#       record is reported on the node's stderr and in the audit.
#   13  the log directory on a small tmpfs: filled, publishes are refused
#       (MQTT 0x89, HTTP 503), the condition is logged once, /healthz says
#       503 and /metrics partnernet_store_failed 1; a write cut short by the
#       full disk leaves no damage behind; once a filler file is deleted,
#       publishes are accepted again without a restart, /healthz is 200, and
#       every acknowledged message is in `partnernet log list`, no refused one.
#   8   a CSBM notice that the full log could not store stays pending in the
#       outbox, and is published once space returns.
#   13  over federation: a SWE node whose log is full refuses what its link
#       pulls from HQ (HQ keeps it); once space returns every message
#       arrives, once (an id refused by a failed commit is not "held").
#
# Items 8 and 13 mount a tmpfs (root, as in CI); without that they are skipped.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_pub mosquitto_sub || exit

it_tmp
T=$IT_TMP
MNT=
cleanup_mount() { # the nodes first: a busy tmpfs cannot be unmounted
    local p
    for p in "${IT_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$MNT" ] && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
    it_cleanup
}
trap cleanup_mount EXIT

P=$T/principals.json
principal pub USA CTS --caveat ATOMAL --role operator
principal ukr UKR NU

# pubm ARG...: one MQTT 5 QoS 1 publish by pub; prints mosquitto_pub's -d output
# (it exits 0 whatever the PUBACK says: pub_ok/pub_busy read the reason code)
pubm() {
    mosquitto_pub -d -V 5 -h 127.0.0.1 -p "$PORT" -u pub -P pw-pub -q 1 \
        -D publish user-property label "NATO UNCLASSIFIED" "$@" 2>&1
}
pub_ok() { pubm "$@" | grep -q 'received PUBACK (Mid: 1, RC:0)'; }
pub_busy() { pubm "$@" | grep -q 'received PUBACK (Mid: 1, RC:137)'; } # 0x89
gt() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -gt "$2" ]; } # both numbers, the first greater
# ids DATA: "origin:seq topic payload" per record `log list` shows
ids() { "$PN" log list --data "$1" | awk -F'\t' '{print $2, $4, $6}'; }

# ---- item 7: a damaged newest record does not give its id out again --------
D=$T/n7
srv_start "$D" --node hq --principals "$P" --mqtt 127.0.0.1:@PORT@
_report $? "item 7: node hq starts"
for i in 1 2 3 4; do pub_ok -t seq/m -m "m$i"; done
expect_out "item 7: four messages logged as hq:0..hq:3" "hq:0 hq:1 hq:2 hq:3" \
    bash -c "'$PN' log list --data '$D' | cut -f2 | xargs"
srv_stop
ok "item 7: node stopped cleanly" test $? -eq 0
SEG=$D/log/00000000000000000000.log
# flip one bit in the last byte of the file: the payload of record 3
python3 -c "
import sys
f = open(sys.argv[1], 'r+b'); f.seek(-1, 2); b = f.read(1); f.seek(-1, 2)
f.write(bytes([b[0] ^ 1])); f.close()" "$SEG"
srv_restart
_report $? "item 7: node restarts on the damaged log"
ok "item 7: the damaged record is reported on stderr (record 3)" \
    grep -E 'log recovery: .*record 3 .*damaged' "$SRV_LOG"
ok "item 7: the damage is in the audit (log_damaged; flushed at the first commit)" \
    wait_until 5 bash -c "'$PN' audit --data '$D' --kind log_damaged --json | grep -q 'record 3 .*damaged'"
ok "item 7: a publish after the restart is acknowledged" pub_ok -t seq/m -m m5
new=$(ids "$D" | awk '$3 == "m5" {print $1}')
ok "item 7: its id is above every id given before (got '$new', hq:3 was given)" gt "${new#hq:}" 3
ok "item 7: the damaged record is not served" bash -c "! '$PN' log list --data '$D' | grep -q \$'\tm4\$'"
srv_stop
srv_restart
_report $? "item 7: node restarts again"
ok "item 7: a publish after the second restart is acknowledged" pub_ok -t seq/m -m m6
six=$(ids "$D" | awk '$3 == "m6" {print $1}')
ok "item 7: after a second restart ids still go up (m5 $new, m6 $six)" gt "${six#hq:}" "${new#hq:}"
ok "item 7: the damage is still reported, not forgotten" grep -E 'log recovery: .*records? 3\b' "$SRV_LOG"
srv_stop
ok "item 7: no sanitizer report" srv_clean_log

# ---- items 13 and 8: a full disk under the log -----------------------------
D=$T/n13
mkdir -p "$D/log"
if ! mount -t tmpfs -o size=6m tmpfs "$D/log" 2>/dev/null; then
    skip "items 8 and 13" "cannot mount a tmpfs (needs root; CI runs as root)"
    done_testing
    exit
fi
MNT=$D/log
FILL=$MNT/filler
fill() { # fill the tmpfs, leaving about $1 bytes free
    local avail
    avail=$(df --output=avail -B1 "$MNT" | tail -1)
    [ "$avail" -gt "$1" ] && head -c $((avail - $1)) /dev/zero >>"$FILL" 2>/dev/null
    [ "$1" -eq 0 ] && head -c 1048576 /dev/zero >>"$FILL" 2>/dev/null
    return 0
}
# metric NAME: its value in /metrics (operators only: pub's token)
metric() { curl -s -H "$(A "$TOK")" "http://127.0.0.1:$HTTPPORT/metrics" | awk -v n="$1" '$1 == n {print $2}'; }
refused() { metric partnernet_store_refused_total; }

srv_start "$D" --node hq --principals "$P" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "item 13: node starts with its log on a 6 MB tmpfs"
TOK=$("$PN" token create --principal pub --data "$D" --principals "$P" 2>/dev/null)
expect_http "item 13: /healthz is 200 before" 200 'd["status"] == "ok"' -- "http://127.0.0.1:$HTTPPORT/healthz"
# Filled before the first publish: the log's segment file is empty, so the
# first record written needs a new page of the tmpfs (a record that fits in
# the last page already allocated would still be written).
fill 0
ok "item 13: the tmpfs is full" test "$(df --output=avail -B1 "$MNT" | tail -1)" -eq 0

# ---- item 8: the first write to fail is a CSBM notice ------------------------
# outbox_or_refused N: the outbox is empty, or N publishes were refused
outbox_or_refused() {
    "$PN" plan outbox --data "$D" | grep -qx '0 pending' && return 0
    [ "$(refused)" -ge "$1" ] 2>/dev/null
}
ok "item 8: plan exercise add queues a notice (plan.db is not on the full disk)" \
    "$PN" plan exercise add --data "$D" --code EX-FULL-1 --name 'Full disk exercise' \
    --start 2026-09-01 --end 2026-09-05 --host POL --troops 10000
# The notifier publishes once a second.  Two refusals mean it published, the
# commit failed, its next tick came (where a notice used to be marked done)
# and it tried again; an empty outbox means it was marked done unstored.
ok "item 8: the node tried to publish the notice (refused twice, or marked done)" \
    wait_until 15 outbox_or_refused 2
expect_out "item 8: the unstored notice is still pending" "1 pending" \
    bash -c "'$PN' plan outbox --data '$D' | tail -1"

# ---- item 13: publishes refused while the disk is full -----------------------
ok "item 13: MQTT publish on a full disk is refused with 0x89 (server busy)" pub_busy -t full/b -m refused1
expect_http "item 13: HTTP publish on a full disk is 503 unavailable" 503 "${ERR}'unavailable'" -- \
    -H "$(A "$TOK")" -H 'Content-Type: application/json' \
    -d '{"topic":"full/c","label":"NATO UNCLASSIFIED","payload":"refused2"}' \
    "http://127.0.0.1:$HTTPPORT/v1/messages"
ok "item 13: a second MQTT publish is refused too" pub_busy -t full/b -m refused3
expect_http "item 13: /healthz is 503 and names the store failure" 503 \
    'd["status"] != "ok" and "no space" in d["store"].lower() and "'"$D"'" not in str(d)' -- \
    "http://127.0.0.1:$HTTPPORT/healthz"
expect_out "item 13: /metrics partnernet_store_failed 1" 1 metric partnernet_store_failed
ok "item 13: /metrics counts the refused publishes (>= 5)" test "$(refused)" -ge 5
expect_out "item 13: the condition is logged once on stderr, loudly" 1 \
    bash -c "grep -c 'store: .*No space left on device' '$SRV_LOG'"
ok "item 13: the log line says what was refused" grep -E 'store: .*refus.*csbm/notifications' "$SRV_LOG"
ok "item 13: node still up" srv_alive

# a write the full disk cuts short: 32 KiB free, a 200 KiB message
rm -f "$FILL"
fill 32768
head -c 204800 /dev/urandom | base64 -w0 >"$T/big"
ok "item 13: a message larger than the space left is refused" pub_busy -t full/big -f "$T/big"

# ---- space returns ------------------------------------------------------------
rm -f "$FILL"
ok "item 13: /healthz is 200 again once space returns, without a restart" \
    wait_until 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$HTTPPORT/healthz)\" = 200 ]"
ok "item 13: MQTT publish accepted again" pub_ok -t full/d -m after
expect_http "item 13: HTTP publish accepted again (201)" 201 '"id" in d' -- \
    -H "$(A "$TOK")" -H 'Content-Type: application/json' \
    -d '{"topic":"full/e","label":"NATO UNCLASSIFIED","payload":"after-http"}' \
    "http://127.0.0.1:$HTTPPORT/v1/messages"
expect_out "item 13: /metrics partnernet_store_failed 0" 0 metric partnernet_store_failed
ok "item 8: the notice is published and marked done once space returns" \
    wait_until 10 bash -c "'$PN' plan outbox --data '$D' | grep -qx '0 pending'"
ok "item 8: the log holds the notice" bash -c "'$PN' log list --data '$D' | grep -q \$'\tcsbm/notifications\t'"
ok "item 13: the recovery is logged" grep -E 'store: .*(again|recovered)' "$SRV_LOG"
srv_stop
ok "item 13: node stopped cleanly" test $? -eq 0
list=$(ids "$D")
ok "item 13: every acknowledged message is in log list" \
    bash -c "grep -q ' full/d after\$' <<<'$list' && grep -q ' full/e \"after-http\"\$' <<<'$list'"
ok "item 13: no refused message is in log list" \
    bash -c "! grep -qE 'refused|full/big' <<<'$list'"
srv_restart
_report $? "item 13: node restarts"
ok "item 13: the restart finds no damaged record (the cut-short write was undone)" \
    bash -c "! grep -q 'log recovery' '$SRV_LOG'"
ok "item 13: publishes continue after the restart" pub_ok -t full/f -m later
srv_stop
ok "item 13: no sanitizer report" srv_clean_log
umount "$MNT" && MNT=

# ---- item 13 over federation: SWE's log full, HQ's link keeps the messages --
H=$T/fhq
S=$T/fswe
mkdir -p "$H" "$S/log"
mount -t tmpfs -o size=6m tmpfs "$S/log" && MNT=$S/log
FILL=$MNT/filler
HP=$(it_port)
SP=$(it_port)
while [ "$SP" = "$HP" ]; do SP=$(it_port); done
echo pw-swe-node | "$PN" principal add swe-node --nation SWE --clearance NS --role node \
    --password-stdin --principals "$H/principals.json" >/dev/null
echo pw-pub | "$PN" principal add pub --nation USA --clearance CTS --password-stdin \
    --principals "$H/principals.json" >/dev/null
echo pw-reader | "$PN" principal add reader --nation SWE --clearance NS --password-stdin \
    --principals "$S/principals.json" >/dev/null
# At SWE, the principal standing for the peer HQ: decide() for it guards what HQ relays.
echo pw-hq | "$PN" principal add hq --nation USA --clearance CTS --role node --password-stdin \
    --principals "$S/principals.json" >/dev/null
echo pw-swe-node >"$T/swe-node.pass"
printf '[node]\nname = hq\ndata = %s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/principals.json\n' \
    "$H" "$HP" "$H" >"$T/fhq.conf"
printf '[node]\nname = swe\ndata = %s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\npassword_file = %s/swe-node.pass\ntopics = fed/#\n' \
    "$S" "$SP" "$S" "$HP" "$T" >"$T/fswe.conf"
fed_start() { # NAME: serve $T/NAME.conf, log $T/NAME.N.log; sets FPID[NAME]
    local log=$T/$1.$RANDOM.log
    SRV_LOGS+=("$log")
    "$PN" serve --config "$T/$1.conf" >"$log" 2>&1 &
    FPID[$1]=$!
    IT_PIDS+=("${FPID[$1]}")
    wait_ready "${FPID[$1]}" "$log"
}
declare -A FPID
SRV_LOGS=()
fed_start fhq
_report $? "federation: HQ starts"
fed_start fswe
_report $? "federation: SWE starts, its log on a 6 MB tmpfs, pulling fed/# from HQ"
fpub() { # PAYLOAD-FILE: a QoS 1 publish at HQ, acknowledged
    mosquitto_pub -d -V 5 -h 127.0.0.1 -p "$HP" -u pub -P pw-pub -q 1 -t fed/x -f "$1" \
        -D publish user-property label "NATO UNCLASSIFIED REL TO NATO, SWE" 2>&1 |
        grep -q 'received PUBACK (Mid: 1, RC:0)'
}
held() { "$PN" log list --data "$S" --topic 'fed/#' | wc -l; }
held_is() { [ "$(held)" -eq "$1" ]; }
# the link's session at HQ exists once the link is up: publish after that
link_up() {
    "$PN" peers --data "$S" --json 2>/dev/null | tr -d ' \n' |
        grep -o '"peer":"hq",[^}]*' | grep -q '"state":"up"'
}
ok "federation: SWE's link to HQ comes up" wait_until 20 link_up
echo first >"$T/p0"
ok "federation: HQ accepts a first message" fpub "$T/p0"
ok "federation: it reaches SWE" wait_until 10 held_is 1
fill 0
for i in 1 2 3; do # 16 KiB each: a new page of the full tmpfs at SWE
    { echo "msg-$i"; head -c 16384 /dev/zero | tr '\0' x; } >"$T/p$i"
    ok "federation: HQ accepts message $i while SWE's disk is full" fpub "$T/p$i"
done
ok "federation: SWE refuses to store them (its store failed)" \
    wait_until 10 grep -q 'store: cannot write the log' "${SRV_LOGS[1]}"
expect_out "federation: SWE holds only the first" 1 held
rm -f "$FILL"
ok "federation: once space returns all four reach SWE" wait_until 20 held_is 4
expect_out "federation: each once, with the ids given at HQ" "hq:0 hq:1 hq:2 hq:3" \
    bash -c "'$PN' log list --data '$S' --topic 'fed/#' | cut -f2 | sort | xargs"
ok "federation: both nodes still up" bash -c "kill -0 ${FPID[fhq]} && kill -0 ${FPID[fswe]}"
kill -TERM "${FPID[fswe]}" "${FPID[fhq]}"
wait "${FPID[fswe]}" "${FPID[fhq]}" 2>/dev/null
ok "federation: no sanitizer report" srv_clean_log
done_testing
