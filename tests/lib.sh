# lib.sh -- TAP helpers for the shell integration tests (sourced).
#
#   ok "what" command...           passes when the command exits 0
#   expect_out "what" "want" cmd   passes when stdout equals want exactly
#   expect_rc "what" N cmd...      passes when the exit status is N
#   expect_err "what" N "substr" cmd...  exit N and stderr contains substr
#   expect_has "what" "re" cmd...  exit 0 and output matches the regex re
#   expect_no "what" "re" cmd...   exit 0 and output does not match re (a
#                                  negative check that fails when the
#                                  command itself fails)
#   setup "what" cmd...            a set-up step (node start, lint): reported
#                                  as "setup: what", not counted as a check
#   skip "what" "reason"           a skipped check ("# SKIP reason"; under
#                                  CI a failure unless reason is "expected: ...")
#   no_sanitizer_report [LOG...]   no ASan/UBSan/LSan report from any process
#                                  this script started (tests/run.sh points
#                                  their log_path at $PN_SAN_DIR) nor in LOGs
#   done_testing                   prints the plan
# $PN is the partnernet binary under test; commands run from the repo root.
# pipefail is on: `partnernet ... | grep` in a script fails when partnernet
# fails.  A `bash -c` does not inherit it: use expect_has / expect_no.
set -u
set -o pipefail
cd "${PN_ROOT:-$(dirname "${BASH_SOURCE[0]}")/..}"
PN=${PN:-./partnernet}
# The tests decide with the shipped registry plus the illustrative sample
# registry (communities SAMPLE-NORTH and SAMPLE-EAST), loaded explicitly: a
# node's default registry never holds sample data.  A check about the
# shipped registry alone passes --registry data/registry.
export PARTNERNET_REGISTRY=${PARTNERNET_REGISTRY:-data/registry:data/sample/registry}
_n=0
_fail=0

_report() { # status what [details]
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_n - $2"
    else
        echo "not ok $_n - $2"
        _fail=$((_fail + 1))
        [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/#   /'
    fi
}

ok() {
    local what=$1
    shift
    local out
    out=$("$@" 2>&1)
    _report $? "$what" "$out"
}

expect_out() {
    local what=$1 want=$2
    shift 2
    local got
    got=$("$@" 2>&1)
    if [ "$got" = "$want" ]; then _report 0 "$what"; else _report 1 "$what" "want: $want
got:  $got"; fi
}

expect_rc() {
    local what=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$want" ]; then _report 0 "$what"; else _report 1 "$what" "exit $rc, want $want: $out"; fi
}

expect_err() {
    local what=$1 want=$2 sub=$3
    shift 3
    local err rc
    err=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" -eq "$want" ] && [[ "$err" == *"$sub"* ]]; then
        _report 0 "$what"
    else
        _report 1 "$what" "exit $rc (want $want), stderr: $err"
    fi
}

expect_has() {
    local what=$1 re=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && grep -qE -- "$re" <<<"$out"; then
        _report 0 "$what"
    else
        _report 1 "$what" "exit $rc, want 0 and output matching /$re/: $(head -c 600 <<<"$out")"
    fi
}

expect_no() {
    local what=$1 re=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ] && ! grep -qE -- "$re" <<<"$out"; then
        _report 0 "$what"
    else
        _report 1 "$what" "exit $rc, want 0 and no output matching /$re/: $(head -c 600 <<<"$out")"
    fi
}

setup() {
    local what=$1
    shift
    local out
    out=$("$@" 2>&1)
    _report $? "setup: $what" "$out"
}

skip() {
    _n=$((_n + 1))
    echo "ok $_n - $1 # SKIP $2"
}

no_sanitizer_report() {
    local f found=
    for f in "${PN_SAN_DIR:-/nonexistent}"/*; do
        [ -f "$f" ] && found+="$(basename "$f") "
    done
    if [ $# -gt 0 ] && grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$@" 2>/dev/null; then
        found+="in $* "
    fi
    [ -z "$found" ] && return 0
    echo "sanitizer report(s): $found"
    return 1
}

done_testing() {
    echo "1..$_n"
    [ "$_fail" -eq 0 ]
}
