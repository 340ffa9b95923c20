#!/usr/bin/env bash
# sig_http.sh -- label binding over HTTP: GET /v1/messages with Accept:
# application/vnd.nato.bindingdataobject+json answers each message as a
# binding data object whose signature is the origin signature, and the
# WebSocket feed does the same with ?binding=1.  `partnernet verify`
# accepts those objects; an altered label or data reference exits 2.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_need node curl || exit
it_tmp
T=$IT_TMP
it_npm || exit
D=$T/h
P=$D/principals.json
mkdir -p "$D"
. tests/it/lib/http.sh
BIND=application/vnd.nato.bindingdataobject+json
principal pub USA NS
"$PN" node init --data "$D" --name h | tail -1 >"$T/trust.keys"
printf '[node]\nname = h\n' >"$T/h.conf"
srv_start "$D" --config "$T/h.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --principals "$P"
_report $? "setup: node h starts with HTTP"
U=http://127.0.0.1:$HTTPPORT
TPUB=$(token pub)

# the feed, asking for binding data objects
cat >"$T/ws.js" <<'JS'
const WebSocket = require('ws');
const [url, token, out] = process.argv.slice(2);
const ws = new WebSocket(url, {headers: {Authorization: 'Bearer ' + token}});
ws.on('open', () => require('fs').writeFileSync(out + '.open', ''));
ws.on('message', (d) => { require('fs').writeFileSync(out, d.toString()); ws.close(); });
ws.on('error', (e) => { console.error(e.message); process.exit(1); });
JS
NODE_PATH=$PWD/build/it-node/node_modules node "$T/ws.js" "ws://127.0.0.1:$HTTPPORT/v1/stream?topic=b/%23&binding=1" "$TPUB" "$T/ws.json" &
WSPID=$!
IT_PIDS+=("$WSPID")
ok "setup: the feed is open" wait_until 10 test -e "$T/ws.json.open"
expect_http "POST a JSON message: 201" 201 -- -H "$(A "$TPUB")" \
    --data-binary '{"topic": "b/1", "label": "NATO UNCLASSIFIED REL TO PFP", "payload": {"n": 1}}' "$U/v1/messages"
expect_http "POST a binary message: 201" 201 -- -H "$(A "$TPUB")" \
    --data-binary '{"topic": "b/2", "label": "NATO UNCLASSIFIED REL TO PFP", "payload_base64": "AAEC/w=="}' "$U/v1/messages"
ok "the feed delivered the first message" wait_until 10 test -s "$T/ws.json"
expect_http "history with Accept: the binding media type, objects with the origin signature" 200 \
    "'content-type: $BIND' in h and all('metadataBindingContainer' in m and m['originSignature'].startswith('1.') for m in d['messages']) and len(d['messages']) == 2" \
    -- -H "$(A "$TPUB")" -H "Accept: $BIND" "$U/v1/messages?topic=b/%23"
cp "$T/body" "$T/history.json"
ok "each names its label, the payload's SHA-256 and its id" python3 -c "
import base64, hashlib, json
d = json.load(open('$T/history.json'))
for m in d['messages']:
    mb = m['metadataBindingContainer']['metadataBinding'][0]
    assert mb['metadata'][0]['displayMarking'] == 'NATO UNCLASSIFIED REL TO PFP'
    ref = mb['dataReference'][0]
    assert ref['uri'] == 'urn:partnernet:message:' + m['id'] and ref['digestMethod'] == 'SHA-256'
    assert base64.b64decode(ref['digestValue']) == hashlib.sha256(base64.b64decode(m['payload_base64'])).digest()
    assert m['originator'] == 'h'
assert d['messages'][0]['contentType'] == 'application/json'
"
python3 -c "
import json
d = json.load(open('$T/history.json'))
for i, m in enumerate(d['messages']):
    json.dump(m, open('$T/m%d.json' % i, 'w'))
"
expect_rc "the first verifies" 0 "$PN" verify "$T/m0.json" --trust "$T/trust.keys"
expect_rc "the second verifies" 0 "$PN" verify "$T/m1.json" --trust "$T/trust.keys"
expect_rc "the feed's object verifies" 0 "$PN" verify "$T/ws.json" --trust "$T/trust.keys"
ok "the feed's object is a binding data object for b/1" grep -q '"metadataBindingContainer".*"topic": "b/1"' "$T/ws.json"
sed 's/REL TO PFP/REL TO NATO/' "$T/m0.json" >"$T/m0-label.json"
expect_err "the bound label altered: exit 2" 2 "signature does not match" \
    "$PN" verify "$T/m0-label.json" --trust "$T/trust.keys"
python3 -c "
import json
m = json.load(open('$T/m1.json'))
m['metadataBindingContainer']['metadataBinding'][0]['dataReference'][0]['digestValue'] = 'A' * 43 + '='
json.dump(m, open('$T/m1-ref.json', 'w'))
"
expect_err "the data reference altered: exit 2" 2 "data reference does not match" \
    "$PN" verify "$T/m1-ref.json" --trust "$T/trust.keys"
expect_http "history without Accept: application/json with 'sig'" 200 \
    "'content-type: application/json' in h and all(m['sig'].startswith('1.') for m in d['messages'])" \
    -- -H "$(A "$TPUB")" "$U/v1/messages?topic=b/%23"
expect_http "the feed refuses binding=2: 400" 400 -- -H "$(A "$TPUB")" -H "Upgrade: websocket" \
    -H "Connection: Upgrade" -H "Sec-WebSocket-Version: 13" -H "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
    "$U/v1/stream?binding=2"
srv_stop
_report $? "setup: node stops"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
