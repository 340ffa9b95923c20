#!/usr/bin/env bash
# plan.sh -- `partnernet plan`: import of the sample data, the listings and
# reports with their exact lines, the workflow through the CLI (exit 1 for
# a refused registration), CSBM evaluation, and errors (exit 2 with one
# sentence; import errors with file:line:field and nothing of the file kept).
. "$(dirname "$0")/../lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d="$tmp/var"
plan() { "$PN" plan "$@" --data "$d"; }

# ---- CSBM (no store needed) -------------------------------------------------
expect_out "csbm at 9000 troops" "notification: required
observation: not required
notification because: troops 9000 >= 9000 (para. 40.1.1)" "$PN" plan csbm --troops 9000
expect_out "csbm one below" "notification: not required
observation: not required" "$PN" plan csbm --troops 8999
expect_out "csbm observation at 13000 with dates, on time" "notification: required
observation: required
notification because: troops 13000 >= 9000 (para. 40.1.1)
observation because: troops 13000 >= 13000 (para. 47.4)
deadline: 2026-03-20 (42 days before the start)
notified 2026-03-20: on time" "$PN" plan csbm --troops 13000 --start 2026-05-01 --notified 2026-03-20
ok "csbm late by one day" bash -c "set -o pipefail; '$PN' plan csbm --troops 100 --tanks 250 --start 2026-05-01 --notified 2026-03-21 | grep -x 'notified 2026-03-21: late (1 day after the deadline)'"
ok "csbm airborne 3000" bash -c "set -o pipefail; '$PN' plan csbm --troops 3000 --airborne | grep -x 'notification: required'"
ok "csbm amphibious 3500 observed" bash -c "set -o pipefail; '$PN' plan csbm --troops 3500 --amphibious | grep -x 'observation: required'"
# paras. 40.2.1 / 47.5 count the troops that land or drop (--landing)
expect_out "csbm: a drop of 3,000 within 10,000 troops is judged on the 3,000 (not observed)" "notification: required
observation: not required
notification because: troops 10000 >= 9000 (para. 40.1.1)" "$PN" plan csbm --troops 10000 --airborne --landing 3000
expect_out "csbm: a drop of 3,500 within 10,000 is observed" "notification: required
observation: required
notification because: troops 10000 >= 9000 (para. 40.1.1)
observation because: airborne landing 3500 >= 3500 (para. 47.5)" "$PN" plan csbm --troops 10000 --airborne --landing 3500
expect_out "csbm: an amphibious landing of 2,999 within 8,000 is not notifiable" "notification: not required
observation: not required" "$PN" plan csbm --troops 8000 --amphibious --landing 2999
ok "csbm: ... of 3,000 is" bash -c "set -o pipefail; '$PN' plan csbm --troops 8000 --amphibious --landing 3000 | grep -x 'notification because: amphibious landing 3000 >= 3000 (para. 40.2.1)'"
expect_err "csbm: --landing above --troops" 2 "--landing 3001 is more than --troops 3000" "$PN" plan csbm --troops 3000 --airborne --landing 3001
expect_err "csbm: --landing not a number" 2 "option --landing: 'x' is not a whole number >= 0" "$PN" plan csbm --troops 3000 --landing x
expect_err "csbm without troops" 2 "partnernet plan csbm: --troops N is needed" "$PN" plan csbm
expect_err "csbm bad number" 2 "option --troops: 'many' is not a whole number >= 0" "$PN" plan csbm --troops many
expect_err "csbm bad date" 2 "option --start: '2026-02-30' is not a date (YYYY-MM-DD)" "$PN" plan csbm --troops 1 --start 2026-02-30
expect_err "unknown subcommand" 2 "partnernet plan: unknown subcommand 'fly'" "$PN" plan fly
expect_err "unknown option" 2 "partnernet plan gaps: unknown option '--colour'" "$PN" plan gaps --cycle 2025 --colour red
ok "help plan lists the subcommands" bash -c "set -o pipefail; '$PN' help plan | grep 'fairshare --requirement'"
expect_no "help plan: exercises and outbox on lines of their own" 'exercises \[--from DATE\] +outbox' "$PN" plan --help
expect_has "help plan: outbox has its own line" '^  outbox ' "$PN" plan --help
expect_has "help plan documents --at" 'activity .*--at ' "$PN" plan --help
expect_has "plan activity --help: its own usage" '^usage: partnernet plan activity ' "$PN" plan activity --help
expect_no "plan activity --help: not the gaps line" '^  gaps ' "$PN" plan activity --help
expect_has "plan gaps --help: its own usage" '^usage: partnernet plan gaps ' "$PN" plan gaps --help
expect_no "plan gaps --help: not the activity lines" 'activity propose' "$PN" plan gaps --help

