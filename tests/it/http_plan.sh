#!/usr/bin/env bash
# http_plan.sh -- the planning endpoints (/v1/plan/..., src/http/planapi.c)
# against a real node whose data directory holds the sample data
# (data/sample) and one more activity labelled for allies only: every
# endpoint, the 400/401/403/404/405 errors, activity details shown only
# when decide() allows them for the caller, POST /v1/plan/exercises with
# 10,000 troops reaching a partner's MQTT subscriber on csbm/notifications,
# and the store reopened after a SIGHUP reload.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 mosquitto_sub || exit

it_tmp
T=$IT_TMP
D=$T/p
mkdir -p "$D"
P=$D/principals.json

principal op USA CTS --role operator
principal ukr UKR NC
principal aus AUS NC
principal pol POL NS
principal geo GEO NU
principal mng MNG NU
TOP=$(token op)
TGEO=$(token geo)
TUKR=$(token ukr)
TAUS=$(token aus)
TPOL=$(token pol)
TMNG=$(token mng)

ok "the sample planning data is imported" "$PN" plan import --data "$D" data/sample/*.json data/sample/*.csv
ok "an activity open to NATO and PfP whose details are for allies only" "$PN" plan activity propose \
    --data "$D" --code PFP-CRS-9001 --title 'Allies-only course' --kind course --organiser DEU \
    --open-to NATO,PFP --capacity 10 --start 2026-06-01 --end 2026-06-05 --by it --nation DEU \
    --label 'NATO UNCLASSIFIED REL TO NATO'
LONG=$(printf '%s,' ALB AUT BEL BGR CAN HRV CZE DNK EST FIN FRA DEU GRC HUN ISL ITA LVA LTU LUX MNE NLD MKD NOR POL PRT ROU SVK SVN ESP SWE TUR GBR USA ARM AZE GEO IRL KAZ KGZ MLT SRB CHE TJK TKM UKR AUS NZL JPN KOR BIH DZA)MDA
expect_err "a default label that would not fit is refused, never cut (MDA cut to MD would name a framework)" 2 \
    "too many codes for the default label" "$PN" plan activity propose --data "$D" --code PFP-CRS-9002 \
    --title 'Long list' --kind course --organiser DEU --open-to "$LONG" --capacity 10 --start 2026-06-01 \
    --end 2026-06-05 --by it --nation DEU
ok "it is chosen for GEO's 2026 programme" "$PN" plan programme GEO --cycle 2026 --add PFP-CRS-9001 --data "$D"
ok "the CLI shows GEO's programme as GEO may see it: that title withheld" bash -c \
    "'$PN' plan programme GEO --cycle 2026 --data '$D' | grep 'PFP-CRS-9001' | grep -q '(details withheld)'"

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-plan
_report $? "setup: node starts" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT

echo "# activities"
ACT="$U/v1/plan/activities?open_to=GEO&from=2026-01-01"
expect_http "activities open to GEO from 2026-01-01 (UKR caller)" 200 \
    'd["open_to"] == "GEO" and d["from"] == "2026-01-01" and d["count"] == len(d["instances"]) > 0 and all(i["start"] >= "2026-01-01" for i in d["instances"]) and "PFP-CRS-0101/2026-1" in [i["instance"] for i in d["instances"]]' \
    -- -H "$(A "$TUKR")" "$ACT"
expect_http "UKR may not see the allies-only activity: not listed, counted as withheld" 200 \
    '"PFP-CRS-9001" not in [i["instance"] for i in d["instances"]] and d["withheld"] == 1 and "Allies-only course" not in json.dumps(d)' \
    -- -H "$(A "$TUKR")" "$ACT"
expect_http "USA (an ally) sees it, with its label" 200 \
    '[i["label"] for i in d["instances"] if i["instance"] == "PFP-CRS-9001"] == ["NATO UNCLASSIFIED REL TO NATO"] and d["withheld"] == 0' \
    -- -H "$(A "$TOP")" "$ACT"
expect_http "decided for the caller, not open_to: AUS (PAG) sees only what is open to PAG" 200 \
    'all("PAG" in i["open_to"] for i in d["instances"]) and d["withheld"] > 0 and "PFP-CRS-0101/2026-1" not in [i["instance"] for i in d["instances"]]' \
    -- -H "$(A "$TAUS")" "$ACT"
expect_http "kind=course: only courses" 200 \
    'd["instances"] and all(i["kind"] == "course" for i in d["instances"])' \
    -- -H "$(A "$TUKR")" "$ACT&kind=course"
expect_http "limit=1: one instance, truncated, withheld still counted in full" 200 'd["count"] == 1 and d["truncated"] and d["withheld"] == 1' \
    -- -H "$(A "$TUKR")" "$ACT&limit=1"
expect_http "open_to is required: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TUKR")" "$U/v1/plan/activities"
expect_http "open_to=XYZ: 400 unknown_nation" 400 "$ERR'unknown_nation'" -- -H "$(A "$TUKR")" "$U/v1/plan/activities?open_to=XYZ"
expect_http "from=2026-02-30: 400 bad_date" 400 "$ERR'bad_date'" -- -H "$(A "$TUKR")" "$U/v1/plan/activities?open_to=GEO&from=2026-02-30"
expect_http "limit=0: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TUKR")" "$ACT&limit=0"
expect_http "no credentials: 401" 401 "$ERR'unauthorized'" -- "$ACT"
expect_http "unknown token: 401" 401 "$ERR'unauthorized'" -- -H "$(A pn_nope)" "$ACT"

echo "# programme"
expect_http "programme GEO 2026 (GEO itself): objectives, activities, progress" 200 \
    'd["nation"] == "GEO" and d["cycle"] == 2026 and d["objectives"] and d["activities"] and d["progress"]["activities"] == len(d["activities"]) and d["progress"]["registered"] == sum(a["registered"] for a in d["activities"])' \
    -- -H "$(A "$TGEO")" "$U/v1/plan/programme/GEO?cycle=2026"
expect_http "programme: an activity the caller (GEO, NU) may not see is listed without its details" 200 \
    '[(a["title"], a["withheld"]) for a in d["activities"] if a["instance"] == "PFP-CRS-9001"] == [(None, True)] and d["withheld"] == 1 and "Allies-only course" not in json.dumps(d)' \
    -- -H "$(A "$TGEO")" "$U/v1/plan/programme/GEO?cycle=2026"
expect_http "programme: an ally (USA) sees its title" 200 \
    '[a["title"] for a in d["activities"] if a["instance"] == "PFP-CRS-9001"] == ["Allies-only course"] and d["withheld"] == 0' \
    -- -H "$(A "$TOP")" "$U/v1/plan/programme/GEO?cycle=2026"
expect_http "programme geo (lower case) is GEO's" 200 'd["nation"] == "GEO"' -- -H "$(A "$TGEO")" "$U/v1/plan/programme/geo?cycle=2026"
expect_http "a cycle without a programme: empty" 200 'd["objectives"] == [] and d["activities"] == []' \
    -- -H "$(A "$TGEO")" "$U/v1/plan/programme/GEO?cycle=2019"
expect_http "another partner (UKR) may not read GEO's programme: 403" 403 "$ERR'forbidden'" \
    -- -H "$(A "$TUKR")" "$U/v1/plan/programme/GEO?cycle=2026"
expect_http "programme XYZ: 404 unknown_nation" 404 "$ERR'unknown_nation'" -- -H "$(A "$TUKR")" "$U/v1/plan/programme/XYZ?cycle=2026"
expect_http "programme without cycle: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TGEO")" "$U/v1/plan/programme/GEO"
expect_http "programme: 401 without credentials" 401 -- "$U/v1/plan/programme/GEO?cycle=2026"

echo "# CSBM"
csbm() { expect_http "$1" "$2" "$3" -- -H "$(A "$TUKR")" -H 'Content-Type: application/json' -d "$4" "$U/v1/plan/csbm"; }
csbm "9,000 troops, notified 4 days after the deadline: required, late" 200 \
    'd["notification"] == "required" and d["observation"] == "not required" and d["deadline"] == "2026-07-21" and d["status"] == "late" and d["days_late"] == 4' \
    '{"troops": 9000, "start": "2026-09-01", "notified": "2026-07-25"}'
csbm "8,999 troops: not required, no deadline" 200 \
    'd["notification"] == "not required" and "deadline" not in d' '{"troops": 8999, "start": "2026-09-01"}'
csbm "13,000 troops notified on the deadline: observation, on time" 200 \
    'd["observation"] == "required" and d["status"] == "on time" and d["days_late"] == 0' \
    '{"troops": 13000, "start": "2026-09-01", "notified": "2026-07-21"}'
csbm "3,000 airborne troops: required" 200 'd["notification"] == "required"' '{"troops": 3000, "airborne": true}'
csbm "a drop of 3,000 within 10,000: observation judged on the 3,000" 200 \
    'd["notification"] == "required" and d["observation"] == "not required"' '{"troops": 10000, "airborne": true, "landing": 3000}'
csbm "a landing of 3,500 within 8,000: observed" 200 \
    'd["observation"] == "required" and "amphibious landing 3500" in d["observation_because"]' '{"troops": 8000, "amphibious": true, "landing": 3500}'
csbm "landing above troops: 400 naming the field" 400 "\"'landing'\" in d['error']['message']" '{"troops": 10, "airborne": true, "landing": 11}'
csbm "no troops: 400 naming the field" 400 "$ERR'invalid_field' and \"'troops'\" in d['error']['message']" '{"tanks": 300}'
csbm "negative tanks: 400 naming the field" 400 "\"'tanks'\" in d['error']['message']" '{"troops": 1, "tanks": -1}'
csbm "notified without start: 400" 400 "\"'notified'\" in d['error']['message']" '{"troops": 1, "notified": "2026-01-01"}'
csbm "not JSON: 400 bad_json" 400 "$ERR'bad_json'" '{'
expect_http "csbm: 401 without credentials" 401 -- -d '{"troops": 1}' "$U/v1/plan/csbm"

echo "# exercises"
expect_http "exercises are released as their notifications are (REL TO OSCE): AUS (PAG, not OSCE) gets none, counted" 200 \
    'd["exercises"] == [] and d["withheld"] > 0 and d["label"] == "NATO UNCLASSIFIED REL TO OSCE"' \
    -- -H "$(A "$TAUS")" "$U/v1/plan/exercises"
expect_http "MNG (PAG and OSCE, not EAPC) gets them all" 200 \
    'len(d["exercises"]) == 5 and d["withheld"] == 0' -- -H "$(A "$TMNG")" "$U/v1/plan/exercises"
expect_http "the sample's airborne drop: 3,000 landing within 10,000, notified, not observed" 200 \
    '[(e["forces"]["troops"], e["forces"]["landing"], e["evaluation"]["notification"], e["evaluation"]["observation"]) for e in d["exercises"] if e["code"] == "SAMPLE-DROP-26"] == [(10000, 3000, "required", "not required")]' \
    -- -H "$(A "$TMNG")" "$U/v1/plan/exercises"
expect_http "exercises: the sample with their evaluation" 200 \
    '[e["evaluation"]["notification"] for e in d["exercises"] if e["code"] == "SAMPLE-NORTH-26"] == ["required"] and all("status" in e["evaluation"] for e in d["exercises"] if e["evaluation"]["notification"] == "required")' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/exercises"
expect_http "exercises from 2026-06-01: none starts earlier" 200 \
    'd["exercises"] and all(e["start"] >= "2026-06-01" for e in d["exercises"])' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/exercises?from=2026-06-01"
expect_http "exercises?from=never: 400 bad_date" 400 "$ERR'bad_date'" -- -H "$(A "$TUKR")" "$U/v1/plan/exercises?from=never"
expect_http "DELETE /v1/plan/exercises: 405, Allow: GET, POST" 405 "'allow: get, post' in h" -- -X DELETE -H "$(A "$TUKR")" "$U/v1/plan/exercises"

EX='{"code": "EX-HTTP-1", "name": "HTTP exercise", "start": "2026-10-05", "end": "2026-10-09", "host": "POL", "troops": 10000}'
exadd() { expect_http "$1" "$2" "$3" -- -H "$(A "$4")" -d "$5" "$U/v1/plan/exercises"; }
exadd "POST exercises as a non-operator (POL): 403" 403 "$ERR'forbidden'" "$TPOL" "$EX"
expect_http "POST exercises without credentials: 401" 401 -- -d "$EX" "$U/v1/plan/exercises"
exadd "POST exercises without troops: 400 naming the field" 400 "$ERR'invalid_field' and \"'troops'\" in d['error']['message']" "$TOP" \
    '{"code": "EX-HTTP-2", "name": "x", "start": "2026-10-05", "end": "2026-10-09", "host": "POL"}'
exadd "POST exercises with an unknown host: 400 naming the field" 400 "\"'host'\" in d['error']['message']" "$TOP" \
    '{"code": "EX-HTTP-2", "name": "x", "start": "2026-10-05", "end": "2026-10-09", "host": "XYZ", "troops": 1}'
exadd "POST exercises ending before it starts: 400 naming the field" 400 "\"'end'\" in d['error']['message']" "$TOP" \
    '{"code": "EX-HTTP-2", "name": "x", "start": "2026-10-05", "end": "2026-10-01", "host": "POL", "troops": 1}'
exadd "POST exercises with a bad date: 400 naming the field" 400 "\"'start'\" in d['error']['message']" "$TOP" \
    '{"code": "EX-HTTP-2", "name": "x", "start": "soon", "end": "2026-10-01", "host": "POL", "troops": 1}'
expect_http "nothing of the refused exercises was stored" 200 \
    '"EX-HTTP-2" not in [e["code"] for e in d["exercises"]]' -- -H "$(A "$TUKR")" "$U/v1/plan/exercises"

echo "# a 10,000-troop exercise recorded over HTTP reaches a partner's subscriber"
wait_until 10 bash -c "'$PN' plan outbox --data '$D' | grep -qx '0 pending'"
_report $? "the node has published the sample's notifications first"
sub_bg "$T/sub.out" -V 5 -h 127.0.0.1 -p "$PORT" -u ukr -P pw-ukr -i partner-ukr -q 1 -t 'csbm/#' -F 'MSG %t [%P] %p'
_report $? "a UKR subscriber on csbm/# (SUBACK)"
exadd "POST exercises with 10,000 troops: 201, notification required and queued" 201 \
    'd["code"] == "EX-HTTP-1" and d["forces"]["troops"] == 10000 and d["evaluation"]["notification"] == "required" and d["evaluation"]["deadline"] == "2026-08-24" and d["evaluation"]["status"] == "not notified" and d["notification_queued"] and d["topic"] == "csbm/notifications" and d["label"] == "NATO UNCLASSIFIED REL TO OSCE"' \
    "$TOP" "$EX"
wait_until 20 grep -q 'EX-HTTP-1' "$T/sub.out"
_report $? "the partner receives the notification" "$(head -c 600 "$T/sub.out")"
got=$(grep '^MSG .*EX-HTTP-1' "$T/sub.out")
ok "on csbm/notifications" grep -q '^MSG csbm/notifications ' <<<"$got"
ok "labelled NATO UNCLASSIFIED REL TO OSCE" grep -qF 'label:NATO UNCLASSIFIED REL TO OSCE' <<<"$got"
ok "with the troops" grep -qF '"troops":10000' <<<"$got"
expect_http "GET exercises lists it" 200 '[e["forces"]["troops"] for e in d["exercises"] if e["code"] == "EX-HTTP-1"] == [10000]' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/exercises"
exadd "the same exercise again: 201, no second notification" 201 'not d["notification_queued"]' "$TOP" "$EX"

echo "# gaps, expenditure, interoperability"
expect_http "gaps 2025 POL: POL's rows, ranked by gap" 200 \
    'd["gaps"] and all(g["nation"] == "POL" and g["cycle"] == 2025 for g in d["gaps"]) and [g["rank"] for g in d["gaps"]] == list(range(1, len(d["gaps"]) + 1)) and [g["gap"] for g in d["gaps"]] == sorted([g["gap"] for g in d["gaps"]], reverse=True)' \
    -- -H "$(A "$TPOL")" "$U/v1/plan/gaps?cycle=2025&nation=POL"
expect_http "gaps 2025: alliance rows (ALL) and a trend against 2023" 200 \
    '"ALL" in [g["nation"] for g in d["gaps"]] and any(g.get("previous_cycle") == 2023 for g in d["gaps"])' \
    -- -H "$(A "$TPOL")" "$U/v1/plan/gaps?cycle=2025"
expect_http "capability targets and gaps are for allies: a partner (UKR) gets 403" 403 "$ERR'forbidden'" \
    -- -H "$(A "$TUKR")" "$U/v1/plan/gaps?cycle=2025"
expect_http "gaps without cycle: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TUKR")" "$U/v1/plan/gaps"
expect_http "gaps nation=XYZ: 400 unknown_nation" 400 "$ERR'unknown_nation'" -- -H "$(A "$TUKR")" "$U/v1/plan/gaps?cycle=2025&nation=XYZ"
# Expected from the input file itself (decimal text, not the response's
# numbers) and from the NATO report it cites (23 of 31 allies at 2 % in 2024).
EXP2024=$(grep -v '^#' data/sample/expenditure.csv | awk -F, '$2 == 2024 { printf "%s\"%s\": [%s, \"%s\"]", n++ ? ", " : "{", $1, $3, ($3 >= 2.0 ? "met" : "below") } END { print "}" }')
expect_http "expenditure 2024: every ally of the file with its share and met/below 2 % as the file says" 200 \
    "{s['nation']: [s['pct_gdp'], s['wales_2pct']] for s in d['expenditure']} == $EXP2024 and all(s['year'] == 2024 for s in d['expenditure']) and d['guidelines']['wales_2014_pct'] == 2.0" \
    -- -H "$(A "$TUKR")" "$U/v1/plan/expenditure?year=2024"
expect_http "expenditure 2024 (hand-written): 23 of 31 at 2 %; POL 4.12 met, DEU 2.12 met, CAN 1.37 below, ESP 1.28 below" 200 \
    "len(d['expenditure']) == 31 and sum(s['wales_2pct'] == 'met' for s in d['expenditure']) == 23 and {s['nation']: s['wales_2pct'] for s in d['expenditure'] if s['nation'] in ('POL', 'DEU', 'CAN', 'ESP')} == {'POL': 'met', 'DEU': 'met', 'CAN': 'below', 'ESP': 'below'}" \
    -- -H "$(A "$TUKR")" "$U/v1/plan/expenditure?year=2024"
expect_http "expenditure POL: every year of one nation" 200 \
    'len(d["expenditure"]) > 1 and all(s["nation"] == "POL" for s in d["expenditure"])' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/expenditure?nation=POL"
expect_http "expenditure year=20x4: 400" 400 "$ERR'bad_request'" -- -H "$(A "$TUKR")" "$U/v1/plan/expenditure?year=20x4"
expect_http "interop (an ally): units and nations" 200 'd["units"] and d["nations"] and all(0 <= u["index"] <= 100 for u in d["units"]) and d["withheld"] == 0' \
    -- -H "$(A "$TPOL")" "$U/v1/plan/interop"
expect_http "interop (UKR): only UKR's own evaluations, the others withheld" 200 \
    'd["units"] and all(u["nation"] == "UKR" for u in d["units"]) and [n["nation"] for n in d["nations"]] == ["UKR"] and d["withheld"] > 0' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/interop"
expect_http "interop nation=UKR: UKR's units and index only" 200 \
    'd["units"] and all(u["nation"] == "UKR" for u in d["units"]) and [n["nation"] for n in d["nations"]] == ["UKR"]' \
    -- -H "$(A "$TUKR")" "$U/v1/plan/interop?nation=UKR"
expect_http "interop nation=XYZ: 400" 400 "$ERR'unknown_nation'" -- -H "$(A "$TUKR")" "$U/v1/plan/interop?nation=XYZ"
expect_http "expenditure: 401 without credentials" 401 -- "$U/v1/plan/expenditure"

echo "# reload"
kill -HUP "$SRV_PID"
wait_until 10 grep -q 'reload' "$SRV_LOG"
expect_http "after a SIGHUP reload the store is opened again" 200 'd["count"] > 0' -- -H "$(A "$TUKR")" "$ACT"
srv_stop
_report $? "setup: SIGTERM: the node stops cleanly (exit 0)"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
