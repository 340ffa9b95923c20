#!/usr/bin/env bash
# mqtt_shared.sh -- MQTT 5 shared subscriptions ($share/NAME/FILTER, §4.8.2)
# on a real node: each message to one member of each group, spread over
# two and three members (QoS 0, 1, 2), only to members decide() allows (a message no
# member may receive is refused for the group and audited share_refused),
# bad share names (0x8F), No Local (DISCONNECT 0x82), no retained messages
# on subscribing, a member's unacknowledged messages handed to another
# when its session ends or a persistent member disconnects, a persistent
# member's share kept while offline, a clearance lowered by SIGHUP, the
# group's messages waiting in the log past max_queued and their loss to
# retention audited, the /metrics counts,
# and the groups' hand-outs across kill -9 and SIGTERM
# (tests/it/node/shared.js, raw packets; mosquitto_sub and MQTT.js,
# tests/it/node/sharedjs.js, as real clients).
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh
it_need node npm mosquitto_sub mosquitto_pub || exit
it_tmp
T=$IT_TMP
it_npm
D=$T/d
mkdir -p "$D"
P=$D/principals.json
principal alice SWE NS
principal bob SWE NU
principal carol SWE NS
principal ops SWE NU --role operator
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-sh
_report $? "setup: node starts" "$(cat "$SRV_LOG")"

node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" spread qos room names labels handoff offline clear1
# carol is updated in place (the same principal), her clearance lowered
principal carol SWE NU
kill -HUP "$SRV_PID"
ok "the node logs the principals reload" wait_until 5 grep -q 'principals reloaded' "$SRV_LOG"
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" clear2
ok "audit: the message no member may receive is recorded as share_refused" bash -c \
    "set -o pipefail; '$PN' audit --data '$D' --since 1h | grep -E 'share_refused .*lb/x'"
# /metrics (operators): one group is left (cl: carol's persistent session);
# one message no member could receive (nr-alone); seven handed from one
# member to another (three when ho-q's session ended, one when ho-p
# disconnected, three when carol's clearance was lowered).
TOPS=$(token ops)
curl -s -H "Authorization: Bearer $TOPS" "http://127.0.0.1:$HTTPPORT/metrics" >"$T/metrics"
metric() { awk -v n="$1" '$1 == n {print $2}' "$T/metrics"; }
expect_out "metrics: shared subscription groups held" 1 metric partnernet_shared_groups
expect_out "metrics: messages no member of a group might receive" 1 metric partnernet_shared_refused_total
expect_out "metrics: messages handed from one member to another" 7 metric partnernet_shared_handed_off_total

# mosquitto_sub (a real client) as two members of one group: six messages
# published with mosquitto_pub, three to each.
L='NATO UNCLASSIFIED REL TO NATO, SWE'
# shellcheck disable=SC2016 # '$share' is the topic filter, not a variable
sub_bg "$T/m1" -h 127.0.0.1 -p "$PORT" -V mqttv5 -u alice -P pw-alice -q 1 -t '$share/mq/mq/#' -F 'MSG %p'
S1=$SUB_PID
# shellcheck disable=SC2016
sub_bg "$T/m2" -h 127.0.0.1 -p "$PORT" -V mqttv5 -u alice -P pw-alice -q 1 -t '$share/mq/mq/#' -F 'MSG %p'
for i in 1 2 3 4 5 6; do
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -V mqttv5 -u alice -P pw-alice -q 1 -t mq/x -m "m$i" -D publish user-property label "$L"
done
both() { [ "$( (msgs "$T/m1"; msgs "$T/m2") | wc -l)" -eq 6 ]; }
ok "mosquitto_sub: the six messages reach the two members" wait_until 10 both
ok "mosquitto_sub: three each, none twice" bash -c \
    "[ \$(grep -c '^MSG' '$T/m1') -eq 3 ] && [ \$(grep -c '^MSG' '$T/m2') -eq 3 ] && \
     [ \$(cat '$T/m1' '$T/m2' | grep '^MSG' | sort -u | wc -l) -eq 6 ]"
kill "$S1" "$SUB_PID" 2>/dev/null

node_tap tests/it/node/sharedjs.js "$PORT"

# Restarts: hand-outs survive kill -9 (nothing lost) and SIGTERM (exactly).
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" rs1
srv_kill9
srv_restart
_report $? "setup: node restarts after kill -9" "$(tail -n 20 "$SRV_LOG")"
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" rs2
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
srv_restart
_report $? "setup: node restarts after SIGTERM" "$(tail -n 20 "$SRV_LOG")"
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" rs3

ok "node still running" srv_alive
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"

# A node whose session queues hold 3 (the group's messages wait in the
# log) and whose log keeps 6 KB.
D2=$T/q
mkdir -p "$D2"
printf '[node]\nname = it-shq\nmax_queued = 3\nsegment_bytes = 2048\nretain_bytes = 6144\n' >"$T/q.conf"
srv_start "$D2" --config "$T/q.conf" --mqtt 127.0.0.1:@PORT@ --http off --principals "$P"
_report $? "setup: node with max_queued = 3 starts" "$(cat "$SRV_LOG")"
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" overflow rt1
# Log retention removes segments holding messages the group had not given out.
ok "retention removed old log segments" wait_until 10 bash -c \
    "set -o pipefail; '$PN' audit --data '$D2' --kind retention --json | grep -q 'dropped by retention'"
node_tap tests/it/node/shared.js "$PORT" "$SRV_PID" rt2
ok "audit: the group's loss to retention is recorded (retention_loss, naming the share)" bash -c \
    "set -o pipefail; '$PN' audit --data '$D2' --kind retention_loss --json | grep -F 'share/rt/rt/#'"
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
done_testing
