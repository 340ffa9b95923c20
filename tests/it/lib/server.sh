# shellcheck shell=bash
# server.sh -- run partnernet nodes and MQTT clients in integration tests.
# Sourced after tests/lib.sh (so the working directory is the repo root and
# $PN is the binary under test).  It lives in a subdirectory so tests/run.sh
# does not take it for a test.
#
#   it_need TOOL...              each TOOL is installed; else one failure,
#                                the plan, and status 1 (call: it_need ... || exit)
#   it_tmp                       make $IT_TMP (removed, with every node still
#                                running, by the EXIT trap it installs)
#   srv_start DATA ARG...        start `$PN serve --data DATA ARG...`; the
#                                words @PORT@, @TLSPORT@, @HTTPPORT@ and
#                                @HTTPSPORT@ in ARG become free ports ($PORT,
#                                $TLSPORT, $HTTPPORT, $HTTPSPORT); waits (10 s at
#                                most) for the ready line.  Sets SRV_PID and
#                                SRV_LOG.  A port taken meanwhile is retried.
#   srv_restart                  start the same node again (same ports, data)
#   srv_stop                     SIGTERM; returns the node's exit status
#                                (124 when it did not stop within 10 s)
#   srv_kill9                    kill -9 and reap
#   srv_alive                    the node is running (not a zombie)
#   srv_clean_log                no sanitizer report in any log of this node
#                                nor from any process of the script
#   wait_ready PID LOG           the node PID printed its ready line to LOG (10 s)
#   wait_until SECS CMD...       poll CMD every 50 ms until it succeeds
#   sub_bg OUT ARG...            mosquitto_sub -d ARG... >OUT in the
#                                background, line-buffered; returns once its
#                                SUBACK came (SUB_PID is its pid)
#   msgs OUT                     the message lines of OUT: the subscriber's
#                                format (-F) must start them with "MSG "
#   it_npm                       npm install tests/it/node/package.json into
#                                build/it-node (once per change of the file)
#   node_tap SCRIPT ARG...       run a Node.js script and turn its PASS/FAIL
#                                lines into TAP (tap_run CMD ARG...: any command)
#
# SRV_ENV="NAME=VALUE ..." is put in the node's environment when set (e.g.
# ASAN_OPTIONS); sanitizer reports land in $PN_SAN_DIR (tests/run.sh) or,
# when the script runs alone, in the node's log.

IT_PIDS=()
_srv_n=0
SUB_PID=

it_need() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null; then
            _report 1 "$tool is installed (scripts/deps.sh check)"
            done_testing
            return 1
        fi
    done
}

it_tmp() {
    IT_TMP=$(mktemp -d)
    trap it_cleanup EXIT
}

it_cleanup() {
    local p
    for p in "${IT_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "${IT_KEEP:-}" ] && { echo "# kept $IT_TMP" >&2; return; }
    rm -rf "$IT_TMP"
}

# The bound is wall time, not a count of tries: a CMD that itself takes
# seconds (a publish and a wait) must not stretch 10 s into minutes.
wait_until() {
    local secs=$1 end
    shift
    end=$((SECONDS + secs + 1)) # SECONDS ticks in whole seconds: at least secs
    while [ "$SECONDS" -lt "$end" ]; do
        "$@" 2>/dev/null && return 0
        sleep 0.05
    done
    "$@" 2>/dev/null
}

