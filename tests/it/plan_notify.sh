#!/usr/bin/env bash
# plan_notify.sh -- end to end (issue 6): a node started with --data DIR, a
# partner's subscriber (UKR, NATO UNCLASSIFIED clearance) on csbm/#, then
# `partnernet plan exercise add --data DIR` with 10,000 troops: the node
# drains DIR/plan.db's outbox and publishes the Vienna Document notification
# on csbm/notifications labelled NATO UNCLASSIFIED REL TO OSCE (the Vienna
# Document's audience), and the partner receives it -- as does Mongolia's
# subscriber, an OSCE participating State outside EAPC; the outbox is then
# empty and `plan exercises` shows the day it was published as the day
# notified.
#
# The node's side is src/plan/notify.c (once a second).
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

it_tmp
D=$IT_TMP
echo pw-ukr | $PN principal add olena --nation UKR --clearance NU --password-stdin \
    --principals "$D/principals.json" >/dev/null
echo pw-mng | $PN principal add bold --nation MNG --clearance NU --password-stdin \
    --principals "$D/principals.json" >/dev/null

srv_start "$D/var" --mqtt 127.0.0.1:@PORT@ --http off --principals "$D/principals.json"
_report $? "setup: node starts with --data"

stdbuf -oL mosquitto_sub -V 5 -h 127.0.0.1 -p "$PORT" -u olena -P pw-ukr -i partner-ukr -q 1 -t 'csbm/#' \
    -C 1 -W 20 -d -F 'GOT %t [%P] %p' >"$D/sub.out" 2>"$D/sub.err" &
SUB=$!
stdbuf -oL mosquitto_sub -V 5 -h 127.0.0.1 -p "$PORT" -u bold -P pw-mng -i partner-mng -q 1 -t 'csbm/#' \
    -C 1 -W 20 -d -F 'GOT %t [%P] %p' >"$D/mng.out" 2>"$D/mng.err" &
MSUB=$!
IT_PIDS+=("$SUB" "$MSUB")
# wait for the subscriptions to be acknowledged (an event, bounded at 10 s)
for _ in $(seq 100); do grep -q SUBACK "$D/sub.out" && grep -q SUBACK "$D/mng.out" && break; sleep 0.1; done
ok "the partners' subscriptions are acknowledged" bash -c "grep -q SUBACK '$D/sub.out' && grep -q SUBACK '$D/mng.out'"

ok "plan exercise add with 10,000 troops" "$PN" plan exercise add --data "$D/var" --code EX-IT-1 \
    --name 'Integration exercise' --start 2026-09-01 --end 2026-09-05 --host POL --troops 10000
wait "$SUB"
ok "the partner's subscriber exited after one message" test $? -eq 0
got=$(grep '^GOT ' "$D/sub.out")
ok "it arrived on csbm/notifications" grep -q '^GOT csbm/notifications ' <<<"$got"
ok "labelled NATO UNCLASSIFIED REL TO OSCE" grep -qF '[label:NATO UNCLASSIFIED REL TO OSCE' <<<"$got"
wait "$MSUB"
ok "Mongolia's subscriber (OSCE, not EAPC) received it too" grep -q '^GOT csbm/notifications .*"exercise":"EX-IT-1"' "$D/mng.out"
ok "the payload names the exercise and its troops" bash -c "grep -qF '\"exercise\":\"EX-IT-1\"' <<<'$got' && grep -qF '\"troops\":10000' <<<'$got'"
for _ in $(seq 100); do "$PN" plan outbox --data "$D/var" | grep -qx '0 pending' && break; sleep 0.1; done
expect_out "the node marked it done" "0 pending" bash -c "set -o pipefail; '$PN' plan outbox --data '$D/var' | tail -1"
# issue #21: the publication is the notification -- plan exercises shows its day
today=$(date -u +%F)
expect_has "plan exercises shows the day the node published it" "EX-IT-1 .* $today (on time|late)\$" \
    "$PN" plan exercises --data "$D/var"
srv_stop
_report $? "setup: node shuts down cleanly"
ok "no sanitizer report" srv_clean_log
done_testing
