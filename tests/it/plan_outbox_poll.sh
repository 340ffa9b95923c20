#!/usr/bin/env bash
# plan_outbox_poll.sh -- a notification queued over HTTP is published and
# marked done while an operator polls `plan outbox` (a separate process).
#
# The node holds two connections to DATA/plan.db: the outbox drain (opened
# on the first tick) and the HTTP planning API (opened on the first planning
# request).  Opening the second must not drop the first one's POSIX locks
# (closing any descriptor of a file drops all of a process's locks on it):
# without them a `plan outbox` run takes the database as the last user,
# checkpoints and removes the write-ahead log under the node, and the
# node's "done" stays invisible -- the notice looks pending for ever.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need curl || exit

it_tmp
T=$IT_TMP
D=$T/p
mkdir -p "$D"
P=$D/principals.json
principal op USA CTS --role operator
TOP=$(token op)

srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --node it-outbox
_report $? "setup: node starts with --data and --http" "$(cat "$SRV_LOG")"
U=http://127.0.0.1:$HTTPPORT
# the outbox drain opens (and creates) plan.db on the node's first tick
setup "the node's outbox drain opened plan.db" wait_until 10 test -e "$D/plan.db"
expect_http "an exercise of 10,000 troops queued over HTTP" 201 'd["notification_queued"]' -- \
    -H "$(A "$TOP")" -d '{"code": "EX-POLL-1", "name": "Polled", "start": "2026-10-05", "end": "2026-10-09", "host": "POL", "troops": 10000}' \
    "$U/v1/plan/exercises"
ok "polled with plan outbox, it is marked done (within 10 s)" \
    wait_until 10 bash -c "'$PN' plan outbox --data '$D' | grep -qx '0 pending'"
expect_has "plan exercises shows the day it was published" "EX-POLL-1 .* $(date -u +%F) (on time|late)\$" \
    "$PN" plan exercises --data "$D"
srv_stop; rc=$?
_report $rc "setup: the node stops" "exit $rc: $(tail -5 "$SRV_LOG")"
ok "no sanitizer report" srv_clean_log
done_testing
