#!/usr/bin/env bash
# harden_auth.sh -- identity cannot be inherited or forged (issue 10,
# items 1, 15 and 17a), against real nodes on 127.0.0.1:
#
#   1. a principal instance is not a name: a removed principal's bearer
#      token, persistent session and open connection do not carry over to
#      a new principal of the same name (the issue's bohdan steps);
#      `principal remove` revokes the principal's tokens
#  15. the client id of a federation link (link-NAME) is reserved for
#      principals with the node role: a JPN NU principal cannot take
#      link-swe with a 3.1.1 or MQTT 5 persistent session, and the real
#      SWE link still connects and receives
#  17a. passwords: `principal add` refuses what CONNECT would refuse (256
#      bytes or more, a NUL byte); "abc\0zzz" does not log in as "abc";
#      a client certificate with two CNs maps to no principal; a pinned
#      certificate (cert_sha256) is the only one accepted for its CN
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/certs.sh
. tests/it/lib/http.sh

it_need curl openssl python3 mosquitto_pub mosquitto_sub || exit

it_tmp
T=$IT_TMP
D=$T/hq
mkdir -p "$D"
P=$D/principals.json
L_CTS="COSMIC TOP SECRET ATOMAL"
L_NS="NATO SECRET REL TO NATO, UKR"
conn() { python3 tests/it/lib/mqttconn.py "$PORT" "$@"; }
pub5() { # USER LABEL ARG...: MQTT 5 QoS 1 publish with a label user property
    local u=$1 l=$2
    shift 2
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u "$u" -P "pw-$u" -V mqttv5 -q 1 \
        -D publish user-property label "$l" "$@"
}
reloaded() { [ "$(grep -c 'principals reloaded' "$SRV_LOG")" -ge "$1" ]; }
hup() { # SIGHUP, and wait for the node to log one more reload
    local want=$(($(grep -c 'principals reloaded' "$SRV_LOG") + 1))
    kill -HUP "$SRV_PID"
    wait_until 10 reloaded "$want"
}

principal pub USA CTS --caveat ATOMAL
principal bohdan UKR NS
principal olek UKR NS
principal jpn JPN NU
principal swe-node SWE NS --role node
principal alice SWE NS --cert-cn alice.swe

certs_init "$T/certs"
CLIENT_EXT='extendedKeyUsage = clientAuth'
{
    mkca ca &&
        mkcert server /CN=localhost $'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth' &&
        mkcert alice /C=SWE/CN=alice.swe "$CLIENT_EXT" &&
        mkcert twocn /C=SWE/CN=alice.swe/CN=mallory.swe "$CLIENT_EXT" &&
        mkcert pinned /C=SWE/CN=pinned.swe "$CLIENT_EXT" &&
        mkcert pinned2 /C=SWE/CN=pinned.swe "$CLIENT_EXT"
} >"$T/openssl.log" 2>&1
_report $? "openssl makes a CA, a server and client certificates" "$(tail -n 20 "$T/openssl.log")"
FP=$(openssl x509 -in "$C/pinned.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
expect_err "a malformed --cert-sha256 is refused (exit 2)" 2 "is not a SHA-256 fingerprint" \
    "$PN" principal add pinned --nation SWE --clearance NS --cert-cn pinned.swe --cert-sha256 abc --principals "$P"
principal pinned SWE NS --cert-cn pinned.swe --cert-sha256 "$FP"
ok "the pin is stored as 64 lower-case hex digits" grep -q "\"cert_sha256\": \"$(echo "$FP" | tr -d : | tr A-F a-f)\"" "$P"

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --mqtts 127.0.0.1:@TLSPORT@ --http 127.0.0.1:@HTTPPORT@ --https 127.0.0.1:@HTTPSPORT@ \
    --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" --node hq --principals "$P"
_report $? "node starts with MQTT, HTTP and HTTPS" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
US=https://127.0.0.1:$HTTPSPORT

echo "# 1. a removed principal's token and session do not come back to life"
ok "principals get an instance id" python3 -c '
import json, sys
ps = json.load(open(sys.argv[1]))["principals"]
ids = [p["id"] for p in ps]
sys.exit(0 if all(len(i) == 16 for i in ids) and len(set(ids)) == len(ids) else 1)' "$P"
TB=$(token bohdan)
expect_http "bohdan's token reads history" 200 'd["messages"] == []' -- -H "$(A "$TB")" "$U/v1/messages?topic=ops/%23"
expect_out "bohdan opens a persistent 3.1.1 session" "connack 0 0" conn 4 bohdan-s bohdan pw-bohdan keep
expect_out "the session is there" "connack 1 0" conn 4 bohdan-s bohdan pw-bohdan keep
cp "$D/tokens.json" "$T/tokens.before"
expect_out "principal remove bohdan revokes its token" "removed principal bohdan
revoked 1 token of bohdan in $D/tokens.json
the running node (pid $SRV_PID) loaded the change" \
    "$PN" principal remove bohdan --principals "$P" --data "$D"
ok "remove revoked bohdan's token in tokens.json" bash -c \
    "'$PN' token list --data '$D' | grep ' bohdan ' | grep -qv 'revoked=-'"
ok "SIGHUP: principals reloaded" hup
expect_http "the removed principal's token: 401" 401 "$ERR'unauthorized'" -- -H "$(A "$TB")" "$U/v1/messages?topic=ops/%23"
echo "pw-new" | "$PN" principal add bohdan --nation USA --clearance CTS --caveat ATOMAL \
    --password-stdin --principals "$P" >/dev/null
ok "a new bohdan (USA CTS ATOMAL) gets another instance id" python3 -c '
import json, sys
old = {p["name"]: p["id"] for p in json.load(open(sys.argv[1]))["principals"]}
sys.exit(0 if old["bohdan"] != sys.argv[2] else 1)' "$P" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"][0]["principal_id"])' "$T/tokens.before")"
ok "SIGHUP: principals reloaded again" hup
ok "a COSMIC TOP SECRET ATOMAL message is published" pub5 pub "$L_CTS" -t ops/strike/plan-ALPHA -m strike-plan
expect_http "the old token, revoked: 401, no history" 401 "$ERR'unauthorized' and 'strike-plan' not in str(d)" -- \
    -H "$(A "$TB")" "$U/v1/messages?topic=ops/%23"
