#!/usr/bin/env bash
# openapi.sh -- every response documented in docs/openapi.yaml, sent to a
# real node (tests/it/lib/openapi_check.py reads each response's x-test).
# The node's data directory holds the sample planning data (data/sample),
# so the /v1/plan examples answer with rows.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need python3 || exit
it_tmp
D=$IT_TMP/n
mkdir -p "$D"
"$PN" principal add reader --nation UKR --clearance NC --no-credential --principals "$D/principals.json" >/dev/null
"$PN" principal add op --nation USA --clearance CTS --role operator --no-credential --principals "$D/principals.json" >/dev/null
"$PN" plan import --data "$D" data/sample/*.json data/sample/*.csv >/dev/null
_report $? "the sample planning data is imported into the node's data directory"
R=$("$PN" token create --principal reader --data "$D" 2>/dev/null)
O=$("$PN" token create --principal op --data "$D" 2>/dev/null)
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node doc
_report $? "setup: node starts" "$(cat "$SRV_LOG")"
tap_run python3 tests/it/lib/openapi_check.py docs/openapi.yaml "$HTTPPORT" "$R" "$O"
srv_stop
_report $? "setup: SIGTERM: the node stops cleanly (exit 0)"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
