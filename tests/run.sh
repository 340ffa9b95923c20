#!/usr/bin/env bash
# run.sh -- run every test and print one summary line "N passed, N failed".
#
#   tests/run.sh PARTNERNET_BINARY UNIT_TEST_BINARY...
#
# Unit tests are cmocka programs run with TAP output; integration tests are
# the scripts tests/cli/*.sh (and later tests/it/*.sh), which print TAP too
# ("ok N - what" / "not ok N - what") and get the binary in $PN.  A test
# program that crashes or exits non-zero without reporting a failure counts
# as one failure, so a sanitizer abort can never pass silently.
set -u
cd "$(dirname "$0")/.."
pn=$(realpath "$1")
shift
export PN=$pn PN_ROOT=$PWD CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

run_one() {
    local name=$1
    shift
    local out="$log/$(basename "$name").out"
    "$@" >"$out" 2>&1
    local rc=$?
    local ok notok
    ok=$(grep -cE '^ok [0-9]+' "$out")
    notok=$(grep -cE '^not ok [0-9]+' "$out")
    passed=$((passed + ok))
    failed=$((failed + notok))
    if [ "$notok" -gt 0 ] || [ "$rc" -ne 0 ]; then
        if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then failed=$((failed + 1)); fi
        echo "--- $name: $ok passed, $notok failed, exit $rc"
        grep -vE '^ok [0-9]+' "$out" | tail -n 60
    else
        echo "--- $name: $ok passed"
    fi
}

for t in "$@"; do run_one "$t" "$t"; done
for t in tests/cli/*.sh tests/it/*.sh; do
    [ -f "$t" ] || continue
    run_one "$t" bash "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
