#!/usr/bin/env bash
# review_r1_history_count.sh -- (review r1) GET /v1/messages accepts any
# "since=NODE:N" (not only ids the caller was given), and whether the scan
# stopped at its bound (sealed cursor, "more": true) or reached the end
# ("more": false) depends on how many records follow N -- visible or not.
# Two requests that return no message at all differ, so a caller who may
# see nothing learns the exact number of messages the node holds (a binary
# search over N).  Expected: the two answers are alike.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_pub || exit

it_tmp
T=$IT_TMP
D=$T/m
mkdir -p "$D"
P=$D/principals.json
principal opusa USA CTS --caveat ATOMAL
principal jpn JPN NU
TJ=$(token jpn)

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-rh
_report $? "setup: node starts with HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
L_TOP='COSMIC TOP SECRET ATOMAL'

# 100,050 messages JPN NU may not see: ids it-rh:0 .. it-rh:100049.
seq 100050 | timeout 300 mosquitto_pub -h 127.0.0.1 -p "$PORT" -u opusa -P pw-opusa -V mqttv5 -q 0 \
    -t secret/x -D PUBLISH user-property label "$L_TOP" -l >"$T/flood.out" 2>&1
flooded() { [ "$("$PN" log list --data "$D" | wc -l)" -ge 100050 ]; }
wait_until 120 flooded
ok "setup: the node stored the 100,050" flooded

q() { curl -s -H "$(A "$TJ")" "$U/v1/messages?since=it-rh:$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["messages"]), d["more"], str(d["next"])[:2])'; }
a48=$(q 48) a49=$(q 49)
echo "# since=it-rh:48 -> $a48 ; since=it-rh:49 -> $a49"
ok "no message either way" test "${a48%% *}" = 0 -a "${a49%% *}" = 0
ok "since=it-rh:48 and since=it-rh:49 answer alike (else: 100,000 records follow 48, not 49 -> the node holds exactly 100,050)" \
    test "$a48" = "$a49"
ok "the node is still up" srv_alive
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
