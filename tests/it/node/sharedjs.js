// sharedjs.js -- MQTT.js (npm "mqtt") as members of a shared subscription
// on a partnernet node.
//
//   node sharedjs.js PORT
//
// Principal alice (SWE, NS, password pw-alice) on the node.  Two MQTT 5
// clients subscribe to $share/js/js/# and to js-end; ten labelled QoS 1
// messages go to js/x, then 'done' to js-end, which each member gets after
// its share.  Prints "PASS what" / "FAIL what -- detail"; exits 1 when one
// failed.
'use strict';
const {check, finish} = require('./tap');
const mqtt = require('mqtt');

const PORT = Number(process.argv[2]);
const LABEL = {label: 'NATO UNCLASSIFIED REL TO NATO, SWE'};

function connect(clientId) {
    return new Promise((resolve, reject) => {
        const c = mqtt.connect({host: '127.0.0.1', port: PORT, protocolVersion: 5, username: 'alice',
            password: 'pw-alice', clientId, reconnectPeriod: 0, connectTimeout: 10000});
        c.once('connect', (ack) => resolve({c, ack}));
        c.once('error', reject);
    });
}

// The payloads c receives on js/x until 'done' comes on js-end.
function collect(c) {
    const got = [];
    return new Promise((resolve) => {
        c.on('message', (topic, payload) => {
            if (topic === 'js-end') resolve(got);
            else got.push(payload.toString());
        });
    });
}

(async () => {
    const members = [];
    for (const id of ['js-a', 'js-b']) {
        const {c, ack} = await connect(id);
        if (!members.length) check('MQTT.js sees Shared Subscription Available in the CONNACK',
            ack.properties && ack.properties.sharedSubscriptionAvailable === true, JSON.stringify(ack.properties));
        const got = collect(c);
        const granted = await c.subscribeAsync({'$share/js/js/#': {qos: 1}, 'js-end': {qos: 1}});
        check(`${id}: $share/js/js/# granted QoS 1`, granted[0].qos === 1, JSON.stringify(granted));
        members.push({c, got});
    }
    const {c: p} = await connect('js-pub');
    const want = Array.from({length: 10}, (_, i) => `j${i + 1}`);
    for (const payload of want)
        await p.publishAsync('js/x', payload, {qos: 1, properties: {userProperties: LABEL}});
    await p.publishAsync('js-end', 'done', {qos: 1, properties: {userProperties: LABEL}});
    const [a, b] = await Promise.all(members.map((x) => x.got));
    check('MQTT.js members: each message to exactly one', JSON.stringify([...a, ...b].sort()) === JSON.stringify([...want].sort()),
        JSON.stringify([a, b]));
    check('MQTT.js members: five each', a.length === 5 && b.length === 5, `${a.length} and ${b.length}`);
    for (const x of [...members.map((m) => m.c), p]) await x.endAsync();
    finish();
})().catch((e) => {
    check('no exception', false, e && e.stack);
    finish();
});
