#!/usr/bin/env bash
# review_r3_will_principal.sh -- (review r3) a delayed will is published
# with the rights its principal had when the connection logged in, even when
# the principal was removed (or its clearance lowered) by a reload before the
# will delay passed (and a connected one whose connection the reload
# revokes has his will published at once, node.c/server.c connClose): node.c recompileSession() skips sessions without a
# connection, and exchange.c publishWill() publishes with the stale
# s->principal.  Expected: a removed principal's pending will is dropped
# (audited), and a changed one is judged with the reloaded rights.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
it_need node npm || exit
it_tmp
T=$IT_TMP
it_npm
D=$T/d
mkdir -p "$D"
P=$D/principals.json
for u in watch:NS bob:NU carol:NS dave:NS; do
    echo "pw-${u%%:*}" | "$PN" principal add "${u%%:*}" --nation SWE --clearance "${u#*:}" --password-stdin --principals "$P" >/dev/null
done
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http off --node it-r3w
_report $? "setup: node starts" "$(cat "$SRV_LOG")"
PN=$PN PRINCIPALS=$P node_tap tests/it/node/review_r3.js "$PORT" "$SRV_PID" willremoved willlowered willrevoked
ok "setup: the node reloaded its principals (SIGHUP)" grep -q "principals reloaded" "$SRV_LOG"
ok "node still running" srv_alive
srv_stop
_report $? "setup: SIGTERM stops the node with exit 0" "$(tail -n 20 "$SRV_LOG")"
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
done_testing
