#!/usr/bin/env bash
# harden_retained.sh -- acknowledged retained messages are not lost for
# Retain-As-Published subscribers (issue 10, item 6), across a restart
# (SIGTERM and kill -9) and past a full session queue (max_queued).
# Retain As Published is not in mosquitto_sub: tests/it/node/mqcli.js
# does each client step.  Last, the retained caps (issue 10, item 16):
# refusal with 0x97 and an audit line, replacement and deletion accepted.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need node || exit
it_tmp
T=$IT_TMP
L='NATO UNCLASSIFIED REL TO PFP'
RAP=9 # subscription options: QoS 1, Retain As Published

mq() { node tests/it/node/mqcli.js "$PORT" alice pw-alice "$@"; }
# What a recv step printed: "topic|payload|retain" per message, space-separated.
got() { sed -n 's/^MSG //p' "$1" | paste -sd' '; }
# pub TOPIC PAYLOAD RETAIN: a QoS 1 publish acknowledged with reason 0.
pub1() { expect_out "QoS 1 publish $1 (retain $3) acknowledged" "ACK 0x00" mq pub "$1" "$2" 1 "$3" "$L"; }
node_ok() { # WHAT: the node is still up and left no sanitizer report
    ok "$1: node still serving" srv_alive
    local rep
    rep=$(srv_clean_log)
    _report $? "$1: no sanitizer report" "$rep"
}

D=$T/n
mkdir -p "$D"
echo pw-alice | $PN principal add alice --nation USA --clearance NS --password-stdin \
    --principals "$D/principals.json" >/dev/null
cat >"$T/n.conf" <<EOF
[node]
name = it-ret
EOF
srv_start "$D" --config "$T/n.conf" --mqtt 127.0.0.1:@PORT@ --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"

# 6a: an offline RAP session, two retained QoS 1 messages, a restart.
for how in sigterm kill9; do
    expect_out "$how: RAP session subscribes" "SUBACK 0x01" mq sub "rap-$how" "$how/#" $RAP
    pub1 "$how/a" "$how-a" 1
    pub1 "$how/b" "$how-b" 1
    if [ $how = sigterm ]; then
        srv_stop
        _report $? "$how: node stops with exit 0"
    else
        srv_kill9
    fi
    srv_restart
    _report $? "$how: node restarts" "$(tail -n 20 "$SRV_LOG")"
    pub1 "$how/end" "$how-end" 0
    mq recv "rap-$how" "$how-end" 10000 >"$T/$how.out"
    expect_out "$how: both retained messages reach the RAP session after the restart, retain flag kept" \
        "$how/a|$how-a|1 $how/b|$how-b|1 $how/end|$how-end|0" got "$T/$how.out"
done
# Retained messages sent on subscribe and not acknowledged before kill -9
# are sent again after it (the resume offset does not cover them).
expect_out "on subscribe: RAP session subscribes to stored retained messages" "SUBACK 0x01" \
    mq sub rap-late 'sigterm/#' $RAP
srv_kill9
srv_restart
_report $? "on subscribe: node restarts after kill -9" "$(tail -n 20 "$SRV_LOG")"
pub1 sigterm/end2 end2 0
mq recv rap-late end2 10000 >"$T/late.out"
expect_out "on subscribe: unacknowledged retained messages are sent again after kill -9" \
    "sigterm/a|sigterm-a|1 sigterm/b|sigterm-b|1 sigterm/end2|end2|0" got "$T/late.out"
node_ok "restarts"
srv_stop

# 6b: max_queued = 3; a retained message arriving when the queue is full
# waits in the log like the others.
D2=$T/q
mkdir -p "$D2"
cp "$D/principals.json" "$D2/"
cat >"$T/q.conf" <<EOF
[node]
name = it-q
max_queued = 3
EOF
srv_start "$D2" --config "$T/q.conf" --mqtt 127.0.0.1:@PORT@ --principals "$D2/principals.json"
_report $? "node with max_queued = 3 starts" "$(cat "$SRV_LOG")"
expect_out "full queue: RAP session subscribes" "SUBACK 0x01" mq sub rap-q 'q/#' $RAP
for i in 1 2 3; do pub1 "q/$i" "q$i" 0; done
pub1 q/4 q4 1
pub1 q/5 q5 0
mq recv rap-q q5 10000 >"$T/q.out"
expect_out "full queue: the retained message is refilled from the log in order, retain flag kept" \
    "q/1|q1|0 q/2|q2|0 q/3|q3|0 q/4|q4|1 q/5|q5|0" got "$T/q.out"
