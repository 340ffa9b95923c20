#!/usr/bin/env bash
# leak.sh -- zero leaks, zero misses: 27 principals of mixed nations,
# clearances, communities and caveats each subscribe to '#'; one publisher
# sends LEAK_MESSAGES (default 100,000) QoS 1 messages with random labels
# drawn from ~200 valid labels; every subscriber's received set must equal
# exactly the set the reference allows, and every delivery must carry the
# canonical label.  The client is tests/it/leak.c (see its header for the
# reference decision); registry facts and canonical labels come from the
# data files (tests/it/lib/leak_facts.py), not from the binary, and the
# reference is checked against `partnernet decide` on a sample of
# (principal, label) pairs.
#
# The node under test is $PN (the ASan build in `make check`).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

MESSAGES=${LEAK_MESSAGES:-100000}
SEED=${LEAK_SEED:-$(date +%s)}
LEAK=build/rel/it/leak
[ -x "$LEAK" ] || make --no-print-directory "$LEAK" >/dev/null
it_tmp
D=$IT_TMP
echo "# seed $SEED, $MESSAGES messages (LEAK_SEED / LEAK_MESSAGES to change)"

# ---- principals: NAME NATION CLEARANCE CAVEATS COIS ---------------------------
# Allies (old and new members), PfP, MD, ICI and PAG partners, a former PAG
# partner (AFG), a former PfP partner (RUS), nations without any framework or
# agreement (CHN, IND); communities held by nation (UKR in SAMPLE-NORTH)
# and by assignment (JPN, NOR, CHN).
PRINCIPALS="us1 USA CTS ATOMAL,CRYPTO,BOHEMIA -
gb1 GBR NS ATOMAL -
de1 DEU NC - -
fr1 FRA NR - -
no1 NOR NS - SAMPLE-EAST
pl1 POL NU - -
tr1 TUR NS CRYPTO -
se1 SWE NS - -
fi1 FIN NC BOHEMIA -
ua1 UKR NS - SAMPLE-NORTH
ge1 GEO NC - -
at1 AUT NS CRYPTO -
ch1 CHE NR - -
ie1 IRL NU - -
eg1 EGY NC - -
il1 ISR NS ATOMAL -
ma1 MAR NU - -
ae1 ARE NS - -
kw1 KWT NR - -
jp1 JPN NS - SAMPLE-EAST
au1 AUS CTS ATOMAL,CRYPTO -
kr1 KOR NC - -
co1 COL NU - -
af1 AFG NU - -
cn1 CHN NS CRYPTO SAMPLE-NORTH
in1 IND NC - -
ru1 RUS NU - -"

clr_num() { case $1 in NU) echo 0 ;; NR) echo 1 ;; NC) echo 2 ;; NS) echo 3 ;; CTS) echo 4 ;; esac; }
facts=$D/facts.tsv
: >"$facts"
nations=()
while read -r name nat clr cav coi; do
    args=(principal add "$name" --nation "$nat" --clearance "$clr" --password-stdin --principals "$D/principals.json")
    [ "$cav" != - ] && args+=(--caveat "$cav")
    [ "$coi" != - ] && args+=(--coi "$coi")
    echo "pw-$name" | $PN "${args[@]}" >/dev/null || echo "# principal add $name failed"
    printf 'P\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "pw-$name" "$nat" "$(clr_num "$clr")" "${cav//,/ }" "${coi//,/ }" >>"$facts"
    nations+=("$nat")
done <<<"$PRINCIPALS"
echo pw-pub | $PN principal add pub --nation USA --clearance CTS --caveat ATOMAL,CRYPTO,BOHEMIA --password-stdin \
    --principals "$D/principals.json" >/dev/null
printf 'U\tpub\tpw-pub\n' >>"$facts"
ok "27 subscriber principals and a publisher created" test "$(grep -c '"name"' "$D/principals.json")" -eq 28

# ---- registry facts for the reference ------------------------------------------
# Read from $PARTNERNET_REGISTRY (shipped and sample registry) by tests/it/lib/leak_facts.py, not asked of $PN.
today=$(date -u +%F)
python3 tests/it/lib/leak_facts.py groups "$PARTNERNET_REGISTRY" "$today" "${nations[@]}" >>"$facts"
ok "registry facts read from the registry files (NATO members today include USA and SWE)" \
    grep -qE '^G	NATO	f	1	.*\bSWE\b.*\bUSA\b' "$facts"

