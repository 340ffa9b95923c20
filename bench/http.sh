#!/usr/bin/env bash
# http.sh -- the HTTP API under wrk (Debian package): authenticated reads
# (GET /v1/messages, each answer decided per message for the caller) and
# publishes (POST /v1/messages, 201 only after the group-commit fsync),
# with a bearer token, against the release build on one loopback port.
#
#   bench/http.sh            BENCH_SECONDS per run (default 5), one warm-up
#   BENCH_QUICK=1            1-second runs, no warm-up
#
# Prints requests/s and the p99 latency of each run; the goal (issue 5) is
# >= 50,000 authenticated reads/s on one core (the node is single-threaded;
# wrk runs one thread on the other core).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
SECS=${BENCH_SECONDS:-5}
[ "${BENCH_QUICK:-0}" = 1 ] && SECS=1
TMP=$(mktemp -d)
NODE_PID=
cleanup() {
    if [ -n "$NODE_PID" ]; then kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

./partnernet principal add bench --nation SWE --clearance NS --role operator --no-credential --principals "$TMP/principals.json" >/dev/null
TOKEN=$(./partnernet token create --principal bench --data "$TMP" 2>/dev/null)
for _ in 1 2 3 4 5; do
    HTTP=$((20000 + RANDOM % 20000))
    ./partnernet serve --data "$TMP" --mqtt "127.0.0.1:$((HTTP + 1))" --http "127.0.0.1:$HTTP" --node bench \
        >"$TMP/node.log" 2>&1 &
    NODE_PID=$!
    for _ in $(seq 100); do
        grep -q ' ready: ' "$TMP/node.log" && break
        kill -0 "$NODE_PID" 2>/dev/null || break
        sleep 0.05
    done
    grep -q ' ready: ' "$TMP/node.log" && break
    wait "$NODE_PID" 2>/dev/null || true
    NODE_PID=
done
[ -n "$NODE_PID" ] || { echo "bench: the node did not start: $(cat "$TMP/node.log")" >&2; exit 1; }
U=http://127.0.0.1:$HTTP

# Publishes (all within the publisher's clearance): half the labels are
# releasable to the reader (the same SWE NS principal), half need the
# ATOMAL caveat it does not hold, so history reads skip every other one.
cat >"$TMP/post.lua" <<'EOF'
local n = 0
local labels = {"NATO SECRET REL TO NATO", "NATO SECRET ATOMAL", "NATO CONFIDENTIAL REL TO NATO, SWE",
                "NATO CONFIDENTIAL ATOMAL"}
request = function()
    n = n + 1
    local body = string.format('{"topic": "bench/t%d", "label": "%s", "payload": {"n": %d, "text": "%s"}}',
        n % 8, labels[n % 4 + 1], n, string.rep("x", 200))
    local headers = {["Content-Type"] = "application/json"}
    for k, v in pairs(wrk.headers) do headers[k] = v end -- the bearer token from -H
    return wrk.format("POST", "/v1/messages", headers, body)
end
EOF

run() { # WHAT ARG...: one wrk run; prints "WHAT: N req/s, p99 X"
    local what=$1 out
    shift
    out=$(wrk -t1 "$@" --latency -H "Authorization: Bearer $TOKEN" 2>&1)
    local rps p99 non2xx
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '%-58s %10s req/s   p99 %-8s %s\n' "$what" "$rps" "$p99" "${non2xx:+($non2xx non-2xx!)}"
}

echo "== HTTP API: wrk, 1 thread, bearer token, release build (goal: >= 50,000 authenticated reads/s) =="
if [ "${BENCH_QUICK:-0}" != 1 ]; then
    wrk -t1 -c16 -d1s -H "Authorization: Bearer $TOKEN" -s "$TMP/post.lua" "$U" >/dev/null 2>&1 # warm-up
fi
run "POST /v1/messages (201 after fsync), 16 connections" -c16 -d"${SECS}s" -s "$TMP/post.lua" "$U"
run "POST /v1/messages (201 after fsync), 64 connections" -c64 -d"${SECS}s" -s "$TMP/post.lua" "$U"
echo "   (log: $(curl -s -H "Authorization: Bearer $TOKEN" "$U/metrics" | awk '/^partnernet_log_next_offset/ {print $2}') messages)"
for limit in 1 10 100; do
    run "GET /v1/messages?topic=bench/#&limit=$limit, 32 connections" -c32 -d"${SECS}s" \
        "$U/v1/messages?topic=bench/%23&limit=$limit"
done
run "GET /v1/registry/frameworks/NATO/members, 32 connections" -c32 -d"${SECS}s" "$U/v1/registry/frameworks/NATO/members"
run "GET /healthz (no authentication), 32 connections" -c32 -d"${SECS}s" "$U/healthz"