node_ok "max_queued"
srv_stop
_report $? "max_queued node stops with exit 0"

# 16: retained caps.  retained_per_principal = 2: alice's third retained
# topic is refused with 0x97 (Quota exceeded) and audited; replacing and
# deleting her topics still works; bob has his own account; the node's
# cap (retained_max = 3) counts everyone's.
D3=$T/c
mkdir -p "$D3"
cp "$D/principals.json" "$D3/"
echo pw-bob | $PN principal add bob --nation USA --clearance NS --password-stdin \
    --principals "$D3/principals.json" >/dev/null
printf '[node]\nname = it-cap\nretained_per_principal = 2\nretained_max = 3\n' >"$T/c.conf"
srv_start "$D3" --config "$T/c.conf" --mqtt 127.0.0.1:@PORT@ --principals "$D3/principals.json"
_report $? "node with retained_per_principal = 2, retained_max = 3 starts" "$(cat "$SRV_LOG")"
pub1 cap/1 c1 1
pub1 cap/2 c2 1
expect_out "cap: alice's third retained topic is refused with 0x97" "ACK 0x97" \
    mq pub cap/3 c3 1 1 "$L"
pub1 cap/1 c1-new 1
expect_out "cap: a non-retained publish on a new topic is not capped" "ACK 0x00" \
    mq pub cap/3 live 1 0 "$L"
bob() { node tests/it/node/mqcli.js "$PORT" bob pw-bob "$@"; }
expect_out "cap: bob's first retained topic is accepted" "ACK 0x00" bob pub cap/b1 b1 1 1 "$L"
expect_out "cap: the node's fourth retained topic is refused with 0x97" "ACK 0x97" \
    bob pub cap/b2 b2 1 1 "$L"
expect_out "cap: deleting one of alice's topics is accepted" "ACK 0x00" mq pub cap/2 "" 1 1 "$L"
pub1 cap/4 c4 1
expect_out "cap: a RAP session subscribing gets the retained messages held" "SUBACK 0x01" \
    mq sub rap-cap 'cap/#' $RAP
pub1 cap/end end-cap 0
mq recv rap-cap end-cap 10000 >"$T/cap.out"
expect_out "cap: held are cap/1 (replaced), cap/4 and cap/b1, nothing refused" \
    "cap/1|c1-new|1 cap/4|c4|1 cap/b1|b1|1 cap/end|end-cap|0" \
    bash -c "sed -n 's/^MSG //p' '$T/cap.out' | sort | paste -sd' '"
ok "cap: the two refusals are audited (retained_quota)" bash -c \
    "[ \$('$PN' audit --data '$D3' --since 1h | grep -cE 'publish_refused .*retained_quota') -eq 2 ]"
node_ok "retained caps"
srv_stop
_report $? "retained caps node stops with exit 0"

# Retained publishes read in one loop turn count against the cap before
# the commit stores them.
D4=$T/b
mkdir -p "$D4"
cp "$D/principals.json" "$D4/"
printf '[node]\nname = it-burst\nretained_per_principal = 2\n' >"$T/b.conf"
srv_start "$D4" --config "$T/b.conf" --mqtt 127.0.0.1:@PORT@ --principals "$D4/principals.json"
_report $? "node with retained_per_principal = 2 starts" "$(cat "$SRV_LOG")"
expect_out "burst: 5 retained topics in one write, the cap of 2 holds within one turn" \
    "ACKS 0x00 0x00 0x97 0x97 0x97" mq burst burst 5 "$L"
node_ok "burst"
srv_stop
_report $? "burst node stops with exit 0"

done_testing
