#!/usr/bin/env bash
# run.sh -- `make bench`: every benchmark, numbers printed with their goals.
#
# Method and reference figures: docs/benchmarks.md.
# The decide benchmark has no reference broker (brokers decide nothing).
# The broker benchmark runs partnernet (release build, labels and decide() on
# every delivery, QoS 1 fsynced before PUBACK) and then mosquitto (Debian
# package, started here on another loopback port), one after the other, with
# the same load generator (bench/loadgen.c), and prints a table with the
# ratio partnernet/mosquitto.
#
#   BENCH_SECONDS=N   seconds per decide run (default 3)
#   BENCH_QUICK=1     smoke run: fewer messages, no warm-up, one counted run
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${BENCH_QUICK:-0}

echo "== decide(): one core, precompiled labels (goal: >= 50 M/s, p99 < 1 us) =="
if [ "$QUICK" = 1 ]; then
    ./partnernet bench decide --seconds 1 | sed "s/^/run 1: /"
else
    for run in 1 2 3; do ./partnernet bench decide --seconds "${BENCH_SECONDS:-3}" | sed "s/^/run $run: /"; done
fi

echo
echo "== origin signatures: one core (docs/signatures.md) =="
./partnernet bench sign --seconds "${BENCH_SECONDS:-3}"

# ---- brokers ---------------------------------------------------------------------
LG=build/rel/bench/loadgen
[ -x "$LG" ] || make --no-print-directory "$LG" >/dev/null
command -v mosquitto >/dev/null || { echo "bench: mosquitto is not installed (apt-get install mosquitto)" >&2; exit 1; }
TMP=$(mktemp -d)
BROKER_PID=
cleanup() {
    if [ -n "$BROKER_PID" ]; then kill -9 "$BROKER_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

if [ "$QUICK" = 1 ]; then
    TP=10000 LAT=2000 WARMUP=0 RUNS=1
else
    TP=100000 LAT=20000 WARMUP=1 RUNS=3
fi
# name subscribers qos messages rate(0 = as fast as the window allows)
SCENARIOS="q0_1to1 1 0 $TP 0
q1_1to1 1 1 $TP 0
q0_fan10 10 0 $TP 0
q1_fan10 10 1 $TP 0
lat5k_q0 1 0 $LAT 5000
lat5k_q1 1 1 $LAT 5000
lat10k_q0 1 0 $LAT 10000
lat10k_q1 1 1 $LAT 10000"
LABEL="NATO UNCLASSIFIED"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 30000))
        port_free "$p" && port_free $((p + 1)) && { echo "$p"; return; }
    done
}
wait_port() { for _ in $(seq 100); do port_free "$1" || return 0; sleep 0.1; done; return 1; }

RESULTS=$TMP/results
: >"$RESULTS"

# run_broker NAME LOADGEN-ARGS...: every scenario, warm-up then counted runs.
run_broker() {
    local broker=$1
    shift
    while read -r name subs qos msgs rate; do
        local args=(--subs "$subs" --qos "$qos" --messages "$msgs" --size 512 --window 1000 --label "$LABEL")
        [ "$rate" != 0 ] && args+=(--rate "$rate")
        for ((r = 1 - WARMUP; r <= RUNS; r++)); do
            local out
            out=$("$LG" "$@" "${args[@]}" 2>"$TMP/lg.err") || true
            [ -s "$TMP/lg.err" ] && sed "s/^/  $broker $name: /" "$TMP/lg.err" >&2
            [ -z "$out" ] && out="failed=1"
            if [ "$r" -ge 1 ]; then
                echo "$broker $name $r $out" >>"$RESULTS"
                echo "  $broker $name run $r: $(tr ' ' '\n' <<<"$out" | grep -E '^(rate|drate|loss_pct|p50_us|p99_us|max_us|failed)=' | paste -sd' ')"
            fi
        done
    done <<<"$SCENARIOS"
}

echo
echo "== MQTT brokers: 512-byte payloads, window 1000, TCP_NODELAY; $((WARMUP)) warm-up + $RUNS counted run(s) per scenario =="
echo "   machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(mosquitto -h 2>&1 | head -1)"

