#!/usr/bin/env bash
# harden_qos2.sh -- a QoS 2 publish is stored once even when the
# connection drops before the publisher saw PUBREC and the publisher
# resends it with DUP on a resumed session, after a reconnect, a SIGTERM
# restart or kill -9 (issue 10, item 9: the packet ids awaiting PUBREL
# belong to the session, not to the connection).  Client steps:
# tests/it/node/mqcli.js.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need node || exit
it_tmp
T=$IT_TMP
L='NATO UNCLASSIFIED REL TO PFP'

mq() { node tests/it/node/mqcli.js "$PORT" alice pw-alice "$@"; }
got() { sed -n 's/^MSG //p' "$1" | paste -sd' '; }

D=$T/n
mkdir -p "$D"
echo pw-alice | $PN principal add alice --nation USA --clearance NS --password-stdin \
    --principals "$D/principals.json" >/dev/null
srv_start "$D" --mqtt 127.0.0.1:@PORT@ --principals "$D/principals.json" --node it-q2
_report $? "node starts" "$(cat "$SRV_LOG")"
expect_out "subscriber session (QoS 1) subscribes" "SUBACK 0x01" mq sub q2sub 'q2/#' 1

id=7
for how in reconnect sigterm kill9; do
    expect_out "$how: QoS 2 publish stored (PUBREC 0x00), connection dropped" "PUBREC 0x00" \
        mq q2cut q2pub "q2/$how" "$how-once" $id "$L"
    case $how in
    sigterm)
        srv_stop
        _report $? "$how: node stops with exit 0"
        ;;
    kill9) srv_kill9 ;;
    esac
    if [ $how != reconnect ]; then
        srv_restart
        _report $? "$how: node restarts" "$(tail -n 20 "$SRV_LOG")"
    fi
    expect_out "$how: the resent DUP is acknowledged, PUBREL completes with 0x00" \
        "PUBREC 0x00
PUBCOMP 0x00" mq q2dup q2pub "q2/$how" "$how-once" $id "$L"
    expect_out "$how: end marker published" "ACK 0x00" mq pub q2/end "$how-end" 1 0 "$L"
    mq recv q2sub "$how-end" 10000 >"$T/$how.out"
    expect_out "$how: the subscriber gets the QoS 2 message once" \
        "q2/$how|$how-once|0 q2/end|$how-end|0" got "$T/$how.out"
    id=$((id + 1))
done

# A clean start forgets the ids: the same packet id is a new message.
expect_out "clean start: PUBLISH with a used packet id is a new message" "ACK 0x00" \
    mq pub q2/new fresh 2 0 "$L"
expect_out "clean start: PUBLISH id 1 again is stored again" "ACK 0x00" mq pub q2/new fresh2 2 0 "$L"
mq recv q2sub fresh2 10000 >"$T/clean.out"
expect_out "clean start: both reach the subscriber" "q2/new|fresh|0 q2/new|fresh2|0" got "$T/clean.out"

ok "node still serving" srv_alive
rep=$(srv_clean_log)
_report $? "no sanitizer report" "$rep"
srv_stop
_report $? "node stops with exit 0"
done_testing
