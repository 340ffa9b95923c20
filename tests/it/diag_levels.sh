#!/usr/bin/env bash
# diag_levels.sh -- the node's diagnostics go through one sink with levels:
# each line is "TIME LEVEL partnernet: MSG" on stderr, the ready line alone
# on stdout, and --log-level drops the lines below it.  A SIGHUP with a
# broken principals file logs "registry and policy reloaded" (info) and
# then "principals not reloaded" (error), in that order, so once the error
# line is there the info line has been written or dropped.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

it_tmp
T=$IT_TMP
echo pw | "$PN" principal add alice --nation SWE --clearance NS --password-stdin \
    --principals "$T/p.json" >/dev/null

# hup_broken LOG: break the principals file, SIGHUP, wait for the error.
hup_broken() {
    cp "$T/p.json" "$T/p.good"
    echo '{ broken' >"$T/p.json"
    kill -HUP "$SRV_PID"
    wait_until 10 grep -q 'principals not reloaded' "$1"
    local rc=$?
    cp "$T/p.good" "$T/p.json"
    return $rc
}

srv_start "$T/info" --mqtt 127.0.0.1:@PORT@ --http off --principals "$T/p.json"
_report $? "setup: node starts at the default level (info)"
ok "the ready line reaches the log" grep -q '^partnernet: node node ready: ' "$SRV_LOG"
ok "SIGHUP with a broken principals file: the error is logged" hup_broken "$SRV_LOG"
ok "error line: ISO 8601 time, level, partnernet:" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z error partnernet: principals not reloaded: ' "$SRV_LOG"
ok "at info, the registry reload before it is logged too" \
    grep -qE 'Z info partnernet: registry and policy reloaded' "$SRV_LOG"
srv_stop
_report $? "setup: node stops"

srv_start "$T/err" --mqtt 127.0.0.1:@PORT@ --http off --principals "$T/p.json" --log-level error
_report $? "setup: node starts with --log-level error"
ok "the ready line still comes (it is not a diagnostic)" grep -q ' ready: ' "$SRV_LOG"
ok "SIGHUP with a broken principals file: the error is logged" hup_broken "$SRV_LOG"
expect_out "at error, no info line at all" 0 bash -c "grep -c ' info partnernet: ' '$SRV_LOG' || true"
srv_stop
_report $? "setup: node stops"
ok "no sanitizer report" srv_clean_log
done_testing
