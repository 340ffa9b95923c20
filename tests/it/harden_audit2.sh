#!/usr/bin/env bash
# harden_audit2.sh -- an audit record's detail names no label its own label
# does not cover.  A publish whose label disagrees with the topic's default
# label is refused (ambiguous_label) and audited under the publisher's
# label; the detail must not carry the default label's text, or a reader
# cleared only for the publisher's label would read the higher one
# (GET /v1/audit and audit --as).
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 || exit

it_tmp
T=$IT_TMP
D=$T/m
mkdir -p "$D"
P=$D/principals.json
L_TOP='COSMIC TOP SECRET ATOMAL'
L_JPN='NATO UNCLASSIFIED REL TO JPN'

principal opjpn JPN NU --role operator
principal usa USA CTS --caveat ATOMAL
TJPN=$(token opjpn)
printf "[node]\nname = it-au2\n\n[topic ops/strike/#]\nlabel = %s\n" "$L_TOP" >"$T/n.conf"

srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-au2
_report $? "setup: node starts with a [topic ops/strike/#] default label" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT

rc=$(python3 tests/it/lib/review_pub.py 127.0.0.1 "$PORT" usa pw-usa -1 ops/strike/x "$L_JPN")
[[ $rc == *0x99* ]]
_report $? "a label that disagrees with the default: refused 0x99" "PUBACK $rc"

row() { curl -s -H "$(A "$TJPN")" "$U/v1/audit?reason=ambiguous_label" | grep -q ambiguous_label; }
wait_until 10 row
expect_http "JPN NU operator sees the refusal under the publisher's label" 200 \
    "[e['label'] for e in d['events']] == ['$L_JPN']" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?reason=ambiguous_label"
expect_http "JPN NU operator: the default label's text is nowhere in what it is shown" 200 \
    "'TOP SECRET' not in json.dumps(d) and 'ATOMAL' not in json.dumps(d)" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?since=1h"
ok "audit --as opjpn: no default label text either" bash -c \
    "out=\$('$PN' audit --data '$D' --since 1h --json --as opjpn) && grep -q ambiguous_label <<<\"\$out\" && ! grep -q 'TOP SECRET' <<<\"\$out\""
ok "the node is still up" srv_alive
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
