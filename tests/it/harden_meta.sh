#!/usr/bin/env bash
# harden_meta.sh -- metadata is released by decide() like content (issue 10,
# items 2 and 5), against a real node over HTTP:
#   - GET /v1/audit shows a record's topic, label and detail only to an
#     operator whom decide() allows the record's label; otherwise kind,
#     time and "withheld": true.  An unparsable label is withheld from all.
#   - `partnernet audit --as NAME` applies the same rule on the command line.
#   - the history cursor ("next") of GET /v1/messages names only messages
#     the caller was given: nothing about how many others the node holds.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_pub || exit

it_tmp
T=$IT_TMP
D=$T/m
mkdir -p "$D"
P=$D/principals.json

principal opusa USA CTS --caveat ATOMAL --role operator
principal opjpn JPN NU --role operator
principal jpn JPN NU
principal swe SWE NS
principal peer UKR NC --role node
TUSA=$(token opusa)
TJPN=$(token opjpn)
TJ=$(token jpn)
TPEER=$(token peer)

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-m
_report $? "node starts with HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT

L_TOP='COSMIC TOP SECRET ATOMAL'
L_JPN='NATO UNCLASSIFIED REL TO JPN'
post() { # TOKEN TOPIC LABEL: POST /v1/messages, prints the status
    hc -H "$(A "$1")" --data-binary "{\"topic\": \"$2\", \"label\": \"$3\", \"payload\": 1}" "$U/v1/messages"
}

echo "# audit records: details only where decide() allows their label"
post "$TUSA" ops/strike/plan-ALPHA "$L_TOP" >/dev/null
ok "the CTS ATOMAL message is stored (201)" grep -q '"id": "it-m:0"' "$T/body"
# SWE NS publishes above its clearance: a publish_refused record with the label.
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u swe -P pw-swe -V mqttv5 -q 1 -t ops/strike/plan-ALPHA \
    -D PUBLISH user-property label "$L_TOP" -m x >/dev/null 2>&1
# An unparsable label: a publish_refused record nobody may read through HTTP.
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u swe -P pw-swe -V mqttv5 -q 1 -t ops/strike/plan-BRAVO \
    -D PUBLISH user-property label "NATO SECRET REL TO XYZ" -m x >/dev/null 2>&1
# A peer node reads history: the refused message gets a delivery_refused record.
expect_http "a peer node (UKR NC) reads history: nothing" 200 "d['messages'] == []" -- -H "$(A "$TPEER")" "$U/v1/messages"
kinds="sorted(e['kind'] for e in d['events'] if e['kind'] != 'login_refused')"
want="['delivery_refused', 'publish_refused', 'publish_refused']"
wait_until 5 bash -c "curl -s -H 'Authorization: Bearer $TUSA' '$U/v1/audit' | grep -q delivery_refused"
expect_http "USA CTS ATOMAL operator: the three records" 200 "$kinds == $want" -- -H "$(A "$TUSA")" "$U/v1/audit"
expect_http "USA CTS ATOMAL operator sees topic and label of the delivery refusal" 200 \
    "[e for e in d['events'] if e['kind'] == 'delivery_refused' and e['topic'] == 'ops/strike/plan-ALPHA' and e['label'] == '$L_TOP' and e['principal'] == 'peer' and not e.get('withheld')]" \
    -- -H "$(A "$TUSA")" "$U/v1/audit"
expect_http "USA CTS ATOMAL operator sees topic and label of the publish refusal" 200 \
    "[e for e in d['events'] if e['kind'] == 'publish_refused' and e.get('reason') == 'clearance' and e['topic'] == 'ops/strike/plan-ALPHA' and e['label'] == '$L_TOP' and e['principal'] == 'swe']" \
    -- -H "$(A "$TUSA")" "$U/v1/audit"
expect_http "an unparsable label is withheld even from USA CTS ATOMAL (fail closed)" 200 \
    "[e for e in d['events'] if e.get('withheld') and set(e) == {'time', 'kind', 'withheld'}] and 'BRAVO' not in json.dumps(d) and 'XYZ' not in json.dumps(d)" \
    -- -H "$(A "$TUSA")" "$U/v1/audit"