# Alive and not a zombie (kill -0 succeeds on zombies).
_alive() {
    local st
    st=$(sed -E 's/^[0-9]+ \(.*\) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# A port nobody uses, below the ephemeral range (scripts/ports.sh); the
# node's bind is the real test: srv_start retries when it was taken.
. scripts/ports.sh
it_port() { free_port; }

_srv_launch() {
    local a args=()
    for a in "${SRV_ARGS[@]}"; do
        a=${a//@PORT@/$PORT}
        a=${a//@TLSPORT@/$TLSPORT}
        a=${a//@HTTPPORT@/$HTTPPORT}
        a=${a//@HTTPSPORT@/$HTTPSPORT}
        args+=("$a")
    done
    _srv_n=$((_srv_n + 1))
    SRV_LOG=$SRV_DATA.$_srv_n.log
    SRV_LOGS+=("$SRV_LOG")
    ${SRV_ENV:+env $SRV_ENV} "$PN" serve --data "$SRV_DATA" "${args[@]}" >"$SRV_LOG" 2>&1 &
    SRV_PID=$!
    IT_PIDS+=("$SRV_PID")
    wait_ready "$SRV_PID" "$SRV_LOG"
}

# wait_ready PID LOG: the node printed its ready line (10 s at most); if it
# did not, its log is shown, it is killed and the status is 1.
wait_ready() {
    local pid=$1 log=$2 i
    for ((i = 0; i < 200; i++)); do
        grep -q ' ready: ' "$log" 2>/dev/null && return 0
        _alive "$pid" || break
        sleep 0.05
    done
    grep -q ' ready: ' "$log" 2>/dev/null && return 0
    echo "# node did not become ready; its log:" >&2
    sed 's/^/#   /' "$log" | head -40 >&2
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

srv_start() {
    SRV_DATA=$1
    shift
    SRV_ARGS=("$@")
    SRV_LOGS=()
    local _
    for _ in 1 2 3 4 5; do
        PORT=$(it_port)
        TLSPORT=$(it_port)
        HTTPPORT=$(it_port)
        HTTPSPORT=$(it_port)
        _srv_launch && return 0
        grep -q 'cannot listen.*address already in use' "$SRV_LOG" || return 1
    done
    return 1
}

srv_restart() { _srv_launch; }

srv_alive() { _alive "$SRV_PID"; }

srv_stop() {
    kill -TERM "$SRV_PID" 2>/dev/null
    local i
    for ((i = 0; i < 200; i++)); do
        _alive "$SRV_PID" || break
        sleep 0.05
    done
    if _alive "$SRV_PID"; then
        kill -9 "$SRV_PID" 2>/dev/null
        wait "$SRV_PID" 2>/dev/null
        return 124
    fi
    wait "$SRV_PID"
}

srv_kill9() {
    kill -9 "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    return 0
}

srv_clean_log() { no_sanitizer_report "${SRV_LOGS[@]}"; }

sub_bg() {
    local out=$1
    shift
    stdbuf -oL mosquitto_sub -d "$@" >"$out" 2>&1 &
    # shellcheck disable=SC2034 # for the caller
    SUB_PID=$!
    IT_PIDS+=("$SUB_PID")
    if ! wait_until 10 grep -q 'received SUBACK' "$out"; then
        echo "# subscriber did not get its SUBACK: $(head -c 600 "$out")" >&2
        return 1
    fi
}

# The node's own user properties (id, time) are left out.
msgs() { sed -n -E 's/ id:[^ |]+ time:[0-9]+( sig:[^ |]+)?//; s/^MSG //p' "$1"; }

NODE_DIR=build/it-node
it_npm() {
    if ! cmp -s tests/it/node/package.json "$NODE_DIR/package.json" ||
        [ ! -f "$NODE_DIR/node_modules/mqtt/package.json" ] ||
        [ ! -f "$NODE_DIR/node_modules/ws/package.json" ]; then
        mkdir -p "$NODE_DIR"
        cp tests/it/node/package.json "$NODE_DIR/package.json"
        timeout 300 npm install --no-audit --no-fund --no-package-lock --prefix "$NODE_DIR" >"$IT_TMP/npm.log" 2>&1 ||
            rm -f "$NODE_DIR/package.json"
    fi
}

# Run a Node.js script (node_tap) or any command (tap_run) and turn its
# PASS/FAIL lines into TAP; a non-zero exit without a FAIL is one failure.
node_tap() { NODE_PATH=$PWD/$NODE_DIR/node_modules tap_run node "$@"; }
tap_run() {
    local out rc line what
    out=$(timeout 120 "$@" 2>&1)
    rc=$?
    while IFS= read -r line; do
        case $line in
        "PASS "*) _report 0 "${line#PASS }" ;;
        "FAIL "*)
            what=${line#FAIL }
            _report 1 "${what%% -- *}" "${what#* -- }"
            ;;
        "# "*) echo "$line" ;;
        esac
    done <<<"$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' <<<"$out"; then
        _report 1 "$* exited $rc" "$(tail -n 30 <<<"$out")"
    fi
}