# ---- labels: ~200 valid labels, some in lower case (the node must canonicalise) --
RANDOM=4774
CLS=("NATO UNCLASSIFIED" "NATO RESTRICTED" "NATO CONFIDENTIAL" "NATO SECRET" "COSMIC TOP SECRET")
REL_ANY=(NATO EU SAMPLE-NORTH SAMPLE-EAST USA GBR DEU NOR SWE FIN UKR GEO AUT CHE IRL EGY ISR MAR ARE
    KWT JPN AUS KOR COL AFG CHN IND RUS NZL SRB)
REL_NU=(EAPC PFP MD ICI PAG)
cands=$D/candidates
{
    # The sentinel the client needs: releasable to every subscriber.
    echo "NATO UNCLASSIFIED REL TO $(printf '%s\n' "${nations[@]}" | sort -u | paste -sd, | sed 's/,/, /g')"
    for i in $(seq 230); do
        r=$((RANDOM % 10))
        c=$((r < 3 ? 0 : r < 5 ? 1 : r < 7 ? 2 : r < 9 ? 3 : 4))
        l=${CLS[$c]}
        if [ "$c" -ge 1 ] && [ $((RANDOM % 4)) -eq 0 ]; then
            cav=()
            [ "$c" -ge 2 ] && [ $((RANDOM % 2)) -eq 0 ] && cav+=(ATOMAL)
            [ $((RANDOM % 2)) -eq 0 ] && cav+=(CRYPTO)
            [ $((RANDOM % 3)) -eq 0 ] && cav+=(BOHEMIA)
            [ ${#cav[@]} -gt 0 ] && l="$l ${cav[*]}"
        fi
        [ $((RANDOM % 8)) -eq 0 ] && l="$l EXERCISE"
        nrel=$((RANDOM % 5))
        if [ "$nrel" -gt 0 ]; then
            rel=()
            for _ in $(seq "$nrel"); do
                if [ "$c" -eq 0 ] && [ $((RANDOM % 3)) -eq 0 ]; then rel+=("${REL_NU[$((RANDOM % ${#REL_NU[@]}))]}")
                else rel+=("${REL_ANY[$((RANDOM % ${#REL_ANY[@]}))]}"); fi
            done
            l="$l REL TO $(printf '%s\n' "${rel[@]}" | paste -sd, | sed 's/,/, /g')"
        fi
        [ $((RANDOM % 7)) -eq 0 ] && l=${l,,}
        echo "$l"
    done
} >"$cands"
# Canonical forms written by tests/it/lib/leak_facts.py from the policy file
# (not by $PN), then compared with `label convert` (two at a time; the ASan
# build takes ~30 ms a call).
python3 tests/it/lib/leak_facts.py labels "$PARTNERNET_REGISTRY" data/policy/nato-spif.xml 200 <"$cands" >"$D/labels.tsv"
cat "$D/labels.tsv" >>"$facts"
cut -f2,3 "$D/labels.tsv" | xargs -P 2 -d '\n' -n 1 bash -c '
    l=${1%%$'"'"'\t'"'"'*}; want=${1#*$'"'"'\t'"'"'}
    c=$("$0" label convert --to marking --label "$l" 2>&1)
    [ "$c" = "$want" ] || printf "%s: label convert %s, expected %s\n" "$l" "$c" "$want"' "$PN" >"$D/canon.diff"
ok "label convert gives the canonical form written in the test, for every label" test ! -s "$D/canon.diff"
[ -s "$D/canon.diff" ] && head -10 "$D/canon.diff" | sed 's/^/#   /'
nlab=$(wc -l <"$D/labels.tsv")
ok "$nlab distinct valid labels (want >= 150) from $(wc -l <"$cands") candidates" test "$nlab" -ge 150
ok "the sentinel label (releasable to every subscriber) is valid" grep -q "^L	NATO UNCLASSIFIED REL TO AFG," "$D/labels.tsv"

# ---- the reference, checked against `partnernet decide` on a sample --------------
"$LEAK" "$facts" --matrix >"$D/matrix" 2>"$D/matrix.err"
ok "reference matrix computed" test "$(wc -l <"$D/matrix")" -eq 27
allows=$(cut -d' ' -f2 "$D/matrix" | tr -d '0\n' | wc -c)
echo "# reference allows $allows of $((27 * nlab)) (principal, label) pairs"
# Sample: every label once (with principals in turn), and for every principal
# 4 labels the reference allows and 4 it denies.
mapfile -t labs < <(cut -f3 "$D/labels.tsv")
mapfile -t rows < <(cut -d' ' -f2 "$D/matrix")
pairs=$D/pairs
: >"$pairs"
specs=()
while read -r name nat clr cav coi; do
    spec="nation=$nat,clearance=$clr"
    [ "$cav" != - ] && spec="$spec,caveat=${cav//,/+}"
    [ "$coi" != - ] && spec="$spec,coi=${coi//,/+}"
    specs+=("$name $spec")
done <<<"$PRINCIPALS"
for ((k = 0; k < nlab; k++)); do
    pi=$((k % 27))
    printf '%s\t%s\t%s\t%s\n' "${specs[$pi]% *}" "${specs[$pi]#* }" "${rows[$pi]:k:1}" "${labs[$k]}" >>"$pairs"
done
for ((pi = 0; pi < 27; pi++)); do
    name=${specs[$pi]% *} spec=${specs[$pi]#* } row=${rows[$pi]}
    # 8 labels per principal: 4 the reference allows (if any), 4 it denies.
    al=() dn=()
    for ((k = 0; k < nlab; k++)); do [ "${row:k:1}" = 1 ] && al+=("$k") || dn+=("$k"); done
    for pick in 1 2 3 4; do
        [ ${#al[@]} -gt 0 ] && k=${al[$((RANDOM % ${#al[@]}))]} && printf '%s\t%s\t%s\t%s\n' "$name" "$spec" "${row:k:1}" "${labs[$k]}" >>"$pairs"
        [ ${#dn[@]} -gt 0 ] && k=${dn[$((RANDOM % ${#dn[@]}))]} && printf '%s\t%s\t%s\t%s\n' "$name" "$spec" "${row:k:1}" "${labs[$k]}" >>"$pairs"
    done
done
xargs -P 2 -d '\n' -n 1 bash -c '
    IFS=$'"'"'\t'"'"' read -r name spec want label <<<"$1"
    got=0; "$0" decide --principal "$spec" --label "$label" >/dev/null 2>&1 && got=1
    [ "$got" = "$want" ] || printf "%s (%s) label %s: reference %s, partnernet decide %s\n" "$name" "$spec" "$label" "$want" "$got"' \
    "$PN" <"$pairs" >"$D/disagree"
ok "reference agrees with partnernet decide on $(wc -l <"$pairs") sampled pairs" test ! -s "$D/disagree"
[ -s "$D/disagree" ] && head -20 "$D/disagree" | sed 's/^/#   /'

# ---- the node ---------------------------------------------------------------------
srv_start "$D/node" --mqtt 127.0.0.1:@PORT@ --http off --principals "$D/principals.json"
_report $? "setup: node starts on a free port"
t0=$(date +%s.%N)
timeout 150 "$LEAK" "$facts" 127.0.0.1 "$PORT" "$MESSAGES" "$SEED" >"$D/leak.out" 2>"$D/leak.err"
rc=$?
t1=$(date +%s.%N)
sed 's/^/# /' "$D/leak.out"
[ -s "$D/leak.err" ] && sed 's/^/# stderr: /' "$D/leak.err"
echo "# client ran $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s, exit $rc"
total=$(grep '^total ' "$D/leak.out")
field() { sed -n "s/.* $1 \([^ ]*\).*/\1/p" <<<"$total"; }
ok "client ran to completion (exit $rc)" test "$rc" -eq 0
ok "$MESSAGES messages (and the sentinel) published and acknowledged, none refused" \
    test "$(field published)" = $((MESSAGES + 1)) -a "$(field acked)" = $((MESSAGES + 1)) -a "$(field refused)" = 0
ok "every subscriber received the sentinel" test "$(field sentinel)" = ok
ok "zero leaks (deliveries the reference denies)" test "$(field leaks)" = 0
ok "zero misses (allowed messages not delivered)" test "$(field misses)" = 0
ok "deliveries = allowed ($(field deliveries) of $(field allowed)) and no duplicates" \
    test "$(field deliveries)" = "$(field allowed)" -a "$(field dups)" = 0
ok "every delivery carries one 'label' user property equal to the canonical label" test "$(field badlabel)" = 0
ok "every payload intact" test "$(field corrupt)" = 0
ok "the mix is meaningful: every subscriber allowed some messages, at least 20 denied some" \
    awk '$1 == "sub" { for (i = 1; i < NF; i++) if ($i == "allowed") a = $(i + 1)
        if (a == 0) bad = 1; if (a < '"$MESSAGES"') denied++ } END { exit bad || denied < 20 }' "$D/leak.out"

srv_stop
src=$?
ok "setup: node shuts down cleanly on SIGTERM (exit $src)" test "$src" -eq 0
ok "no sanitizer report from the node" srv_clean_log
grep -E 'Sanitizer|runtime error' -A 15 "${SRV_LOGS[@]}" | head -40 | sed 's/^/#   /'
done_testing