cp "$T/tokens.before" "$D/tokens.json" # as in the issue: the token never revoked in the file
expect_http "the old token, unrevoked in the file: still 401 (bound to the old instance)" 401 \
    "$ERR'unauthorized' and 'another principal' in d['error']['message'] and 'strike-plan' not in str(d)" -- \
    -H "$(A "$TB")" "$U/v1/messages?topic=ops/%23"
TB2=$(token bohdan)
expect_http "a token of the new bohdan reads the CTS ATOMAL message" 200 \
    "[m['topic'] for m in d['messages']] == ['ops/strike/plan-ALPHA']" -- -H "$(A "$TB2")" "$U/v1/messages?topic=ops/%23"
expect_out "the new bohdan does not resume the old bohdan's session" "connack 0 0" \
    conn 4 bohdan-s bohdan pw-new keep
ok "the discarded session is audited" bash -c \
    "'$PN' audit --data '$D' --json --kind session_discarded 2>&1 | grep -q \"session 'bohdan-s' of an earlier principal 'bohdan' discarded\""

echo "# 1. principals and tokens from before instance ids keep working"
python3 - "$P" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
jpn = [p for p in doc["principals"] if p["name"] == "jpn"][0]
doc["principals"].append({"name": "legacy", "nation": "SWE", "clearance": "NS", "password": jpn["password"]})
json.dump(doc, open(sys.argv[1], "w"))
PY
TL=$(token legacy)
python3 - "$D/tokens.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for t in doc["tokens"]:
    if t["principal"] == "legacy":
        del t["principal_id"]
json.dump(doc, open(sys.argv[1], "w"))
PY
ok "a principal without an id and its token without one (as before ids)" python3 -c '
import json, sys
ps = [p for p in json.load(open(sys.argv[1]))["principals"] if p["name"] == "legacy"]
ts = [t for t in json.load(open(sys.argv[2]))["tokens"] if t["principal"] == "legacy"]
sys.exit(0 if "id" not in ps[0] and len(ts) == 1 and "principal_id" not in ts[0] else 1)' "$P" "$D/tokens.json"
ok "SIGHUP: principals reloaded (legacy)" hup
expect_http "the old token works for the old principal" 200 -- -H "$(A "$TL")" "$U/v1/messages?topic=ops/%23"
ok "a new password for it keeps its instance and binds the token" bash -c \
    "echo pw-legacy2 | '$PN' principal add legacy --nation SWE --clearance NS --password-stdin --principals '$P' --data '$D'"
ok "SIGHUP: principals reloaded (legacy updated)" hup
expect_http "the token still works after the update" 200 -- -H "$(A "$TL")" "$U/v1/messages?topic=ops/%23"

echo "# 1. an open connection does not become the new principal of the same name"
sub_bg "$T/olek.out" -h 127.0.0.1 -p "$PORT" -u olek -P pw-olek -V mqttv5 -q 1 -t 'ops/#' -F 'MSG %p'
OLEK=$SUB_PID
"$PN" principal remove olek --principals "$P" --data "$D" >/dev/null
echo "pw-olek2" | "$PN" principal add olek --nation USA --clearance CTS --caveat ATOMAL \
    --password-stdin --principals "$P" >/dev/null
