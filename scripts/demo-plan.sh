#!/usr/bin/env bash
# demo-plan.sh -- the planning part of `make demo`: loads the sample data
# set (data/sample) into a temporary planning store and shows the menu open
# to Georgia, its programme, the exercises with their Vienna Document
# evaluation, the 2025 capability gaps, expenditure against the guidelines
# and the interoperability index.
set -euo pipefail
cd "$(dirname "$0")/.."
pn=${PN:-./partnernet}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
plan() { "$pn" plan "$@" --data "$dir" | sed 's/^/  /'; }

echo
echo "== Planning: the sample data set (data/sample; illustrative except expenditure) =="
plan import data/sample/*.json data/sample/*.csv
echo; echo "-- what Georgia may join in 2026 (eligibility from the registry on each start day)"
plan activities --open-to GEO --from 2026-01-01
echo; echo "-- Georgia's individual partnership programme"
plan programme GEO --cycle 2026
echo; echo "-- exercises against the Vienna Document 2011 thresholds"
plan exercises
echo; echo "-- one activity: 10,000 troops, notified 2026-03-25 for a 2026-05-01 start"
plan csbm --troops 10000 --start 2026-05-01 --notified 2026-03-25
echo; echo "-- capability gaps, cycle 2025 (ranked, trend against 2023)"
plan gaps --cycle 2025
echo; echo "-- defence expenditure 2025 (NATO estimates) against 2% and 3.5%"
plan expenditure --year 2025 | tee "$dir/expenditure"
n=$(sed -n -E 's/^ *\(([0-9]+) rows;.*/\1/p' "$dir/expenditure")
echo "  2025 lists only the ${n:-?} allies with published 2025 estimates (NATO, August 2025);"
echo "  the other allies' 2025 figures were not published, so they are absent, not failing."
echo; echo "-- interoperability, latest evaluation per unit"
plan interop
