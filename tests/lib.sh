# lib.sh -- TAP helpers for the shell integration tests (sourced).
#
#   ok "what" command...           passes when the command exits 0
#   expect_out "what" "want" cmd   passes when stdout equals want exactly
#   expect_rc "what" N cmd...      passes when the exit status is N
#   expect_err "what" N "substr" cmd...  exit N and stderr contains substr
#   done_testing                   prints the plan
# $PN is the partnernet binary under test; commands run from the repo root.
set -u
cd "${PN_ROOT:-$(dirname "${BASH_SOURCE[0]}")/..}"
PN=${PN:-./partnernet}
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

done_testing() {
    echo "1..$_n"
    [ "$_fail" -eq 0 ]
}
