#!/usr/bin/env bash
# review_r2_budget_shed.sh -- review r2: the node memory budget
# (max_buffer_bytes) counts unauthenticated connections' input with
# everyone else's, and its "equal share" is budget / connections.  200
# connections that never log in, each holding a partial CONNECT just under
# that share, push the total over the budget without being over the share
# themselves; the node then closes the authenticated publisher bob (DISCONNECT 0x97) and only him, whose
# only fault is a 500 KB publish (under the 1 MiB maximum packet size)
# still arriving.  Without them bob is not closed.
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
max_buffer_bytes = 4194304
[topic t/#]
label = NATO UNCLASSIFIED REL TO PFP
EOF2
srv_start "$D" --config "$D/node.conf" --mqtt 127.0.0.1:@PORT@ --node it-b --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"
cat >"$T/shed.py" <<'PY'
import socket, struct, sys, time
port, attackers, each = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def s_(b): return struct.pack(">H", len(b)) + b
def varint(n):
    out = b""
    while True:
        d, n = n % 128, n // 128
        out += bytes([d | (0x80 if n else 0)])
        if not n: return out
bob = socket.socket()
bob.settimeout(5)
bob.connect(("127.0.0.1", port))
body = s_(b"MQTT") + bytes([5, 0xC2]) + struct.pack(">H", 0) + b"\x00" + s_(b"bob1") + s_(b"bob") + s_(b"pw-bob")
bob.sendall(bytes([0x10, len(body)]) + body)
h = bob.recv(2)
ca = b""
while len(ca) < h[1]:
    ca += bob.recv(h[1] - len(ca))
assert h[0] == 0x20 and ca[1] == 0, (h, ca)
# bob uploads a 500 KB QoS 1 publish (under the 1 MiB maximum packet size); 300 KB are sent so far
vh = s_(b"t/x") + struct.pack(">H", 7) + b"\x00"
total = len(vh) + 500000
bob.sendall(b"\x32" + varint(total) + vh + b"p" * 300000)
time.sleep(0.5)
hold = []
for i in range(attackers):  # unauthenticated: a CONNECT announced as 1 MB, EACH bytes of it sent
    a = socket.socket()
    a.bind(("127.0.0.3", 0))
    a.connect(("127.0.0.1", port))
    a.sendall(b"\x10" + varint(1000000) + b"\x00" * each)
    hold.append(a)
time.sleep(1.5)
try:
    bob.sendall(b"p" * 200000)
    bob.settimeout(3)
    r = bob.recv(100)
    print("puback" if r[:1] == b"\x40" else "closed %s" % r[:4].hex())
except Exception as e:
    print("closed %s" % e)
PY
out=$(python3 "$T/shed.py" "$PORT" 0 0)
ok "control: bob's 500 KB publish, sent slowly, is acknowledged ($out)" test "$out" = puback
out=$(python3 "$T/shed.py" "$PORT" 200 20000)
ok "200 unauthenticated sockets of 20 KB each do not get bob's connection closed ($out)" test "$out" = puback
sed -n '/over the budget/s/^/# /p' "$SRV_LOG"
srv_stop
ok "node stops, no sanitizer report" srv_clean_log
done_testing
