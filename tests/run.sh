#!/usr/bin/env bash
# run.sh -- run every test and print one summary line
# "N passed, N failed, N skipped".
#
#   tests/run.sh PARTNERNET_BINARY UNIT_TEST_BINARY...
#   PN_TESTS="tests/it/x.sh ..." tests/run.sh PARTNERNET_BINARY   (only those)
#
# Unit tests are cmocka programs run with TAP output; integration tests are
# the scripts tests/cli/*.sh and tests/it/*.sh, which print TAP too
# ("ok N - what" / "not ok N - what") and get the binary in $PN.
#
# What counts, and why:
# - "ok" lines are behaviour checks that passed.  Lines "ok N - setup: ..."
#   (starting a node, stopping it, linting a document) are set-up steps: they
#   are counted apart and not as passed checks; a failed set-up step is a
#   failure like any other.
# - "ok N - ... # SKIP reason" is a skip, never a pass.  Under CI=true a skip
#   is also a failure unless its reason starts with "expected:" (a skip the
#   script declares as normal on a machine like CI's).
# - A script must print its TAP plan "1..N" and N must equal the number of
#   ok / not ok lines it printed; a script that stops early cannot pass.
# - A program that exits non-zero without reporting a failure is a failure,
#   so a crash can never pass silently.
# - Sanitizer reports: every process a script starts writes its ASan / UBSan
#   / LSan report into a directory of that script's own (log_path), whether
#   or not the script looks at the process's output or exit status; each
#   report found there afterwards is one failure, printed here.  Sanitizer
#   exits have their own statuses (ASan/LSan 86, UBSan 87) so that a test
#   expecting exit 1 (a refusal) cannot mistake a sanitizer abort for it.
set -u
cd "$(dirname "$0")/.."
pn=$(realpath "$1")
shift
export PN=$pn PN_ROOT=$PWD CMOCKA_MESSAGE_OUTPUT=TAP
passed=0
failed=0
skipped=0
setups=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# sanitizer_reports DIR: print each report file in DIR, return their number.
sanitizer_reports() {
    local f n=0
    for f in "$1"/*; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        echo "# sanitizer report $(basename "$f"):"
        sed -n '1,/SUMMARY/p' "$f" | head -n 40 | sed 's/^/#   /'
    done
    return "$n"
}

run_one() {
    local name=$1
    shift
    local base
    base=$(basename "$name")
    local out="$log/$base.out" san="$log/san/$base"
    mkdir -p "$san"
    export PN_SAN_DIR=$san
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:log_path=$san/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:log_path=$san/ubsan"
    "$@" >"$out" 2>&1
    local rc=$?
    local ok notok skip setup total plan extra=0 why=()
    ok=$(grep -cE '^ok [0-9]+' "$out")
    notok=$(grep -cE '^not ok [0-9]+' "$out")
    skip=$(grep -cE '^ok [0-9]+.*# SKIP' "$out")
    setup=$(grep -E '^ok [0-9]+ - setup: ' "$out" | grep -cv '# SKIP')
    total=$((ok + notok))
    plan=$(sed -n -E 's/^1\.\.([0-9]+).*/\1/p' "$out" | tail -n 1)
    if [ -z "$plan" ]; then
        extra=$((extra + 1))
        why+=("no TAP plan printed")
    elif [ "$plan" -ne "$total" ]; then
        extra=$((extra + 1))
        why+=("plan 1..$plan but $total checks ran")
    fi
    if [ "$skip" -gt 0 ] && [ "${CI:-}" = true ]; then
        local bad
        bad=$(grep -E '^ok [0-9]+.*# SKIP' "$out" | grep -cvE '# SKIP expected:')
        if [ "$bad" -gt 0 ]; then
            extra=$((extra + bad))
            why+=("$bad undeclared skip(s) under CI=true")
        fi
    fi
    sanitizer_reports "$san" >"$out.san"
    local nsan=$?
    if [ "$nsan" -gt 0 ]; then
        extra=$((extra + nsan))
        why+=("$nsan sanitizer report(s)")
    fi
    if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
        extra=$((extra + 1))
        why+=("exit $rc without a failed check")
    fi
    passed=$((passed + ok - skip - setup))
    skipped=$((skipped + skip))
    setups=$((setups + setup))
    failed=$((failed + notok + extra))
    local line="--- $name: $((ok - skip - setup)) passed"
    [ "$setup" -gt 0 ] && line+=", $setup set-up steps"
    [ "$skip" -gt 0 ] && line+=", $skip skipped"
    if [ "$notok" -gt 0 ] || [ "$extra" -gt 0 ]; then
        echo "$line, $notok failed, exit $rc${why[*]:+ (${why[*]})}"
        grep -vE '^ok [0-9]+' "$out" | tail -n 60
        cat "$out.san"
    else
        echo "$line"
    fi
}

for t in "$@"; do run_one "$t" "$t"; done
# PN_TESTS="tests/it/a.sh ..." runs only those scripts (for development).
for t in ${PN_TESTS:-tests/cli/*.sh tests/it/*.sh}; do
    [ -f "$t" ] || continue
    run_one "$t" bash "$t"
done
echo "# $setups set-up steps (node starts and stops, document lint) ran and are not counted as checks"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
