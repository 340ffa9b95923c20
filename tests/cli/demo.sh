#!/usr/bin/env bash
# demo.sh -- `make demo` reads right for the staff officers it is for: no
# compiler output unless the build fails, a legend for the clearance
# abbreviations, no programmer language, ISO 8601 times, the capability
# gaps' alliance totals apart from the national ranks, and what the 2025
# expenditure table leaves out.  Runs scripts/demo.sh (what `make demo`
# runs) with the program under test, on free ports.
source "$(dirname "$0")/../lib.sh"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# 1. The build step: quiet when it works, everything when it fails
# ($MAKE stands in for make: one build that works, one that fails).
printf '#!/bin/sh\necho "  CC      src/x.c"\n' >"$dir/make-ok"
printf '#!/bin/sh\necho "  CC      src/x.c"\necho "src/x.c:1: error: boom" >&2\nexit 2\n' >"$dir/make-fail"
chmod +x "$dir/make-ok" "$dir/make-fail"
expect_out "a build that works prints nothing" "" env MAKE="$dir/make-ok" scripts/demo.sh --build-only
expect_err "a failing build shows its output and fails" 2 "src/x.c:1: error: boom" \
    env MAKE="$dir/make-fail" scripts/demo.sh --build-only

# 2. The demo itself.
PN=$PN MAKE=true scripts/demo.sh >"$dir/out" 2>&1
rc=$?
ok "the demo runs (exit 0)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -n 20 "$dir/out" | sed 's/^/#   /'
for ab in 'NU +NATO UNCLASSIFIED' 'NR +NATO RESTRICTED' 'NC +NATO CONFIDENTIAL' 'NS +NATO SECRET' \
    'CTS +COSMIC TOP SECRET'; do
    expect_has "the legend explains ${ab%% *}" "^ +$ab\$" cat "$dir/out"
done
expect_no "no programmer language (decide(), decided by)" 'decide\(|decided by' cat "$dir/out"
expect_no "no raw Unix times (time:1796447899)" '(^|[^0-9])1[0-9]{9}([^0-9]|$)' cat "$dir/out"
expect_has "the subscriber's line shows an ISO 8601 time" \
    'olena received .*20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' cat "$dir/out"
sed -n '/^-- capability gaps/,/^$/p' "$dir/out" >"$dir/gaps"
expect_no "the national ranking has no ALL rows" '^ +[0-9]+ +ALL ' cat "$dir/gaps"
expect_has "the alliance totals stand apart under their own heading" '^ +alliance totals' cat "$dir/gaps"
expect_has "the GBAD-BTY alliance total is there, unranked" '^ +GBAD-BTY +40 +31 +26 +14 ' cat "$dir/gaps"
expect_has "2025 expenditure: says only the allies with published estimates are listed" \
    'only the [0-9]+ allies with published 2025 estimates' cat "$dir/out"
expect_has "the node demo says which free ports it picked" 'listens for MQTT on 127\.0\.0\.1:[0-9]+ and HTTP on 127\.0\.0\.1:[0-9]+' cat "$dir/out"
ok "no sanitizer report" no_sanitizer_report
done_testing
