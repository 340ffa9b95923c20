# shellcheck shell=bash
# node.sh -- start one partnernet node for the leak, crash and max-packet
# tests.  Sourced after tests/lib.sh; needs $D (the test's temp dir, holding
# principals.json) and $PN.  Sets SRV (the node's pid) and PORT.

. scripts/ports.sh

# node_tmp: make the test's temp dir $D; on exit the node ($SRV) and a
# subscriber ($SUB), when set, are killed and $D removed.
node_tmp() {
    D=$(mktemp -d)
    SRV=
    SUB=
    trap _node_cleanup EXIT
}
_node_cleanup() {
    [ -n "${SUB:-}" ] && kill "$SUB" 2>/dev/null
    [ -n "${SRV:-}" ] && kill -9 "$SRV" 2>/dev/null
    rm -rf "$D"
}

# start_node DATA LOG: serve DATA on $PORT (a free one is chosen when PORT is
# empty).  The node's stdout and stderr go to $D/LOG.out and $D/LOG.err;
# returns 0 once it printed "ready".  Only a port taken by someone else
# (the node says "cannot listen") is retried, on another free port, up to
# five times; the logs of a failed attempt are kept as $D/LOG.N.out/.err, so
# a start-up crash and its sanitizer report are never overwritten.
start_node() {
    local data=$1 log=$2 tries=5 try
    [ -n "${PORT:-}" ] && tries=1
    for try in $(seq $tries); do
        [ $tries -gt 1 ] && PORT=$(free_port)
        $PN serve --data "$data" --mqtt "127.0.0.1:$PORT" --principals "$D/principals.json" \
            >"$D/$log.out" 2>"$D/$log.err" &
        SRV=$!
        for _ in $(seq 300); do
            grep -q ready "$D/$log.out" 2>/dev/null && return 0
            kill -0 "$SRV" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SRV" 2>/dev/null
        wait "$SRV" 2>/dev/null
        SRV=
        cp "$D/$log.out" "$D/$log.$try.out" 2>/dev/null
        cp "$D/$log.err" "$D/$log.$try.err" 2>/dev/null
        grep -q 'cannot listen.*address already in use' "$D/$log.err" "$D/$log.out" 2>/dev/null || break
    done
    return 1
}
