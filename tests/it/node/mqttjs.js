// mqttjs.js -- MQTT.js (npm "mqtt") against a partnernet node.
//
//   PORT=... TLSPORT=... CA=... CERT_DIR=... node mqttjs.js
//
// Principals on the node: alice (SWE, NS) and olena (UKR, NS), passwords
// pw-alice / pw-olena, certificates CERT_DIR/alice.{pem,key} (CN alice.swe)
// and CERT_DIR/olena.{pem,key} (CN olena.ukr) signed by CA.
// Connects MQTT 5 and 3.1.1 subscribers over TCP and TLS (client
// certificates), publishes labelled messages (one through a topic alias),
// and checks every subscriber receives exactly what decide() allows, with
// the label user property.  Prints "PASS what" / "FAIL what: detail" per
// check; exits 1 when one failed.
'use strict';
const {check, finish} = require('./tap');
const fs = require('fs');
const path = require('path');
const mqtt = require('mqtt');

const env = process.env;
const PORT = Number(env.PORT), TLSPORT = Number(env.TLSPORT);
const L_S = 'NATO SECRET REL TO NATO';
const L_C = 'NATO CONFIDENTIAL REL TO NATO, UKR';
const L_U = 'NATO UNCLASSIFIED REL TO PFP';

function connect(name, opts) {
    return new Promise((resolve) => {
        const c = mqtt.connect(Object.assign({reconnectPeriod: 0, connectTimeout: 10000}, opts));
        const t = setTimeout(() => resolve({c, err: new Error('timeout')}), 10000);
        c.once('connect', (ack) => { clearTimeout(t); resolve({c, ack}); });
        c.once('error', (err) => { clearTimeout(t); resolve({c, err}); });
    }).then((r) => {
        check(`${name}: connected`, !r.err, r.err && r.err.message);
        return r;
    });
}

const pw = (user, version) => ({host: '127.0.0.1', port: PORT, protocolVersion: version, username: user,
    password: 'pw-' + user, clean: true});
const cert = (who, version) => ({protocol: 'mqtts', host: '127.0.0.1', port: TLSPORT, protocolVersion: version,
    ca: fs.readFileSync(env.CA), cert: fs.readFileSync(path.join(env.CERT_DIR, who + '.pem')),
    key: fs.readFileSync(path.join(env.CERT_DIR, who + '.key')), clean: true});

function subscribe(c, filter, qos) {
    return new Promise((resolve) => c.subscribe(filter, {qos}, (err, granted) => resolve({err, granted})));
}

function publish(c, topic, payload, opts) {
    return new Promise((resolve) => c.publish(topic, payload, opts, (err, pkt) => resolve({err, pkt})));
}

// Collect the messages a client receives until it sees payload 'done'.
function collect(c) {
    const got = [];
    const done = new Promise((resolve) => {
        c.on('message', (topic, payload, packet) => {
            const p = packet.properties || {};
            const u = p.userProperties || {};
            got.push({topic, payload: payload.toString(), label: u.label, user: u, qos: packet.qos,
                expiry: p.messageExpiryInterval});
            if (payload.toString() === 'done') resolve();
        });
    });
    return {got, done};
}

const within = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(r, ms))]);

