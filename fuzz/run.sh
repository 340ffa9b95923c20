#!/usr/bin/env bash
# run.sh -- run each libFuzzer target for a while; one line per target.
#
#   fuzz/run.sh SECONDS build/fuzz/fuzz_X...
#
# Target fuzz_X fuzzes a copy of fuzz/corpus/X/ in a temporary directory,
# so the committed corpus stays the small hand-written seed set.  A crash,
# leak, timeout or broken property is written to fuzz/regress/X/, where
# tests/unit/test_fuzz_regress replays it on every `make check` until the
# bug is fixed.  Saved inputs are not fuzzed again here: one known, unfixed
# bug would stop the target within a second and hide any new one.  Exits 1
# when any target found something.
set -u
cd "$(dirname "$0")/.."

if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh SECONDS build/fuzz/fuzz_X..." >&2
    exit 2
fi
secs=$1
shift

# UBSan only reports and carries on unless told to halt; a report must fail
# the run.  Options given by the caller come last, so they win.
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# Markings are one line of text; label and policy documents can be long.
max_len() {
    case $1 in
    marking) echo 4096 ;;
    *) echo 65536 ;;
    esac
}

# Executions from libFuzzer's final statistics, else its last status line.
execs_of() {
    local n
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1" | tail -n 1)
    [ -n "$n" ] || n=$(grep -oE '^#[0-9]+' "$1" | tail -n 1 | tr -d '#')
    echo "${n:-0}"
}

# A found input that is already saved under another name (a known bug found
# again) is dropped, and the saved copy named instead.
keep_new() {
    local f=$1 other
    [ -f "$f" ] || return 0
    for other in "$(dirname "$f")"/*; do
        if [ "$other" != "$f" ] && cmp -s "$other" "$f"; then
            rm -f "$f"
            echo "$other (already saved)"
            return 0
        fi
    done
    echo "$f"
}

run_target() {
    local bin=$1 name target corpus log rc execs
    name=$(basename "$bin")
    target=${name#fuzz_}
    if [ ! -x "$bin" ]; then
        echo "$name: no such fuzz binary ($bin)"
        return 1
    fi
    corpus="$tmp/$target"
    mkdir -p "$corpus" "fuzz/regress/$target"
    [ -d "fuzz/corpus/$target" ] && cp -R "fuzz/corpus/$target/." "$corpus/"
    local args=(-max_total_time="$secs" -max_len="$(max_len "$target")" -timeout=10
        -print_final_stats=1 -artifact_prefix="fuzz/regress/$target/")
    [ -f "fuzz/$target.dict" ] && args+=(-dict="fuzz/$target.dict")
    log="$tmp/$target.log"
    "$bin" "${args[@]}" "$corpus" >"$log" 2>&1
    rc=$?
    execs=$(execs_of "$log")
    if [ "$rc" -eq 0 ]; then
        echo "$name: $execs execs in ${secs}s, no crash"
        return 0
    fi
    local saved
    saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | while read -r f; do keep_new "$f"; done)
    echo "$name: CRASH (exit $rc) after $execs execs; input: ${saved:-none}"
    grep -vE '^(#[0-9]+|INFO:|stat::)' "$log" | tail -n 80 | sed "s/^/  $name| /" >&2
    return 1
}

for bin in "$@"; do
    run_target "$bin" || failed=1
done
exit "$failed"
