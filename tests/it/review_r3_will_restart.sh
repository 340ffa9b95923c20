#!/usr/bin/env bash
# review_r3_will_restart.sh -- (review r3) a delayed will (Will Delay
# Interval) lives only in memory (exchange.c PendingWill, exchangeDelayWill;
# exchange.h says "a node that restarts in the meantime does not publish
# them"), while the session it belongs to is persisted and outlives the
# restart.  The will of a client whose connection dropped is then never
# published at all -- not at the stop, not after the restart, not when the
# session expires.  §3.1.3.2.2 lets a server defer wills until a restart,
# not drop them.  Expected: pending wills are saved with their session (or
# published at the stop) so that the will goes out.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_need node npm || exit
it_tmp
T=$IT_TMP
it_npm
D=$T/d
mkdir -p "$D"
P=$D/principals.json
for u in watch erin; do
    echo "pw-$u" | "$PN" principal add "$u" --nation SWE --clearance NS --password-stdin --principals "$P" >/dev/null
done
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http off --node it-r3r
_report $? "setup: node starts" "$(cat "$SRV_LOG")"
node_tap tests/it/node/review_r3.js "$PORT" "$SRV_PID" willrestart1
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http off --node it-r3r
_report $? "setup: node starts again on the same data" "$(cat "$SRV_LOG")"
node_tap tests/it/node/review_r3.js "$PORT" "$SRV_PID" willrestart2
ok "node still running" srv_alive
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
done_testing
