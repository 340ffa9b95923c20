#!/usr/bin/env bash
# http.sh -- the HTTP API against a real node: curl for every endpoint and
# its errors (401, 403, 404, 405, 413, 431, bad JSON, bad labels, unknown
# nations), keep-alive and pipelining, bearer tokens created and revoked
# while the node runs, HTTPS with client certificates, durability of a 201
# across kill -9, and tests/it/node/httpws.js (npm ws): the WebSocket feed,
# its backpressure, and the leak test through history and the feed.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/certs.sh
. tests/it/lib/http.sh

it_need curl openssl python3 node npm mosquitto_sub || exit

it_tmp
T=$IT_TMP
D=$T/h
mkdir -p "$D"
P=$D/principals.json

principal pub USA CTS --caveat ATOMAL --role operator
principal swe SWE NS
principal ukr UKR NC --coi SAMPLE-NORTH
principal fin FIN NR
principal aus AUS NC
principal aut AUT NU
principal deu DEU CTS --caveat ATOMAL
principal alice SWE NS --cert-cn alice.swe
principal gone NOR NS
principal peer UKR NC --role node
TPUB=$(token pub)
TSWE=$(token swe)
TUKR=$(token ukr)
TFIN=$(token fin)
TAUS=$(token aus)
TAUT=$(token aut)
TDEU=$(token deu)
TGONE=$(token gone)
TREV=$(token swe) # revoked while its WebSocket feed is open
TPEER=$(token peer)
ok "token create prints one pn_ token" bash -c "[[ '$TPUB' =~ ^pn_[A-Za-z0-9_-]{43}$ ]]"
expect_err "token create for an unknown principal fails" 2 "no principal named 'nobody'" \
    "$PN" token create --principal nobody --data "$D"
ok "token list shows ids, never the tokens" bash -c "set -o pipefail; '$PN' token list --data '$D' | grep -c ' pub created=' | grep -x 1 && ! grep '$TPUB' '$D/tokens.json'"

certs_init "$T/certs"
CLIENT_EXT='extendedKeyUsage = clientAuth'
{
    mkca ca &&
        mkcert server /CN=localhost $'subjectAltName = IP:127.0.0.1, DNS:localhost\nextendedKeyUsage = serverAuth' &&
        mkcert alice /C=SWE/CN=alice.swe "$CLIENT_EXT" &&
        mkcert liar /C=GBR/CN=alice.swe "$CLIENT_EXT"
} >"$T/openssl.log" 2>&1
_report $? "setup: openssl makes a CA, a server and client certificates" "$(tail -n 20 "$T/openssl.log")"

mkdir -p "$T/web/js"
echo '<h1>partnernet</h1>' >"$T/web/index.html"
echo 'console.log(1);' >"$T/web/js/app.js"
printf '[node]\nweb = %s\n' "$T/web" >"$T/h.conf"
srv_start "$D" --config "$T/h.conf" --mqtt 127.0.0.1:@PORT@ --mqtts 127.0.0.1:@TLSPORT@ --http 127.0.0.1:@HTTPPORT@ \
    --https 127.0.0.1:@HTTPSPORT@ --cert "$C/server.pem" --key "$C/server.key" --ca "$C/ca.pem" --node it-h
_report $? "node starts with HTTP and HTTPS" "$(cat "$SRV_LOG")"
ok "ready line names both listeners" grep -q "http 127.0.0.1:$HTTPPORT, https 127.0.0.1:$HTTPSPORT" "$SRV_LOG"
U=http://127.0.0.1:$HTTPPORT

echo "# health, authentication"
expect_http "GET /healthz needs no credentials" 200 'd["status"] == "ok" and d["node"] == "it-h"' -- "$U/healthz"
expect_http "no credentials: 401 with WWW-Authenticate" 401 "$ERR'unauthorized' and 'www-authenticate: bearer' in h" -- "$U/v1/registry/nations"
expect_http "unknown token: 401" 401 "$ERR'unauthorized' and 'unknown or revoked' in d['error']['message']" -- -H "$(A pn_nope)" "$U/v1/registry/nations"
expect_http "Basic credentials: 401" 401 "'not a Bearer token' in d['error']['message']" -- -u pub:pw-pub "$U/v1/registry/nations"
expect_http "GET /metrics needs credentials" 401 -- "$U/metrics"

