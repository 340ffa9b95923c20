# shellcheck shell=bash
# demo-lib.sh -- what the demo scripts share (sourced after `cd` to the
# repository root, with $pn the program and $dir a scratch directory).
#
#   demo_serve NAME CONF   write CONF to $dir/NAME.conf, with @MQTT@ and
#                          @HTTP@ replaced by free ports, and start
#                          `partnernet serve --config` on it; returns once
#                          the node is ready, printing its ready line.  A
#                          port taken between pick and bind is picked again
#                          (up to five times).  Sets DEMO_PID (also added to
#                          the array pids), MQTT_PORT and HTTP_PORT.
#   iso_time SECONDS       a Unix time as ISO 8601 UTC (2026-12-05T05:18:21Z)
. scripts/ports.sh

demo_serve() {
    local name=$1 conf try
    for try in 1 2 3 4 5; do
        MQTT_PORT=$(free_port)
        HTTP_PORT=$(free_port)
        while [ "$HTTP_PORT" = "$MQTT_PORT" ]; do HTTP_PORT=$(free_port); done
        conf=${2//@MQTT@/$MQTT_PORT}
        printf '%s\n' "${conf//@HTTP@/$HTTP_PORT}" >"$dir/$name.conf"
        : >"$dir/$name.log"
        "$pn" serve --config "$dir/$name.conf" >>"$dir/$name.log" 2>&1 &
        DEMO_PID=$!
        pids+=("$DEMO_PID")
        for _ in $(seq 200); do
            grep -q ' ready: ' "$dir/$name.log" && break
            kill -0 "$DEMO_PID" 2>/dev/null || break
            sleep 0.05
        done
        if grep -q ' ready: ' "$dir/$name.log"; then
            grep ' ready: ' "$dir/$name.log"
            return 0
        fi
        wait "$DEMO_PID" 2>/dev/null
        grep -q 'address already in use' "$dir/$name.log" || break
    done
    echo "the $name node did not start (try $try); its log:" >&2
    cat "$dir/$name.log" >&2
    return 1
}

iso_time() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
