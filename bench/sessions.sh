#!/usr/bin/env bash
# sessions.sh -- what persistent sessions cost on disk (issue 10, item 14).
#
#   bench/sessions.sh [BINARY] [SESSIONS] [SUBSCRIPTIONS]
#
# Starts BINARY (default ./partnernet) on a fresh data directory, has one
# principal make SESSIONS persistent sessions (default 180) of SUBSCRIPTIONS
# subscriptions each (default 256, 60-byte filters), leaves them offline,
# then prints: the session state on disk, the bytes the node writes
# (/proc/PID/io wchar) for one more subscription on a connected session, the
# bytes it writes and the CPU it uses while idle for 5 s.  Pass PN_CONF=FILE
# to add a config file (e.g. `max_sessions_per_principal = 200` for a node
# that caps sessions).  Needs node (Node.js); ports are chosen free.
set -euo pipefail
cd "$(dirname "$0")/.."
PN=${1:-./partnernet}
N=${2:-180}
K=${3:-256}
TMP=$(mktemp -d)
SRV=
trap '[ -n "$SRV" ] && { kill -9 "$SRV"; wait "$SRV"; } 2>/dev/null; rm -rf "$TMP"' EXIT
echo pw | "$PN" principal add bench --nation SWE --clearance NS --password-stdin \
    --principals "$TMP/principals.json" >/dev/null
for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 20000))
    "$PN" serve --data "$TMP/data" --mqtt "127.0.0.1:$PORT" --http off --principals "$TMP/principals.json" \
        ${PN_CONF:+--config "$PN_CONF"} >"$TMP/log" 2>&1 &
    SRV=$!
    for _ in $(seq 100); do grep -q ' ready: ' "$TMP/log" && break; sleep 0.1; done
    grep -q ' ready: ' "$TMP/log" && break
    kill -9 "$SRV" 2>/dev/null || true
    SRV=
done
[ -n "$SRV" ] || { cat "$TMP/log" >&2; exit 1; }

node - "$PORT" "$SRV" "$N" "$K" <<'JS'
const m = require(process.cwd() + '/tests/it/node/mqttraw.js');
const fs = require('fs');
const [port, pid, n, k] = process.argv.slice(2).map(Number);
const login = (id) => ({version: 5, user: 'bench', pass: 'pw', clientId: id, clean: false, props: [m.prop.sessionExpiry(86400)]});
const wchar = () => Number(/wchar: (\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
const cpu = () => { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return Number(f[11]) + Number(f[12]); };
const filter = (i, j) => `bench/session-${String(i).padStart(4, '0')}/some/longer/topic/level/${String(j).padStart(4, '0')}/+`;
(async () => {
    for (let i = 0; i < n; i++) {
        const c = await m.open(port, login(`bench-${i}`));
        if (!c.connack || c.connack.reason !== 0) throw new Error(`session ${i}: CONNACK ${c.connack && c.connack.reason}`);
        c.send(m.subscribe({id: 1, filters: Array.from({length: k}, (_, j) => [filter(i, j), 1])}));
        await c.next(10000, 'SUBACK');
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    }
    const c = await m.open(port, login('bench-0'));
    await new Promise((r) => setTimeout(r, 1500)); /* let the attach be written */
    const w0 = wchar();
    /* A change of an existing subscription (QoS 1 -> 0): the session is at
     * its subscription cap, so a new filter would be refused. */
    c.send(m.subscribe({id: 2, filters: [[filter(0, 0), 0]]}));
    await c.next(10000, 'SUBACK');
    await new Promise((r) => setTimeout(r, 300)); /* the write follows in the same loop turn */
    const w1 = wchar();
    c.send(m.disconnect(0));
    await c.closedWithin(5000);
    c.destroy();
    await new Promise((r) => setTimeout(r, 1500));
    const i0 = wchar(), c0 = cpu();
    await new Promise((r) => setTimeout(r, 5000));
    const i1 = wchar(), c1 = cpu();
    console.log(`${n} sessions x ${k} subscriptions`);
    console.log(`one subscription change: ${w1 - w0} bytes written`);
    console.log(`idle 5 s: ${i1 - i0} bytes written, ${((c1 - c0) / 5).toFixed(0)}% of a core (clock ticks/s = 100)`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
echo "session state on disk: $(du -sb "$TMP/data/sessions.json" "$TMP/data/sessions" 2>/dev/null | awk '{s += $1} END {print s}') bytes"