expect_http "static files: / is index.html, no credentials" 200 "'<h1>partnernet</h1>' in d and 'content-type: text/html' in h" -- "$U/"
expect_http "static files: a script in a subdirectory" 200 "'content-type: text/javascript' in h" -- "$U/js/app.js"
expect_http "static files: a missing one: 404" 404 "$ERR'not_found'" -- "$U/nope.html"
expect_http "static files: no way out of the web directory" 404 -- --path-as-is "$U/js/../../h.conf"
expect_http "static files: not even encoded" 404 -- --path-as-is "$U/js/%2e%2e/%2e%2e/h.conf"

echo "# registry"
expect_http "nations: every nation and organisation (80: with the five OSCE States in no NATO framework)" 200 'len(d["nations"]) == 80 and {"code": "SWE", "name": "Sweden", "kind": "nation"} in d["nations"]' -- -H "$(A "$TUKR")" "$U/v1/registry/nations"
expect_http "nations/SWE on 2026-11-23: NATO member, security agreement" 200 'd["security_agreement"] and [g for g in d["groups"] if g["id"] == "NATO"][0]["member"]' -- -H "$(A "$TUKR")" "$U/v1/registry/nations/SWE?at=2026-11-23"
expect_http "nations/swe on 2023-06-01: not yet in NATO, spell from 2024-03-07" 200 'not [g for g in d["groups"] if g["id"] == "NATO"][0]["member"] and [g for g in d["groups"] if g["id"] == "NATO"][0]["spells"] == [{"from": "2024-03-07", "to": None}]' -- -H "$(A "$TUKR")" "$U/v1/registry/nations/swe?at=2023-06-01"
expect_http "nations/XYZ: 404 unknown_nation" 404 "$ERR'unknown_nation'" -- -H "$(A "$TUKR")" "$U/v1/registry/nations/XYZ"
expect_http "frameworks on 2024-04-01: NATO has 32 members" 200 '[f for f in d["frameworks"] if f["id"] == "NATO"][0]["members"] == 32' -- -H "$(A "$TUKR")" "$U/v1/registry/frameworks?at=2024-04-01"
expect_http "frameworks/NATO/members on 2022-06-01: 30, without FIN and SWE" 200 'd["count"] == 30 and "FIN" not in d["members"] and "USA" in d["members"]' -- -H "$(A "$TUKR")" "$U/v1/registry/frameworks/NATO/members?at=2022-06-01"
expect_http "frameworks/SAMPLE-NORTH/members on 2026-06-01" 200 'd["members"] == ["DNK", "FIN", "GBR", "ISL", "NOR", "SWE", "UKR", "USA"]' -- -H "$(A "$TUKR")" "$U/v1/registry/frameworks/SAMPLE-NORTH/members?at=2026-06-01"
expect_http "frameworks/NOPE/members: 404 unknown_framework" 404 "$ERR'unknown_framework'" -- -H "$(A "$TUKR")" "$U/v1/registry/frameworks/NOPE/members"
expect_http "a bad date: 400 bad_date" 400 "$ERR'bad_date'" -- -H "$(A "$TUKR")" "$U/v1/registry/frameworks/NATO/members?at=2023-02-29"

echo "# publishing"
post() { # TOKEN JSON: POST /v1/messages
    hc -H "$(A "$1")" -H 'Content-Type: application/json' --data-binary "$2" "$U/v1/messages"
}
L_S='NATO SECRET REL TO NATO'
L_C='NATO CONFIDENTIAL REL TO NATO, UKR'
L_U='NATO UNCLASSIFIED REL TO PFP'
sub_bg "$T/mqtt.out" -h 127.0.0.1 -p "$PORT" -u ukr -P pw-ukr -V mqttv5 -q 1 -t 'api/#' -C 2 -W 10 -F 'MSG %t|%P|%p'
_report $? "an MQTT subscriber (UKR) for the HTTP publishes"
MQTT_SUB=$SUB_PID
expect_http "POST a NATO SECRET message: 201 with its id" 201 'd == {"id": "it-h:0"}' -- \
    -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/a\", \"label\": \"$L_S\", \"payload\": {\"n\": 1}}" "$U/v1/messages"
