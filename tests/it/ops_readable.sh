#!/usr/bin/env bash
# ops_readable.sh -- readable output from a running node: text payloads come
# back as text (HTTP payload_text, `log list` in any script, escaped, cut
# unless --full), unknown request fields and audit filters are refused with
# the valid names, and SIGTERM ends with one line saying what was written.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 base64 mosquitto_sub || exit

it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
P=$D/principals.json
principal op USA CTS --role operator
TOP=$(token op)
srv_start "$D" --principals "$P" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-r
_report $? "setup: node starts with HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
L='NATO UNCLASSIFIED'

# 1. text payloads come back as text
RU='Учения начинаются завтра'
b64() { printf '%s' "$1" | base64 -w0; }
post() { # TOPIC BASE64
    hc -H "$(A "$TOP")" --data-binary "{\"topic\": \"$1\", \"label\": \"$L\", \"payload_base64\": \"$2\"}" "$U/v1/messages"
}
setup "publish Cyrillic text" test "$(post t/ru "$(b64 "$RU")")" = 201
setup "publish text with an escape sequence and a tab" test "$(post t/esc "$(b64 $'red\e[31m\tend')")" = 201
LONG=$(printf 'ж%.0s' $(seq 150)) # 300 bytes
setup "publish 300 bytes of text" test "$(post t/long "$(b64 "$LONG")")" = 201
setup "publish bytes that are not UTF-8" test "$(post t/bin "$(printf '\xff\xfe\x00\x01' | base64 -w0)")" = 201

expect_http "HTTP: a UTF-8 payload also as payload_text" 200 \
    "d['messages'][0]['payload_text'] == '$RU' and d['messages'][0]['payload_base64'] == '$(b64 "$RU")'" \
    -- -H "$(A "$TOP")" "$U/v1/messages?topic=t/ru"
expect_http "HTTP: control characters in payload_text are JSON escapes" 200 \
    "d['messages'][0]['payload_text'] == 'red\\x1b[31m\\tend'" -- -H "$(A "$TOP")" "$U/v1/messages?topic=t/esc"
expect_http "HTTP: no payload_text for bytes that are not UTF-8" 200 \
    "'payload_text' not in d['messages'][0] and d['messages'][0]['payload_base64'] == '//4AAQ=='" \
    -- -H "$(A "$TOP")" "$U/v1/messages?topic=t/bin"

payload() { "$PN" log list --data "$D" --topic "$1" "${@:2}" | cut -f6-; }
expect_out "log list: Cyrillic as text" "$RU" payload t/ru
expect_out "log list: escape and tab escaped, never raw" 'red\u001b[31m\tend' payload t/esc
expect_out "log list: a long text cut at 200 bytes, with its size" \
    "$(printf 'ж%.0s' $(seq 100))... (300 bytes; --full shows all)" payload t/long
expect_out "log list --full: all of it" "$LONG" payload t/long --full
expect_out "log list: other bytes by their size" "<4 bytes>" payload t/bin

# 2. unknown fields in request bodies
expect_http "POST /v1/messages with a misspelt field: 400 naming it" 400 \
    "${ERR}'unknown_field' and \"unknown field 'topik' (did you mean 'topic'?)\" in d['error']['message']" \
    -- -H "$(A "$TOP")" --data-binary "{\"topik\": \"t/x\", \"topic\": \"t/x\", \"label\": \"$L\", \"payload\": 1}" "$U/v1/messages"
expect_http "nothing was published by it" 200 "d['messages'] == []" -- -H "$(A "$TOP")" "$U/v1/messages?topic=t/x"
expect_http "POST /v1/decide: an unknown member of principal" 400 \
    "${ERR}'unknown_field' and \"'principal.clearence'\" in d['error']['message']" \
    -- -H "$(A "$TOP")" --data-binary '{"principal": {"nation": "SWE", "clearance": "NS", "clearence": "NS"}, "label": "NATO SECRET"}' "$U/v1/decide"
expect_http "POST /v1/plan/csbm: an unknown field" 400 "${ERR}'unknown_field' and \"'tank'\" in d['error']['message']" \
    -- -H "$(A "$TOP")" --data-binary '{"troops": 9000, "tank": 300}' "$U/v1/plan/csbm"
expect_http "POST /v1/labels/convert: known fields still work" 200 "d['marking'] == 'NATO SECRET'" \
    -- -H "$(A "$TOP")" --data-binary '{"label": "nato secret"}' "$U/v1/labels/convert"

# 3. audit filters
expect_http "GET /v1/audit?kind=bogus: 400 listing the kinds" 400 \
    "${ERR}'bad_kind' and 'delivery_refused' in d['error']['message']" -- -H "$(A "$TOP")" "$U/v1/audit?kind=bogus"
expect_http "GET /v1/audit?reason=bogus: 400 listing the reasons" 400 \
    "${ERR}'bad_reason' and 'not_releasable' in d['error']['message']" -- -H "$(A "$TOP")" "$U/v1/audit?reason=bogus"
expect_http "GET /v1/audit?kind=login_refused: a valid kind" 200 "'events' in d" \
    -- -H "$(A "$TOP")" "$U/v1/audit?kind=login_refused"

# 4. a clean stop says what it wrote
setup "a persistent MQTT session" mosquitto_sub -h 127.0.0.1 -p "$PORT" -V mqttv5 -u op -P pw-op \
    -i keep-me -c -x 3600 -q 1 -t 't/#' -E
expect_http "a refused login (audited)" 401 -- -H "$(A pn_not_a_token)" "$U/v1/messages"
srv_stop
_report $? "setup: SIGTERM stops the node"
expect_out "SIGTERM: one line with what was written" \
    "partnernet: node it-r stopped cleanly on SIGTERM: log 4 messages synced, 1 sessions saved, audit 1 rows committed" \
    grep 'stopped' "$SRV_LOG"
ok "no sanitizer report" srv_clean_log
done_testing