(async () => {
    const watchdog = setTimeout(() => { console.log('FAIL finished within 30 s -- watchdog'); process.exit(1); }, 30000);
    const subs = {
        'alice v5 tcp': await connect('alice v5 tcp', pw('alice', 5)),
        'olena v5 tcp': await connect('olena v5 tcp', pw('olena', 5)),
        'alice v4 tcp': await connect('alice v4 tcp', pw('alice', 4)),
        'olena v5 tls': await connect('olena v5 tls (client certificate)', cert('olena', 5)),
        'alice v4 tls': await connect('alice v4 tls (client certificate)', cert('alice', 4)),
        // Asks for server-to-client topic aliases: MQTT.js resolves them.
        'alice v5 aliases': await connect('alice v5 tcp, Topic Alias Maximum 10',
            Object.assign(pw('alice', 5), {properties: {topicAliasMaximum: 10}})),
    };
    const want = {
        'alice v5 tcp': ['secret', 'conf', 'secret-2', 'tls-secret', 'done'],
        'olena v5 tcp': ['conf', 'done'],
        'alice v4 tcp': ['secret', 'conf', 'secret-2', 'tls-secret', 'done'],
        'olena v5 tls': ['conf', 'done'],
        'alice v4 tls': ['secret', 'conf', 'secret-2', 'tls-secret', 'done'],
        'alice v5 aliases': ['secret', 'conf', 'secret-2', 'tls-secret', 'done'],
    };
    const col = {};
    // What the aliasing subscriber's PUBLISHes carried on the wire.
    const aliasWire = [];
    if (subs['alice v5 aliases'].c)
        subs['alice v5 aliases'].c.on('packetreceive', (p) => {
            if (p.cmd === 'publish') aliasWire.push({topic: String(p.topic), alias: p.properties && p.properties.topicAlias});
        });
    for (const [name, r] of Object.entries(subs)) {
        if (r.err) continue;
        col[name] = collect(r.c);
        const s = await subscribe(r.c, 'js/#', 2);
        check(`${name}: subscribed QoS 2`, !s.err && s.granted[0].qos === 2, s.err ? s.err.message : JSON.stringify(s.granted));
    }

    const pub = await connect('publisher alice v5 (topic aliases)', Object.assign(pw('alice', 5), {autoUseTopicAlias: true}));
    const pub4 = await connect('publisher alice v4', pw('alice', 4));
    const pubTls = await connect('publisher alice v5 tls', cert('alice', 5));
    const aliasMax = pub.ack && pub.ack.properties ? pub.ack.properties.topicAliasMaximum : undefined;
    check('CONNACK grants topic aliases', aliasMax > 0, `topicAliasMaximum ${aliasMax}`);
    const sent = [];
    pub.c.on('packetsend', (p) => { if (p.cmd === 'publish') sent.push({topic: String(p.topic), alias: p.properties && p.properties.topicAlias}); });

    const lab = (l, extra) => ({userProperties: Object.assign({label: l}, extra || {})});
    let r = await publish(pub.c, 'js/t', 'secret', {qos: 1, properties: Object.assign({topicAlias: 1}, lab(L_S, {origin: 'mqttjs'}))});
    check('publish with label (registers topic alias 1): PUBACK success', !r.err, r.err && r.err.message);
    r = await publish(pub.c, 'js/t', 'conf', {qos: 1, properties: lab('nato confidential rel to nato, ukr')});
    check('publish through the topic alias: PUBACK success', !r.err, r.err && r.err.message);
    check('the second publish went out with an empty topic and alias 1',
        sent.length >= 2 && sent[1].topic === '' && sent[1].alias === 1, JSON.stringify(sent));
    r = await publish(pub.c, 'js/t', 'nolabel', {qos: 1});
    check('publish without label: PUBACK 0x87 Not authorized', r.err && r.err.code === 0x87, r.err ? `${r.err.message} ${r.err.code}` : 'accepted');
    r = await publish(pub.c, 'js/t', 'bad-label', {qos: 1, properties: lab('NATO SECRET REL TO ATLANTIS')});
    check('publish with an unparseable label: PUBACK 0x99', r.err && r.err.code === 0x99, r.err ? `${r.err.message} ${r.err.code}` : 'accepted');
    r = await publish(pub.c, 'js/t', 'nolabel-q2', {qos: 2});
    check('QoS 2 publish without label: PUBREC 0x87', r.err && r.err.code === 0x87, r.err ? `${r.err.message} ${r.err.code}` : 'accepted');
    r = await publish(pub.c, 'js/t', 'secret-2', {qos: 2, properties: lab(L_S)});
    check('QoS 2 publish with label: completed', !r.err, r.err && r.err.message);
    r = await publish(pub4.c, 'js/t', 'v4-nolabel', {qos: 1});
    check('3.1.1 publish without label (no topic default): PUBACK (dropped, audited)', !r.err, r.err && r.err.message);
    r = await publish(pubTls.c, 'js/t', 'tls-secret', {qos: 1, properties: lab(L_S)});
    check('publish over TLS with a client certificate: PUBACK success', !r.err, r.err && r.err.message);
    r = await publish(pub.c, 'js/t', 'done', {qos: 1, properties: Object.assign({messageExpiryInterval: 600}, lab(L_U))});
    check('publish final message', !r.err, r.err && r.err.message);

    await within(Promise.all(Object.values(col).map((x) => x.done)), 10000);
    for (const [name, x] of Object.entries(col)) {
        // MQTT.js hands a QoS 2 message over at PUBREL, so compare as sets.
        const payloads = x.got.map((g) => g.payload).sort();
        check(`${name}: received exactly ${want[name].join(',')}`, JSON.stringify(payloads) === JSON.stringify([...want[name]].sort()),
            JSON.stringify(x.got.map((g) => g.payload)));
        check(`${name}: every topic arrives as js/t`, x.got.every((g) => g.topic === 'js/t'), JSON.stringify(x.got.map((g) => g.topic)));
    }
    const labels = {secret: L_S, conf: L_C, 'secret-2': L_S, 'tls-secret': L_S, done: L_U};
    for (const name of ['alice v5 tcp', 'olena v5 tcp', 'olena v5 tls']) {
        if (!col[name]) continue;
        const bad = col[name].got.filter((g) => g.label !== labels[g.payload]);
        check(`${name}: the label user property is the canonical label`, bad.length === 0, JSON.stringify(bad));
    }
    if (col['alice v5 aliases']) {
        // (What went over the wire is checked byte for byte by raw.js
        // "aliases"; MQTT.js rewrites the packets it hands to listeners.)
        check('alice v5 aliases: the node used aliases (some PUBLISH came with an empty topic)',
            aliasWire.some((w) => w.topic === '' && w.alias === 1), JSON.stringify(aliasWire));
        check('alice v5 aliases: MQTT.js resolved every server topic alias to js/t',
            col['alice v5 aliases'].got.length === 5 && col['alice v5 aliases'].got.every((g) => g.topic === 'js/t'),
            JSON.stringify(col['alice v5 aliases'].got.map((g) => g.topic + ':' + g.payload + ':' + g.qos)));
    }
    if (col['alice v5 tcp']) {
        const d = col['alice v5 tcp'].got.find((g) => g.payload === 'done');
        check('a Message Expiry Interval arrives as the time left (600 s or less)',
            d && d.expiry > 590 && d.expiry <= 600, JSON.stringify(d && d.expiry));
        const s = col['alice v5 tcp'].got.find((g) => g.payload === 'secret');
        check('other user properties are forwarded', s && s.user.origin === 'mqttjs', JSON.stringify(s && s.user));
        const q = col['alice v5 tcp'].got.find((g) => g.payload === 'secret-2');
        check('QoS 2 delivered at QoS 2', q && q.qos === 2, JSON.stringify(q));
    }
    for (const r2 of [...Object.values(subs), pub, pub4, pubTls]) if (r2.c) r2.c.end(true);
    clearTimeout(watchdog);
    finish();
})();
