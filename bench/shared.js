// shared.js -- a shared subscription under load: N QoS 1 messages published
// (at most 500 unacknowledged at a time) to a group of K members, each
// acknowledging at once.  Prints messages/s from the first publish to the
// last delivery, each member's share, and any message lost or delivered
// twice (there should be none).
//
//   node bench/shared.js PORT USER PASSWORD [N [K]]
'use strict';
const m = require('../tests/it/node/mqttraw.js');
const [port, user, pass] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const N = Number(process.argv[5] || 10000), K = Number(process.argv[6] || 3);
const LABEL = 'NATO UNCLASSIFIED';
const WINDOW = 500;

async function member(i, seen, done) {
    const c = await m.open(port, {version: 5, user, pass, clientId: `bench-share-${i}`});
    c.send(m.subscribe({filters: [['$share/bench/bench/share/#', 1]]}));
    await c.next(5000, 'SUBACK');
    c.count = 0;
    (async () => {
        for (;;) {
            const p = await c.next(30000, 'PUBLISH');
            if (!p) return;
            c.send(m.ack(4, p.id));
            c.count++;
            const k = Number(p.payload.toString());
            seen[k]++;
            done.n++;
            if (done.n === N) done.resolve();
        }
    })();
    return c;
}

(async () => {
    const seen = new Uint32Array(N);
    const done = {n: 0};
    const all = new Promise((resolve) => { done.resolve = resolve; });
    const members = [];
    for (let i = 0; i < K; i++) members.push(await member(i, seen, done));
    const p = await m.open(port, {version: 5, user, pass, clientId: 'bench-share-pub'});
    const props = [m.prop.user('label', LABEL)];
    const t0 = process.hrtime.bigint();
    let sent = 0, acked = 0;
    while (acked < N) {
        const batch = [];
        while (sent < N && sent - acked < WINDOW) {
            batch.push(m.publish({topic: `bench/share/t${sent % 10}`, qos: 1, id: (sent % 60000) + 1, props, payload: String(sent)}));
            sent++;
        }
        if (batch.length) p.send(Buffer.concat(batch));
        const a = await p.next(30000, 'PUBACK');
        if (!a) break;
        acked++;
    }
    const timeout = new Promise((resolve) => setTimeout(resolve, 30000));
    await Promise.race([all, timeout]);
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    let lost = 0, twice = 0;
    for (const v of seen) {
        if (v === 0) lost++;
        if (v > 1) twice++;
    }
    console.log(`${N} QoS 1 messages to a group of ${K} members: ${Math.round(done.n / secs)} msg/s ` +
        `(${secs.toFixed(2)} s), shares ${members.map((c) => c.count).join(' / ')}, lost ${lost}, twice ${twice}`);
    for (const c of [...members, p]) c.destroy();
    process.exit(lost || twice ? 1 : 0);
})();
