#!/usr/bin/env bash
# http_errors.sh -- a failure of the node itself (HTTP 5xx) tells the caller
# what failed, never where the node keeps its files: the planning store that
# cannot be opened (503), a planning query that fails (500) and the audit
# store that cannot be read (503) answer without a file system path, and the
# node's own log keeps the detail for the operator.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 || exit

it_tmp
T=$IT_TMP
D=$T/data
mkdir -p "$D"
P=$D/principals.json
principal op USA CTS --role operator
TOP=$(token op)
U() { echo "http://127.0.0.1:$HTTPPORT$1"; }
# nopath: the body names neither the data directory nor a file of it
NOPATH="'$D' not in str(d) and 'plan.db' not in str(d) and 'audit' + '.db' not in str(d)"
sqlrun() { python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$@"; }

# ---- the planning store cannot be opened --------------------------------------
mkdir -p "$D/plan.db"
srv_start "$D" --node hq --principals "$P" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "the node starts (its planning store is a directory, not a database)"
expect_http "a planning store that cannot be opened is 503, without a path" 503 \
    "${ERR}'plan_unavailable' and 'planning store' in d['error']['message'] and $NOPATH" -- \
    -H "$(A "$TOP")" "$(U "/v1/plan/activities?open_to=GEO")"
ok "the node's log has the detail, with the path" grep -q "$D/plan.db" "$SRV_LOG"
srv_stop
rmdir "$D/plan.db"

# ---- a planning query fails ---------------------------------------------------
srv_start "$D" --node hq --principals "$P" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "the node starts again"
expect_http "the planning store opens" 200 -- -H "$(A "$TOP")" "$(U "/v1/plan/activities?open_to=GEO")"
sqlrun "$D/plan.db" 'DROP TABLE instances;'
expect_http "a failing planning query is 500, without a path" 500 \
    "${ERR}'plan_error' and $NOPATH" -- -H "$(A "$TOP")" "$(U "/v1/plan/activities?open_to=GEO")"
ok "the node's log has the detail, with the path" grep -q "$D/plan.db.*no such table" "$SRV_LOG"

# ---- the audit store cannot be read -------------------------------------------
AUDIT=$(find "$D" -name '*.db' ! -name plan.db | head -1)
ok "the audit store exists ($AUDIT)" test -n "$AUDIT"
sqlrun "$AUDIT" 'DROP TABLE audit;'
expect_http "an audit store that cannot be read is 503, without a path" 503 \
    "${ERR}'audit_unavailable' and $NOPATH" -- -H "$(A "$TOP")" "$(U /v1/audit)"
ok "node still up" srv_alive
srv_stop
_report $? "setup: SIGTERM: the node stops cleanly (exit 0)"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
