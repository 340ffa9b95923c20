#!/usr/bin/env bash
# harden_buffers.sh -- issue 10, item 11: clients that never read cost
# bounded memory.  The node's peak RSS (VmHWM in /proc/PID/status) may grow
# by less than 64 MB in each case, and other clients are still served:
#  (a) an MQTT client sends 80 MB of QoS 1 publishes the node refuses and
#      never reads its PUBACKs: reading pauses, so it cannot send them all;
#  (b) a WebSocket client floods pings and never reads the pongs: reading
#      pauses and the feed is closed as too slow (1008);
#  (c) 30 HTTP connections ask for 4 history pages of ~1 MB each and never
#      read: the node's buffer budget (max_buffer_bytes = 8 MiB here)
#      closes the connections holding more than their share, and says so.
# Clients: tests/it/lib/dos.py (raw sockets), mosquitto_pub, curl.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need python3 curl mosquitto_pub || exit

it_tmp
T=$IT_TMP
D=$T/n
mkdir -p "$D"
P=$D/principals.json
DOS="python3 tests/it/lib/dos.py"
principal u1 USA NS
principal u2 USA NS --role operator
TOK=$(token u1)
TOP=$(token u2)

cat >"$T/n.conf" <<EOF
max_buffer_bytes = 8388608
EOF
# ASan keeps freed memory in a quarantine (256 MB by default): a small one
# makes RSS show what the node holds, not what it freed.
SRV_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:quarantine_size_mb=8"
srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --principals "$P"
_report $? "node starts with max_buffer_bytes" "$(cat "$SRV_LOG")"

hwm() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$SRV_PID/status"; }
# grew WHAT BEFORE: the peak RSS grew by less than 64 MB since BEFORE (kB).
grew() {
    local now
    now=$(hwm)
    ok "$1: peak RSS grew by $(((now - $2) / 1024)) MB (< 64)" test $((now - $2)) -lt 65536
}
served() {
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u u2 -P pw-u2 -V 5 -q 1 -t buf/ok -m "$1" \
        -D publish user-property label "NATO UNCLASSIFIED" 2>"$T/pub.err"
    _report $? "$1: another client still publishes" "$(cat "$T/pub.err")"
    local st
    st=$(curl -s -o /dev/null -w '%{http_code}' -m 5 "http://127.0.0.1:$HTTPPORT/healthz")
    ok "$1: /healthz answers 200 ($st)" test "$st" = 200
}

# ---- (b) WebSocket ping flood, pongs never read ------------------------------
before=$(hwm)
out=$($DOS wsping "$HTTPPORT" "$TOK" 60 15)
ok "(b) the ping flooder's feed was closed ($out)" bash -c "[[ '$out' == *closed ]]"
served "(b)"
curl -s -m 5 -H "$(A "$TOP")" "http://127.0.0.1:$HTTPPORT/metrics" >"$T/metrics"
ok "(b) /metrics counts the feed closed as too slow" \
    grep -qE '^partnernet_websocket_slow_closed_total [1-9]' "$T/metrics"
grew "(b) a WebSocket ping flood" "$before"

# ---- (a) refused QoS 1 publishes, PUBACKs never read ------------------------
before=$(hwm)
out=$($DOS mqttflood "$PORT" u1 pw-u1 80 6)
ok "(a) the flooding client was paused: sent less than 80 MB ($out)" \
    python3 -c "import sys; w, n = sys.argv[1].split()[:2]; sys.exit(not (w == 'sent' and 0 < int(n) < 80 << 20))" "$out"
served "(a)"
grew "(a) 80 MB of refused publishes" "$before"

# ---- (c) history pages never read ---------------------------------------------
out=$($DOS fill "$PORT" u1 pw-u1 buf/h 40 100000)
ok "(c) 40 messages of 100 kB stored ($out)" test "$out" = "acked 40"
before=$(hwm)
$DOS httphold "$HTTPPORT" "$TOK" 30 4 20 "$T/stop-c" >"$T/hold.out" &
IT_PIDS+=($!)
wait_until 20 grep -q sent "$T/hold.out"
ok "(c) the node closed connections over their share of the buffer budget" \
    wait_until 10 grep -q 'over the budget of 8388608: closed' "$SRV_LOG"
served "(c)"
grew "(c) 30 connections not reading their history pages" "$before"
touch "$T/stop-c"

ok "the node is still up" srv_alive
srv_stop
ok "the node stops cleanly" test $? -eq 0
ok "no sanitizer report" srv_clean_log
done_testing
