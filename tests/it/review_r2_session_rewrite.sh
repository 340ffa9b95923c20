#!/usr/bin/env bash
# review_r2_session_rewrite.sh -- review r2: a persistent session's file is
# rewritten (whole, fsynced, on the loop thread) once a second whenever its
# resume offset moved -- and with an empty queue that offset is the log's
# end, so ANY publish by anyone, on any topic, moves it.  One principal with
# two persistent sessions of 256 filters of 60,000 bytes (within
# max_subscriptions and the 65,535-byte topic limit) makes every 16-byte
# message on an unrelated topic cost ~30 MB of session writes a second.
# Expected: publishes that concern no session cause (almost) no session
# writes.  Measured: wchar of /proc/PID/io over 4 s of one message a second.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need python3 mosquitto_pub || exit
it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
add() { echo "pw-$1" | "$PN" principal add "$1" --nation SWE --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null; }
add alice
add bob
cat >"$D/node.conf" <<EOF2
[topic t/#]
label = NATO UNCLASSIFIED REL TO PFP
EOF2
srv_start "$D" --config "$D/node.conf" --mqtt 127.0.0.1:@PORT@ --node it-w --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"
cat >"$T/subs.py" <<'PY'
import socket, struct, sys
port, cid = int(sys.argv[1]), sys.argv[2].encode()
def s_(b): return struct.pack(">H", len(b)) + b
def varint(n):
    out = b""
    while True:
        d, n = n % 128, n // 128
        out += bytes([d | (0x80 if n else 0)])
        if not n: return out
def recv_pkt(s):
    h = s.recv(1); n = 0; m = 1
    while True:
        b = s.recv(1)[0]; n += (b & 127) * m; m *= 128
        if b < 128: break
    d = b""
    while len(d) < n: d += s.recv(n - len(d))
    return h[0], d
s = socket.create_connection(("127.0.0.1", port), timeout=20)
body = s_(b"MQTT") + bytes([5, 0xC0]) + struct.pack(">H", 0) + b"\x05\x11\xff\xff\xff\xff" + s_(cid) + s_(b"alice") + s_(b"pw-alice")
s.sendall(b"\x10" + varint(len(body)) + body)
assert recv_pkt(s)[1][1] == 0
granted = 0
for k in range(16):  # 16 SUBSCRIBEs of 16 filters of 60,000 bytes: 256
    pl = b"".join(s_(b"f/%03d/%s" % (k * 16 + j, b"y" * 59990)) + b"\x01" for j in range(16))
    vh = struct.pack(">H", k + 1) + b"\x00"
    s.sendall(b"\x82" + varint(len(vh) + len(pl)) + vh + pl)
    t, d = recv_pkt(s)
    granted += sum(1 for c in d[3:] if c < 0x80)
s.sendall(b"\xe0\x00")
print(granted)
PY
for c in w1 w2; do
    n=$(python3 "$T/subs.py" "$PORT" "$c")
    ok "session $c: $n subscriptions granted" test "$n" = 256
done
sleep 2
before=$(sed -n 's/^wchar: //p' "/proc/$SRV_PID/io")
for i in 1 2 3 4; do
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -u bob -P pw-bob -t t/unrelated -m "sixteen bytes.." -q 1
    sleep 1
done
after=$(sed -n 's/^wchar: //p' "/proc/$SRV_PID/io")
mb=$(((after - before) / 1000000))
ok "4 messages of 16 bytes on a topic no session subscribes to: the node wrote ${mb} MB (expected < 5 MB)" test "$mb" -lt 5
ls -la "$D/sessions" | sed 's/^/# /'
srv_stop
ok "node stops, no sanitizer report" srv_clean_log
done_testing
