#!/usr/bin/env bash
# sig_verify.sh -- `partnernet verify` on messages a real node signed:
# `log list --json` lines verify against the key `node init` printed; each
# covered field altered (origin id, sequence, time, topic, label, a payload
# byte, content type) and the signature itself altered exit 2 with the
# reason; an unknown, revoked, out-of-date or wrong-origin key exits 2.
# Also: a batch of messages from one commit shares one signature, and the
# HTTP history carries the same 'sig'.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh
it_need mosquitto_pub || exit
it_tmp
T=$IT_TMP
D=$T/hq
P=$T/principals.json
principal pub USA NS
L="NATO UNCLASSIFIED REL TO NATO, SWE"

ok "node init makes the signing key" bash -c "set -o pipefail; '$PN' node init --data '$D' --name hq | grep -q '(created)'"
ok "the key file is 0600" test "$(stat -c %a "$D/node.key")" = 600
"$PN" node init --data "$D" --name hq | tail -1 >"$T/trust.keys"
ok "node init again keeps the key" bash -c "'$PN' node init --data '$D' --name hq | tail -1 | cmp -s - '$T/trust.keys'"
ok "the trust line names the origin and the key" grep -qE '^hq [A-Za-z0-9+/]{43}=$' "$T/trust.keys"

printf '[node]\nname = hq\n' >"$T/hq.conf"
srv_start "$D" --config "$T/hq.conf" --principals "$P" --mqtt 127.0.0.1:@PORT@ --http off
_report $? "setup: node hq starts"
pub() { mosquitto_pub -h 127.0.0.1 -p "$PORT" -u pub -P pw-pub -V mqttv5 -q 1 -D publish user-property label "$L" "$@"; }
ok "a text message with a content type (and a forged 'sig' and 'SIG')" pub -t ops/a -m 'hello' -D publish content-type text/plain \
    -D publish user-property sig 1.forged -D publish user-property SIG 1.forged
ok "a JSON message" pub -t ops/j -m '{"a": [1, 2], "b":"x"}' -D publish content-type application/json -D publish payload-format-indicator 1
ok "a binary message" bash -c "head -c 300 /dev/urandom > '$T/bin'; mosquitto_pub -h 127.0.0.1 -p $PORT -u pub -P pw-pub -V mqttv5 -q 1 -D publish user-property label '$L' -t ops/b -f '$T/bin'"
# 100 messages in one connection: several commits of up to 64.
ok "100 messages from one publisher" bash -c "seq 1 100 | mosquitto_pub -h 127.0.0.1 -p $PORT -u pub -P pw-pub -V mqttv5 -q 1 -D publish user-property label '$L' -t ops/many -l"
srv_stop
_report $? "setup: node stops"

"$PN" log list --data "$D" --json >"$T/all.jsonl"
ok "log list --json gives 103 lines" test "$(wc -l <"$T/all.jsonl")" = 103
expect_has "each carries a signature" '"sig": "1.' cat "$T/all.jsonl"
expect_rc "all 103 verify" 0 "$PN" verify "$T/all.jsonl" --trust "$T/trust.keys"
sigs() { grep -o '"sig": "[^"]*' "$T/all.jsonl" | cut -d. -f5 | sort -u | wc -l; }
ok "fewer signatures than messages: batches share one" test "$(sigs)" -lt 103
ok "a batch has more than one message" grep -q '"sig": "1\.[0-9a-f]*\.[0-9]*\.[2-9][0-9]*\.' "$T/all.jsonl"
sed -n 1p "$T/all.jsonl" >"$T/a.json"
grep '"topic": "ops/j"' "$T/all.jsonl" >"$T/j.json"
grep '"topic": "ops/b"' "$T/all.jsonl" >"$T/b.json"
expect_no "a publisher's own 'sig' is dropped" "forged" cat "$T/a.json"
ok "the text message carries its content type" grep -q '"content_type": "text/plain"' "$T/a.json"
expect_rc "the text message verifies" 0 "$PN" verify "$T/a.json" --trust "$T/trust.keys"
expect_rc "the JSON message verifies (its payload bytes as written)" 0 "$PN" verify "$T/j.json" --trust "$T/trust.keys"
expect_rc "the binary message verifies" 0 "$PN" verify "$T/b.json" --trust "$T/trust.keys"
expect_has "verify says which key" "signature verified .key [0-9a-f]{16}" "$PN" verify "$T/a.json" --trust "$T/trust.keys"

# tampered copies: each must exit 2 with the reason
tamper() { # NAME SED-EXPR FILE
    sed -E "$2" "$3" >"$T/$1.json"
    ! cmp -s "$T/$1.json" "$3" # the edit changed something
}
NOMATCH="signature does not match"
for c in "origin|s/\"id\": \"hq:/\"id\": \"hx:/|may not sign for origin hx" \
    "sequence|s/\"id\": \"hq:([0-9]+)\"/\"id\": \"hq:9\1\"/|$NOMATCH" \
    "time|s/\"time\": \"[0-9]{4}-/\"time\": \"1999-/|$NOMATCH" \
    "topic|s/\"topic\": \"ops\/a\"/\"topic\": \"ops\/A\"/|$NOMATCH" \
    "label|s/NATO UNCLASSIFIED REL TO NATO, SWE/NATO UNCLASSIFIED REL TO NATO/|$NOMATCH" \
    "payload|s/\"payload_base64\": \"aGVsbG8=\"/\"payload_base64\": \"aGVsbE8=\"/|$NOMATCH" \
    "content-type|s/text\/plain/text\/html/|$NOMATCH" \
    "signature|s/(\"sig\": \"1\.[0-9a-f]+\.[0-9]+\.[0-9]+\.)A/\1B/; t; s/(\"sig\": \"1\.[0-9a-f]+\.[0-9]+\.[0-9]+\.)./\1A/|$NOMATCH"; do
    IFS='|' read -r name expr why why2 <<<"$c"
    ok "setup: tampered $name" tamper "$name" "$expr" "$T/a.json"
    out=$("$PN" verify "$T/$name.json" --trust "$T/trust.keys" 2>&1)
    rc=$?
    if [ "$rc" = 2 ] && { grep -q "$why" <<<"$out" || { [ -n "$why2" ] && grep -q "$why2" <<<"$out"; }; }; then
        _report 0 "$name altered: exit 2, '$why'"
    else
        _report 1 "$name altered: exit 2, '$why'" "got exit $rc: $out"
    fi
