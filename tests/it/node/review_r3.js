// review_r3.js -- (review r3) raw MQTT 5 checks of wills and principal
// changes.  node review_r3.js PORT SERVER_PID GROUP...
// env: PN (the partnernet binary), PRINCIPALS (the node's principals file).
// Prints "PASS what" / "FAIL what -- detail" (tap_run turns them into TAP).
'use strict';
const {execFileSync} = require('child_process');
const m = require('./mqttraw');

const [port, pid] = [Number(process.argv[2]), Number(process.argv[3])];
const groups = process.argv.slice(4);
let failed = 0;
const LABEL = 'NATO UNCLASSIFIED REL TO PFP';
const check = (what, cond, detail) => {
    if (cond) console.log(`PASS ${what}`);
    else failed++, console.log(`FAIL ${what} -- ${detail === undefined ? '' : detail}`);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const login = (user, extra) => Object.assign({version: 5, user, pass: 'pw-' + user, clientId: ''}, extra || {});
const pn = (...args) => execFileSync(process.env.PN, args, {stdio: ['pipe', 'ignore', 'ignore']});

// PUBLISH payloads on c within ms (QoS 1 acknowledged).
async function collect(c, ms) {
    const got = [];
    const deadline = Date.now() + ms;
    for (;;) {
        const p = await c.next(Math.max(1, deadline - Date.now()), 'PUBLISH');
        if (!p) return got;
        if (p.qos === 1) c.send(m.ack(4, p.id));
        got.push(p.topic + '|' + p.payload.toString());
    }
}

// bob leaves a delayed will (3 s) in a persistent session and drops; then he
// is removed from the principals file and the node reloads (SIGHUP).  A
// removed principal may publish nothing: his pending will must not go out
// when the delay passes (a connected session of his is revoked at the
// reload; the offline one keeps his old compiled rights).
async function willremoved() {
    const w = await m.open(port, login('watch', {clientId: 'r3-watch'}));
    w.send(m.subscribe({filters: [['r3/#', 1]]}));
    const sa = await w.next(5000, 'SUBACK');
    check('setup: watcher subscribed to r3/#', sa && sa.reasons && sa.reasons[0] === 1, JSON.stringify(sa && sa.reasons));
    const b = await m.open(port, login('bob', {clientId: 'r3-bob', clean: false, props: [m.prop.sessionExpiry(60)],
        will: {topic: 'r3/bob-will', payload: 'bob-will', qos: 1, props: [Buffer.from([0x18, 0, 0, 0, 3]), m.prop.user('label', LABEL)]}}));
    check('setup: bob logs in with a 3 s delayed will', b.connack && b.connack.reason === 0, JSON.stringify(b.connack));
    b.destroy(); // no DISCONNECT: the will is due in 3 s
    await sleep(300);
    pn('principal', 'remove', 'bob', '--principals', process.env.PRINCIPALS);
    process.kill(pid, 'SIGHUP');
    const got = await collect(w, 6000);
    check('a principal removed before his will delay passed: his will is not published', !got.includes('r3/bob-will|bob-will'),
        JSON.stringify(got));
    w.destroy();
}

// carol (NS) leaves a 3 s delayed will labelled NATO SECRET, then her
// clearance is lowered in place to NU (same principal, reload).  The will
// must be judged by decide() with her rights when it is published, not with
// the clearance she had when she connected.
async function willlowered() {
    const w = await m.open(port, login('watch', {clientId: 'r3-watch2'}));
    w.send(m.subscribe({filters: [['r3/#', 1]]}));
    await w.next(5000, 'SUBACK');
    const c = await m.open(port, login('carol', {clientId: 'r3-carol', clean: false, props: [m.prop.sessionExpiry(60)],
        will: {topic: 'r3/carol-will', payload: 'carol-will', qos: 1, props: [Buffer.from([0x18, 0, 0, 0, 3]), m.prop.user('label', 'NATO SECRET REL TO NATO')]}}));
    check('setup: carol logs in with a 3 s delayed NATO SECRET will', c.connack && c.connack.reason === 0, JSON.stringify(c.connack));
    c.destroy();
    await sleep(300);
    execFileSync(process.env.PN, ['principal', 'add', 'carol', '--nation', 'SWE', '--clearance', 'NU', '--password-stdin',
        '--principals', process.env.PRINCIPALS], {input: 'pw-carol\n', stdio: ['pipe', 'ignore', 'ignore']});
    process.kill(pid, 'SIGHUP');
    const got = await collect(w, 6000);
    check('a will above the clearance its principal has when it is due: not published', !got.includes('r3/carol-will|carol-will'),
        JSON.stringify(got));
    w.destroy();
}


// Request Problem Information 0 (§3.1.2.11.7): the server "MUST NOT send a
// Reason String or User Properties on any packet other than PUBLISH,
// CONNACK, or DISCONNECT" [MQTT-3.1.2-29] -- a strict client answers one
// with DISCONNECT 0x82.  A refused publish (no label: PUBACK 0x87) and a
// refused filter (SUBACK) must come without them.
async function problem() {
    const c = await m.open(port, login('alice', {clientId: 'r3-rpi', props: [Buffer.from([0x17, 0])]}));
    check('setup: alice logs in with Request Problem Information 0', c.connack && c.connack.reason === 0, JSON.stringify(c.connack));
    c.send(m.publish({topic: 'r3/nolabel', qos: 1, id: 9, props: [], payload: 'x'}));
    const a = await c.next(5000, 'PUBACK');
    const bare = (p) => p && (!p.props || (!(0x1f in p.props) && Object.keys(p.props.user).length === 0));
    check('setup: a publish without a label is refused (PUBACK 0x87)', a && a.reason === 0x87, JSON.stringify(a && a.reason));
    check('Request Problem Information 0: the PUBACK carries no Reason String nor User Property', bare(a),
        JSON.stringify(a && a.props));
    c.send(m.subscribe({id: 10, filters: [['a/#/b', 1]]}));
    const sa = await c.next(5000, 'SUBACK');
    check('Request Problem Information 0: the SUBACK carries no Reason String nor User Property', bare(sa),
        JSON.stringify(sa && sa.props));
    c.destroy();
}

// A PUBLISH from a client must not carry a Subscription Identifier
// [MQTT-3.3.4-6]: a protocol error (DISCONNECT 0x82, or 0x81), never
// acknowledged as stored.
async function subidpub() {
    const c = await m.open(port, login('alice', {clientId: 'r3-subid'}));
    c.send(m.publish({topic: 'r3/subid', qos: 1, id: 11, props: [Buffer.from([0x0b, 5]), m.prop.user('label', LABEL)], payload: 'x'}));
    const p = await c.next(5000);
    check('a client PUBLISH with a Subscription Identifier: DISCONNECT 0x82 (or 0x81), not acknowledged',
        p && p.name === 'DISCONNECT' && (p.reason === 0x82 || p.reason === 0x81), JSON.stringify(p && {name: p.name, reason: p.reason}));
    c.destroy();
}

// dave stays connected with a will (no delay) and is removed; the reload
// revokes his connection (node.c recompileSession -> hookRevoke), which
// closes it without DISCONNECT -- and connClose() publishes the will of
// someone who no longer exists, with his old rights.
async function willrevoked() {
    const w = await m.open(port, login('watch', {clientId: 'r3-watch3'}));
    w.send(m.subscribe({filters: [['r3/#', 1]]}));
    await w.next(5000, 'SUBACK');
    const d = await m.open(port, login('dave', {clientId: 'r3-dave',
        will: {topic: 'r3/dave-will', payload: 'dave-will', qos: 1, props: [m.prop.user('label', LABEL)]}}));
    check('setup: dave logs in with a will', d.connack && d.connack.reason === 0, JSON.stringify(d.connack));
    pn('principal', 'remove', 'dave', '--principals', process.env.PRINCIPALS);
    process.kill(pid, 'SIGHUP');
    const closed = await d.closedWithin(5000);
    check('setup: the reload closes the removed principal\'s connection', closed, 'still open');
    const got = await collect(w, 2000);
    check('a removed principal whose connection the reload closes: his will is not published', !got.includes('r3/dave-will|dave-will'),
        JSON.stringify(got));
    d.destroy();
    w.destroy();
}

// A will declared UTF-8 (Payload Format Indicator 1) whose payload is not:
// §3.1.3.2.3 lets the server refuse it (CONNACK 0x99); publishes are
// refused with 0x99 ("never handed to subscribers who would trust the
// declaration", server.c onPublish) -- but the will path never checks, so
// subscribers get a PUBLISH whose payload contradicts its PFI.
async function willpfi() {
    const w = await m.open(port, login('alice', {clientId: 'r3-pfi-watch'}));
    w.send(m.subscribe({filters: [['r3pfi/#', 1]]}));
    await w.next(5000, 'SUBACK');
    const c = await m.open(port, login('alice', {clientId: 'r3-pfi',
        will: {topic: 'r3pfi/will', payload: Buffer.from([0xff, 0xfe, 0x80]), qos: 1, props: [Buffer.from([0x01, 1]), m.prop.user('label', LABEL)]}}));
    const refused = c.connack && c.connack.reason === 0x99;
    c.destroy();
    const got = [];
    for (;;) {
        const p = await w.next(3000, 'PUBLISH');
        if (!p) break;
        if (p.qos === 1) w.send(m.ack(4, p.id));
        got.push(p);
    }
    const bad = got.filter((p) => p.props && p.props[0x01] === 1 && !Buffer.from(p.payload.toString('utf8'), 'utf8').equals(p.payload));
    check('a will with Payload Format Indicator 1 and a non-UTF-8 payload: refused at CONNECT (0x99) or never delivered as UTF-8',
        refused || bad.length === 0, `CONNACK ${JSON.stringify(c.connack)}, delivered ${got.length} with PFI 1 and invalid UTF-8: ${bad.length}`);
    w.destroy();
}

// Across a node restart (run as two groups around it): erin leaves a 3 s
// delayed will in a 5-minute session, the node stops; the watcher's
// persistent session must get the will after the restart (§3.1.3.2.2: the
// server MAY defer it until the restart -- not drop it).
async function willrestart1() {
    const w = await m.open(port, login('watch', {clientId: 'r3-rw', clean: false, props: [m.prop.sessionExpiry(300)]}));
    w.send(m.subscribe({filters: [['r3r/#', 1]]}));
    await w.next(5000, 'SUBACK');
    w.send(Buffer.from([0xe0, 0])); // DISCONNECT: the session stays
    await sleep(200);
    w.destroy();
    const e = await m.open(port, login('erin', {clientId: 'r3-erin', clean: false, props: [m.prop.sessionExpiry(300)],
        will: {topic: 'r3r/erin-will', payload: 'erin-will', qos: 1, props: [Buffer.from([0x18, 0, 0, 0, 3]), m.prop.user('label', LABEL)]}}));
    check('setup: erin logs in with a 3 s delayed will, session expiry 300 s', e.connack && e.connack.reason === 0, JSON.stringify(e.connack));
    e.destroy();
    await sleep(300);
}
async function willrestart2() {
    const w = await m.open(port, login('watch', {clientId: 'r3-rw', clean: false, props: [m.prop.sessionExpiry(300)]}));
    check('setup: the watcher resumes its session after the restart', w.connack && w.connack.present === 1, JSON.stringify(w.connack));
    const got = await collect(w, 8000);
    check('a delayed will pending when the node stopped is published after the restart', got.includes('r3r/erin-will|erin-will'),
        JSON.stringify(got));
    w.destroy();
}

// Enhanced authentication is not supported: a CONNECT with an
// Authentication Method must not be accepted as if it had none -- "If the
// Server does not support the Authentication Method supplied by the
// Client, it MAY send a CONNACK with a Reason Code of 0x8C ... and MUST
// close the Network Connection" [MQTT-4.12.0-1].
async function authmethod() {
    const str = (t) => Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), Buffer.from(t)]);
    const c = await m.open(port, login('alice', {clientId: 'r3-auth', props: [Buffer.concat([Buffer.from([0x15]), str('SCRAM-SHA-256')])]}));
    const ok = !c.connack || c.connack.reason === 0x8c || c.connack.reason >= 0x80;
    const closed = ok || (await c.closedWithin(2000));
    check('CONNECT with an unsupported Authentication Method: CONNACK 0x8C (or another refusal) and close, not success',
        ok && closed, JSON.stringify(c.connack && {reason: c.connack.reason}) + ` closed ${closed}`);
    c.destroy();
}

