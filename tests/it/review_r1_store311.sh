#!/usr/bin/env bash
# review_r1_store311.sh -- (review r1) a full disk under the log refuses
# publishes with 0x89 -- but an MQTT 3.1.1 client cannot be told: the
# refusal is encoded as a plain PUBACK (mqttEncodeAck drops the reason for
# 3.1.1; server.c onPublish/hookAck send it), so the publisher takes the
# message as stored and it is lost.  Expected: a 3.1.1 publish the node
# could not store is never acknowledged (close the connection instead, as
# for any QoS 1 message a server cannot accept), so the client resends it.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh
. tests/it/lib/http.sh
it_need mosquitto_pub || exit
it_tmp
T=$IT_TMP
MNT=
cleanup_mount() {
    local p
    for p in "${IT_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ -n "$MNT" ] && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
    it_cleanup
}
trap cleanup_mount EXIT
D=$T/d
mkdir -p "$D/log"
P=$T/principals.json
principal pub USA NS
if ! mount -t tmpfs -o size=6m tmpfs "$D/log" 2>/dev/null; then
    skip "full disk" "cannot mount a tmpfs (needs root)"
    done_testing
    exit
fi
MNT=$D/log
printf "[node]\nname = hq\n\n[topic legacy/#]\nlabel = NATO UNCLASSIFIED\n" >"$T/n.conf"
srv_start "$D" --config "$T/n.conf" --principals "$P" --mqtt 127.0.0.1:@PORT@ --http off
_report $? "setup: node starts with its log on a 6 MB tmpfs"
avail=$(df --output=avail -B1 "$MNT" | tail -1)
head -c "$avail" /dev/zero >"$MNT/filler" 2>/dev/null
head -c 1048576 /dev/zero >>"$MNT/filler" 2>/dev/null
ok "setup: the tmpfs is full" test "$(df --output=avail -B1 "$MNT" | tail -1)" -eq 0
ok "setup: an MQTT 5 QoS 1 publish is refused (Server busy)" bash -c "mosquitto_pub -h 127.0.0.1 -p $PORT -u pub -P pw-pub -V mqttv5 -q 1 -t legacy/a -m v5-refused 2>&1 | grep -q 'Server busy'"
got=$(python3 tests/it/lib/review_pub311.py 127.0.0.1 "$PORT" pub pw-pub legacy/b v311-msg)
echo "# 3.1.1 publisher: $got"
rc=1
case $got in PUBACK*) rc=0 ;; esac
rm -f "$MNT/filler"
sleep 2
stored() { "$PN" log list --data "$D" | grep -q $'\tv311-msg$'; }
if [ $rc -eq 0 ]; then
    ok "the 3.1.1 publisher got a PUBACK (exit 0), so the message is in the log" stored
else
    ok "the 3.1.1 publisher was not acknowledged (it will resend)" true
fi
"$PN" log list --data "$D" | sed 's/^/# /'
ok "the node is still up" srv_alive
done_testing
