#!/usr/bin/env bash
# maxpacket.sh -- a QoS 1 message larger than the subscriber's Maximum
# Packet Size is discarded for that subscriber (MQTT 5 §3.1.2.11.4: "behave
# as if it had completed sending"), and must not use up its receive window:
# messages that fit still arrive afterwards.  mosquitto_sub asks for a
# receive maximum of 20, so 25 oversized messages are enough to show a
# window that is never given back.
# The node under test is $PN; clients are mosquitto_pub / mosquitto_sub.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

it_tmp
D=$IT_TMP
echo pw | $PN principal add u1 --nation USA --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null

srv_start "$D/node" --mqtt 127.0.0.1:@PORT@ --http off --principals "$D/principals.json"
_report $? "setup: node starts"

# The subscriber accepts packets of at most 300 bytes and exits after 1 message.
# -d: its debug lines go to stdout too; the test waits for its SUBACK.
stdbuf -oL mosquitto_sub -d -V 5 -h 127.0.0.1 -p "$PORT" -u u1 -P pw -i small-reader -q 1 -t 'mp/#' -C 1 -W 8 \
    -D connect maximum-packet-size 300 >"$D/sub.out" 2>"$D/sub.err" &
SUB=$!
IT_PIDS+=("$SUB")
for _ in $(seq 100); do grep -q 'received SUBACK' "$D/sub.out" && break; sleep 0.1; done
ok "setup: the subscriber is subscribed" grep -q 'received SUBACK' "$D/sub.out"
# 25 messages of 500 bytes, then one that fits, over one connection.  Every
# PUBACK must say success (-d prints them; mosquitto_pub exits 0 on a
# refusing PUBACK too).
{
    for _ in $(seq 25); do head -c 500 /dev/zero | tr '\0' x; echo; done
    echo small
} | mosquitto_pub -d -V 5 -h 127.0.0.1 -p "$PORT" -u u1 -P pw -q 1 -t mp/x -l \
    -D publish user-property label "NATO UNCLASSIFIED" >"$D/pub.out" 2>&1
ok "the publisher's 26 messages were accepted (26 PUBACKs with reason 0)" \
    test $? -eq 0 -a "$(grep -c 'received PUBACK (Mid: [0-9]*, RC:0)' "$D/pub.out")" -eq 26
wait "$SUB"
msgs=$(grep -vE '^(Client |Subscribed )' "$D/sub.out")
ok "the message that fits arrives after 25 oversized ones" test "$msgs" = small
ok "the subscriber received exactly one PUBLISH, no oversized one" \
    test "$(grep -c 'received PUBLISH' "$D/sub.out")" -eq 1
srv_stop
src=$?
ok "setup: node shuts down cleanly (exit $src)" test "$src" -eq 0
ok "no sanitizer report" srv_clean_log
done_testing
