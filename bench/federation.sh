#!/usr/bin/env bash
# federation.sh -- replication lag and catch-up between two nodes (make bench).
#
# Two release-build nodes on 127.0.0.1: HQ, and SWE pulling from HQ through a
# [peer hq] link (via a socat proxy, so the link can be cut).  Messages are
# published at HQ and received by a subscriber at SWE, so the latency is the
# whole path: HQ log + fsync, delivery to the link, SWE log + fsync, delivery.
#
#   lag      bench/loadgen publishing at HQ at 1,000 and 10,000 msg/s (QoS 1)
#            with its subscriber at SWE: p50/p99 from publish to delivery
#            (goal: p99 < 20 ms at 10,000 msg/s)
#   catch-up the link is cut while HQ takes OUTAGE seconds of messages at
#            1,000 msg/s; then it is restored and the time until a subscriber
#            at SWE has them all gives the catch-up rate (goal: >= 5x the
#            offered rate)
#
#   BENCH_QUICK=1   10 s outage and shorter lag runs
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}
PN=./partnernet
LG=build/rel/bench/loadgen
[ -x "$LG" ] || make --no-print-directory "$LG" >/dev/null
command -v socat >/dev/null || { echo "bench: socat is not installed (apt-get install socat)" >&2; exit 1; }
if [ "$QUICK" = 1 ]; then OUTAGE=10 N1=3000 N10=20000; else OUTAGE=60 N1=10000 N10=100000; fi
OFFERED=1000

T=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    pkill -f "TCP-LISTEN:$PX," 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        port_free "$p" && { echo "$p"; return; }
    done
}
PH=$(pick_port)
PS=$(pick_port)
PX=$(pick_port)

add() { # NODE NAME NATION CLEARANCE [ARGS]
    local node=$1 name=$2 nation=$3 cl=$4
    shift 4
    echo "pw-$name" >"$T/$name.pass"
    echo "pw-$name" | $PN principal add "$name" --nation "$nation" --clearance "$cl" "$@" \
        --password-stdin --principals "$T/$node.json" >/dev/null
}
add hq pub NATO CTS
add hq swe-node SWE NS --role node
add swe reader SWE NS
add swe hq NATO CTS # the peer's principal at SWE: decide() for it guards what HQ relays
cat >"$T/hq.conf" <<EOF
[node]
name = hq
data = $T/hq
mqtt = 127.0.0.1:$PH
http = off
principals = $T/hq.json
EOF
cat >"$T/swe.conf" <<EOF
[node]
name = swe
data = $T/swe
mqtt = 127.0.0.1:$PS
http = off
principals = $T/swe.json
[peer hq]
address = 127.0.0.1:$PX
principal = swe-node
password_file = $T/swe-node.pass
topics = bench/#
EOF

proxy() {
    socat TCP-LISTEN:"$PX",bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:"$PH" 2>/dev/null &
    PIDS+=($!)
    disown $!
}
cut() { pkill -f "TCP-LISTEN:$PX," 2>/dev/null || true; }
start() {
    $PN serve --config "$T/$1.conf" >"$T/$1.log" 2>&1 &
    PIDS+=($!)
    disown $!
    for _ in $(seq 100); do grep -q ' ready: ' "$T/$1.log" && return; sleep 0.05; done
    echo "bench: node $1 did not start" >&2
    cat "$T/$1.log" >&2
    exit 1
}
link_up() { tr -d ' \n' <"$T/swe/peers.json" 2>/dev/null | grep -q '"state":"up"'; }

proxy
start hq
start swe
for _ in $(seq 100); do link_up && break; sleep 0.1; done
link_up || { echo "bench: the link did not come up" >&2; exit 1; }

echo "== federation: replication lag HQ -> SWE, QoS 1, publish at HQ to delivery at SWE (goal: p99 < 20 ms at 10,000 msg/s) =="
printf '%-12s %10s %10s %10s %10s %8s\n' "offered" "messages" "p50_us" "p99_us" "max_us" "loss%"
for spec in "1000 $N1" "10000 $N10"; do
    set -- $spec
    out=$($LG --port "$PH" --user pub --password pw-pub --sub-port "$PS" --sub-user reader \
        --sub-password pw-reader --label "NATO UNCLASSIFIED" --qos 1 --rate "$1" --messages "$2" \
        --size 256 --topic bench/lag) || { echo "bench: loadgen failed: $out" >&2; exit 1; }
    get() { echo "$out" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
    printf '%-12s %10s %10s %10s %10s %8s\n' "$1/s" "$2" "$(get p50_us)" "$(get p99_us)" \
        "$(get max_us)" "$(get loss_pct)"
done

echo "== federation: catch-up after a ${OUTAGE} s outage at $OFFERED msg/s offered (goal: >= 5x offered) =="
BACKLOG=$((OUTAGE * OFFERED))
cut
# The subscriber at SWE counts what arrives after the link is restored.
# A persistent session: a burst past max_queued waits in the log for it
# (a clean session would have the excess dropped, as mosquitto does).
mosquitto_sub -h 127.0.0.1 -p "$PS" -u reader -P pw-reader -V mqttv5 -q 1 -t bench/outage \
    -c -i bench-catchup -x 600 -C "$BACKLOG" >/dev/null &
SUB=$!
PIDS+=("$SUB")
# A subscriber at HQ paces the publisher; nothing reaches SWE meanwhile.
$LG --port "$PH" --user pub --password pw-pub --label "NATO UNCLASSIFIED" --qos 1 \
    --rate "$OFFERED" --messages "$BACKLOG" --size 256 --topic bench/outage >/dev/null
t0=$(date +%s.%N)
proxy
wait "$SUB"
t1=$(date +%s.%N)
awk -v n="$BACKLOG" -v a="$t0" -v b="$t1" -v o="$OFFERED" \
    'BEGIN { s = b - a; printf "backlog %d messages caught up in %.2f s: %.0f msg/s = %.1fx the offered rate\n", n, s, n / s, n / s / o }'