ok "olek replaced (remove, add), then one SIGHUP" hup
ok "the old olek's connection is closed" wait_until 10 bash -c "! kill -0 $OLEK 2>/dev/null || grep -q DISCONNECT '$T/olek.out'"
ok "a COSMIC TOP SECRET ATOMAL message is published" pub5 pub "$L_CTS" -t ops/b -m second-plan
TO=$(token olek)
expect_http "the new olek sees it" 200 "'ops/b' in [m['topic'] for m in d['messages']]" -- \
    -H "$(A "$TO")" "$U/v1/messages?topic=ops/%23"
ok "the old olek's connection never got it" bash -c "! grep -q 'plan' '$T/olek.out'"
kill "$OLEK" 2>/dev/null

echo "# 15. link client ids are reserved for principals with the node role"
expect_out "JPN NU cannot take link-swe, clean" "connack 0 5" conn 4 link-swe jpn pw-jpn
expect_out "JPN NU cannot take link-swe (MQTT 5 persistent): 0x85" "connack 0 133" \
    conn 5 link-swe jpn pw-jpn keep 3600
expect_out "JPN NU cannot take link-swe (3.1.1 persistent): return code 5" "connack 0 5" \
    conn 4 link-swe jpn pw-jpn keep
expect_out "JPN NU may use an ordinary client id" "connack 0 0" conn 4 jpn-1 jpn pw-jpn keep
ok "the refusal is audited with its reason" bash -c \
    "'$PN' audit --data '$D' --json --kind login_refused 2>&1 | grep jpn | grep -q 'reserved for federation links'"
# the real link: a SWE node pulling from this one as swe-node
S=$T/swe
mkdir -p "$S"
SPORT=$(it_port)
echo pw-swe-node >"$T/swe-node.pass"
printf '[node]\nname = swe\ndata = %s\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\npassword_file = %s/swe-node.pass\ntopics = intel/#\n' \
    "$S" "$SPORT" "$S" "$PORT" "$T" >"$T/swe.conf"
echo pw-sreader | "$PN" principal add sreader --nation SWE --clearance NS --password-stdin \
    --principals "$S/principals.json" >/dev/null
# At SWE, the principal standing for the peer hq: decide() for it guards what hq relays.
echo pw-hq | "$PN" principal add hq --nation USA --clearance CTS --role node --password-stdin \
    --principals "$S/principals.json" >/dev/null
"$PN" serve --config "$T/swe.conf" >"$T/swe.log" 2>&1 &
SWE_PID=$!
IT_PIDS+=("$SWE_PID")
wait_ready "$SWE_PID" "$T/swe.log"
_report $? "the SWE node starts with a link to hq" "$(cat "$T/swe.log")"
sub_bg "$T/swe.sub" -h 127.0.0.1 -p "$SPORT" -u sreader -P pw-sreader -t 'intel/#' -F 'MSG %p'
_report $? "a SWE reader subscribes at SWE"
ok "a message for SWE is published at hq" pub5 pub "NATO SECRET REL TO NATO" -t intel/x -m for-swe
ok "the SWE link connects as link-swe and the message reaches SWE" wait_until 20 grep -qx 'MSG for-swe' "$T/swe.sub"
kill "$SUB_PID" 2>/dev/null
# A link-swe session a principal without the node role took before the
# reservation existed (written into its session file while hq is down): the
# link takes it back instead of being refused for ever.
kill -TERM "$SWE_PID"
wait "$SWE_PID"
srv_stop
_report $? "hq stops"
python3 - "$D" "$P" <<'PY'
import glob, json, sys
jpn = [p for p in json.load(open(sys.argv[2]))["principals"] if p["name"] == "jpn"][0]
for f in glob.glob(sys.argv[1] + "/sessions/*.json"):  # one file per session
    s = json.load(open(f))
    if s["client"] == "link-swe":
        s["principal"], s["principal_id"], s["node"] = "jpn", jpn["id"], False
        json.dump(s, open(f, "w"))
PY
ok "link-swe now names a session of jpn" bash -c \
    "grep -q '\"client\": \"link-swe\", \"principal\": \"jpn\"' '$D'/sessions/*.json"
srv_restart
_report $? "hq starts again"
"$PN" serve --config "$T/swe.conf" >"$T/swe2.log" 2>&1 &
SWE_PID=$!
IT_PIDS+=("$SWE_PID")
wait_ready "$SWE_PID" "$T/swe2.log"
_report $? "SWE starts again"
ok "the SWE link takes link-swe back from jpn" wait_until 20 bash -c \
    "'$PN' peers --data '$D' | grep -qE '^swe-node +link-swe +yes'"
ok "the take-back is audited" bash -c \
    "'$PN' audit --data '$D' --json --kind session_discarded 2>&1 | grep -q \"link client id 'link-swe' taken back from principal 'jpn'\""
