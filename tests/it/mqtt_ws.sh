#!/usr/bin/env bash
# mqtt_ws.sh -- MQTT over WebSocket: GET /mqtt on the node's HTTP and HTTPS
# listeners, subprotocol "mqtt" (RFC 6455, MQTT 5 §6), with MQTT.js (npm
# mqtt) as a browser page would use it and raw frames for bad input
# (tests/it/node/mqttws.js).  The same node serves MQTT over TCP: a
# message published over one reaches subscribers on the other, and both
# go through the same decide().
#   1. publish/subscribe with labels, refusals, QoS 1 and 2, wills,
#      persistent sessions; identities from passwords, bearer tokens and
#      client certificates (none for a cross-origin page)
#   2. refused upgrades and bad frames, the CONNECT deadline
#   3. 500 connect/disconnect cycles: descriptors and memory level, ASan
#      clean at exit; a subscriber that stops reading costs bounded memory
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/certs.sh

it_need mosquitto_pub mosquitto_sub openssl node npm || exit
it_tmp
T=$IT_TMP
C=$T/certs
certs_init "$C"
CLIENT_EXT='extendedKeyUsage = clientAuth'
{
    mkca ca &&
        mkcert server /CN=localhost $'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth' &&
        mkcert alice /C=SWE/CN=alice.swe "$CLIENT_EXT" &&
        mkcert olena /C=UKR/CN=olena.ukr "$CLIENT_EXT"
} >"$T/openssl.log" 2>&1
_report $? "setup: openssl makes a CA, a server and client certificates" "$(tail -n 20 "$T/openssl.log")"

N=$T/n
mkdir -p "$N"
# olena is cleared to NATO CONFIDENTIAL: what she may publish tells her identity.
for p in "alice SWE NS" "olena UKR NC"; do
    set -- $p
    echo "pw-$1" | "$PN" principal add "$1" --nation "$2" --clearance "$3" --password-stdin \
        --cert-cn "${1}.${2,,}" --principals "$N/principals.json" >/dev/null
done
TOKEN_OLENA=$("$PN" token create --principal olena --data "$N" 2>/dev/null)
TOKEN_REVOKE=$("$PN" token create --principal alice --data "$N" 2>/dev/null)
"$PN" principal add op --nation USA --clearance NU --role operator --no-credential --principals "$N/principals.json" >/dev/null
TOKEN_OP=$("$PN" token create --principal op --data "$N" 2>/dev/null)
MAX_PACKET=16384
CONNECT_TIMEOUT=2
printf '[node]\nname = it-ws\nmax_packet_size = %s\nconnect_timeout = %s\n' "$MAX_PACKET" "$CONNECT_TIMEOUT" >"$T/n.conf"
# A small ASan quarantine, so RSS measures what the node holds, not what
# the sanitizer keeps of what it freed.
SRV_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=16"
srv_start "$N" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ \
    --https 127.0.0.1:@HTTPSPORT@ --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem"
_report $? "setup: node starts with MQTT, HTTP and HTTPS" "$(cat "$SRV_LOG")"
SRV_ENV=
it_npm
ok "MQTT.js and ws installed into $NODE_DIR (npm install)" test -f "$NODE_DIR/node_modules/mqtt/package.json"
export HTTPPORT HTTPSPORT CA=$C/ca.pem CERT_DIR=$C TOKEN_OLENA TOKEN_REVOKE TOKEN_OP SRV_PID MAX_PACKET CONNECT_TIMEOUT DATA=$N

echo "# 1. MQTT.js over ws:// and wss://"
# A subscriber over TCP sees what a WebSocket client publishes.
sub_bg "$T/tcp.out" -h 127.0.0.1 -p "$PORT" -u alice -P pw-alice -V mqttv5 -t ws/# -F 'MSG %t|%p' -q 1
_report $? "setup: a mosquitto_sub subscriber over TCP"
node_tap tests/it/node/mqttws.js pubsub will session tls metrics
ok "the TCP subscriber got what alice may read from the WebSocket publisher" \
    wait_until 5 test "$(msgs "$T/tcp.out" | paste -sd' ')" = "ws/a|secret ws/a|conf ws/a|done"
ok "audit: the WebSocket publisher's refusal is recorded" bash -c \
    "set -o pipefail; '$PN' audit --data '$N' --since 1h | grep -E 'publish_refused +alice .* ws/a +no_label'"

echo "# 2. refused upgrades, bad frames, the CONNECT deadline"
node_tap tests/it/node/mqttws.js refuse frames revoke
ok "node still running" srv_alive

echo "# 3. connect/disconnect cycles, a subscriber that stops reading"
node_tap tests/it/node/mqttws.js cycles backpressure
ok "node still running" srv_alive

srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report (ASan, LSan: no leak at exit)" "$rep"
done_testing
