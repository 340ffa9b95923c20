#!/usr/bin/env bash
# review_r2_session_quota_recycled.sh -- review r2: persistent sessions left
# by an earlier principal of the same name (removed, then added again: another
# instance id) count against the new principal's max_sessions_per_principal.
# The new bohdan cannot have a single persistent session until the old
# instance's sessions expire (7 days for 3.1.1), although those sessions are
# not his and would be discarded if he resumed them.
. "$(dirname "$0")/../lib.sh"
. tests/it/lib/server.sh

it_need mosquitto_pub node || exit
it_tmp
T=$IT_TMP
D=$T/d
mkdir -p "$D"
add() { echo "pw-$1" | "$PN" principal add "$1" --nation SWE --clearance NS --password-stdin --principals "$D/principals.json" >/dev/null; }
add bohdan
cat >"$D/node.conf" <<EOF2
[node]
max_sessions_per_principal = 1
EOF2
srv_start "$D" --config "$D/node.conf" --mqtt 127.0.0.1:@PORT@ --node it-q --principals "$D/principals.json"
_report $? "node starts" "$(cat "$SRV_LOG")"
# connack.js CLIENTID USER PASS -> prints the CONNACK reason code
cat >"$T/connack.js" <<'JS'
const net = require('net');
const [port, cid, user, pass] = process.argv.slice(2);
function str(s) { const b = Buffer.from(s); const l = Buffer.alloc(2); l.writeUInt16BE(b.length); return Buffer.concat([l, b]); }
// MQTT 5 CONNECT, clean start 0, session expiry 3600
const props = Buffer.from([5, 0x11, 0, 0, 0x0e, 0x10]);
const vh = Buffer.concat([str('MQTT'), Buffer.from([5, 0xc0, 0, 60]), props]);
const pl = Buffer.concat([str(cid), str(user), str(pass)]);
const body = Buffer.concat([vh, pl]);
const s = net.connect(+port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from([0x10, body.length]), body])));
s.on('data', d => { if (d[0] === 0x20) { console.log(d[3]); s.end(Buffer.from([0xe0, 0])); } });
s.on('error', e => { console.log('error ' + e.message); });
setTimeout(() => { console.log('timeout'); process.exit(0); }, 3000).unref();
JS
rc=$(node "$T/connack.js" "$PORT" old-phone bohdan pw-bohdan)
ok "old bohdan: persistent session accepted (CONNACK $rc)" test "$rc" = 0
"$PN" principal remove bohdan --principals "$D/principals.json" >/dev/null
add bohdan
kill -HUP "$SRV_PID"
sleep 1
rc=$(node "$T/connack.js" "$PORT" new-phone bohdan pw-bohdan)
ok "new bohdan (another instance): his first persistent session is accepted (CONNACK $rc, 151 = quota taken by the old instance's session)" test "$rc" = 0
srv_stop
ok "node stops, no sanitizer report" srv_clean_log
done_testing
