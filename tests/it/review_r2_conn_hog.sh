#!/usr/bin/env bash
# review_r2_conn_hog.sh -- review r2: one authenticated principal can hold
# every connection the node admits (max_connections; no per-principal or
# per-address cap once logged in, MQTT keep alive 0 never times out), and
# the node then refuses every other principal -- one client stops the node
# serving others.  Here max_connections = 12: alice opens 12 MQTT
# connections and idles; bob (another principal, another address) must
# still get in.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need python3 || exit
it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
add() { echo "pw-$1" | "$PN" principal add "$1" --nation SWE --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null; }
add alice
add bob
cat >"$D/node.conf" <<EOF2
[node]
max_connections = 12
EOF2
srv_start "$D" --config "$D/node.conf" --mqtt 127.0.0.1:@PORT@ --node it-h --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"
cat >"$T/hog.py" <<'PY'
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
def s_(b): return struct.pack(">H", len(b)) + b
socks = []
for i in range(n):
    body = s_(b"MQTT") + bytes([5, 0xC2]) + struct.pack(">H", 0) + b"\x00" + s_(b"hog%d" % i) + s_(b"alice") + s_(b"pw-alice")
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(bytes([0x10, len(body)]) + body)
    r = s.recv(4)
    if len(r) < 4 or r[3] != 0:
        break
    socks.append(s)
print(len(socks), flush=True)
time.sleep(float(sys.argv[3]))
PY
python3 "$T/hog.py" "$PORT" 12 8 >"$T/hog.out" &
HOG=$!
wait_until 5 test -s "$T/hog.out"
ok "alice holds $(cat "$T/hog.out") connections" test -s "$T/hog.out"
# bob from another loopback address
out=$(python3 - "$PORT" <<'PY'
import socket, struct, sys
def s_(b): return struct.pack(">H", len(b)) + b
body = s_(b"MQTT") + bytes([5, 0xC2]) + struct.pack(">H", 30) + b"\x00" + s_(b"bob1") + s_(b"bob") + s_(b"pw-bob")
try:
    s = socket.socket(); s.settimeout(3); s.bind(("127.0.0.2", 0)); s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(bytes([0x10, len(body)]) + body)
    r = s.recv(4)
    print("connack %d" % r[3] if len(r) == 4 else "closed without CONNACK")
except Exception as e:
    print("error %s" % e)
PY
)
ok "bob still gets in while alice holds her connections ($out)" test "$out" = "connack 0"
kill "$HOG" 2>/dev/null
wait "$HOG" 2>/dev/null
srv_stop
ok "node stops, no sanitizer report" srv_clean_log
done_testing