// "The Response Topic MUST NOT contain wildcard characters" [MQTT-3.3.2-14]:
// a PUBLISH with Response Topic "r3/+/#" is a protocol error (DISCONNECT
// 0x82, or refused 0x82/0x81), never stored and forwarded to subscribers
// who would publish their response to a wildcard.
async function resptopic() {
    const str = (t) => Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), Buffer.from(t)]);
    const w = await m.open(port, login('alice', {clientId: 'r3-rt-watch'}));
    w.send(m.subscribe({filters: [['r3rt/#', 1]]}));
    await w.next(5000, 'SUBACK');
    const c = await m.open(port, login('alice', {clientId: 'r3-rt'}));
    c.send(m.publish({topic: 'r3rt/req', qos: 1, id: 12, props: [Buffer.concat([Buffer.from([0x08]), str('r3rt/+/#')]), m.prop.user('label', LABEL)], payload: 'req'}));
    const p = await c.next(5000);
    const got = await collect(w, 1500);
    check('a PUBLISH whose Response Topic holds wildcards: protocol error, not acknowledged as stored',
        p && (p.name === 'DISCONNECT' || p.reason >= 0x80), JSON.stringify(p && {name: p.name, reason: p.reason}));
    check('... and not forwarded to subscribers', !got.includes('r3rt/req|req'), JSON.stringify(got));
    c.destroy();
    w.destroy();
}

