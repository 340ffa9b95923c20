# shellcheck shell=bash
# ports.sh -- free TCP ports for the demo, the tests and the benchmarks
# (sourced).
#
#   free_port [LOW HIGH]   print a port in LOW..HIGH-1 nobody uses now
#
# The default range lies below the kernel's ephemeral range
# (/proc/sys/net/ipv4/ip_local_port_range), from 10000: an outgoing
# connection's source port is taken from the ephemeral range, so a port
# picked below it cannot be grabbed by some client between the pick and the
# node's bind.  A port that appears in /proc/net/tcp or tcp6 (listening, or
# in any connection) is skipped.  Still a pick, not a reservation: a
# starter of a node retries with another port when the node says "address
# already in use".

_ports_used() { # PORT: the port appears in a socket table
    grep -qi "$(printf ':%04X ' "$1")" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

free_port() {
    local low=${1:-} high=${2:-} eph p tries
    if [ -z "$low" ]; then
        read -r eph _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph=32768
        low=10000 high=$eph
        [ "$high" -gt "$low" ] || { low=1024; }
    fi
    for ((tries = 0; tries < 10000; tries++)); do
        p=$((low + (RANDOM * 32768 + RANDOM) % (high - low)))
        _ports_used "$p" || { echo "$p"; return 0; }
    done
    echo "free_port: no free port in $low..$((high - 1))" >&2
    return 1
}
