#!/usr/bin/env bash
# registry_agreements.sh -- security agreements from the operator's side:
# the shipped registry lists only sourced ones, `registry agreements
# --missing` shows the partners without one, and `registry agreement add`
# records an agreement the operator holds in a site file of the registry
# directory, after which releases above NATO UNCLASSIFIED reach that partner
# from the agreement's date on (and not before).
. "$(dirname "$0")/../lib.sh"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
REG=$T/registry
cp -r data/registry "$REG"
R=(--registry "$REG")
SITE=$REG/site-agreements.json

echo "# the shipped registry"
expect_has "agreements: the NATO-EU agreement of 2003-03-14 with its source" \
    '^NATO-EU-SECURITY +NATO, EU +2003-03-14 +\.\. +open +NATO Press Release \(2003\)022' \
    "$PN" --registry data/registry registry agreements
expect_no "agreements: nothing illustrative, no Pakistan" 'illustrative|PAK' \
    "$PN" --registry data/registry registry agreements
expect_has "--missing lists Georgia, a partner without a public agreement" '^GEO +Georgia +ASPIRANTS, DCB, EAPC, EOP, NGC, OSCE, PFP$' \
    "$PN" --registry data/registry registry agreements --missing --at 2026-11-23
expect_no "--missing leaves out partners with one (JPN, UKR), allies (SWE) and non-partners (CHN)" \
    '^(JPN|UKR|SWE|CHN) ' "$PN" --registry data/registry registry agreements --missing --at 2026-11-23
expect_has "--missing the day before Ukraine's arrangements of 2016-09-28 lists Ukraine" '^UKR +Ukraine +ASPIRANTS, EAPC, OSCE, PFP$' \
    "$PN" --registry data/registry registry agreements --missing --at 2016-09-27
expect_no "... and not on that day" '^UKR ' \
    "$PN" --registry data/registry registry agreements --missing --at 2016-09-28
expect_out "without an agreement GEO is refused NATO CONFIDENTIAL, the reason naming it" \
    "deny: no security agreement (GEO has none with NATO on that date)" \
    "$PN" "${R[@]}" decide --principal nation=GEO,clearance=NC --label 'NATO CONFIDENTIAL REL TO GEO' --at 2026-11-23

echo "# recording an agreement the operator holds"
expect_out "add writes the site file" \
    "added security agreement SITE-NATO-GEO-2024-02-01 (NATO, GEO from 2024-02-01) to $SITE" \
    "$PN" "${R[@]}" registry agreement add geo --from 2024-02-01 --source 'exchange of letters held by the national security authority, ref. 12/34'
ok "the site file is a registry agreements file with the source" python3 -c "
import json, sys
d = json.load(open('$SITE'))
a = d['agreements']
assert d['sources'] and len(a) == 1, d
assert a[0]['parties'] == ['NATO', 'GEO'] and a[0]['from'] == '2024-02-01' and a[0]['type'] == 'security', a
assert 'ref. 12/34' in a[0]['source'], a"
expect_out "GEO now receives NATO CONFIDENTIAL from the agreement's date" "allow" \
    "$PN" "${R[@]}" decide --principal nation=GEO,clearance=NC --label 'NATO CONFIDENTIAL REL TO GEO' --at 2024-02-01
expect_out "... and not the day before" "deny: no security agreement (GEO has none with NATO on that date)" \
    "$PN" "${R[@]}" decide --principal nation=GEO,clearance=NC --label 'NATO CONFIDENTIAL REL TO GEO' --at 2024-01-31
expect_no "--missing no longer lists GEO" '^GEO ' "$PN" "${R[@]}" registry agreements --missing --at 2026-11-23
expect_has "agreements lists it with its source" '^SITE-NATO-GEO-2024-02-01 +NATO, GEO +2024-02-01 +\.\. +open +exchange of letters' \
    "$PN" "${R[@]}" registry agreements
expect_out "a second one with an end date is appended" \
    "added security agreement SITE-NATO-MDA-2020-01-01 (NATO, MDA from 2020-01-01 to 2030-01-01) to $SITE" \
    "$PN" "${R[@]}" registry agreement add MDA --from 2020-01-01 --to 2030-01-01 --source 'site register entry 7'
expect_out "MDA refused after the end date" "deny: no security agreement (MDA has none with NATO on that date)" \
    "$PN" "${R[@]}" decide --principal nation=MDA,clearance=NR --label 'NATO RESTRICTED REL TO MDA' --at 2030-01-01
ok "both are in the site file" python3 -c "
import json
assert [a['id'] for a in json.load(open('$SITE'))['agreements']] == ['SITE-NATO-GEO-2024-02-01', 'SITE-NATO-MDA-2020-01-01']"

echo "# refusals: exit 2 with a sentence, the site file unchanged"
cp "$SITE" "$T/before"
expect_err "no --source" 2 "--source is required" "$PN" "${R[@]}" registry agreement add ARM --from 2020-01-01
expect_err "an empty --source" 2 "--source is required" "$PN" "${R[@]}" registry agreement add ARM --from 2020-01-01 --source ' '
expect_err "no --from" 2 "--from is required" "$PN" "${R[@]}" registry agreement add ARM --source x
expect_err "a bad date" 2 "'2020-02-30' is not a YYYY-MM-DD date" "$PN" "${R[@]}" registry agreement add ARM --from 2020-02-30 --source x
expect_err "--to not after --from" 2 "--to must be after --from" "$PN" "${R[@]}" registry agreement add ARM --from 2020-01-01 --to 2020-01-01 --source x
expect_err "an unknown nation" 2 "unknown nation 'XYZ'" "$PN" "${R[@]}" registry agreement add XYZ --from 2020-01-01 --source x
expect_err "a framework is not a party" 2 "'PFP' is a framework or community" "$PN" "${R[@]}" registry agreement add PFP --from 2020-01-01 --source x
expect_err "the policy owner itself" 2 "NATO is the policy owner" "$PN" "${R[@]}" registry agreement add NATO --from 2020-01-01 --source x
expect_err "the same agreement twice" 2 "SITE-NATO-GEO-2024-02-01 is already recorded" \
    "$PN" "${R[@]}" registry agreement add GEO --from 2024-02-01 --source x
expect_err "an unknown subcommand" 2 "unknown agreement subcommand 'remove'" "$PN" "${R[@]}" registry agreement remove GEO
ok "the site file is unchanged by the refusals" cmp "$SITE" "$T/before"
mkdir -p "$T/ro" && cp -r data/registry/. "$T/ro/" && echo '{"oops": 1}' >"$T/ro/site-agreements.json"
expect_err "a site file that is not an agreements file is not overwritten" 2 "site-agreements.json" \
    "$PN" --registry "$T/ro" registry agreement add GEO --from 2024-02-01 --source x
ok "... and left as it was" grep -qx '{"oops": 1}' "$T/ro/site-agreements.json"
done_testing
