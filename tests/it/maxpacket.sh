#!/usr/bin/env bash
# maxpacket.sh -- a QoS 1 message larger than the subscriber's Maximum
# Packet Size is discarded for that subscriber (MQTT 5 §3.1.2.11.4: "behave
# as if it had completed sending"), and must not use up its receive window:
# messages that fit still arrive afterwards.  mosquitto_sub asks for a
# receive maximum of 20, so 25 oversized messages are enough to show a
# window that is never given back.
# The node under test is $PN; clients are mosquitto_pub / mosquitto_sub.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"

node_tmp
echo pw | $PN principal add u1 --nation USA --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null

PORT=
start_node "$D/node" serve
_report $? "node starts" "$(cat "$D/serve.err")"

# The subscriber accepts packets of at most 300 bytes and exits after 1 message.
mosquitto_sub -V 5 -h 127.0.0.1 -p "$PORT" -u u1 -P pw -i small-reader -q 1 -t 'mp/#' -C 1 -W 8 \
    -D connect maximum-packet-size 300 >"$D/sub.out" 2>"$D/sub.err" &
SUB=$!
sleep 1
# 25 messages of 500 bytes, then one that fits, over one connection.
{
    for _ in $(seq 25); do head -c 500 /dev/zero | tr '\0' x; echo; done
    echo small
} | mosquitto_pub -V 5 -h 127.0.0.1 -p "$PORT" -u u1 -P pw -q 1 -t mp/x -l \
    -D publish user-property label "NATO UNCLASSIFIED"
ok "the publisher's 26 messages were accepted" test $? -eq 0
wait "$SUB"
SUB=
ok "the message that fits arrives after 25 oversized ones" test "$(cat "$D/sub.out")" = small
ok "no oversized message was sent to the subscriber" bash -c "! grep -q xxxx '$D/sub.out'"
kill -TERM "$SRV"
wait "$SRV"
src=$?
SRV=
ok "node shuts down cleanly (exit $src)" test "$src" -eq 0
ok "no sanitizer report" bash -c "! grep -q 'Sanitizer\|runtime error' '$D/serve.err'"
done_testing
