#!/usr/bin/env bash
# review_r3_mqtt5_conformance.sh -- (review r3) MQTT 5 conformance gaps beside
# the new property validation (src/mqtt/server.c):
#   - Request Problem Information 0 in CONNECT is parsed (mqtt.c getProp)
#     but never used: refusals still carry a Reason String in PUBACK/SUBACK
#     [MQTT-3.1.2-29];
#   - a client PUBLISH carrying a Subscription Identifier [MQTT-3.3.4-6] is
#     accepted (and acknowledged) instead of being a protocol error;
#   - a will with Payload Format Indicator 1 and a non-UTF-8 payload is
#     neither refused at CONNECT (0x99) nor checked when published;
#   - a CONNECT with an Authentication Method (enhanced auth, unsupported)
#     is accepted with success instead of CONNACK 0x8C and close
#     [MQTT-4.12.0-1];
#   - a PUBLISH whose Response Topic holds wildcards [MQTT-3.3.2-14] is
#     stored and forwarded;
#   - Message Expiry Interval is never honoured: an expired retained
#     message is delivered, and the interval forwarded unchanged
#     [MQTT-3.3.2-5], [MQTT-3.3.2-6];
#   - a PUBACK with a Reason String exceeds the client's Maximum Packet
#     Size (83 bytes for a limit of 32) [MQTT-3.1.2-25].
# and (hc2) the same rules for a will's Response Topic (CONNACK 0x82) and
# a DISCONNECT's Reason String (left out under a small Maximum Packet Size).
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_need node npm || exit
it_tmp
T=$IT_TMP
it_npm
D=$T/d
mkdir -p "$D"
P=$D/principals.json
echo pw-alice | "$PN" principal add alice --nation SWE --clearance NS --password-stdin --principals "$P" >/dev/null
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http off --node it-r3p
_report $? "setup: node starts" "$(cat "$SRV_LOG")"
node_tap tests/it/node/review_r3.js "$PORT" "$SRV_PID" problem subidpub willpfi authmethod resptopic msgexpiry ackmax willresptopic disconnmax
ok "node still running" srv_alive
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
done_testing