expect_http "POST a CONFIDENTIAL REL TO UKR message (base64 payload): 201" 201 'd == {"id": "it-h:1"}' -- \
    -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/b\", \"label\": \"$L_C\", \"payload_base64\": \"aGVsbG8=\"}" "$U/v1/messages"
expect_http "POST with a STANAG 4774 XML label: 201" 201 'd == {"id": "it-h:2"}' -- \
    -H "$(A "$TPUB")" --data-binary "$(python3 -c 'import json,sys; print(json.dumps({"topic": "api/c", "label": sys.stdin.read(), "payload": "xml"}))' < <("$PN" label convert --to xml --label "$L_U"))" "$U/v1/messages"
wait "$MQTT_SUB"
expect_out "the MQTT subscriber (UKR) got exactly the two releasable to it" \
    "api/b|label:$L_C|hello api/c|label:$L_U|\"xml\"" bash -c ". tests/it/lib/server.sh; msgs '$T/mqtt.out' | paste -sd' '"
expect_http "bad JSON: 400 bad_json" 400 "$ERR'bad_json'" -- -H "$(A "$TPUB")" --data-binary '{"topic": "api/a",' "$U/v1/messages"
expect_http "a JSON array: 400 bad_json" 400 "$ERR'bad_json'" -- -H "$(A "$TPUB")" --data-binary '[1]' "$U/v1/messages"
expect_http "no topic: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TPUB")" --data-binary "{\"label\": \"$L_U\", \"payload\": 1}" "$U/v1/messages"
expect_http "both payload kinds: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/a\", \"label\": \"$L_U\", \"payload\": 1, \"payload_base64\": \"AA==\"}" "$U/v1/messages"
expect_http "bad base64: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/a\", \"label\": \"$L_U\", \"payload_base64\": \"@@@\"}" "$U/v1/messages"
expect_http "a wildcard topic: 400 bad_topic" 400 "$ERR'bad_topic'" -- -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/#\", \"label\": \"$L_U\", \"payload\": 1}" "$U/v1/messages"
expect_http "an unknown nation in the label: 400 invalid_label" 400 "$ERR'invalid_label' and 'XYZ' in d['error']['message']" -- -H "$(A "$TPUB")" --data-binary '{"topic": "api/a", "label": "NATO SECRET REL TO XYZ", "payload": 1}' "$U/v1/messages"
expect_http "a label the policy refuses: 400 invalid_label" 400 "$ERR'invalid_label'" -- -H "$(A "$TPUB")" --data-binary '{"topic": "api/a", "label": "NATO SECRET REL TO PFP", "payload": 1}' "$U/v1/messages"
expect_http "a label above the publisher's clearance: 403" 403 "$ERR'forbidden' and 'clearance' in d['error']['message']" -- -H "$(A "$TUKR")" --data-binary "{\"topic\": \"api/a\", \"label\": \"$L_S\", \"payload\": 1}" "$U/v1/messages"
head -c 1200000 /dev/zero | tr '\0' 'a' >"$T/big"
expect_http "a 1.2 MB body: 413" 413 "$ERR'body_too_large'" -- -H "$(A "$TPUB")" --data-binary @"$T/big" "$U/v1/messages"
expect_http "20 KB of headers: 431" 431 "$ERR'header_too_large'" -- -H "$(A "$TPUB")" -H "X-Big: $(head -c 20000 "$T/big")" "$U/v1/messages"
expect_http "DELETE /v1/messages: 405 with Allow" 405 "$ERR'method_not_allowed' and 'allow: get, post' in h" -- -X DELETE -H "$(A "$TPUB")" "$U/v1/messages"
expect_http "POST /healthz: 405" 405 "'allow: get' in h" -- -X POST "$U/healthz"
expect_http "an unknown path: 404" 404 "$ERR'not_found'" -- -H "$(A "$TPUB")" "$U/v1/nope"
expect_http "GET /v1/stream without an upgrade: 426" 426 "$ERR'upgrade_required'" -- -H "$(A "$TPUB")" "$U/v1/stream"

echo "# history"
ids() { echo '[m["id"] for m in d["messages"]]'; }
expect_http "the publisher (USA CTS) reads all three" 200 "$(ids) == ['it-h:0', 'it-h:1', 'it-h:2'] and d['next'] == 'it-h:2' and not d['more']" -- -H "$(A "$TPUB")" "$U/v1/messages"
expect_http "UKR reads only what decide() allows, with labels and payloads" 200 "$(ids) == ['it-h:1', 'it-h:2'] and d['messages'][0]['payload_base64'] == 'aGVsbG8=' and d['messages'][0]['label'] == '$L_C' and d['messages'][1]['payload'] == 'xml' and d['messages'][1]['origin'] == 'it-h'" -- -H "$(A "$TUKR")" "$U/v1/messages?topic=api/%23"
expect_http "SWE (NS) reads the SECRET one with its JSON payload" 200 "d['messages'][0]['payload'] == {'n': 1}" -- -H "$(A "$TSWE")" "$U/v1/messages?topic=api/a"
expect_http "history with a \$share filter: 400 saying shared subscriptions are for MQTT clients" 400 "$ERR'bad_topic' and 'MQTT' in d['error']['message']" -- -H "$(A "$TPUB")" "$U/v1/messages?topic=%24share%2Fg%2Fapi%2F%23"
expect_http "the feed with a \$share filter: 400 saying the same" 400 "$ERR'bad_topic' and 'MQTT' in d['error']['message']" -- -H "$(A "$TPUB")" -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$U/v1/stream?topic=%24share%2Fg%2Fapi%2F%23"
expect_http "limit=1: one message and a cursor" 200 "$(ids) == ['it-h:0'] and d['next'] == 'it-h:0' and d['more']" -- -H "$(A "$TPUB")" "$U/v1/messages?limit=1"
expect_http "since=the cursor: the next page" 200 "$(ids) == ['it-h:1']" -- -H "$(A "$TPUB")" "$U/v1/messages?limit=1&since=it-h:0"
expect_http "since=a time before everything: from the start" 200 "$(ids) == ['it-h:0', 'it-h:1', 'it-h:2']" -- -H "$(A "$TPUB")" "$U/v1/messages?since=2020-01-01T00:00:00Z"
expect_http "since=a time after everything: nothing" 200 "$(ids) == []" -- -H "$(A "$TPUB")" "$U/v1/messages?since=2100-01-01"
expect_http "since=another node's id: 400 unknown_origin" 400 "$ERR'unknown_origin'" -- -H "$(A "$TPUB")" "$U/v1/messages?since=other:1"
expect_http "since=garbage: 400 bad_since" 400 "$ERR'bad_since'" -- -H "$(A "$TPUB")" "$U/v1/messages?since=yesterday"
expect_http "limit=0: 400 bad_limit" 400 "$ERR'bad_limit'" -- -H "$(A "$TPUB")" "$U/v1/messages?limit=0"
expect_http "an invalid filter: 400 bad_topic" 400 "$ERR'bad_topic'" -- -H "$(A "$TPUB")" "$U/v1/messages?topic=a/%23/b"

expect_http "a peer node (UKR, node role) reads history like UKR" 200 "$(ids) == ['it-h:1', 'it-h:2']" -- -H "$(A "$TPEER")" "$U/v1/messages?topic=api/%23"

echo "# decide, labels, audit (operators)"
dec() { hc -H "$(A "$1")" --data-binary "$2" "$U/v1/decide"; }
expect_http "decide: SWE NS, NATO SECRET REL TO NATO in 2023: deny not_yet_member" 200 "d['decision'] == 'deny' and d['reason'] == 'not_yet_member' and '2024-03-07' in d['explanation']" -- -H "$(A "$TPUB")" --data-binary '{"principal": "nation=SWE,clearance=NS", "label": "NATO SECRET REL TO NATO", "at": "2023-06-01"}' "$U/v1/decide"
expect_http "decide: a principal object, allow" 200 "d == {'decision': 'allow', 'label': 'NATO RESTRICTED REL TO SAMPLE-NORTH', 'at': '2026-06-01T00:00:00Z'}" -- -H "$(A "$TPUB")" --data-binary '{"principal": {"nation": "UKR", "clearance": "NR", "cois": ["SAMPLE-NORTH"]}, "label": "nato restricted rel to sample-north", "at": "2026-06-01"}' "$U/v1/decide"
expect_http "decide: missing caveat" 200 "d['reason'] == 'caveat' and 'ATOMAL' in d['explanation']" -- -H "$(A "$TPUB")" --data-binary '{"principal": "nation=DEU,clearance=CTS", "label": "COSMIC TOP SECRET ATOMAL"}' "$U/v1/decide"
expect_http "decide by a non-operator: 403" 403 "$ERR'forbidden'" -- -H "$(A "$TUKR")" --data-binary '{"principal": "nation=SWE,clearance=NS", "label": "NATO SECRET"}' "$U/v1/decide"
expect_http "decide: unknown nation in the principal: 400 invalid_principal" 400 "$ERR'invalid_principal'" -- -H "$(A "$TPUB")" --data-binary '{"principal": "nation=XYZ,clearance=NS", "label": "NATO SECRET"}' "$U/v1/decide"
expect_http "decide: a bad label: 400 invalid_label" 400 "$ERR'invalid_label'" -- -H "$(A "$TPUB")" --data-binary '{"principal": "nation=SWE,clearance=NS", "label": "NATO SECRET REL TO XYZ"}' "$U/v1/decide"
expect_http "labels/convert: canonical marking and STANAG 4774 XML" 200 "d['marking'] == 'NATO SECRET ATOMAL REL TO SWE, FIN EXERCISE' and 'slab:originatorConfidentialityLabel' in d['xml']" -- -H "$(A "$TUKR")" --data-binary '{"label": "secret  releasable to swe / fin atomal exercise"}' "$U/v1/labels/convert"
expect_http "labels/convert: a bad label: 400 invalid_label" 400 "$ERR'invalid_label' and 'PFP' in d['error']['message']" -- -H "$(A "$TUKR")" --data-binary '{"label": "NATO SECRET REL TO PFP"}' "$U/v1/labels/convert"
expect_http "audit: the refused publish, with its reason" 200 "[e for e in d['events'] if e['kind'] == 'publish_refused' and e.get('principal') == 'ukr' and e.get('reason') == 'clearance']" -- -H "$(A "$TPUB")" "$U/v1/audit?since=1h"
expect_http "audit ?reason=clearance filters" 200 "sorted(e['kind'] for e in d['events']) == ['delivery_refused', 'publish_refused'] and all(e['reason'] == 'clearance' for e in d['events'])" -- -H "$(A "$TPUB")" "$U/v1/audit?since=1h&reason=clearance"
expect_http "audit: the two invalid_label refusals are withheld (unparsable label), left out under ?reason" 200 "len([e for e in d['events'] if e['kind'] == 'publish_refused' and e.get('withheld')]) == 2" -- -H "$(A "$TPUB")" "$U/v1/audit?since=1h"
expect_http "audit: the refused logins are there too" 200 "[e for e in d['events'] if e['kind'] == 'login_refused' and 'unknown or revoked token' in e['detail']]" -- -H "$(A "$TPUB")" "$U/v1/audit?kind=login_refused"
expect_http "audit: a peer node's history reads are audited, releases and refusals" 200 "sorted((e['kind'], e['topic']) for e in d['events'] if e.get('principal') == 'peer') == [('delivery_refused', 'api/a'), ('released', 'api/b'), ('released', 'api/c')] and all('HTTP history' in e['detail'] for e in d['events'] if e.get('principal') == 'peer' and e['kind'] == 'released')" -- -H "$(A "$TPUB")" "$U/v1/audit"
expect_http "audit by a non-operator: 403" 403 "$ERR'forbidden'" -- -H "$(A "$TUKR")" "$U/v1/audit"
expect_http "audit: a bad since: 400" 400 "$ERR'bad_since'" -- -H "$(A "$TPUB")" "$U/v1/audit?since=soon"

echo "# metrics"
expect_http "metrics: Prometheus text with messages, refusals, log and fsync histogram" 200 \
    "all(s in d for s in ['partnernet_messages_in_total 3', 'partnernet_publish_refusals_total{reason=\"clearance\"} 1', 'partnernet_publish_refusals_total{reason=\"invalid_label\"} 2', 'partnernet_delivery_refusals_total{reason=\"clearance\"}', 'partnernet_fsync_seconds_bucket{le=\"+Inf\"}', 'partnernet_fsync_seconds_count', '# TYPE partnernet_peer_lag_seconds gauge', '# TYPE partnernet_peer_backlog_messages gauge', 'partnernet_http_responses_total{code=\"201\"} 3', 'partnernet_log_bytes']) and 'text/plain; version=0.0.4' in h" \
    -- -H "$(A "$TPUB")" "$U/metrics"
expect_http "metrics by a non-operator: 403 (node-wide counts are traffic analysis)" 403 "$ERR'forbidden'" \
    -- -H "$(A "$TUKR")" "$U/metrics"

echo "# connections"
curl -sv -H "$(A "$TUKR")" "$U/healthz" "$U/v1/registry/frameworks" -o /dev/null -o /dev/null 2>"$T/keep"
ok "keep-alive: two requests on one connection" grep -q 'Re-using existing connection' "$T/keep"
python3 - "$HTTPPORT" "$TPUB" >"$T/pipe" <<'EOF'
import socket, sys
port, token = int(sys.argv[1]), sys.argv[2]
body = b'{"topic": "api/p", "label": "NATO UNCLASSIFIED", "payload": "piped"}'
req = (b'POST /v1/messages HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + token.encode() +
       b'\r\nContent-Length: ' + str(len(body)).encode() + b'\r\n\r\n' + body +
       b'GET /v1/messages?topic=api/p HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ' + token.encode() +
       b'\r\nConnection: close\r\n\r\n')
s = socket.create_connection(('127.0.0.1', port))
s.sendall(req)
out = b''
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.write(out.decode())
EOF
ok "pipelining: the POST is answered (201) before the GET that follows it, which sees it" \
    python3 -c "import re,sys; t=open('$T/pipe').read(); s=re.findall(r'HTTP/1.1 (\d+)', t); sys.exit(0 if s == ['201', '200'] and '\"payload\": \"piped\"' in t else 1)"

echo "# tokens: created and revoked while the node runs"
expect_http "FIN's token works" 200 -- -H "$(A "$TFIN")" "$U/v1/registry/nations/FIN"
"$PN" token revoke "$TFIN" --data "$D" >/dev/null
expect_http "revoked (by its text): 401 at once" 401 "'unknown or revoked' in d['error']['message']" -- -H "$(A "$TFIN")" "$U/v1/registry/nations/FIN"
TFIN2=$(token fin)
expect_http "a new token works without a restart" 200 -- -H "$(A "$TFIN2")" "$U/v1/registry/nations/FIN"
ID=$("$PN" token list --data "$D" | awk '$2 == "fin" && $4 == "revoked=-" {print $1}')
ok "token revoke by id" "$PN" token revoke "$ID" --data "$D"
expect_http "revoked (by its id): 401" 401 -- -H "$(A "$TFIN2")" "$U/v1/registry/nations/FIN"
"$PN" principal remove aut --principals "$P" >/dev/null
kill -HUP "$SRV_PID"
gone() { [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$(A "$TAUT")" "$U/v1/registry/nations")" = 401 ]; }
ok "a removed principal's token: 401 after the reload" wait_until 10 gone

echo "# HTTPS"
S=https://127.0.0.1:$HTTPSPORT
expect_http "HTTPS with a client certificate (alice, SWE NS): her history" 200 "$(ids) == ['it-h:0', 'it-h:1', 'it-h:2', 'it-h:3']" -- --cacert "$C/ca.pem" --cert "$C/alice.pem" --key "$C/alice.key" "$S/v1/messages?topic=api/%2B"
expect_http "HTTPS with a bearer token and no certificate" 200 "$(ids) == ['it-h:1', 'it-h:2']" -- --cacert "$C/ca.pem" -H "$(A "$TUKR")" "$S/v1/messages?topic=api/%2B"
expect_http "HTTPS with a certificate whose country is not the nation: 401" 401 "'country' in d['error']['message']" -- --cacert "$C/ca.pem" --cert "$C/liar.pem" --key "$C/liar.key" "$S/v1/messages"
expect_http "HTTPS without credentials: 401" 401 -- --cacert "$C/ca.pem" "$S/v1/messages"
expect_http "a client certificate used from another site's page (Origin elsewhere): 403" 403 "$ERR'cross_origin'" \
    -- --cacert "$C/ca.pem" --cert "$C/alice.pem" --key "$C/alice.key" -H "Origin: https://evil.example" "$S/v1/messages?topic=api/%2B"
expect_http "the same certificate from the node's own origin: 200" 200 \
    -- --cacert "$C/ca.pem" --cert "$C/alice.pem" --key "$C/alice.key" -H "Origin: https://127.0.0.1:$HTTPSPORT" "$S/v1/messages?topic=api/%2B"

echo "# WebSocket feed and the leak test (npm ws)"
it_npm
ok "ws installed into $NODE_DIR (npm install)" test -f "$NODE_DIR/node_modules/ws/package.json"
PRINC='{"pub": "nation=USA,clearance=CTS,caveat=ATOMAL", "swe": "nation=SWE,clearance=NS", "ukr": "nation=UKR,clearance=NC,coi=SAMPLE-NORTH", "aus": "nation=AUS,clearance=NC", "deu": "nation=DEU,clearance=CTS,caveat=ATOMAL"}'
TOK="{\"pub\": \"$TPUB\", \"swe\": \"$TSWE\", \"ukr\": \"$TUKR\", \"aus\": \"$TAUS\", \"deu\": \"$TDEU\"}"
PN=$PN HTTPPORT=$HTTPPORT PRINCIPALS=$PRINC TOKENS=$TOK PUBLISHER=pub GONE_TOKEN=$TGONE \
    GONE_REMOVE="$PN principal remove gone --principals $P" SRV_PID=$SRV_PID \
    REVOKE_TOKEN=$TREV REVOKE_CMD="$PN token revoke $TREV --data $D" node_tap tests/it/node/httpws.js

echo "# durability and shutdown"
expect_http "one more POST: 201" 201 -- -H "$(A "$TPUB")" --data-binary "{\"topic\": \"api/k\", \"label\": \"$L_U\", \"payload\": \"durable\"}" "$U/v1/messages"
KID=$(python3 -c "import json; print(json.load(open('$T/body'))['id'])")
srv_kill9
srv_restart
_report $? "setup: the node restarts after kill -9" "$(cat "$SRV_LOG")"
expect_http "the acknowledged message is in the history after kill -9" 200 "[m for m in d['messages'] if m['id'] == '$KID' and m['payload'] == 'durable']" -- -H "$(A "$TPUB")" "$U/v1/messages?topic=api/k"
expect_err "an explicit --http on a busy port fails" 2 "cannot listen" \
    "$PN" serve --data "$T/other" --mqtt "127.0.0.1:$(it_port)" --http "127.0.0.1:$HTTPPORT"
srv_stop
_report $? "setup: SIGTERM: the node stops cleanly (exit 0)"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