expect_http "JPN NU operator: the same three records, by kind" 200 "$kinds == $want" -- -H "$(A "$TJPN")" "$U/v1/audit"
expect_http "JPN NU operator reads no topic, label or detail of them" 200 \
    "'plan-ALPHA' not in json.dumps(d) and 'ATOMAL' not in json.dumps(d) and 'COSMIC' not in json.dumps(d) and 'BRAVO' not in json.dumps(d) and 'it-m:0' not in json.dumps(d)" \
    -- -H "$(A "$TJPN")" "$U/v1/audit"
expect_http "JPN NU operator: each withheld record has kind, time and withheld only" 200 \
    "all(set(e) == {'time', 'kind', 'withheld'} and e['withheld'] is True for e in d['events'] if e['kind'] != 'login_refused')" \
    -- -H "$(A "$TJPN")" "$U/v1/audit"
expect_http "JPN NU operator: ?reason=clearance does not reveal withheld reasons" 200 "d['events'] == []" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?reason=clearance"
expect_http "USA operator: ?reason=clearance finds the refused publish" 200 "sorted(e['kind'] for e in d['events']) == ['delivery_refused', 'publish_refused'] and all(e['reason'] == 'clearance' for e in d['events'])" \
    -- -H "$(A "$TUSA")" "$U/v1/audit?reason=clearance"
expect_http "a bad token: 401 (a refused login is recorded)" 401 -- -H "$(A pn_nope)" "$U/v1/audit"
expect_http "JPN NU operator sees the refused login in full" 200 \
    "[e for e in d['events'] if e['kind'] == 'login_refused' and 'unknown or revoked token' in e['detail'] and not e.get('withheld')]" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?kind=login_refused"

echo "# partnernet audit --as NAME"
cli_audit() { "$PN" audit --data "$D" --json --principals "$P" "$@"; }
wait_until 5 bash -c "'$PN' audit --data '$D' --json | grep -q plan-ALPHA"
ok "without --as: the local administrator reads everything" bash -c "'$PN' audit --data '$D' --json | grep -q 'plan-ALPHA'"
ok "--as opusa: topic and label shown" bash -c "$(declare -f cli_audit); PN='$PN' D='$D' P='$P'; cli_audit --as opusa | grep -q '\"topic\":\"ops/strike/plan-ALPHA\"'"
ok "--as opjpn: withheld, no topic or label" bash -c "$(declare -f cli_audit); PN='$PN' D='$D' P='$P'; out=\$(cli_audit --as opjpn) && echo \"\$out\" | grep -q '\"withheld\":true' && ! echo \"\$out\" | grep -qE 'plan-ALPHA|ATOMAL|BRAVO'"
expect_err "--as an unknown principal: exit 2" 2 "no principal named 'nobody'" \
    "$PN" audit --data "$D" --principals "$P" --as nobody

echo "# history cursor: nothing about messages the caller may not see"
# it-m:0 (above) and these: invisible to JPN NU except the two marked.
for i in 1 2 3; do post "$TUSA" hist/x "$L_TOP" >/dev/null; done
post "$TUSA" hist/v1 "$L_JPN" >/dev/null # it-m:4
for i in 1 2 3; do post "$TUSA" hist/x "$L_TOP" >/dev/null; done
post "$TUSA" hist/v2 "$L_JPN" >/dev/null # it-m:8
for i in 1 2 3; do post "$TUSA" hist/x "$L_TOP" >/dev/null; done
ok "the last publish got id it-m:11" grep -q '"id": "it-m:11"' "$T/body"
# Every node:seq in the body is the id of a message JPN may see.
onlyvis="set(__import__('re').findall(r'it-m:[0-9]+', json.dumps(d))) <= {'it-m:4', 'it-m:8'}"
expect_http "topic=nothing/here&limit=1: nothing, a sealed cursor" 200 "d['messages'] == [] and d['next'].startswith('c_') and not d['more'] and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages?topic=nothing/here&limit=1"
expect_http "topic=nothing/here since=a time: no id of an invisible message" 200 "d['messages'] == [] and $onlyvis and d['next'].startswith('c_') and not d['more']" \
    -- -H "$(A "$TJ")" "$U/v1/messages?topic=nothing/here&since=2020-01-01T00:00:00Z"
