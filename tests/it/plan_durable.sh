#!/usr/bin/env bash
# plan_durable.sh -- what the planning API acknowledged is kept: an exercise
# recorded over HTTP (201) is in the store after the node is killed with
# SIGKILL the moment the answer arrives, every time (20 rounds, each one
# read back with `partnernet plan exercises` and by the restarted node).
#
# SIGKILL keeps the kernel's page cache, so this proves the commit happened
# before the answer; that the commit is on the disk itself when acknowledged
# (synchronous=FULL, for a power cut) is asserted in test_plan_store.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl python3 || exit

it_tmp
T=$IT_TMP
D=$T/data
mkdir -p "$D"
P=$D/principals.json
principal op USA CTS --role operator
TOP=$(token op)
ROUNDS=20

srv_start "$D" --node hq --principals "$P" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@
_report $? "setup: the node starts"
acked=0 kept=0 seen=0
for ((i = 1; i <= ROUNDS; i++)); do
    body="{\"code\": \"EX-KILL-$i\", \"name\": \"Kill $i\", \"start\": \"2026-10-05\", \"end\": \"2026-10-09\", \"host\": \"POL\", \"troops\": 100}"
    st=$(curl -s -o "$T/body" -w '%{http_code}' -H "$(A "$TOP")" -d "$body" \
        "http://127.0.0.1:$HTTPPORT/v1/plan/exercises")
    srv_kill9
    [ "$st" = 201 ] && acked=$((acked + 1))
    "$PN" plan exercises --data "$D" | grep -q "EX-KILL-$i\b" && kept=$((kept + 1))
    srv_restart || break
    curl -s -H "$(A "$TOP")" "http://127.0.0.1:$HTTPPORT/v1/plan/exercises" |
        grep -q "\"EX-KILL-$i\"" && seen=$((seen + 1))
done
expect_out "every POST was answered 201" "$ROUNDS" echo "$acked"
expect_out "every acknowledged exercise is in the store after kill -9" "$ROUNDS" echo "$kept"
expect_out "and the restarted node serves it" "$ROUNDS" echo "$seen"
expect_out "no exercise was recorded twice" "$ROUNDS" \
    bash -c "'$PN' plan exercises --data '$D' | grep -c 'EX-KILL-'"
srv_stop
_report $? "setup: SIGTERM: the node stops cleanly (exit 0)"
ok "no sanitizer report in the node's logs" srv_clean_log
done_testing
