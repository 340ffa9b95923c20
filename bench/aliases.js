// aliases.js -- bytes a subscriber receives with and without server-to-client
// topic aliases (MQTT 5 §3.3.2.3.4), for a stream of N messages spread over
// K topics: one subscriber asks for Topic Alias Maximum K, the other for
// none; both count the bytes their socket read.
//
//   node bench/aliases.js PORT USER PASSWORD [N [K]]
'use strict';
const m = require('../tests/it/node/mqttraw.js');
const [port, user, pass] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const N = Number(process.argv[5] || 10000), K = Number(process.argv[6] || 100);
const LABEL = 'NATO UNCLASSIFIED';

async function subscriber(id, aliasMax) {
    const props = aliasMax ? [Buffer.from([0x22, aliasMax >> 8, aliasMax & 255])] : [];
    const c = await m.open(port, {version: 5, user, pass, clientId: id, props});
    c.bytes = 0;
    c.sock.on('data', (d) => { c.bytes += d.length; });
    c.send(m.subscribe({filters: [['bench/alias/#', 0]]}));
    await c.next(5000, 'SUBACK');
    c.bytes = 0;
    return c;
}

(async () => {
    const a = await subscriber('bench-alias', K);
    const b = await subscriber('bench-noalias', 0);
    const p = await m.open(port, {version: 5, user, pass, clientId: 'bench-alias-pub'});
    const topic = (i) => `bench/alias/tracks/air/sector-${String(i % K).padStart(3, '0')}/position`;
    const payload = Buffer.alloc(64, 'x');
    const until = async (c, mark) => {
        for (;;) {
            const x = await c.next(30000, 'PUBLISH');
            if (!x || x.payload.toString() === mark) return !!x;
        }
    };
    // In rounds of 1,000 messages, each round's last one a marker both
    // subscribers wait for: a burst of all N at once would overflow a QoS 0
    // subscriber's queue (10,000 messages) and measure loss, not bytes.
    const ROUND = 1000;
    for (let s = 0; s < N; s += ROUND) {
        const end = Math.min(N, s + ROUND), mark = ('mark-' + end).padEnd(64, 'x');
        const batch = [];
        for (let i = s; i < end; i++)
            batch.push(m.publish({topic: topic(i), qos: 0, props: [m.prop.user('label', LABEL)],
                                  payload: i === end - 1 ? Buffer.from(mark) : payload}));
        p.send(Buffer.concat(batch));
        const [ea, eb] = await Promise.all([until(a, mark), until(b, mark)]);
        if (!ea || !eb) {
            console.log('aliases: a subscriber did not get the whole stream');
            process.exit(1);
        }
    }
    const saved = 100 * (1 - a.bytes / b.bytes);
    console.log(`${N} messages over ${K} topics (topic ${topic(0).length} B, payload 64 B, label, id, time and sig properties):`);
    console.log(`  without aliases ${b.bytes} B, with aliases ${a.bytes} B: ${saved.toFixed(1)} % fewer bytes`);
    for (const c of [a, b, p]) c.destroy();
    process.exit(0);
})();