done
ok "setup: a payload byte of the JSON message altered" tamper jbad 's/\[1, 2\]/[1, 3]/' "$T/j.json"
expect_err "JSON payload altered: exit 2" 2 "$NOMATCH" "$PN" verify "$T/jbad.json" --trust "$T/trust.keys"
ok "setup: a byte of the binary payload altered" bash -c "python3 - '$T/b.json' > '$T/bbad.json' <<'PY'
import base64, json, sys
line = open(sys.argv[1]).read()
d = json.loads(line)
raw = bytearray(base64.b64decode(d['payload_base64']))
raw[100] ^= 1
print(line.replace(d['payload_base64'], base64.b64encode(bytes(raw)).decode()), end='')
PY"
expect_err "binary payload altered: exit 2" 2 "$NOMATCH" "$PN" verify "$T/bbad.json" --trust "$T/trust.keys"
ok "setup: the signature removed" bash -c "sed -E 's/, \"sig\": \"[^\"]*\"//' '$T/a.json' > '$T/nosig.json'"
expect_err "no signature: exit 2" 2 "no signature" "$PN" verify "$T/nosig.json" --trust "$T/trust.keys"
expect_err "one bad line in many: exit 2" 2 "$NOMATCH" bash -c "cat '$T/all.jsonl' '$T/topic.json' > '$T/mixed.jsonl'; '$PN' verify '$T/mixed.jsonl' --trust '$T/trust.keys'"

# the keys
"$PN" node init --data "$T/other" --name hq | tail -1 >"$T/other.keys"
expect_err "another node's key for hq: unknown key" 2 "unknown key" "$PN" verify "$T/a.json" --trust "$T/other.keys"
sed 's/^hq /swe /' "$T/trust.keys" >"$T/swe.keys"
expect_err "the key trusted only for swe" 2 "may not sign for origin hq" "$PN" verify "$T/a.json" --trust "$T/swe.keys"
sed 's/$/ revoked/' "$T/trust.keys" >"$T/revoked.keys"
expect_err "the key revoked" 2 "is revoked" "$PN" verify "$T/a.json" --trust "$T/revoked.keys"
sed 's/$/ until=2020-12-31/' "$T/trust.keys" >"$T/old.keys"
expect_err "the key ended before the message" 2 "not valid at the message's origin time" "$PN" verify "$T/a.json" --trust "$T/old.keys"
sed "s/\$/ from=$(date -u +%Y-%m-%d)/" "$T/trust.keys" >"$T/today.keys"
expect_rc "a key valid from today covers today's message" 0 "$PN" verify "$T/a.json" --trust "$T/today.keys"
expect_err "no trust file: exit 2" 2 "trusted keys:" "$PN" verify "$T/a.json" --data "$T/none"
expect_err "a file that is no message: exit 2" 2 "not a JSON message" bash -c "echo 'not json' > '$T/x.json'; '$PN' verify '$T/x.json' --trust '$T/trust.keys'"
expect_err "no FILE: exit 2" 2 "expected a FILE" "$PN" verify --trust "$T/trust.keys"

# log export: each payload with its binding data object in a sidecar file
expect_has "log export writes 103 pairs" "exported 103 messages" \
    "$PN" log export --data "$D" --out "$T/out"
ok "a payload file and its sidecar" test -f "$T/out/hq_0.bin" -a -f "$T/out/hq_0.bin.binding"
ok "the payload file holds the payload" bash -c "[ \"\$(cat '$T/out/hq_0.bin')\" = hello ]"
ok "the sidecar is a binding data object with the origin signature" python3 -c "
import json
b = json.load(open('$T/out/hq_0.bin.binding'))
assert b['metadataBindingContainer']['metadataBinding'][0]['metadata'][0]['displayMarking'] == '$L'
assert b['originSignature'].startswith('1.') and 'payload_base64' not in b
"
expect_has "label verify-binding on an exported pair: exit 0" "signature verified" \
    "$PN" label verify-binding "$T/out/hq_0.bin" --trust "$T/trust.keys"
ok "every exported pair verifies" bash -c "for f in '$T'/out/*.bin; do '$PN' label verify-binding \"\$f\" --trust '$T/trust.keys' >/dev/null || exit 1; done"
printf 'hellO' >"$T/out/hq_0.bin"
expect_err "an exported payload altered: exit 2" 2 "the data does not match the binding" \
    "$PN" label verify-binding "$T/out/hq_0.bin" --trust "$T/trust.keys"
sed -i 's/REL TO NATO, SWE/REL TO NATO/' "$T/out/hq_1.bin.binding"
expect_err "an exported binding's label altered: exit 2" 2 "signature does not match" \
    "$PN" label verify-binding "$T/out/hq_1.bin" --trust "$T/trust.keys"
expect_err "log export without --out: exit 2" 2 "export needs --out DIR" "$PN" log export --data "$D"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
