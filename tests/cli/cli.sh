#!/usr/bin/env bash
# cli.sh -- the partnernet command as a user meets it: outputs, exit codes
# (0 yes, 1 deny, 2 usage/input error) and one-sentence errors.
. "$(dirname "$0")/../lib.sh"

# version and help
expect_out "--version" "partnernet 0.1.0" "$PN" --version
ok "--help lists the commands" bash -c "set -o pipefail; '$PN' --help | grep 'registry'"
ok "help decide prints its usage" bash -c "set -o pipefail; '$PN' help decide | grep -- '--principal'"
ok "decide --help prints its usage" bash -c "set -o pipefail; '$PN' decide --help | grep -- '--principal'"
expect_err "unknown command exits 2" 2 "unknown command 'frobnicate'" "$PN" frobnicate
expect_err "no command exits 2" 2 "usage:" "$PN"
expect_err "help for unknown command" 2 "unknown command 'nope'" "$PN" help nope

# registry
expect_out "NATO members on 2022-06-01" "30" "$PN" registry members NATO --at 2022-06-01 --count
expect_out "NATO members on 2024-04-01" "32" "$PN" registry members nato --at 2024-04-01 --count
ok "members are sorted codes, one per line" bash -c \
    "set -o pipefail; out=\$('$PN' registry members NATO --at 2024-04-01); [ \"\$out\" = \"\$(printf '%s\n' \"\$out\" | sort)\" ] && [ \$(printf '%s\n' \"\$out\" | wc -l) -eq 32 ] && printf '%s\n' \"\$out\" | grep -x SWE"
expect_no "FIN absent before accession" '^FIN$' "$PN" registry members NATO --at 2023-04-03
expect_has "FIN present on its accession day" '^FIN$' "$PN" registry members NATO --at 2023-04-04
ok "show SWE lists NATO with its date" bash -c "set -o pipefail; '$PN' registry show SWE | grep -E '^  NATO +member since 2024-03-07'"
ok "show SWE records leaving PfP" bash -c "set -o pipefail; '$PN' registry show swe | grep -E '^  PFP +1994-05-09 .. 2024-03-07'"
ok "frameworks lists NATO with 32" bash -c "set -o pipefail; '$PN' registry frameworks --at 2026-11-23 | grep -E '^NATO +32 '"
expect_err "unknown code exits 2" 2 "unknown nation or framework 'XYZ'" "$PN" registry show XYZ
expect_err "unknown framework exits 2" 2 "unknown nation or framework 'XYZ'" "$PN" registry members XYZ
expect_err "bad date exits 2" 2 "is not a date" "$PN" registry members NATO --at 2023-02-30
expect_err "missing registry dir" 2 "cannot load the registry" "$PN" --registry /nonexistent registry frameworks

# decide
expect_out "SWE before accession" "deny: framework membership not yet valid on that date (SWE in NATO from 2024-03-07)" \
    "$PN" decide --principal nation=SWE,clearance=NS --label 'NATO SECRET REL TO NATO' --at 2023-06-01
expect_rc "deny exits 1" 1 "$PN" decide --principal nation=SWE,clearance=NS --label 'NATO SECRET REL TO NATO' --at 2023-06-01
expect_out "SWE after accession" "allow" \
    "$PN" decide --principal nation=SWE,clearance=NS --label 'NATO SECRET REL TO NATO' --at 2024-06-01
expect_out "clearance too low" "deny: clearance too low (USA holds NATO CONFIDENTIAL)" \
    "$PN" decide --principal nation=USA,clearance=NC --label 'NATO SECRET' --at 2026-01-01
expect_out "label from stdin" "allow" bash -c \
    "echo 'NATO CONFIDENTIAL REL TO USA, GBR, UKR' | '$PN' decide --principal nation=UKR,clearance=NC --at 2026-01-01"
expect_err "bad principal exits 2" 2 "unknown nation or framework 'XYZ'" \
    "$PN" decide --principal nation=XYZ,clearance=NS --label 'NATO SECRET'
expect_err "bad label exits 2" 2 "invalid label: unknown nation or framework 'XYZ'" \
    "$PN" decide --principal nation=SWE,clearance=NS --label 'NATO SECRET REL TO XYZ'
expect_err "missing principal exits 2" 2 "missing --principal" "$PN" decide --label 'NATO SECRET'

# label
expect_out "marking canonical form" "NATO SECRET REL TO SWE, FIN" \
    "$PN" label convert --to marking --label 'nato secret releasable to swe/fin'
ok "marking -> xml -> marking" bash -c \
    "set -o pipefail; '$PN' label convert --to xml --label 'NATO CONFIDENTIAL REL TO USA, GBR, UKR' | '$PN' label convert --to marking | grep -x 'NATO CONFIDENTIAL REL TO USA, GBR, UKR'"
ok "xml output carries the 4774 namespace" bash -c \
    "set -o pipefail; '$PN' label convert --to xml --label 'NATO SECRET' | grep 'urn:nato:stanag:4774:confidentialitymetadatalabel:1:0'"
expect_out "validate ok" "valid: NATO SECRET REL TO NATO, SWE" "$PN" label validate --label 'NATO SECRET REL TO NATO, SWE'
expect_err "validate refuses excluded value" 2 "value 'PFP' of category 'Releasable To' is not allowed at NATO SECRET" \
    "$PN" label validate --label 'NATO SECRET REL TO PFP'
expect_err "validate reads stdin" 2 "unknown classification" bash -c "set -o pipefail; echo 'TOP DOG' | '$PN' label validate"
expect_err "convert needs --to" 2 "convert needs --to xml or --to marking" "$PN" label convert --label 'NATO SECRET'
ok "explain counts allies plus named partner" bash -c \
    "set -o pipefail; '$PN' label explain --at 2026-11-23 --label 'NATO CONFIDENTIAL REL TO NATO, UKR' | grep 'releasable on 2026-11-23 to 34 nations and organisations'"
ok "explain says why UKR" bash -c \
    "set -o pipefail; '$PN' label explain --at 2026-11-23 --label 'NATO CONFIDENTIAL REL TO NATO, UKR' | grep -E '^  UKR +Ukraine +named'"
ok "explain lists refused partners with the reason" bash -c \
    "set -o pipefail; '$PN' label explain --at 2026-11-23 --label 'NATO UNCLASSIFIED REL TO PFP' | grep -E '^  RUS .*no longer valid'"

# demo
ok "demo runs and shows decisions" bash -c "set -o pipefail; '$PN' demo | grep 'may not: framework membership not yet valid'"

done_testing