# partnernet: release build, one principal, the label on every publish.
PN_PORT=$(pick_port)
echo pw-bench | ./partnernet principal add bench --nation USA --clearance NS --password-stdin \
    --principals "$TMP/principals.json" >/dev/null
start_pn() { # DATA [ENV...]: the release build on PN_PORT
    local data=$1
    shift
    env "$@" ./partnernet serve --data "$data" --mqtt "127.0.0.1:$PN_PORT" \
        --principals "$TMP/principals.json" >"$TMP/pn.out" 2>"$TMP/pn.err" &
    BROKER_PID=$!
    for _ in $(seq 100); do grep -q ready "$TMP/pn.out" && break; sleep 0.1; done
    grep -q ready "$TMP/pn.out" || { echo "bench: partnernet did not start: $(cat "$TMP/pn.err")" >&2; exit 1; }
}
stop_pn() {
    kill -TERM "$BROKER_PID"
    wait "$BROKER_PID" || echo "bench: partnernet exited with status $?" >&2
    BROKER_PID=
}
start_pn "$TMP/pn"
echo "-- $(./partnernet --version 2>/dev/null | head -1) on 127.0.0.1:$PN_PORT (data on $(df --output=source "$TMP" | tail -1))"
run_broker partnernet --port "$PN_PORT" --user bench --password pw-bench
stop_pn
# The cost of origin signatures: QoS 1 1->1 again with the node's own
# messages unsigned (PARTNERNET_BENCH_UNSIGNED: for this comparison only).
start_pn "$TMP/pn-unsigned" PARTNERNET_BENCH_UNSIGNED=1
echo "-- partnernet without origin signatures"
SCENARIOS="q1_1to1 1 1 $TP 0" run_broker unsigned --port "$PN_PORT" --user bench --password pw-bench
stop_pn

# mosquitto: its own configuration, lossless under the window: no queue
# limit (max_queued_messages 1000 by default drops QoS 0 and 1 messages under
# load) and a receive maximum as large as the window (default 20).
MQ_PORT=$(pick_port)
cat >"$TMP/mosquitto.conf" <<EOF
listener $MQ_PORT 127.0.0.1
allow_anonymous true
set_tcp_nodelay true
max_queued_messages 0
max_inflight_messages 1000
persistence false
log_dest stderr
log_type error
log_type warning
user $(id -un)
EOF
mosquitto -c "$TMP/mosquitto.conf" 2>"$TMP/mosquitto.err" &
BROKER_PID=$!
wait_port "$MQ_PORT" || { echo "bench: mosquitto did not start: $(cat "$TMP/mosquitto.err")" >&2; exit 1; }
echo "-- mosquitto on 127.0.0.1:$MQ_PORT"
run_broker mosquitto --port "$MQ_PORT"
kill -TERM "$BROKER_PID"
wait "$BROKER_PID" || true
BROKER_PID=

