#!/usr/bin/env bash
# harden_dos.sh -- issue 10, item 10: cheap connection denial of service.
#  - the no-CONNECT deadline counts from accept: a client trickling one
#    byte a second is closed at connect_timeout, not kept alive;
#  - unauthenticated connections are capped per source address: the
#    oldest ones make room and the node says so on stderr;
#  - with a file limit of 128 and 250 idle unauthenticated sockets (MQTT
#    and HTTP), a real client still logs in and publishes, /healthz
#    answers, the planning store opens, and stderr says connections were
#    refused or closed to keep a reserve of descriptors.
# Clients: tests/it/lib/dos.py (raw sockets), mosquitto_pub, curl.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh

it_need python3 curl mosquitto_pub || exit

it_tmp
T=$IT_TMP
D=$T/a
mkdir -p "$D"
P=$D/principals.json
DOS="python3 tests/it/lib/dos.py"
principal u1 USA NS

# ---- node A: the CONNECT deadline and the per-address cap -------------------
cat >"$T/a.conf" <<EOF
connect_timeout = 3
max_unauthenticated_per_address = 5
EOF
srv_start "$D" --config "$T/a.conf" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --principals "$P"
_report $? "node A starts with connect_timeout and max_unauthenticated_per_address" "$(cat "$SRV_LOG")"

out=$($DOS trickle "$PORT" 1 12)
ok "a client trickling a CONNECT byte a second is closed ($out)" \
    python3 -c "import sys; w, s = sys.argv[1].split(); sys.exit(not (w == 'closed' and 2.9 <= float(s) <= 5.5))" "$out"

$DOS idle "$PORT" 12 20 "$T/stop-a" >"$T/idle-a.out" &
IT_PIDS+=($!)
wait_until 10 grep -q opened "$T/idle-a.out"
ok "12 idle sockets connected" grep -q 'opened 12' "$T/idle-a.out"
ok "stderr says unauthenticated connections were closed to make room" \
    wait_until 5 grep -q 'unauthenticated connection.*closed' "$SRV_LOG"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u u1 -P pw-u1 -V 5 -q 1 -t dos/a -m one \
    -D publish user-property label "NATO UNCLASSIFIED" 2>"$T/pub-a.err"
_report $? "a real client from the same address still logs in and publishes" "$(cat "$T/pub-a.err")"
touch "$T/stop-a"
wait_until 10 grep -q left "$T/idle-a.out"
ok "at most 5 of the 12 idle sockets were kept ($(tail -n 1 "$T/idle-a.out"))" \
    python3 -c "import sys; sys.exit(not int(open(sys.argv[1]).read().split()[-1]) <= 5)" "$T/idle-a.out"
ok "node A is still up" srv_alive
srv_stop
ok "node A stops cleanly" test $? -eq 0
ok "node A: no sanitizer report" srv_clean_log

# ---- node B: file limit 128, 250 idle sockets ---------------------------------
D=$T/b
mkdir -p "$D"
P=$D/principals.json
principal u1 USA NS
TOK=$(token u1)
REALPN=$PN
cat >"$T/pn-ulimit" <<EOF
#!/bin/bash
ulimit -n 128 || exit 1
exec "$REALPN" "\$@"
EOF
chmod +x "$T/pn-ulimit"
PN=$T/pn-ulimit srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http 127.0.0.1:@HTTPPORT@ --principals "$P"
_report $? "node B starts with a file limit of 128" "$(cat "$SRV_LOG")"
ok "node B runs with a file limit of 128" grep -q 'Max open files *128' "/proc/$SRV_PID/limits"

$DOS idle "$PORT" 150 30 "$T/stop-b" >"$T/idle-b1.out" &
IT_PIDS+=($!)
$DOS idle "$HTTPPORT" 100 30 "$T/stop-b" >"$T/idle-b2.out" &
IT_PIDS+=($!)
wait_until 20 grep -q opened "$T/idle-b1.out"
wait_until 20 grep -q opened "$T/idle-b2.out"
ok "250 idle sockets connected ($(head -n 1 "$T/idle-b1.out"), $(head -n 1 "$T/idle-b2.out"))" \
    bash -c "grep -q 'opened 150' '$T/idle-b1.out' && grep -q 'opened 100' '$T/idle-b2.out'"
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u u1 -P pw-u1 -V 5 -q 1 -t dos/b -m two \
    -D publish user-property label "NATO UNCLASSIFIED" 2>"$T/pub-b.err"
_report $? "a real client logs in and publishes beside 250 idle sockets" "$(cat "$T/pub-b.err")"
st=$(curl -s -o "$T/health" -w '%{http_code}' -m 5 "http://127.0.0.1:$HTTPPORT/healthz")
ok "/healthz answers 200 ($st)" test "$st" = 200
st=$(curl -s -o "$T/gaps" -w '%{http_code}' -m 5 -H "$(A "$TOK")" "http://127.0.0.1:$HTTPPORT/v1/plan/gaps?cycle=2025")
ok "the planning store opens: /v1/plan/gaps answers 200 ($st: $(head -c 200 "$T/gaps"))" test "$st" = 200
st=$(curl -s -o "$T/hist" -w '%{http_code}' -m 5 -H "$(A "$TOK")" "http://127.0.0.1:$HTTPPORT/v1/messages?topic=dos/%23")
ok "history has the message published beside the idle sockets ($st)" \
    bash -c "test '$st' = 200 && grep -q '\"dos/b\"' '$T/hist'"
ok "stderr says connections were refused or closed for the descriptor reserve" \
    wait_until 3 grep -qE 'connections: [0-9]+ refused, [0-9]+ unauthenticated connections? closed' "$SRV_LOG"
ok "stderr states the connection cap the file limit allows" grep -q 'file limit 128' "$SRV_LOG"
ok "no 'Too many open files' in the node's log" bash -c "! grep -qi 'too many open files' '$SRV_LOG'"
touch "$T/stop-b"
wait_until 10 grep -q left "$T/idle-b1.out"
ok "node B is still up" srv_alive
srv_stop
ok "node B stops cleanly" test $? -eq 0
ok "node B: no sanitizer report" srv_clean_log
done_testing
