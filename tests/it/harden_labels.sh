#!/usr/bin/env bash
# harden_labels.sh -- ambiguous labels are refused, fail closed (issue 10,
# item 4).  One real node with a [topic deflt/#] default label; a raw MQTT 5
# client (tests/it/node/labels.js) publishes messages with more than one
# label source: two 'label' user properties (equal or not), a case variant
# of the key ('Label', 'LABEL'), a label property that disagrees with the
# topic default.  Each gets PUBACK 0x99 with a reason and reaches nobody;
# the refusals are audited; HTTP POST /v1/messages follows the same rule.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_need mosquitto_pub node curl python3 || exit 1
it_tmp
T=$IT_TMP
D=$T/n
P=$D/principals.json
mkdir -p "$D"
. tests/it/lib/http.sh
L_U="NATO UNCLASSIFIED REL TO NATO, UKR"
L_S="NATO SECRET REL TO NATO"

principal alice SWE NS
printf "[node]\nname = it-lab\n\n[topic deflt/#]\nlabel = %s\n" "$L_U" >"$T/n.conf"
srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "node starts with a [topic deflt/#] default label" "$(cat "$SRV_LOG")"

echo "# MQTT 5: more than one label source"
tap_run node tests/it/node/labels.js "$PORT" alice pw-alice
ok "audit: the ambiguous labels were refused (publish_refused, ambiguous_label)" bash -c \
    "[ \$('$PN' audit --data '$D' --kind publish_refused --json | grep -c '\"ambiguous_label\"') -ge 7 ]"
ok "mosquitto_pub with two label properties: refused, with the reason" bash -c \
    "mosquitto_pub -h 127.0.0.1 -p $PORT -V mqttv5 -u alice -P pw-alice -q 1 -t lab/m -m two \
       -D publish user-property label '$L_U' -D publish user-property label '$L_S' 2>&1 |
       grep -q 'more than one .label. user property'"
ok "3.1.1 publish on the default topic: still accepted" \
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -V mqttv311 -u alice -P pw-alice -q 1 -t deflt/old -m old
ok "nothing refused was stored (log list: only the accepted messages)" bash -c \
    "[ \"\$('$PN' log list --data '$D' | cut -f4 | sort | paste -sd' ')\" = 'deflt/c deflt/old lab/ok' ]"

echo "# HTTP POST /v1/messages"
TOK=$(token alice)
U=http://127.0.0.1:$HTTPPORT
expect_http "a label that differs from the topic default: 400 invalid_label" 400 \
    "$ERR'invalid_label' and 'default' in d['error']['message']" -- \
    -H "$(A "$TOK")" -H 'Content-Type: application/json' \
    -d "{\"topic\": \"deflt/h\", \"label\": \"$L_S\", \"payload\": 1}" "$U/v1/messages"
expect_http "two 'label' members in the body: 400" 400 "$ERR'bad_json'" -- \
    -H "$(A "$TOK")" -H 'Content-Type: application/json' \
    -d "{\"topic\": \"lab/h\", \"label\": \"$L_U\", \"label\": \"$L_S\", \"payload\": 1}" "$U/v1/messages"
expect_http "the default label itself: 201" 201 -- \
    -H "$(A "$TOK")" -H 'Content-Type: application/json' \
    -d "{\"topic\": \"deflt/h\", \"label\": \"$L_U\", \"payload\": 1}" "$U/v1/messages"

ok "node still running" srv_alive
ok "no sanitizer report in the node's log" srv_clean_log
srv_stop
_report $? "node stops cleanly"
done_testing
