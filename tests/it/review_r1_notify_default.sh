#!/usr/bin/env bash
# review_r1_notify_default.sh -- (review r1) the topic-default conflict
# check (defaultDisagrees, exchange.c) also applies to the node's own CSBM
# notices (exchangePublishOwn): with a [topic csbm/#] default label (e.g.
# for 3.1.1 readers) every notice is refused as ambiguous, retried every
# second with an audit row each time, and -- publishPending stops at the
# first refusal -- blocks every later notice for good.  Expected: the
# notice is published (or refused once, and the ones after it still go).
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh
it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
P=$D/principals.json
principal pub USA NS
printf "[node]\nname = hq\n\n[topic csbm/#]\nlabel = NATO UNCLASSIFIED\n" >"$T/n.conf"
srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http off
_report $? "setup: node starts with a [topic csbm/#] default label" "$(cat "$SRV_LOG")"
for i in 1 2; do
    "$PN" plan exercise add --data "$D" --code "EX-D$i" --name "D$i" --start 2026-09-0$i \
        --end 2026-09-05 --host POL --troops 10000 >/dev/null
done
ok "setup: two notices queued" bash -c "'$PN' plan outbox --data '$D' | grep -qx '2 pending'"
ok "the notices are published (the outbox empties)" wait_until 6 bash -c \
    "'$PN' plan outbox --data '$D' | grep -qx '0 pending'"
grep 'plan outbox' "$SRV_LOG" | head -2 | sed 's/^/# /'
ok "the node is still up" srv_alive
done_testing