// Message Expiry Interval (§3.3.2.3.3): a retained message published with
// expiry 1 s must not be delivered to a subscriber that comes 3 s later
// [MQTT-3.3.2-5]; and one delivered while still valid carries the
// remaining interval, not the original [MQTT-3.3.2-6].
async function msgexpiry() {
    const c = await m.open(port, login('alice', {clientId: 'r3-exp'}));
    c.send(m.publish({topic: 'r3exp/old', qos: 1, id: 13, retain: true, props: [Buffer.from([0x02, 0, 0, 0, 1]), m.prop.user('label', LABEL)], payload: 'expired'}));
    await c.next(5000, 'PUBACK');
    c.send(m.publish({topic: 'r3exp/live', qos: 1, id: 14, retain: true, props: [Buffer.from([0x02, 0, 0, 0, 100]), m.prop.user('label', LABEL)], payload: 'live'}));
    await c.next(5000, 'PUBACK');
    c.destroy();
    await sleep(3000);
    const w = await m.open(port, login('alice', {clientId: 'r3-exp-watch'}));
    w.send(m.subscribe({filters: [['r3exp/#', 1]]}));
    await w.next(5000, 'SUBACK');
    const got = [];
    for (;;) {
        const p = await w.next(2000, 'PUBLISH');
        if (!p) break;
        if (p.qos === 1) w.send(m.ack(4, p.id));
        got.push(p);
    }
    const old = got.find((p) => p.topic === 'r3exp/old');
    const live = got.find((p) => p.topic === 'r3exp/live');
    check('a retained message whose Message Expiry Interval (1 s) has passed is not delivered', !old,
        JSON.stringify(got.map((p) => [p.topic, p.props && p.props[0x02]])));
    check('a retained message still valid is delivered with the remaining expiry (< 100 s)',
        live && live.props && live.props[0x02] !== undefined && live.props[0x02] < 100,
        JSON.stringify(live && live.props && live.props[0x02]));
    w.destroy();
}