expect_http "topic=hist/x since=a time: nothing, no id" 200 "d['messages'] == [] and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages?topic=hist/x&since=2020-01-01T00:00:00Z&limit=5"
expect_http "everything: the two visible, next is the last one returned" 200 "[m['id'] for m in d['messages']] == ['it-m:4', 'it-m:8'] and d['next'] == 'it-m:8' and not d['more'] and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages"
expect_http "paging limit=1: the first visible" 200 "[m['id'] for m in d['messages']] == ['it-m:4'] and d['next'] == 'it-m:4' and d['more']" \
    -- -H "$(A "$TJ")" "$U/v1/messages?limit=1"
expect_http "paging since=it-m:4: the second, across the invisible ones" 200 "[m['id'] for m in d['messages']] == ['it-m:8'] and d['next'] == 'it-m:8' and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages?limit=1&since=it-m:4"
# An empty page looks the same whether the scan reached the end of the log
# or its bound (review r1): a sealed cursor, more false.
expect_http "paging since=it-m:8: nothing more, a sealed cursor" 200 "d['messages'] == [] and d['next'].startswith('c_') and not d['more'] and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages?limit=1&since=it-m:8"
C0=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$T/body")
# Only ids of messages the caller may read are accepted (review r1).
expect_http "since=an id JPN may not see: 400 bad_since" 400 "$ERR'bad_since'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=it-m:5"
cp "$T/body" "$T/body5"
expect_http "since=an id that does not exist: 400 bad_since" 400 "$ERR'bad_since'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=it-m:99"
ok "... the same answer as for the invisible one" cmp -s "$T/body" "$T/body5"
expect_http "a made-up sealed cursor: 400 bad_since" 400 "$ERR'bad_since'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=c_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
post "$TUSA" hist/v3 "$L_JPN" >/dev/null # it-m:12
expect_http "a new visible message after the cursor is found" 200 "[m['id'] for m in d['messages']] == ['it-m:12'] and d['next'] == 'it-m:12'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?limit=1&since=it-m:8"
expect_http "... and after the sealed cursor of the empty page" 200 "[m['id'] for m in d['messages']] == ['it-m:12'] and d['next'] == 'it-m:12'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?limit=1&since=$C0"
expect_http "USA reads all thirteen in one page, next is the last" 200 "len(d['messages']) == 13 and d['next'] == 'it-m:12'" \
    -- -H "$(A "$TUSA")" "$U/v1/messages"

echo "# the scan bound (100,000 records a request): a sealed cursor, then onwards"
# 100,001 messages JPN may not see, then one it may (it-m:100014).  QoS 0:
# mosquitto_pub -l disconnects before its QoS 1 queue is drained.
seq 100001 | timeout 300 mosquitto_pub -h 127.0.0.1 -p "$PORT" -u opusa -P pw-opusa -V mqttv5 -q 0 \
    -t hist/x -D PUBLISH user-property label "$L_TOP" -l >"$T/flood.out" 2>&1
flooded() { [ "$("$PN" log list --data "$D" --topic hist/x | wc -l)" -eq 100010 ]; }
wait_until 60 flooded
ok "the node stored the 100,001" flooded
post "$TUSA" hist/v4 "$L_JPN" >/dev/null
ok "the visible one after them is it-m:100014" grep -q '"id": "it-m:100014"' "$T/body"
expect_http "since=it-m:12: nothing in the first 100,000, a sealed cursor (more false, as at the end)" 200 \
    "d['messages'] == [] and not d['more'] and d['next'].startswith('c_') and len(d['next']) == 50 and $onlyvis" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=it-m:12"
C1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$T/body")
expect_http "the same request again: another sealed cursor (nothing to compare)" 200 \
    "d['next'].startswith('c_') and d['next'] != '$C1'" -- -H "$(A "$TJ")" "$U/v1/messages?since=it-m:12"
expect_http "since=the sealed cursor: the visible message after the flood" 200 \
    "[m['id'] for m in d['messages']] == ['it-m:100014'] and d['next'] == 'it-m:100014' and not d['more']" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=$C1"
expect_http "a sealed cursor with one character changed: 400 bad_since" 400 "$ERR'bad_since'" \
    -- -H "$(A "$TJ")" "$U/v1/messages?since=${C1:0:20}$([ "${C1:20:1}" = A ] && echo B || echo A)${C1:21}"

ok "the node is still up" srv_alive
expect_http "healthz after all of it" 200 'd["status"] == "ok"' -- "$U/healthz"
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
