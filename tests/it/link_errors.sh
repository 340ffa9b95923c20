#!/usr/bin/env bash
# link_errors.sh -- a link's errors are said in words an operator reads:
# a peer refusing the login shows "bad user name or password (0x86)" in
# `partnernet peers`, not a bare hex code; and the same error, retried
# every 2 s, is logged once and then counted, not logged every 2 s forever.
# Two real nodes on 127.0.0.1; SWE's link to HQ has a wrong password.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh

it_tmp
T=$IT_TMP
. tests/it/lib/nodes.sh
declare -A NPORT
for n in hq swe; do NPORT[$n]=$(it_port); done
while [ "${NPORT[hq]}" = "${NPORT[swe]}" ]; do NPORT[swe]=$(it_port); done
principal hq swe-node SWE NS --role node
principal swe hq NATO CTS --role node
echo not-the-password >"$T/swe-node.pass"
mkdir -p "$T/hq" "$T/swe"
printf '[node]\nname = hq\ndata = %s/hq\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/hq.principals.json\n' \
    "$T" "${NPORT[hq]}" "$T" >"$T/hq.conf"
printf '[node]\nname = swe\ndata = %s/swe\nmqtt = 127.0.0.1:%s\nhttp = off\nprincipals = %s/swe.principals.json\n\n[peer hq]\naddress = 127.0.0.1:%s\nprincipal = swe-node\npassword_file = %s/swe-node.pass\ntopics = x/#\n' \
    "$T" "${NPORT[swe]}" "$T" "${NPORT[hq]}" "$T" >"$T/swe.conf"
node_start hq
_report $? "setup: HQ starts"
node_start swe
_report $? "setup: SWE starts with a wrong password for its link"
ok "peers shows why the link is down, in words: bad user name or password (0x86)" wait_until 10 bash -c \
    "'$PN' peers --data '$T/swe' | grep -q 'peer refused the login as swe-node: bad user name or password (0x86)'"
# SWE's status file counts the failed attempts; the log is read after 4.
failed_4() { python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["links"][0].get("failures", 0) < 4)' "$T/swe/peers.json"; }
ok "peers.json counts the failed attempts (4 at least)" wait_until 20 failed_4
refusals() { grep -c 'peer hq: peer refused the login as swe-node: bad user name or password (0x86)' "${NLOG[swe]}"; }
expect_out "the repeated refusal is logged once, not once per attempt" 1 refusals
ok "its log line says when and at what level" \
    grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z warning partnernet: peer hq: peer refused the login' "${NLOG[swe]}"
node_stop swe
_report $? "setup: SWE stops"
ok "on stopping, the suppressed repeats are summed up" \
    grep -qE 'peer hq: peer refused the login as swe-node: bad user name or password \(0x86\) \(repeated [0-9]+ times\)' "${NLOG[swe]}"
node_stop hq
_report $? "setup: HQ stops"
ok "no sanitizer report" no_sanitizer_report "$T"/*.log
done_testing
