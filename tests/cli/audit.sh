#!/usr/bin/env bash
# audit.sh -- `partnernet audit`: errors (missing store, bad --since) and,
# on a store written by the unit-test program's fixture hook
# (PN_AUDIT_FIXTURE_DIR, see tests/unit/test_audit.c), the table, the
# filters and the JSON lines.
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# errors
expect_err "missing data directory exits 2" 2 "no node data in $tmp/none" "$PN" audit --data "$tmp/none"
ok "a missing store is not created" test ! -e "$tmp/none"
expect_err "bad --since exits 2" 2 "'1y' is not a duration" "$PN" audit --since 1y --data "$tmp/none"
expect_err "--since without a value" 2 "option --since needs a value" "$PN" audit --since
expect_err "unexpected argument" 2 "unexpected argument 'extra'" "$PN" audit extra
ok "help audit prints its usage" bash -c "set -o pipefail; '$PN' help audit | grep -- '--since'"

# a populated store; the fixture program sits beside the binary under test
fixture=$(dirname "$PN")/tests/test_audit
if [ ! -x "$fixture" ]; then
    skip "populated-store tests" "$fixture not built (run make check)"
    done_testing
    exit
fi
data="$tmp/var"
ok "fixture store written" env PN_AUDIT_FIXTURE_DIR="$data" "$fixture"

rows() { "$PN" audit --data "$data" "$@" | tail -n +2 | awk '{print $3}' | tr '\n' ' '; }
expect_out "default: the last 24 hours, oldest first" "alice bob evil?[31mred " rows
ok "table header" bash -c "set -o pipefail; '$PN' audit --data '$data' | sed -n 1p | grep -E '^TIME +KIND +PRINCIPAL +NATION +TOPIC +REASON +LABEL$'"
ok "table row carries time, kind, reason and label" bash -c \
    "set -o pipefail; '$PN' audit --data '$data' | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +delivery_refused +alice +SWE +tracks/air/alice +clearance +NATO SECRET REL TO NATO, SWE$'"
expect_no "control characters never reach the terminal" $'\x1b' "$PN" audit --data "$data"
expect_out "--since a date" "dave carol alice bob evil?[31mred " rows --since 2019-12-31
expect_out "--since 2d" "alice bob evil?[31mred " rows --since 2d
expect_out "--since 30m" "bob evil?[31mred " rows --since 30m
expect_out "--reason" "alice " rows --reason clearance --since 2019-12-31
expect_out "--kind" "carol " rows --kind released --since 2019-12-31
expect_out "no match prints only the header" "" rows --reason no_agreement
expect_out "--json: one object per line" "3" bash -c "set -o pipefail; '$PN' audit --data '$data' --json | grep -c '^{.*}$'"
ok "--json fields" bash -c "set -o pipefail; '$PN' audit --data '$data' --json | grep -F '\"kind\":\"publish_refused\",\"principal\":\"bob\",\"nation\":\"SWE\",\"topic\":\"tracks/air/bob\",\"reason\":\"invalid_label\",\"label\":\"NATO SECRET REL TO XYZ\"'"
ok "--json escapes control characters" bash -c "set -o pipefail; '$PN' audit --data '$data' --json | grep -F 'evil\\u001B[31mred'"
expect_err "a file that is not a store" 2 "cannot open the audit store" bash -c \
    "mkdir -p '$tmp/bad' && yes 'not a database' | head -c 4096 > '$tmp/bad/audit.db' && '$PN' audit --data '$tmp/bad'"

done_testing