sub_bg "$T/swe2.sub" -h 127.0.0.1 -p "$SPORT" -u sreader -P pw-sreader -t 'intel/#' -F 'MSG %p'
_report $? "a SWE reader subscribes at SWE again"
ok "another message for SWE is published at hq" pub5 pub "NATO SECRET REL TO NATO" -t intel/y -m for-swe-2
ok "it reaches SWE" wait_until 20 grep -qx 'MSG for-swe-2' "$T/swe2.sub"
kill "$SUB_PID" 2>/dev/null

echo "# 17a. passwords and certificates"
expect_err "a 256-byte password is refused by principal add (exit 2)" 2 "password longer than 255 bytes" \
    bash -c "head -c 256 /dev/zero | tr '\\0' x | '$PN' principal add longpw --nation SWE --clearance NS --password-stdin --principals '$P'"
ok "a 255-byte password is accepted" bash -c \
    "(head -c 255 /dev/zero | tr '\\0' x; echo) | '$PN' principal add longpw --nation SWE --clearance NS --password-stdin --principals '$P'"
expect_err "a password holding a NUL byte is refused (exit 2)" 2 "NUL" \
    bash -c "printf 'abc\\0zzz\\n' | '$PN' principal add nulpw --nation SWE --clearance NS --password-stdin --principals '$P'"
echo abc | "$PN" principal add nulpw --nation SWE --clearance NS --password-stdin --principals "$P" >/dev/null
ok "SIGHUP: principals reloaded (longpw, nulpw)" hup
expect_out "the 255-byte password logs in over MQTT" "connack 0 0" conn 4 lp longpw "$(head -c 255 /dev/zero | tr '\0' x)"
expect_out "the right password logs in" "connack 0 0" conn 4 np nulpw abc
expect_out "'abc\\0zzz' does not log in as 'abc' (3.1.1: 4)" "connack 0 4" conn 4 np nulpw 'abc\x00zzz'
expect_out "'abc\\0zzz' does not log in as 'abc' (MQTT 5: 0x86)" "connack 0 134" conn 5 np nulpw 'abc\x00zzz'
ok "a NUL in a bearer token does not cut it short" python3 - "$HTTPPORT" "$TB2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /v1/messages?topic=ops/%23 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          b"Authorization: Bearer " + sys.argv[2].encode() + b"\x00zzz\r\n\r\n")
data = b""
while True:
    c = s.recv(65536)
    if not c:
        break
    data += c
status = data.split(b" ", 2)[1]
sys.exit(0 if status in (b"400", b"401") and b"strike-plan" not in data else 1)
PY
expect_http "HTTPS: alice's certificate maps to alice" 200 -- --cacert "$C/ca.pem" --cert "$C/alice.pem" \
    --key "$C/alice.key" "$US/v1/messages?topic=ops/%23"
expect_http "HTTPS: a certificate with two CNs is refused" 401 \
    "$ERR'unauthorized' and 'more than one common name' in d['error']['message']" -- --cacert "$C/ca.pem" \
    --cert "$C/twocn.pem" --key "$C/twocn.key" "$US/v1/messages?topic=ops/%23"
expect_http "HTTPS: the pinned certificate maps to its principal" 200 -- --cacert "$C/ca.pem" \
    --cert "$C/pinned.pem" --key "$C/pinned.key" "$US/v1/messages?topic=ops/%23"
expect_http "HTTPS: another certificate with the same CN is refused" 401 \
    "$ERR'unauthorized' and 'not the certificate pinned' in d['error']['message']" -- --cacert "$C/ca.pem" \
    --cert "$C/pinned2.pem" --key "$C/pinned2.key" "$US/v1/messages?topic=ops/%23"
ok "MQTT over TLS: alice's certificate logs in" mosquitto_pub -h 127.0.0.1 -p "$TLSPORT" --cafile "$C/ca.pem" \
    --cert "$C/alice.pem" --key "$C/alice.key" -V mqttv5 -i alice-tls -t ops/tls -m x -q 0
ok "MQTT over TLS: a certificate with two CNs is refused" bash -c \
    "! mosquitto_pub -h 127.0.0.1 -p $TLSPORT --cafile '$C/ca.pem' --cert '$C/twocn.pem' --key '$C/twocn.key' \
       -V mqttv5 -i twocn -t ops/tls -m x -q 1 2>'$T/twocn.err' && grep -qi 'not authori' '$T/twocn.err'"
ok "the refusal is audited with its reason" bash -c \
    "'$PN' audit --data '$D' --json --kind login_refused 2>&1 | grep -q 'certificate has more than one common name'"

ok "hq is still up" srv_alive
ok "SWE is still up" _alive "$SWE_PID"
ok "no sanitizer report" bash -c "! grep -hE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' $(printf "'%s' " "${SRV_LOGS[@]}") '$T/swe.log' '$T/swe2.log'"
done_testing