// The client's Maximum Packet Size bounds every packet the server sends:
// a Reason String that would exceed it must be left out [MQTT-3.1.2-25]
// (the client treats a larger packet as a protocol error).  Max 32 bytes; a
// refused publish (no label) gets a PUBACK 0x87 of at most 32 bytes.
async function ackmax() {
    const c = await m.open(port, login('alice', {clientId: 'r3-ackmax', props: [Buffer.from([0x27, 0, 0, 0, 32])]}));
    check('setup: alice logs in with Maximum Packet Size 32', c.connack && c.connack.reason === 0, JSON.stringify(c.connack && c.connack.reason));
    c.send(m.publish({topic: 'r3/nolabel', qos: 1, id: 15, props: [], payload: 'x'}));
    const a = await c.next(5000, 'PUBACK');
    const size = a ? 2 + a.body.length : -1; // body < 128 bytes: 1-byte length
    check('the PUBACK refusing the publish fits the client\'s Maximum Packet Size (32 bytes)', a && a.reason === 0x87 && size <= 32,
        `reason ${a && a.reason}, ${size} bytes`);
    c.destroy();
}

// (hc2) The same rules on the paths beside: a will whose Response Topic
// holds wildcards is refused at CONNECT (0x82, a protocol error, and
// close); and a DISCONNECT's Reason String is left out when it would
// exceed the client's Maximum Packet Size (8 bytes: room for the reason
// code only) [MQTT-3.1.2-25].
async function willresptopic() {
    const str = (t) => Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), Buffer.from(t)]);
    const c = await m.open(port, login('alice', {clientId: 'r3-wrt',
        will: {topic: 'r3wrt/will', payload: 'w', qos: 0, props: [Buffer.concat([Buffer.from([0x08]), str('r3wrt/#')]), m.prop.user('label', LABEL)]}}));
    const closed = await c.closedWithin(2000);
    check('a will whose Response Topic holds wildcards: CONNACK 0x82 and close',
        c.connack && c.connack.reason === 0x82 && closed, JSON.stringify(c.connack && c.connack.reason) + ` closed ${closed}`);
    c.destroy();
}
async function disconnmax() {
    const c = await m.open(port, login('alice', {clientId: 'r3-dmax', props: [Buffer.from([0x27, 0, 0, 0, 8])]}));
    c.send(m.publish({topic: 'r3/dmax', qos: 1, id: 16, props: [Buffer.from([0x0b, 5])], payload: 'x'}));
    const p = await c.next(5000);
    const size = p && p.body ? 2 + p.body.length : -1;
    check('a DISCONNECT fits the client\'s Maximum Packet Size (8 bytes): no Reason String',
        p && p.name === 'DISCONNECT' && p.reason === 0x82 && size <= 8, JSON.stringify(p && {name: p.name, reason: p.reason}) + `, ${size} bytes`);
    c.destroy();
}

(async () => {
    const all = {ackmax, willresptopic, disconnmax, msgexpiry, resptopic, authmethod, willremoved, willlowered, willrevoked, willpfi, willrestart1, willrestart2, problem, subidpub};
    for (const g of groups) {
        try {
            await all[g]();
        } catch (e) {
            check(`${g}: no exception`, false, e && e.stack);
        }
    }
    process.exit(failed ? 1 : 0);
})();
