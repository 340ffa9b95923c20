#!/usr/bin/env bash
# ops_readable.sh -- readable CLI output: "did you mean" for marking words
# and nation names, audit filters that list their valid values, log payloads
# shown as text.
. "$(dirname "$0")/../lib.sh"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# 1. "did you mean" in markings: the wrong word, and what was probably meant
expect_err "misspelt classification: points at the wrong word" 2 \
    "unknown classification at 'SEKRET' (did you mean 'NATO SECRET'?)" \
    "$PN" label validate --label 'NATO SEKRET REL TO NATO'
expect_err "nation name in caps in a release list: its code" 2 \
    "unknown nation or framework 'SWEDEN' (did you mean 'SWE'?)" \
    "$PN" label validate --label 'NATO SECRET REL TO NATO, SWEDEN'
expect_err "nation name in mixed case: its code" 2 "(did you mean 'SWE'?)" \
    "$PN" label validate --label 'NATO SECRET REL TO NATO, Sweden'
expect_err "two-word nation name: read whole, its code" 2 \
    "unknown nation or framework 'UNITED KINGDOM' (did you mean 'GBR'?)" \
    "$PN" label validate --label 'NATO SECRET REL TO NATO, United Kingdom'
expect_err "misspelt caveat: the caveat" 2 "unknown marking element 'ATOMALL' (did you mean 'ATOMAL'?)" \
    "$PN" label validate --label 'NATO SECRET ATOMALL REL TO NATO'
ok "no code near: refused (exit 2), no suggestion" bash -c \
    "out=\$('$PN' label validate --label 'NATO SECRET REL TO QQQQQQQQ' 2>&1); [ \$? -eq 2 ] && ! grep -q 'did you mean' <<<\"\$out\""

# 2. nation names where codes are expected
expect_err "principal add --nation SWEDEN: its code" 2 "unknown nation or framework 'SWEDEN' (did you mean 'SWE'?)" \
    "$PN" principal add bob --nation SWEDEN --clearance NS --no-credential --principals "$dir/p.json"
expect_err "registry show Georgia: its code" 2 "(did you mean 'GEO'?)" "$PN" registry show Georgia
setup "a plan store" "$PN" plan import data/sample/cooperation.json --data "$dir/plan"
expect_err "plan activities --open-to Georgia: its code" 2 "unknown nation 'Georgia' (did you mean 'GEO'?)" \
    "$PN" plan activities --open-to Georgia --data "$dir/plan"

# 3. audit filters name their valid values; --help documents each kind
expect_err "audit --kind bogus: exit 2 listing the kinds" 2 \
    "unknown kind 'bogus' (one of: publish_refused, delivery_refused, released," \
    "$PN" audit --kind bogus --data "$dir"
expect_err "audit --reason bogus: exit 2 listing the reasons" 2 \
    "unknown reason 'bogus' (one of: clearance, caveat, not_releasable," \
    "$PN" audit --reason bogus --data "$dir"
kinds=$("$PN" audit --kind bogus 2>&1 | sed -n "s/.*(one of: \(.*\))$/\1/p" | tr -d ,)
reasons=$("$PN" audit --reason bogus 2>&1 | sed -n "s/.*(one of: \(.*\))$/\1/p" | tr -d ,)
help=$("$PN" audit --help)
missing=""
for k in $kinds; do grep -qE "^  $k +[a-z]" <<<"$help" || missing="$missing $k"; done
_report "$([ -n "$kinds" ] && [ -z "$missing" ] && echo 0 || echo 1)" \
    "audit --help explains every kind" "kinds: '$kinds'; not in --help:$missing"
missing=""
for r in $reasons; do grep -qw "$r" <<<"$(sed -n '/^Reasons/,$p' <<<"$help")" || missing="$missing $r"; done
_report "$([ -n "$reasons" ] && [ -z "$missing" ] && echo 0 || echo 1)" \
    "audit --help lists every reason" "reasons: '$reasons'; not in --help:$missing"
expect_has "audit --help says which refused deliveries are recorded" \
    "live deliveries refused to other subscribers" "$PN" audit --help

done_testing
