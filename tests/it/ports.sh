#!/usr/bin/env bash
# ports.sh -- `make demo` and `make check` never fail because a port is
# taken: free ports are picked below the kernel's ephemeral range (where a
# client's source port cannot land on them) and skip every port in use; the
# demo picks its HTTP port too instead of the fixed 8080, and says which.
# 8080 and a picked port are occupied by a real listener first.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. tests/it/lib/server.sh
it_tmp
T=$IT_TMP

# listen PORT: a listener on 127.0.0.1:PORT for the rest of the script.
# When the port is already taken, someone else holds it (as good); should
# they let it go, the listener takes it then.
listen() {
    python3 -c '
import socket, sys, time
s = socket.socket()
for i in range(6000):
    try:
        s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); break
    except OSError:
        pass
    if i == 0: open(sys.argv[2], "w").close()
    time.sleep(0.1)
open(sys.argv[2], "w").close()
time.sleep(600)' "$1" "$T/listen.$1" >/dev/null 2>&1 &
    IT_PIDS+=($!)
    wait_until 10 test -e "$T/listen.$1"
}
listening() { grep -qi "$(printf ':%04X 00000000:0000 0A' "$1")" /proc/net/tcp; }

listen 8080
_report $? "setup: 8080 is taken"
ok "something listens on 8080" listening 8080

# 1. free_port: below the ephemeral range, never a port in use.
. scripts/ports.sh
read -r eph_low _ </proc/sys/net/ipv4/ip_local_port_range
below_ephemeral() { # N CMD: N picks of CMD all lie in 1024..eph_low-1
    local n=$1 p bad=
    for _ in $(seq "$n"); do
        p=$($2)
        { [ "$p" -ge 1024 ] && [ "$p" -lt "$eph_low" ]; } || bad+=" $p"
    done
    [ -z "$bad" ] || { echo "outside: $bad"; return 1; }
}
ok "200 picks of free_port all lie in 1024..$((eph_low - 1))" below_ephemeral 200 free_port
p=$(free_port)
listen "$p"
_report $? "setup: port $p is taken"
ok "something listens on $p" listening "$p"
q=$(free_port "$p" "$((p + 2))")
expect_out "free_port with $p taken picks the other port of the range" "$((p + 1))" echo "$q"
ok "the tests' it_port picks below the ephemeral range too" below_ephemeral 100 it_port

# 2. The live-node demo with 8080 taken: it runs, on ports it picked and names.
out=$(PN=$PN scripts/demo-node.sh 2>&1)
rc=$?
expect_out "demo-node.sh exits 0 with 8080 taken" 0 echo "$rc"
http=$(sed -n -E 's/.* and HTTP on 127\.0\.0\.1:([0-9]+).*/\1/p' <<<"$out" | head -n 1)
ok "the demo says on which port its HTTP API listens" test -n "$http"
ok "... not 8080" test "${http:-8080}" != 8080
expect_has "the node's ready line shows that HTTP port" "ready: .*http 127\.0\.0\.1:$http," echo "$out"
expect_no "no 'cannot listen' in the demo" 'cannot listen|HTTP off' echo "$out"
[ "$rc" -eq 0 ] || sed 's/^/#   /' <<<"$out" | tail -n 20

# 3. A test node started without --http while 8080 is taken still starts.
mkdir -p "$T/d"
echo '{"principals": []}' >"$T/d/principals.json"
# (8080 is busy: the node says "HTTP off"; the words are not checked, as
# on a shared machine another node may hold 8080 and let it go meanwhile.)
srv_start "$T/d" --mqtt 127.0.0.1:@PORT@ --principals "$T/d/principals.json"
_report $? "a node started without --http becomes ready while 8080 is taken"
srv_stop
_report $? "setup: the node stops"
ok "no sanitizer report" srv_clean_log
done_testing