# ---- the table ---------------------------------------------------------------------
echo
echo "== Results: median of $RUNS (min - max); loss is over all counted runs; ratio = partnernet / mosquitto =="
awk -v runs="$RUNS" '
function kv(line, key,   n, i, f, a) {
    n = split(line, f, " ")
    for (i = 4; i <= n; i++) { split(f[i], a, "="); if (a[1] == key) return a[2] }
    return ""
}
function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    lo = v[1]; hi = v[n]
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
function fmt(x, unit) {
    if (x == "") return "-"
    if (unit == "/s") return x >= 1e6 ? sprintf("%.2f M", x / 1e6) : sprintf("%.1f k", x / 1e3)
    return x >= 1000 ? sprintf("%.2f ms", x / 1000) : sprintf("%.0f us", x)
}
{
    b = $1; s = $2
    if (!(s in seen)) { seen[s] = 1; order[++ns] = s }
    for (k = 1; k <= 5; k++) {
        key = k == 1 ? "rate" : k == 2 ? "drate" : k == 3 ? "p50_us" : k == 4 ? "p99_us" : "max_us"
        v = kv($0, key)
        if (v != "") vals[b, s, key] = vals[b, s, key] " " v
    }
    lost[b, s] += kv($0, "lost") + 0
    sent[b, s] += kv($0, "msgs") * kv($0, "subs")
    if (kv($0, "failed") != "" || kv($0, "refused") + 0 > 0) bad[b, s] = 1
}
END {
    printf "| %-34s | %-30s | %-7s | %-30s | %-7s | %-6s | %-14s |\n", "scenario", "partnernet", "loss", "mosquitto", "loss", "ratio", "goal"
    printf "|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "--------------------------------", "---------", "--------------------------------", "---------", "--------", "----------------"
    for (i = 1; i <= ns; i++) {
        s = order[i]
        if (s ~ /^lat/) { nm = 3; m[1] = "p50_us"; m[2] = "p99_us"; m[3] = "max_us"; unit = "us" }
        else if (s ~ /fan/) { nm = 1; m[1] = "drate"; unit = "/s" }
        else { nm = 1; m[1] = "rate"; unit = "/s" }
        for (j = 1; j <= nm; j++) {
            key = m[j]
            label = s
            if (s == "q0_1to1") label = "1->1 QoS 0, msgs/s"
            if (s == "q1_1to1") label = "1->1 QoS 1, msgs/s"
            if (s == "q0_fan10") label = "1->10 QoS 0, deliveries/s"
            if (s == "q1_fan10") label = "1->10 QoS 1, deliveries/s"
            if (s ~ /^lat/) {
                r = s; sub(/^lat/, "", r); q = r; sub(/_.*/, "", r); sub(/.*_q/, "", q)
                label = sprintf("latency %s @ %s msg/s QoS %s", key == "p50_us" ? "p50" : key == "p99_us" ? "p99" : "max", r, q)
            }
            goal = ""
            if (s == "q0_1to1" || s == "q0_fan10") goal = ">= 1.0x"
            if (s == "q1_1to1" || s == "q1_fan10") goal = ">= 0.5x"
            if (s ~ /^lat10k/ && key == "p99_us") goal = "pn < 2 ms"
            for (k = 1; k <= 2; k++) {
                b = k == 1 ? "partnernet" : "mosquitto"
                if ((b, s, key) in vals) {
                    md[k] = median(vals[b, s, key])
                    cell[k] = runs > 1 ? sprintf("%s (%s - %s)", fmt(md[k], unit), fmt(lo, unit), fmt(hi, unit)) : fmt(md[k], unit)
                } else { md[k] = ""; cell[k] = "-" }
                ls[k] = sent[b, s] ? sprintf("%.2f%%", 100 * lost[b, s] / sent[b, s]) : "-"
                if (bad[b, s]) ls[k] = ls[k] "!"
            }
            ratio = md[1] != "" && md[2] + 0 > 0 ? sprintf("%.2fx", md[1] / md[2]) : "-"
            printf "| %-34s | %-30s | %-7s | %-30s | %-7s | %-6s | %-14s |\n", label, cell[1], ls[1], cell[2], ls[2], ratio, goal
        }
    }
}' "$RESULTS"
awk '
function rate(line,   n, i, f, a) {
    n = split(line, f, " ")
    for (i = 4; i <= n; i++) { split(f[i], a, "="); if (a[1] == "rate") return a[2] }
    return ""
}
function median(list,   n, v, i, j, t) {
    n = split(list, v, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
$2 == "q1_1to1" && ($1 == "partnernet" || $1 == "unsigned") { r[$1] = r[$1] " " rate($0) }
END {
    s = median(r["partnernet"]); u = median(r["unsigned"])
    if (s != "" && u + 0 > 0)
        printf "\n1->1 QoS 1 with origin signatures %.1f k msgs/s, without %.1f k: %.2fx (goal >= 0.80x)\n", s / 1e3, u / 1e3, s / u
}' "$RESULTS"
echo
echo "Throughput ratios above 1 favour partnernet; latency ratios below 1 do. '!' marks a scenario with a failed run"
echo "or refused publishes. partnernet checks the label with decide() on every delivery and fsyncs QoS 1 before"
echo "PUBACK; mosquitto checks nothing and does not fsync. Both receive the same packets (the label user property"
echo "is sent to both). Goals: QoS 0 throughput and fan-out >= 1.0x mosquitto, QoS 1 >= 0.5x,"
echo "p99 latency at 10,000 msg/s under 2 ms."

echo
bash bench/federation.sh

echo
bench/plan.sh

echo
bench/http.sh

echo
bash bench/retained.sh

echo
bash bench/mqtt5.sh
