#!/usr/bin/env bash
# crash.sh -- kill -9 under QoS 1 load loses nothing that was acknowledged.
#
# A persistent MQTT 5 session (session expiry 3600 s) subscribes to crash/#
# at QoS 1 and goes away; a publisher sends QoS 1 messages as fast as
# PUBACKs allow (100 unacknowledged at most) and logs every acknowledged
# sequence number; the node is killed with SIGKILL at a random moment 0.5-2 s
# in (CRASH_KILL_MS to fix it), restarted on the same data directory, and the
# subscriber reconnects with the same client id: every acknowledged message
# must arrive (duplicates are allowed at QoS 1 and counted).  Then the node is
# stopped cleanly and started again: what the subscriber acknowledged must
# not come back.
#
# Two scenarios: a fresh node (the session's resume offset is 0), and a node
# whose log already holds a message when the subscription is made (offset > 0).
# Clients: tests/it/crash.c.  The node under test is $PN.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

CRASH=build/rel/it/crash
[ -x "$CRASH" ] || make --no-print-directory "$CRASH" >/dev/null
it_tmp
D=$IT_TMP

echo pw-sub | $PN principal add sub1 --nation DEU --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null
echo pw-pub | $PN principal add pub1 --nation USA --clearance CTS --password-stdin --principals "$D/principals.json" >/dev/null


# scenario NAME PRELOAD(0|1)
scenario() {
    local name=$1 preload=$2 data=$D/$1/node
    mkdir -p "$D/$name"
    echo "# --- scenario: $name"
    srv_start "$data" --mqtt 127.0.0.1:@PORT@ --http off --principals "$D/principals.json"
    _report $? "setup: $name: node starts"
    local first=$SRV_LOG
    if [ "$preload" = 1 ]; then
        expect_out "$name: one message logged before the subscription" "" mosquitto_pub -V 5 -h 127.0.0.1 -p "$PORT" -u pub1 \
            -P pw-pub -t preload/x -m hello -q 1 -D publish user-property label "NATO UNCLASSIFIED"
    fi
    ok "$name: persistent subscriber subscribes and goes away" \
        "$CRASH" subscribe 127.0.0.1 "$PORT" sub1 pw-sub "crash-$name"

    "$CRASH" publish 127.0.0.1 "$PORT" pub1 pw-pub "$D/$name/acked" 60 >"$D/$name/pub.out" 2>"$D/$name/pub.err" &
    PUBPID=$!
    IT_PIDS+=("$PUBPID")
    local kill_ms=${CRASH_KILL_MS:-$((500 + RANDOM % 1501))}
    sleep "$(awk "BEGIN { print $kill_ms / 1000 }")"
    # The node must still be running when the test kills it: a node that had
    # died of a sanitizer abort under the load would otherwise look like the
    # test's own kill.  wait reports 137 (128 + SIGKILL) only for our kill.
    kill -9 "$SRV_PID"
    wait "$SRV_PID" 2>/dev/null
    local krc=$?
    ok "$name: the node was running under load until the test's kill -9 (status $krc)" test "$krc" -eq 137
    ok "$name: no sanitizer report from the first node" no_sanitizer_report "$first"
    for _ in $(seq 100); do kill -0 "$PUBPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PUBPID" 2>/dev/null && kill -9 "$PUBPID"
    wait "$PUBPID"
    local nacked
    nacked=$(wc -l <"$D/$name/acked")
    echo "# killed at $kill_ms ms: $(cat "$D/$name/pub.out")"
    ok "$name: the publisher saw the connection drop and had messages acknowledged before the kill ($nacked)" \
        test "$(grep -c 'lost 1' "$D/$name/pub.out")" = 1 -a "$nacked" -gt 0
    ok "$name: no publish refused" grep -q 'refused 0' "$D/$name/pub.out"

    srv_restart
    _report $? "setup: $name: node restarts on the same data directory after kill -9"
    sed 's/^/# node: /' "$SRV_LOG"
    local records
    records=$(sed -n 's/.* ready: .*log \([0-9]*\) messages.*/\1/p' "$SRV_LOG")
    ok "$name: the recovered log holds at least the $nacked acknowledged messages (${records:-?})" \
        test "${records:-0}" -ge "$nacked"

    "$CRASH" collect 127.0.0.1 "$PORT" sub1 pw-sub "crash-$name" "$D/$name/acked" 3000 15000 \
        >"$D/$name/collect.out" 2>"$D/$name/collect.err"
    local rc=$? res
    sed 's/^/# collect: /' "$D/$name/collect.out" "$D/$name/collect.err"
    res=$(cat "$D/$name/collect.out")
    field() { sed -n "s/.*\b$1 \([^ ]*\).*/\1/p" <<<"$res"; }
    ok "$name: the session was still there (session present)" test "$(field session_present)" = 1
    ok "$name: every PUBACKed message was delivered after the restart ($(field missing) of $nacked missing)" \
        test "$rc" -eq 0 -a "$(field missing)" = 0
    echo "# duplicates: $(field dups); delivered but never acknowledged (in flight at the kill): $(field received_unacked)"
    ok "$name: nothing but the test's messages delivered" test "$(field unexpected)" = 0

    # Everything was acknowledged: a clean restart must not deliver it again.
    srv_stop
    local src=$?
    ok "setup: $name: restarted node shuts down cleanly on SIGTERM (exit $src)" test "$src" -eq 0
    srv_restart
    _report $? "setup: $name: node starts a third time"
    "$CRASH" collect 127.0.0.1 "$PORT" sub1 pw-sub "crash-$name" "$D/$name/acked" 1000 3000 \
        >"$D/$name/again.out" 2>"$D/$name/again.err"
    res=$(cat "$D/$name/again.out")
    ok "$name: the session survived the clean restart (session present)" test "$(field session_present)" = 1
    ok "$name: acknowledged messages are not delivered again after a clean restart ($(field received) were)" \
        test "$(field received)" = 0
    srv_stop
    src=$?
    ok "setup: $name: third node shuts down cleanly (exit $src)" test "$src" -eq 0
    ok "$name: no sanitizer report from the restarted nodes" srv_clean_log
}

scenario fresh 0
scenario preloaded 1
done_testing
