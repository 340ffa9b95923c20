#!/usr/bin/env bash
# review_r1_audit_agg.sh -- (review r1) an aggregated audit row past
# AUDIT_AGG_KEYS keeps no topic and no label, so auditViewerMay() shows it
# to every operator: principal, reason and count of refusals of messages
# whose label decide() refuses the reader.  Expected: such a row is
# withheld (or its count/reason not shown) from a reader who may not see
# every label it stands for; under ?reason= it is left out.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 || exit

it_tmp
T=$IT_TMP
D=$T/m
mkdir -p "$D"
P=$D/principals.json

principal opjpn JPN NU --role operator
principal opusa USA CTS --caveat ATOMAL --role operator
principal swe SWE NS
TJPN=$(token opjpn)
TUSA=$(token opusa)

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-ra
_report $? "setup: node starts with HTTP" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
L_TOP='COSMIC TOP SECRET ATOMAL'

# 1300 refused publishes (above SWE NS's clearance) on distinct topics in
# one minute: 100 rows one by one, 1024 keyed aggregated rows, then rows
# without topic and label.
python3 tests/it/lib/review_pub.py 127.0.0.1 "$PORT" swe pw-swe 1300 ops/strike/target "$L_TOP"
agg() { curl -s -H "$(A "$TUSA")" "$U/v1/audit?limit=5000" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if sum(e.get("count",1) for e in d["events"] if e["kind"]=="publish_refused")==1300 else 1)'; }
wait_until 10 agg
ok "setup: the 1300 refusals are on record (USA CTS ATOMAL operator sums the counts)" agg

expect_http "JPN NU operator: no principal, reason or count of refusals of COSMIC TOP SECRET ATOMAL messages" 200 \
    "not [e for e in d['events'] if e['kind'] == 'publish_refused' and not e.get('withheld')]" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?limit=5000"
expect_http "JPN NU operator: ?reason=clearance reveals nothing withheld" 200 "d['events'] == []" \
    -- -H "$(A "$TJPN")" "$U/v1/audit?reason=clearance&limit=5000"
ok "audit --as opjpn --reason clearance: nothing" bash -c \
    "out=\$('$PN' audit --data '$D' --since 1h --reason clearance --json --as opjpn) && [ -z \"\$out\" ]"
ok "audit --as opjpn: every publish_refused withheld" bash -c \
    "out=\$('$PN' audit --data '$D' --since 1h --kind publish_refused --json --as opjpn) && [ -n \"\$out\" ] && ! grep -qv '\"withheld\":true' <<<\"\$out\""
ok "audit --as opusa: the overflow row keeps the one label it counts" bash -c \
    "set -o pipefail; '$PN' audit --data '$D' --since 1h --json --as opusa | grep '\"topic\":\"(not kept)\"' | grep -q '\"label\":\"$L_TOP\"'"
echo "# what JPN NU sees:"
curl -s -H "$(A "$TJPN")" "$U/v1/audit?reason=clearance&limit=5000" | head -c 600 | sed 's/^/# /'
echo
ok "the node is still up" srv_alive
ok "no sanitizer report in the node's log" srv_clean_log
done_testing
