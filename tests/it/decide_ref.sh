#!/usr/bin/env bash
# decide_ref.sh -- decide() against an independent reference: a Python
# reading of the registry JSON files ($PARTNERNET_REGISTRY) and the XML-SPIF policy with its own date
# arithmetic (tests/it/lib/decide_ref.py), compared with `partnernet decide
# --batch` on a hand-written table (one or more cases per rule), on every
# date the registry names with the day before and after, and on random
# days.  The seed is random and printed; DECIDE_REF_SEED=N repeats a run.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need python3 || exit

tap_run python3 tests/it/lib/decide_ref.py "$PARTNERNET_REGISTRY" data/policy/nato-spif.xml \
    "${DECIDE_REF_SEED:-$RANDOM$RANDOM}" "${DECIDE_REF_CASES:-6000}"

echo "# decide --batch itself"
expect_out "one answer per line, with the reason code" "allow
deny not_yet_member: framework membership not yet valid on that date (SWE in NATO from 2024-03-07)" \
    bash -c "printf 'nation=SWE,clearance=NS\tNATO SECRET REL TO NATO\t2024-03-07\nnation=SWE,clearance=NS\tNATO SECRET REL TO NATO\t2024-03-06\n' | '$PN' decide --batch"
out=$(printf 'nation=SWE\tNATO SECRET\t2024-03-07\nx\nnation=SWE,clearance=NS\tNATO SECRET\t2024-02-30\nnation=SWE,clearance=NS\tNATO SECRET\t2024-03-07\n' | "$PN" decide --batch 2>&1)
rc=$?
expect_out "a bad line answers 'error: ...' in its place, the others are decided, exit 2" "2
error: invalid principal: principal has no clearance
error: expected PRINCIPAL<TAB>LABEL<TAB>DATE
error: bad date '2024-02-30'
allow" printf '%s\n%s' "$rc" "$out"

done_testing