# ---- import -----------------------------------------------------------------
ok "import the sample" plan import data/sample/cooperation.json data/sample/exercises.json \
    data/sample/capability.json data/sample/expenditure.csv data/sample/gdp.csv data/sample/interop.csv
expect_has "import data/sample/* as its README documents it" 'imported 16 records from data/sample/exercises.json' \
    "$PN" plan import data/sample/* --data "$tmp/glob"
expect_has "import notes the file it skips" 'skipped data/sample/README.md' "$PN" plan import data/sample/README.md data/sample/gdp.csv --data "$tmp/skip"
expect_err "import of nothing but skipped files is an error" 2 "no .json or .csv FILE" "$PN" plan import data/sample/README.md --data "$tmp/skip2"
ok "and it leaves no store behind" test ! -e "$tmp/skip2"
printf 'exercise,nation,troops,tanks,acv,artillery,sorties\nSAMPLE-CPX-26,SWE,10,0,0,0,0\nSAMPLE-CPX-26,FIN,lots,0,0,0,0\n' >"$tmp/x.csv"
expect_err "import error: file, line, field" 2 "partnernet plan import: $tmp/x.csv:3: field 'troops': not a number ('lots')" plan import "$tmp/x.csv"
expect_no "nothing of the bad file kept" '^SAMPLE-CPX-26,SWE' "$PN" plan export --format csv --kind contributions --data "$d"
printf '{\n "gdp": [\n  {"nation": "SWE", "year": 2024, "gdp_musd": 1},\n  {"nation": "XYZ", "year": 2024, "gdp_musd": 1}\n ]\n}\n' >"$tmp/g.json"
expect_err "json import error: line of the object" 2 "$tmp/g.json:4: field 'nation': unknown nation 'XYZ'" plan import "$tmp/g.json"
printf 'code,title,kind,organiser,open_to,capacity,label\nPFP-CRS-%s,Long code,course,DEU,NATO,10,\n' "$(printf 'X%.0s' $(seq 40))" >"$tmp/long.csv"
expect_err "a code longer than its field is refused, never cut (a cut code could replace another record)" 2 \
    "$tmp/long.csv:2: field 'code': longer than 31 bytes" plan import "$tmp/long.csv"
expect_err "import a missing file" 2 "partnernet plan import: $tmp/none.csv: No such file or directory" plan import "$tmp/none.csv"
expect_err "import without files" 2 "name at least one FILE" plan import

# ---- activities and programmes ----------------------------------------------
expect_out "activities open to GEO from 2026-01-01" "7" bash -c "set -o pipefail; '$PN' plan activities --open-to GEO --from 2026-01-01 --data '$d' | grep -c '^2026-'"
ok "JOR sees the MD seminar but not the PfP course" bash -c "out=\$('$PN' plan activities --open-to JOR --data '$d'); grep -q MD-SEM-0701 <<<\"\$out\" && ! grep -q PFP-CRS-0101 <<<\"\$out\""
ok "FIN in 2023: the course starting the day it joined NATO is listed" bash -c "set -o pipefail; '$PN' plan activities --open-to FIN --from 2023-01-01 --data '$d' | grep 'NATO-CRS-0601/2023-1'"
expect_err "activities for an unknown nation" 2 "unknown nation 'XYZ'" plan activities --open-to XYZ
ok "propose an allies-only labelled activity open to partners" plan activity propose --code L-1 --title 'Allied planning conference' \
    --kind seminar --organiser BEL --open-to NATO,PFP --capacity 50 --instance L-1/1 --start 2026-11-02 --end 2026-11-03 \
    --label 'NATO RESTRICTED' --by bert --nation BEL
ok "GEO is eligible but does not see its details" bash -c "set -o pipefail; '$PN' plan activities --open-to GEO --from 2026-01-01 --data '$d' | tail -1 | grep -x '(7 instances open to GEO; 1 more whose details are not releasable to GEO)'"
ok "an ally sees it" bash -c "set -o pipefail; '$PN' plan activities --open-to SWE --clearance NR --from 2026-11-01 --data '$d' | grep 'L-1/1'"
expect_rc "show refuses details to a nation that may not see them" 1 plan activity show L-1/1 --nation GEO
expect_out "show's refusal says why" "refused: the details of L-1/1 are not releasable to GEO (clearance too low (GEO holds NATO UNCLASSIFIED))" plan activity show L-1/1 --nation GEO
expect_err "propose with an invalid label" 2 "invalid label" plan activity propose --code L-2 --title x --kind seminar --organiser BEL \
    --open-to NATO --capacity 5 --start 2026-11-02 --end 2026-11-03 --label 'NATO SECRET REL TO PFP' --by bert --nation BEL
ok "programme GEO 2026 progress" bash -c "set -o pipefail; '$PN' plan programme GEO --cycle 2026 --data '$d' | grep -x 'progress: 3 of 4 activities registered, 2 attended, 1 with feedback'"
expect_err "programme needs a cycle" 2 "--cycle YEAR is needed" plan programme GEO
expect_out "programme: add an objective" "objective added to MDA's 2026 programme" plan programme MDA --cycle 2026 --objective 'Demining capacity'
expect_out "programme: choose an activity" "PFP-CAP-0501/2026-1 added to MDA's 2026 programme" plan programme mda --cycle 2026 --add PFP-CAP-0501/2026-1
expect_err "programme: an activity the partner may not join" 2 "field 'nation': MDA is not eligible on 2026-10-06: open to NATO,MD only" plan programme MDA --cycle 2026 --add MD-SEM-0701/2026-1
ok "programme MDA shows both" bash -c "set -o pipefail; '$PN' plan programme MDA --cycle 2026 --data '$d' | grep -x 'progress: 1 of 1 activities registered, 0 attended, 0 with feedback'"

# ---- the workflow ------------------------------------------------------------
ok "propose" plan activity propose --code T-1 --title 'Test course' --kind course --organiser SWE \
    --open-to NATO --capacity 1 --instance T-1/1 --start 2024-03-07 --end 2024-03-08 --by sven --nation SWE
expect_err "approve needs --by" 2 "approve needs --by NAME" plan activity approve T-1/1
expect_err "invite before approval" 2 "cannot invite 'T-1/1': it is proposed, not approved" plan activity invite T-1/1 --by hq
ok "approve" plan activity approve T-1/1 --by hq
ok "invite" bash -c "set -o pipefail; '$PN' plan activity invite T-1/1 --by hq --data '$d' | grep -x 'invited 32 eligible nations to T-1/1'"
expect_out "register SWE on its accession day" "registered: Lt A (SWE) registered for 'T-1/1' (1 of 1 places)" plan activity register T-1/1 --nation SWE --participant 'Lt A' --by clerk
expect_out "over capacity: waitlisted" "waitlisted: 'T-1/1' is full (1 of 1 places): Lt B is on the waiting list" plan activity register T-1/1 --nation NOR --participant 'Lt B' --by clerk
expect_rc "a partner is refused with exit 1" 1 plan activity register T-1/1 --nation GEO --participant 'Lt C' --by clerk
expect_out "the refusal says why" "refused: GEO is not eligible on 2024-03-07: open to NATO only" plan activity register T-1/1 --nation GEO --participant 'Lt C' --by clerk
ok "propose a future course" plan activity propose --code T-2 --title 'Later course' --kind course --organiser SWE \
    --open-to NATO --capacity 5 --instance T-2/1 --start 2030-03-07 --end 2030-03-08 --by sven --nation SWE --at 2026-01-01
ok "approve it" plan activity approve T-2/1 --by hq --at 2026-01-02
ok "invite" plan activity invite T-2/1 --by hq --at 2026-01-02
ok "register SWE" plan activity register T-2/1 --nation SWE --participant 'Lt D' --by clerk --at 2026-01-03
expect_err "attend before the start is refused with the start date" 2 "'T-2/1' starts on 2030-03-07: attendance is recorded from then on" \
    plan activity attend T-2/1 --nation SWE --by clerk --at 2030-03-06T23:59:59Z
expect_out "attend on the first day" "1 participant of SWE attended T-2/1" plan activity attend T-2/1 --nation SWE --by clerk --at 2030-03-07
expect_err "feedback before attendance" 2 "had no participant" plan activity feedback T-1/1 --nation GEO --text x --by y
ok "workflow shows who and when" bash -c "set -o pipefail; '$PN' plan activity show T-1/1 --data '$d' | grep -E '^  [0-9T:-]+Z  approved +-  +hq'"
ok "shown to SWE: its own registration, not NOR's (participants are other nations' business)" bash -c \
    "out=\$('$PN' plan activity show T-1/1 --nation SWE --clearance NR --data '$d'); grep -q 'Lt A' <<<\"\$out\" && ! grep -q 'Lt B' <<<\"\$out\" && grep -qE 'approved +-' <<<\"\$out\""

# ---- exercises and the outbox ------------------------------------------------
ok "exercise add 10,000 troops queues a notification" bash -c "set -o pipefail; '$PN' plan exercise add --code EX-T --name Test --start 2026-06-01 --end 2026-06-05 --host POL --troops 10000 --data '$d' | grep -x 'notification queued for csbm/notifications (NATO UNCLASSIFIED REL TO OSCE)'"
ok "outbox holds it" bash -c "set -o pipefail; '$PN' plan outbox --data '$d' | grep -x '5 pending'"
ok "exercise add --landing stores the nation's landing count" bash -c "set -o pipefail; '$PN' plan exercise add --code EX-L --name Drop --start 2026-06-01 --end 2026-06-05 --host POL --troops 10000 --airborne --landing 3000 --data '$d' >/dev/null && '$PN' plan export --format csv --kind contributions --data '$d' | grep -x 'EX-L,POL,10000,0,0,0,0,3000'"
expect_err "exercise add --landing above --troops" 2 "--landing 10001 is more than --troops 10000" plan exercise add --code EX-L --name Drop --start 2026-06-01 --end 2026-06-05 --host POL --troops 10000 --airborne --landing 10001
ok "exercises list" bash -c "set -o pipefail; '$PN' plan exercises --data '$d' | grep -E '^2026-06-01 .*EX-T .*10000 .*required +not required +2026-04-20 +not notified$'"
ok "a second nation's contribution without --place" plan exercise add --code EX-T --name Test --start 2026-06-01 --end 2026-06-05 --host POL --nation DEU --troops 5 --place Drawsko
ok "and another without --place" plan exercise add --code EX-T --name Test --start 2026-06-01 --end 2026-06-05 --host POL --nation LTU --troops 5
expect_has "the place given earlier is kept" "^EX-T,Test,2026-06-01,2026-06-05,Drawsko," plan export --format csv --kind exercises
expect_err "exercise add without host" 2 "exercise add needs --host" plan exercise add --code E --name N --start 2026-01-01 --end 2026-01-02 --troops 1
expect_err "exercise end before start" 2 "field 'end': 2026-01-01 is before the start 2026-01-02" plan exercise add --code E --name N --start 2026-01-02 --end 2026-01-01 --host POL --troops 1

# ---- capability, expenditure, interop ----------------------------------------
expect_has "gaps without --cycle uses the latest cycle in the store" '^ +1  DEU +GBAD-BTY +18 +12 +9 +9  \+3 vs 2023 \(worse\)$' plan gaps
ok "gaps table ranks DEU first" bash -c "set -o pipefail; '$PN' plan gaps --cycle 2025 --data '$d' | sed -n 2p | grep -E '^ +1  DEU +GBAD-BTY +18 +12 +9 +9  \+3 vs 2023 \(worse\)$'"
expect_out "gaps csv for POL" "rank,nation,area,cycle,target,held,ready,gap,previous_cycle,previous_gap
1,POL,GBAD-BTY,2025,16,13,11,5,2023,5
2,POL,ENG-BN,2025,7,7,7,0,2023,1" plan gaps --cycle 2025 --nation POL --format csv
ok "gaps json" bash -c "set -o pipefail; '$PN' plan gaps --cycle 2025 --nation pol --format json --data '$d' | grep '\"gap\": 5'"
expect_err "gaps bad format" 2 "--format is table, csv or json, not 'xml'" plan gaps --cycle 2025 --format xml
ok "fairshare sums to the requirement" bash -c "set -o pipefail; '$PN' plan fairshare --requirement 1000 --year 2024 --floor 2 --framework NATO --data '$d' | tail -1 | grep -x 'total 1000 of 1000 over 32 nations (GDP 2024, floor 2, largest remainder)'"
expect_err "fairshare floor too high" 2 "more than the requirement" plan fairshare --requirement 10 --year 2024 --floor 1
ok "fairshare with targets" bash -c "set -o pipefail; '$PN' plan fairshare --requirement 40 --year 2024 --area GBAD-BTY --cycle 2025 --data '$d' | grep -E '^DEU .* 18 +\+'"
ok "expenditure 2025: POL first" bash -c "set -o pipefail; '$PN' plan expenditure --year 2025 --data '$d' | sed -n 2p | grep -E '^POL +2025 +4.48% +met +\+0.98 +estimate$'"
ok "expenditure 2014: below the guideline" bash -c "set -o pipefail; '$PN' plan expenditure --year 2014 --nation deu --data '$d' | grep -E '^DEU +2014 +1.19% +below'"
ok "interop trend for GEO" bash -c "set -o pipefail; '$PN' plan interop --nation GEO --data '$d' | grep -E '^GEO 1st Infantry Bde HQ +GEO +2026-05-20 +5 +3 +2 +0 +80.0 +\+30.0'"
ok "interop per nation" bash -c "set -o pipefail; '$PN' plan interop --nations --data '$d' | grep -E '^MDA +1 +62.5 +first$'"
expect_err "interop record bad result" 2 "field 'result': 'great' is not met, partly or not_met" plan interop record --unit U --nation GEO --date 2026-01-01 --evaluator E --area comms --item a --result great

# ---- export ------------------------------------------------------------------
ok "export json re-imports into an empty store" bash -c "set -o pipefail; '$PN' plan export --data '$d' > '$tmp/all.json' && '$PN' plan import '$tmp/all.json' --data '$tmp/copy' >/dev/null && '$PN' plan export --data '$tmp/copy' | cmp -s - '$tmp/all.json'"
expect_err "export csv needs a kind" 2 "--format csv needs --kind KIND" plan export --format csv
expect_err "export unknown kind" 2 "unknown kind 'people'" plan export --format csv --kind people

done_testing
