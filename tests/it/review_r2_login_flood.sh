#!/usr/bin/env bash
# review_r2_login_flood.sh -- review r2: every MQTT CONNECT with a password
# queues one scrypt check (~tens of ms) on libuv's thread pool, and the check
# stays queued when its connection closes.  Admission caps count connections,
# not queued checks: a client that sends CONNECT with a wrong password and
# closes at once, a few hundred times (no credentials needed, each socket
# lives a millisecond), makes an unbounded FIFO of scrypt work in front of
# every real login.  bob, with the right password, then cannot log in within
# connect_timeout (here 3 s) -- a cheap way to stop the node serving others
# (and the queue holds memory for each closed connection).
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
connect_timeout = 3
EOF2
srv_start "$D" --config "$D/node.conf" --mqtt 127.0.0.1:@PORT@ --node it-f --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"
cat >"$T/flood.py" <<'PY'
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
def s_(b): return struct.pack(">H", len(b)) + b
def connect(cid, user, pw):
    body = s_(b"MQTT") + bytes([5, 0xC2]) + struct.pack(">H", 30) + b"\x00" + s_(cid) + s_(user) + s_(pw)
    return bytes([0x10, len(body)]) + body
t0 = time.time()
for i in range(n):  # a wrong password, and gone at once
    a = socket.socket()
    a.bind(("127.0.0.4", 0))
    a.connect(("127.0.0.1", port))
    a.sendall(connect(b"x%d" % i, b"alice", b"guess%d" % i))
    time.sleep(0.002)
    a.close()
sent = time.time() - t0
s = socket.create_connection(("127.0.0.1", port), timeout=15)
t1 = time.time()
s.sendall(connect(b"bob1", b"bob", b"pw-bob"))
try:
    r = s.recv(4)
    res = "connack %d" % r[3] if len(r) == 4 and r[0] == 0x20 else "closed without CONNACK"
except Exception as e:
    res = "error %s" % e
print("%s after %.1f s (flood of %d sent in %.1f s)" % (res, time.time() - t1, n, sent))
PY
out=$(python3 "$T/flood.py" "$PORT" 0)
ok "control: bob logs in ($out)" bash -c "case '$out' in 'connack 0 '*) true;; *) false;; esac"
out=$(python3 "$T/flood.py" "$PORT" 300)
ok "bob logs in after 300 abandoned wrong-password CONNECTs ($out)" bash -c "case '$out' in 'connack 0 '*) true;; *) false;; esac"
srv_stop
ok "node stops, no sanitizer report" srv_clean_log
done_testing
