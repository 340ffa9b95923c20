#!/usr/bin/env bash
# principals_reload.sh -- the node reloads its principals file when it
# changes (no SIGHUP needed), and `principal add/remove` says when the
# running node picked the change up (DATA/principals.loaded); a vanished
# or broken file leaves the principals in force, logged.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_tmp
T=$IT_TMP
D=$T/node
mkdir -p "$D"
P=$D/principals.json
L="NATO UNCLASSIFIED REL TO NATO, SWE"
add() { # NAME: a SWE NS principal with password pw-NAME
    printf 'pw-%s\n' "$1" >"$T/$1.pw"
    "$PN" principal add "$1" --nation SWE --clearance NS --password-stdin --principals "$P" <"$T/$1.pw"
}
login() { # NAME: publish one message as NAME
    "$PN" pub --topic r/x --label "$L" --message hi --address "127.0.0.1:$PORT" --user "$1" \
        --password-file "$T/$1.pw"
}
setup "alice in the principals file" add alice
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --http off --principals "$P"
_report $? "setup: node started"
ok "the node wrote DATA/principals.loaded with its pid" grep -q "^$SRV_PID " "$D/principals.loaded"

expect_out "principal add says the running node loaded the change" "added principal bob
the running node (pid $SRV_PID) loaded the change" add bob
ok "the node logged the reload (no SIGHUP)" grep -q 'principals reloaded (2)' "$SRV_LOG"
expect_out "bob logs in at once" "published 1 message on r/x" login bob
expect_out "principal remove says so too" "removed principal bob
the running node (pid $SRV_PID) loaded the change" "$PN" principal remove bob --principals "$P"
expect_err "bob's login is refused now" 2 "bad user name or password" login bob

mv "$P" "$T/kept.json"
ok "a vanished file is logged" wait_until 5 grep -q "principals file $P vanished: the 1 principals loaded stay in force" "$SRV_LOG"
expect_out "... and alice still logs in" "published 1 message on r/x" login alice
cp "$T/kept.json" "$T/new.json"
printf 'pw-carol\n' >"$T/carol.pw"
"$PN" principal add carol --nation SWE --clearance NS --password-stdin --principals "$T/new.json" <"$T/carol.pw" >/dev/null
mv "$T/new.json" "$P"
ok "the file back (replaced by rename): reloaded" wait_until 5 bash -c \
    "sed -n '/vanished/,\$p' '$SRV_LOG' | grep -q 'principals reloaded (2)'"
expect_out "carol logs in" "published 1 message on r/x" login carol
printf '{"principals": [' >"$P.tmp" && mv "$P.tmp" "$P"
ok "a broken file is not taken, and logged" wait_until 5 grep -q 'principals not reloaded' "$SRV_LOG"
expect_out "... alice still logs in" "published 1 message on r/x" login alice

srv_stop
_report $? "setup: node stopped"
cp "$T/kept.json" "$P"
expect_out "no node running: principal add says nothing more" "added principal dave" add dave
ok "no sanitizer report" srv_clean_log
done_testing
