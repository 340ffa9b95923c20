# shellcheck shell=bash
# nodes.sh -- several named nodes in one test, each started from its own
# config file $T/NAME.conf (federation tests).  Sourced after lib.sh and
# server.sh, with $T set (it_tmp).
#
#   principal NODE NAME NATION CLEARANCE [ARG...]
#                        add principal NAME (password pw-NAME, also written
#                        to $T/NAME.pass) to $T/NODE.principals.json
#   node_start NAME      serve $T/NAME.conf, log $T/NAME.N.log (NLOG[NAME]),
#                        pid NPID[NAME]; 0 once the node is ready
#   node_stop NAME       SIGTERM; returns the node's exit status
#   node_kill9 NAME      kill -9 and reap

declare -A NPID NLOG
NRUN=0

principal() {
    local node=$1 name=$2 nation=$3 cl=$4
    shift 4
    echo "pw-$name" >"$T/$name.pass"
    echo "pw-$name" | $PN principal add "$name" --nation "$nation" --clearance "$cl" "$@" \
        --password-stdin --principals "$T/$node.principals.json" >/dev/null
}

node_start() {
    local name=$1
    NRUN=$((NRUN + 1))
    NLOG[$name]=$T/$name.$NRUN.log
    "$PN" serve --config "$T/$name.conf" >"${NLOG[$name]}" 2>&1 &
    NPID[$name]=$!
    IT_PIDS+=("${NPID[$name]}")
    wait_ready "${NPID[$name]}" "${NLOG[$name]}"
}

node_stop() {
    kill -TERM "${NPID[$1]}" 2>/dev/null
    wait "${NPID[$1]}"
}

node_kill9() {
    kill -9 "${NPID[$1]}" 2>/dev/null
    wait "${NPID[$1]}" 2>/dev/null
    return 0
}
