// raw.js -- bad input and abuse against a partnernet node, with raw bytes.
//
//   node raw.js PORT SERVER_PID USER PASSWORD GROUP...
//
// GROUP: malformed | burst | loginflood | flood | takeover | will | timers |
// flow | maxpacket | qos2 | subopts.  Prints one
// line per check, "PASS what" or "FAIL what: detail" (tests/it/mqtt_clients.sh
// turns them into TAP), and exits 1 when a check failed.
'use strict';
const fs = require('fs');
const m = require('./mqttraw');
const {check, runGroups} = require('./tap');

const [port, pid, user, pass] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4], process.argv[5]];
const groups = process.argv.slice(6);
const LABEL = 'NATO UNCLASSIFIED REL TO PFP';

const hex = (n) => (n === undefined || n === null ? String(n) : '0x' + n.toString(16).padStart(2, '0'));
const show = (p) => (p ? `${p.name}${p.reason !== undefined ? ' ' + hex(p.reason) : ''}` : 'nothing (closed or timed out)');

function rssKiB() {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(s)[1]);
}

const login = (extra) => Object.assign({version: 5, user, pass, clientId: ''}, extra || {});

// The node still accepts a login and answers PINGREQ.
async function alive(what) {
    const c = await m.open(port, login());
    let ok = c.connack && c.connack.reason === 0;
    let detail = `CONNACK: ${show(c.connack)}`;
    if (ok) {
        c.send(m.PINGREQ);
        const p = await c.next(5000, 'PINGRESP');
        ok = !!p;
        detail = 'no PINGRESP';
    }
    c.destroy();
    check(what, ok, detail);
}

// Send bytes after a v5 (or 3.1.1) login; expect a DISCONNECT with reason
// (v5) or a plain close, and the connection closed.
async function expectDisconnect(what, bytes, reason, version) {
    const c = await m.open(port, login({version: version || 5}));
    if (!c.connack || c.connack.reason !== 0) {
        check(what, false, `login failed: ${show(c.connack)}`);
        c.destroy();
        return;
    }
    c.send(bytes);
    const p = await c.next(5000);
    const closed = await c.closedWithin(5000);
    c.destroy();
    const want = Array.isArray(reason) ? reason : [reason];
    if (reason === null) check(what, !p && closed, `got ${show(p)}, closed ${closed}`);
    else check(what, p && p.name === 'DISCONNECT' && want.includes(p.reason) && closed,
        `want DISCONNECT ${want.map(hex).join(' or ')} and close, got ${show(p)}, closed ${closed}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const labelled = (l) => [m.prop.user('label', l || LABEL)];

// A v5 subscriber (alice) with the given [filter, options] list.
async function subscriber(clientId, filters, extra) {
    const c = await m.open(port, login(Object.assign({clientId}, extra || {})));
    c.send(m.subscribe({filters, props: extra && extra.subProps}));
    const sa = await c.next(5000, 'SUBACK');
    return {c, sa};
}

// PUBLISHes received until one with payload `until` (or the time runs out);
// QoS 1 and 2 are acknowledged unless noAck.
async function receive(c, until, ms, noAck) {
    const got = [];
    const deadline = Date.now() + (ms || 5000);
    for (;;) {
        const p = await c.next(Math.max(1, deadline - Date.now()));
        if (!p) return got;
        if (p.name === 'PUBREL') {
            c.send(m.ack(7, p.body.readUInt16BE(0)));
            continue;
        }
        if (p.name !== 'PUBLISH') continue;
        got.push(p);
        if (!noAck && p.qos === 1) c.send(m.ack(4, p.id));
        if (!noAck && p.qos === 2) c.send(m.ack(5, p.id));
        if (p.payload.toString() === until) return got;
    }
}

let nextId = 100;
// Publish and wait for the acknowledgements (QoS 1: PUBACK; 2: PUBREC, PUBCOMP).
async function pub(c, topic, payload, opts) {
    const o = Object.assign({qos: 0, label: LABEL}, opts || {});
    const id = nextId++;
    c.send(m.publish({topic, qos: o.qos, id, retain: o.retain, props: o.label === null ? [] : labelled(o.label), payload}));
    if (o.qos === 1) return c.next(5000, 'PUBACK');
    if (o.qos === 2) {
        const rec = await c.next(5000, 'PUBREC');
        if (!rec || rec.reason >= 0x80) return rec;
        c.send(m.ack(6, id));
        return c.next(5000, 'PUBCOMP');
    }
    return null;
}

const payloads = (got) => got.map((p) => p.payload.toString());
// Publish 'prop-end' on TOPIC from a fresh client (the marker a subscriber waits for).
async function pub2end(_sub, topic) {
    const p = await m.open(port, login({clientId: 'prop-end-pub'}));
    await pub(p, topic, 'prop-end', {qos: 1});
    p.destroy();
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function will() {
    const s = await subscriber('will-watch', [['will/#', 1]]);
    const w1 = await m.open(port, login({clientId: 'w1', will: {topic: 'will/a', payload: 'gone-a', qos: 1, props: labelled()}}));
    w1.destroy();
    let got = await receive(s.c, 'gone-a', 5000);
    check('will with a label: published when the connection drops', same(payloads(got), ['gone-a']), JSON.stringify(payloads(got)));
    check('the will carries its label', got[0] && got[0].props && got[0].props.user.label === LABEL,
        JSON.stringify(got[0] && got[0].props));
    // A will with a Will Delay Interval of 0 and a Content Type: the will's
    // PUBLISH carries the content type but never the Will Delay Interval,
    // which is not a PUBLISH property (§3.1.3.2).
    const w6 = await m.open(port, login({clientId: 'w6', will: {topic: 'will/f', payload: 'gone-f', qos: 1,
        props: [Buffer.from([0x18, 0, 0, 0, 0]), Buffer.concat([Buffer.from([0x03]), m.str('text/plain')]), ...labelled()]}}));
    w6.destroy();
    got = await receive(s.c, 'gone-f', 5000);
    const wp = got.length && got[got.length - 1].props;
    check('will with Will Delay 0: published, with its content type and without the Will Delay Interval',
        same(payloads(got), ['gone-f']) && wp && wp[0x03] === 'text/plain' && !(0x18 in wp), JSON.stringify(wp));
    const w2 = await m.open(port, login({clientId: 'w2', will: {topic: 'will/b', payload: 'gone-b', qos: 1}}));
    w2.destroy();
    const w3 = await m.open(port, login({clientId: 'w3', will: {topic: 'will/c', payload: 'gone-c', qos: 1, props: labelled()}}));
    w3.send(m.disconnect(0));
    await w3.closedWithin(3000);
    const w5 = await m.open(port, login({clientId: 'w5',
        will: {topic: 'will/e', payload: 'gone-e', qos: 1, props: labelled('COSMIC TOP SECRET REL TO NATO')}}));
    w5.destroy();
    const w4 = await m.open(port, login({clientId: 'w4', will: {topic: 'will/d', payload: 'gone-d', qos: 1, props: labelled()}}));
    w4.send(m.disconnect(4));
    got = await receive(s.c, 'gone-d', 5000);
    check('no will for: no label, normal DISCONNECT, label above clearance; DISCONNECT 0x04 sends it',
        same(payloads(got), ['gone-d']), JSON.stringify(payloads(got)));
    const p = await m.open(port, login({clientId: 'will-end'}));
    await pub(p, 'will/z', 'end', {qos: 1});
    got = await receive(s.c, 'end', 5000);
    check('nothing else arrives', same(payloads(got), ['end']), JSON.stringify(payloads(got)));
    p.destroy();
    s.c.destroy();
}

async function timers() {
    // The lower bound of session expiry: a session with expiry 3 s is still
    // there when its client comes back at once (the upper bound is checked
    // below, 3 s after a disconnect).
    const eLow = await subscriber('exp3-low', [['exp/#', 1]], {clean: false, props: [m.prop.sessionExpiry(3)]});
    eLow.c.send(m.disconnect(0));
    await eLow.c.closedWithin(3000);
    const tLow = Date.now();
    const rLow = await m.open(port, login({clientId: 'exp3-low', clean: false, props: [m.prop.sessionExpiry(0)]}));
    check('session expiry 3 s: still there right after the disconnect (session present 1)',
        rLow.connack && rLow.connack.present === 1, show(rLow.connack) + ` after ${Date.now() - tLow} ms`);
    rLow.destroy();
    const k5 = await m.open(port, login({clientId: 'ka5', keepAlive: 1}));
    const tk = Date.now(); // k5's last packet: its keep-alive counts from here
    const k4 = await m.open(port, login({version: 4, clientId: 'ka4', keepAlive: 1}));
    const e1 = await subscriber('exp1', [['exp/#', 1]], {clean: false, props: [m.prop.sessionExpiry(1)]});
    const e60 = await subscriber('exp60', [['exp/#', 1]], {clean: false, props: [m.prop.sessionExpiry(60)]});
    e1.c.send(m.disconnect(0));
    e60.c.send(m.disconnect(0));
    const t0 = Date.now();
    let t5 = 0;
    const [p5] = await Promise.all([k5.next(6000).then((x) => { t5 = Date.now(); return x; }), k4.closedWithin(6000)]);
    const dt = t5 - tk;
    check('keep alive 1 s, silent MQTT 5 client: DISCONNECT 0x8D', p5 && p5.name === 'DISCONNECT' && p5.reason === 0x8d, show(p5));
    check('keep alive 1 s, silent 3.1.1 client: closed', k4.closed, 'still open');
    check('keep-alive timeout between 1 s and 4 s', dt >= 1000 && dt < 4000, `${dt} ms`);
    await sleep(Math.max(0, 3200 - (Date.now() - t0)));
    const r1 = await m.open(port, login({clientId: 'exp1', clean: false, props: [m.prop.sessionExpiry(60)]}));
    const r60 = await m.open(port, login({clientId: 'exp60', clean: false, props: [m.prop.sessionExpiry(60)]}));
    check('session expiry 1 s: gone 3 s later (session present 0)', r1.connack && r1.connack.reason === 0 && r1.connack.present === 0, show(r1.connack) + ` present ${r1.connack && r1.connack.present}`);
    check('session expiry 60 s: still there (session present 1)', r60.connack && r60.connack.present === 1, show(r60.connack));
    for (const c of [k5, k4, r1, r60]) c.destroy();
}

async function flow() {
    const s = await subscriber('flow', [['flow/#', 1]], {props: [m.prop.receiveMax(2)]});
    const p = await m.open(port, login({clientId: 'flow-pub'}));
    for (let i = 1; i <= 5; i++) await pub(p, 'flow/x', 'f' + i, {qos: 1});
    // All five are PUBACKed, so the node has fanned them out; a PINGREQ on
    // the subscriber's connection is answered after anything the node had
    // already written to it: what came before the PINGRESP is what it sent.
    s.c.send(m.PINGREQ);
    const first = [];
    for (;;) {
        const x = await s.c.next(5000);
        if (!x || x.name === 'PINGRESP') break;
        if (x.name === 'PUBLISH') first.push(x);
    }
    check('receive maximum 2: two QoS 1 messages in flight, no more', same(payloads(first), ['f1', 'f2']), JSON.stringify(payloads(first)));
    if (first[0]) s.c.send(m.ack(4, first[0].id));
    const third = await s.c.next(3000, 'PUBLISH');
    check('a PUBACK releases the next one', third && third.payload.toString() === 'f3', show(third));
    if (first[1]) s.c.send(m.ack(4, first[1].id));
    if (third) s.c.send(m.ack(4, third.id));
    const rest = await receive(s.c, 'f5', 3000);
    check('then the rest, in order', same(payloads(rest), ['f4', 'f5']), JSON.stringify(payloads(rest)));
    p.destroy();
    s.c.destroy();
}

async function maxpacket() {
    const s = await subscriber('small', [['mp/#', 1]], {props: [m.prop.maxPacket(300), m.prop.receiveMax(2)]});
    const p = await m.open(port, login({clientId: 'mp-pub'}));
    const big = 'B'.repeat(1000);
    await pub(p, 'mp/x', 's1', {qos: 0});
    await pub(p, 'mp/x', big, {qos: 0});
    await pub(p, 'mp/x', big, {qos: 1});
    await pub(p, 'mp/x', big, {qos: 1});
    await pub(p, 'mp/x', 's2', {qos: 1});
    const got = await receive(s.c, 's2', 3000);
    check('client Maximum Packet Size 300: nothing larger is sent to it', got.every((g) => g.body.length < 300),
        JSON.stringify(got.map((g) => g.body.length)));
    check('messages too large for the client are discarded as if delivered: later QoS 1 ones still arrive (§3.1.2.11.4)',
        same(payloads(got), ['s1', 's2']), JSON.stringify(payloads(got).map((x) => x.slice(0, 10))));
    p.destroy();
    s.c.destroy();
}

async function qos2() {
    const s = await subscriber('q2-sub', [['q2/#', 2]]);
    const p = await m.open(port, login({clientId: 'q2-pub'}));
    const one = m.publish({topic: 'q2/x', qos: 2, id: 7, props: labelled(), payload: 'once-a'});
    const dup = Buffer.from(one);
    dup[0] |= 0x08;
    p.send(Buffer.concat([one, dup]));
    const r1 = await p.next(3000, 'PUBREC'), r2 = await p.next(3000, 'PUBREC');
    check('QoS 2 PUBLISH and its DUP in one write: two PUBRECs', r1 && r2 && r1.id === 7 && r2.id === 7, `${show(r1)} ${show(r2)}`);
    p.send(m.ack(6, 7));
    const c1 = await p.next(3000, 'PUBCOMP');
    check('PUBREL: PUBCOMP', c1 && c1.id === 7 && c1.reason === 0, show(c1));
    const two = m.publish({topic: 'q2/x', qos: 2, id: 8, props: labelled(), payload: 'once-b'});
    p.send(two);
    await p.next(3000, 'PUBREC');
    const dup2 = Buffer.from(two);
    dup2[0] |= 0x08;
    p.send(dup2);
    const r3 = await p.next(3000, 'PUBREC');
    check('QoS 2 retransmission after PUBREC: PUBREC again', r3 && r3.id === 8, show(r3));
    p.send(m.ack(6, 8));
    await p.next(3000, 'PUBCOMP');
    p.send(m.ack(6, 99));
    const c99 = await p.next(3000, 'PUBCOMP');
    check('PUBREL for an unknown packet id: PUBCOMP 0x92', c99 && c99.reason === 0x92, show(c99));
    await pub(p, 'q2/z', 'end', {qos: 1});
    const got = await receive(s.c, 'end', 5000);
    const n = (x) => payloads(got).filter((y) => y === x).length;
    check('QoS 2 exactly once: PUBLISH + DUP in the same read delivered once', n('once-a') === 1, `${n('once-a')} times`);
    check('QoS 2 exactly once: retransmission after PUBREC delivered once', n('once-b') === 1, `${n('once-b')} times`);
    check('delivered at QoS 2', got.length > 0 && got[0].qos === 2, got[0] && `qos ${got[0].qos}`);
    p.destroy();
    s.c.destroy();
}

async function subopts() {
    const p = await m.open(port, login({clientId: 'opts-pub'}));
    await pub(p, 'so/rh2/x', 'kept-rh2', {qos: 1, retain: true});
    await pub(p, 'so/rh1/x', 'kept-rh1', {qos: 1, retain: true});
    const c = await m.open(port, login({clientId: 'opts'}));
    const suback = async (id, filters, props) => {
        c.send(m.subscribe({id, filters, props}));
        return c.next(5000, 'SUBACK');
    };
    const s1 = await suback(1, [['so/id/#', 0]], [m.prop.subId(42)]);
    const s2 = await suback(2, [['so/nl/#', 0x04], ['so/rap/#', 0x08], ['so/norap/#', 0], ['so/end', 1]]);
    const s3 = await suback(3, [['so/rh2/#', 0x20], ['so/rh1/#', 0x10]]);
    const s4 = await suback(4, [['so/rh1/#', 0x10]]);
    const s5 = await suback(5, [['$share/g/so/x', 0], ['so/#/bad', 0], ['so/+/ok', 1]]);
    check('SUBACKs granted', s1 && s2 && s3 && s4 && same(s2.reasons, [0, 0, 0, 1]), `${s2 && s2.reasons}`);
    check('shared subscription granted; invalid filter: 0x8F; + wildcard granted', s5 && same(s5.reasons, [0, 0x8f, 1]), `${s5 && s5.reasons}`);
    c.send(m.publish({topic: 'so/nl/x', qos: 0, props: labelled(), payload: 'own'}));
    await pub(p, 'so/nl/x', 'other', {qos: 1});
    await pub(p, 'so/id/x', 'with-id', {qos: 1});
    await pub(p, 'so/rap/x', 'rap', {qos: 1, retain: true});
    await pub(p, 'so/norap/x', 'norap', {qos: 1, retain: true});
    await pub(p, 'so/end', 'end', {qos: 1});
    const got = await receive(c, 'end', 5000);
    const by = (x) => got.filter((g) => g.payload.toString() === x);
    check('retain handling 1 sends retained once; 1 again on an existing subscription and 2 send none',
        by('kept-rh2').length === 0 && by('kept-rh1').length === 1, JSON.stringify(payloads(got)));
    check('no local: own message not received, another client\'s is', by('own').length === 0 && by('other').length === 1, JSON.stringify(payloads(got)));
    const w = by('with-id')[0];
    check('subscription identifier 42 delivered', w && w.props && w.props[0x0b] === 42, JSON.stringify(w && w.props));
    check('retain as published keeps RETAIN on live delivery; without it RETAIN is 0',
        by('rap')[0] && by('rap')[0].retain === 1 && by('norap')[0] && by('norap')[0].retain === 0,
        `rap ${by('rap')[0] && by('rap')[0].retain} norap ${by('norap')[0] && by('norap')[0].retain}`);
    c.send(m.unsubscribe({id: 6, filters: ['so/nl/#', 'never/subscribed']}));
    const u = await c.next(5000, 'UNSUBACK');
    check('UNSUBACK: 0x00 for a subscription, 0x11 for none', u && same(u.reasons, [0, 0x11]), `${u && u.reasons}`);
    await pub(p, 'so/nl/x', 'after-unsub', {qos: 1});
    await pub(p, 'so/end', 'end2', {qos: 1});
    const got2 = await receive(c, 'end2', 5000);
    check('unsubscribed filter delivers nothing', same(payloads(got2), ['end2']), JSON.stringify(payloads(got2)));
    p.destroy();
    c.destroy();
}

async function malformed() {
    // CONNACK carries the limits a client must respect.
    let c = await m.open(port, login());
    const max = c.connack && c.connack.props ? c.connack.props[0x27] : undefined;
    check('CONNACK v5 success with Maximum Packet Size', c.connack && c.connack.reason === 0 && max > 0,
        `${show(c.connack)} max ${max}`);
    c.destroy();
    const limit = max || 1 << 20;

    // Truncated packets, then the client goes away.
    c = new m.Conn(port);
    await c.connected;
    c.send(m.connect(login()).subarray(0, 7));
    c.sock.end();
    check('truncated CONNECT then close: no answer', (await c.next(3000)) === null, 'got a packet');
    c = await m.open(port, login());
    c.send(m.publish({topic: 'raw/t', qos: 1, id: 7, props: [m.prop.user('label', LABEL)], payload: 'x'.repeat(100)}).subarray(0, 20));
    c.sock.end();
    await c.closedWithin(3000);
    c.destroy();
    await alive('node alive after truncated packets');

    // A truncated packet that stays open: the node waits, answers nothing,
    // keeps other clients going; completed later, the packet is taken as
    // one, and its PUBACK is the first thing the node sends.
    c = await m.open(port, login());
    const whole = m.publish({topic: 'raw/partial', qos: 1, id: 9, props: labelled(), payload: 'x'.repeat(90)});
    c.send(whole.subarray(0, 3));
    await alive('while a PUBLISH is incomplete, other clients are served');
    c.send(whole.subarray(3));
    const first = await c.next(5000);
    check('partial PUBLISH: no answer while incomplete, PUBACK once complete',
        first && first.name === 'PUBACK' && first.id === 9 && first.reason === 0, show(first));
    c.destroy();

    // Oversized: declared remaining length beyond the maximum packet size.
    await expectDisconnect('declared length 268 MB: DISCONNECT 0x95', Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), 0x95);
    await expectDisconnect('declared length max+1: DISCONNECT 0x95',
        Buffer.concat([Buffer.from([0x30]), m.varint(limit - 3)]), 0x95);
    await expectDisconnect('remaining length of 5 bytes: DISCONNECT 0x81', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 0x81);
    await expectDisconnect('3.1.1 oversized: closed', Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f]), null, 4);
    c = new m.Conn(port);
    await c.connected;
    c.send(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    check('oversized CONNECT: closed without answer', (await c.next(3000)) === null && (await c.closedWithin(3000)), 'not closed');
    c.destroy();

    // Invalid property identifiers.
    const pub = (props) => m.publish({topic: 'raw/t', qos: 1, id: 3, rawProps: m.props(props), payload: 'x'});
    await expectDisconnect('PUBLISH property id 0x05 (unassigned): DISCONNECT 0x81', pub([Buffer.from([0x05, 0x00])]), 0x81);
    await expectDisconnect('PUBLISH property id 0x80 0x01 (128): DISCONNECT 0x81', pub([Buffer.from([0x80, 0x01, 0x00])]), 0x81);
    await expectDisconnect('PUBLISH with a property twice (topic alias): DISCONNECT 0x82 or 0x81',
        pub([m.prop.topicAlias(1), m.prop.topicAlias(1)]), [0x82, 0x81]);
    await expectDisconnect('property length past the packet end: DISCONNECT 0x81',
        m.publish({topic: 'raw/t', qos: 0, rawProps: Buffer.from([0x10, 0x26]), payload: ''}), 0x81);
    await expectDisconnect('SUBSCRIBE with property id 0x7f: DISCONNECT 0x81',
        m.packet(0x82, Buffer.concat([m.u16(1), m.props([Buffer.from([0x7f, 0x00])]), m.str('a/b'), Buffer.from([0])])), 0x81);
    // Properties that exist but not in that packet (§2.2.2.2): malformed,
    // never acknowledged, never forwarded.
    const watch = await subscriber('prop-watch', [['raw/t', 1]]);
    await expectDisconnect('PUBLISH carrying Session Expiry Interval (0x11): DISCONNECT 0x81',
        pub([m.prop.sessionExpiry(10), m.prop.user('label', LABEL)]), 0x81);
    await expectDisconnect('PUBLISH carrying Will Delay Interval (0x18): DISCONNECT 0x81',
        pub([Buffer.from([0x18, 0, 0, 0, 1]), m.prop.user('label', LABEL)]), 0x81);
    await expectDisconnect('SUBSCRIBE carrying Topic Alias (0x23): DISCONNECT 0x81',
        m.packet(0x82, Buffer.concat([m.u16(1), m.props([m.prop.topicAlias(1)]), m.str('a/b'), Buffer.from([0])])), 0x81);
    await expectDisconnect('UNSUBSCRIBE carrying Subscription Identifier (0x0B): DISCONNECT 0x81',
        m.packet(0xa2, Buffer.concat([m.u16(1), m.props([m.prop.subId(3)]), m.str('a/b')])), 0x81);
    await expectDisconnect('PUBACK carrying Content Type (0x03): DISCONNECT 0x81',
        m.packet(0x40, Buffer.concat([m.u16(1), Buffer.from([0]), m.props([Buffer.concat([Buffer.from([0x03]), m.str('text/plain')])])])), 0x81);
    {
        const c = new m.Conn(port);
        await c.connected;
        c.send(m.connect(login({clientId: 'prop-topic-alias', props: [m.prop.topicAlias(1)]})));
        const p = await c.next(5000);
        check('CONNECT carrying Topic Alias (0x23): CONNACK 0x81, no session', p && p.name === 'CONNACK' && p.reason === 0x81, show(p));
        c.destroy();
    }
    await pub2end(watch.c, 'raw/t');
    const gotBad = await receive(watch.c, 'prop-end', 5000);
    check('none of the malformed PUBLISHes reached a subscriber', same(payloads(gotBad), ['prop-end']), JSON.stringify(payloads(gotBad)));
    watch.c.destroy();

    // Bad UTF-8 in topics.
    const badTopic = (t, version) => m.publish({version, topic: t, qos: 0, props: [m.prop.user('label', LABEL)], payload: 'x'});
    await expectDisconnect('topic with byte 0xff: DISCONNECT 0x81', badTopic(Buffer.from([0x61, 0xff]), 5), 0x81);
    await expectDisconnect('topic with overlong NUL (c0 80): DISCONNECT 0x81', badTopic(Buffer.from([0x61, 0xc0, 0x80]), 5), 0x81);
    await expectDisconnect('topic with U+0000: DISCONNECT 0x81', badTopic(Buffer.from([0x61, 0x00, 0x62]), 5), 0x81);
    await expectDisconnect('topic with a UTF-16 surrogate (ed a0 80): DISCONNECT 0x81', badTopic(Buffer.from([0x61, 0xed, 0xa0, 0x80]), 5), 0x81);
    await expectDisconnect('3.1.1 topic with byte 0xff: closed', badTopic(Buffer.from([0x61, 0xff]), 4), null, 4);
    await expectDisconnect('label user property with bad UTF-8: DISCONNECT 0x81',
        m.publish({topic: 'raw/t', qos: 0, props: [m.prop.user('label', Buffer.from([0x4e, 0xff]))], payload: 'x'}), 0x81);
    await expectDisconnect('SUBSCRIBE filter with bad UTF-8: DISCONNECT 0x81',
        m.subscribe({filters: [[Buffer.from([0x61, 0xff]), 0]]}), 0x81);

    // Protocol errors.
    await expectDisconnect('second CONNECT: DISCONNECT 0x82', m.connect(login()), 0x82);
    await expectDisconnect('3.1.1 second CONNECT: closed', m.connect(login({version: 4})), null, 4);
    await expectDisconnect('CONNACK sent by a client: DISCONNECT 0x82', Buffer.from([0x20, 0x02, 0x00, 0x00]), 0x82);
    await expectDisconnect('packet type 0 (reserved): DISCONNECT 0x81', Buffer.from([0x00, 0x00]), 0x81);
    await expectDisconnect('PUBLISH QoS 3: DISCONNECT 0x81', Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01]), 0x81);
    await expectDisconnect('SUBSCRIBE with wrong fixed-header flags: DISCONNECT 0x81',
        Buffer.concat([Buffer.from([0x80]), m.subscribe({filters: [['a', 0]]}).subarray(1)]), 0x81);
    await expectDisconnect('PUBLISH QoS 1 with packet id 0: DISCONNECT 0x81',
        m.publish({topic: 'raw/t', qos: 1, id: 0, props: [m.prop.user('label', LABEL)], payload: 'x'}), 0x81);
    await expectDisconnect('topic alias 0: DISCONNECT 0x94',
        m.publish({topic: 'raw/t', qos: 0, props: [m.prop.topicAlias(0), m.prop.user('label', LABEL)], payload: 'x'}), 0x94);
    await expectDisconnect('unknown topic alias: DISCONNECT 0x82',
        m.publish({topic: '', qos: 0, props: [m.prop.topicAlias(9), m.prop.user('label', LABEL)], payload: 'x'}), 0x82);

    // Before CONNECT.
    c = new m.Conn(port);
    await c.connected;
    c.send(m.publish({topic: 'raw/t', qos: 0, props: [m.prop.user('label', LABEL)], payload: 'x'}));
    let p = await c.next(3000);
    check('PUBLISH before CONNECT: closed without answer', p === null && c.closed, `got ${show(p)}`);
    c.destroy();
    c = new m.Conn(port);
    await c.connected;
    c.send(m.PINGREQ);
    p = await c.next(3000);
    check('PINGREQ before CONNECT: closed without answer', p === null && c.closed, `got ${show(p)}`);
    c.destroy();
    c = new m.Conn(port);
    c.version = 4;
    await c.connected;
    c.send(m.connect({version: 4, level: 3, protocol: 'MQIsdp', user, pass, clientId: 'old'}));
    p = await c.next(3000);
    check('MQTT 3.1 (MQIsdp, level 3): CONNACK 0x01 and close', p && p.name === 'CONNACK' && p.reason === 1 && (await c.closedWithin(3000)), `got ${show(p)}`);
    c.destroy();
    c = new m.Conn(port);
    c.version = 4;
    await c.connected;
    c.send(m.connect({version: 5, level: 6, user, pass, clientId: 'future'}));
    p = await c.next(3000);
    check('protocol level 6: CONNACK 0x01 and close', p && p.name === 'CONNACK' && p.reason === 1 && (await c.closedWithin(3000)), `got ${show(p)}`);
    c.destroy();
    c = new m.Conn(port);
    c.version = 4;
    await c.connected;
    c.send(m.connect({version: 4, user, pass, clientId: '', clean: false}));
    p = await c.next(3000);
    check('3.1.1 empty client id without clean session: CONNACK 0x02', p && p.name === 'CONNACK' && p.reason === 2, `got ${show(p)}`);
    c.destroy();

    await alive('node alive after malformed input');
}

async function burst() {
    const N = 200, WITH_PASSWORD = 10;
    const conns = [];
    for (let i = 0; i < N; i++) conns.push(new m.Conn(port));
    await Promise.all(conns.map((c) => c.connected));
    conns.forEach((c, i) => {
        const opts = i < WITH_PASSWORD ? login({clientId: `burst-${i}`}) : {version: i % 2 ? 5 : 4, clientId: `burst-${i}`};
        c.version = opts.version;
        c.send(m.connect(opts));
    });
    const acks = await Promise.all(conns.map((c) => c.next(30000, 'CONNACK')));
    const answered = acks.filter((p) => p).length;
    const accepted = acks.filter((p) => p && p.reason === 0).length;
    check(`${N} CONNECTs in a burst: every one answered`, answered === N, `${answered} answered`);
    check(`burst: the ${WITH_PASSWORD} with a password accepted, the others refused`, accepted === WITH_PASSWORD, `${accepted} accepted`);
    conns.forEach((c) => c.destroy());
    await alive('node alive after the CONNECT burst');
}

// Logins cost a password hash; they must not stall the clients already connected.
async function loginflood() {
    const c = await m.open(port, login({clientId: 'pinger'}));
    const N = 40;
    const bad = [];
    for (let i = 0; i < N; i++) bad.push(new m.Conn(port));
    await Promise.all(bad.map((b) => b.connected));
    bad.forEach((b) => b.send(m.connect({version: 5, user, pass: 'wrong-' + pass, clientId: ''})));
    // Ordering, not a stopwatch: the password checks run off the event loop,
    // so the PINGREQ is answered while most of the logins are still being
    // checked.  A loop that checked them itself would answer it only after
    // their CONNACKs.  (Each check costs ~36 ms of CPU; 40 of them keep both
    // cores busy for the better part of a second.)
    c.send(m.PINGREQ);
    const p = await c.next(30000, 'PINGRESP');
    const answered = bad.filter((b) => b.packets.some((x) => x.name === 'CONNACK') || b.closed).length;
    check(`PINGREQ answered before the ${N} bad-password logins are all checked`, p && answered < N,
        `${p ? 'PINGRESP' : 'nothing'} with ${answered} of ${N} logins already answered`);
    await Promise.all(bad.map((b) => b.next(30000, 'CONNACK')));
    bad.forEach((b) => b.destroy());
    c.destroy();
}

async function flood() {
    const N = 20000, SIZE = 1024;
    const slow = await m.open(port, login({clientId: 'never-reads'}));
    slow.send(m.subscribe({filters: [['flood/#', 0]]}));
    const sa = await slow.next(5000, 'SUBACK');
    const fast = await m.open(port, login({clientId: 'reads'}));
    fast.send(m.subscribe({filters: [['flood/data', 0], ['flood/end', 1]]}));
    const fa = await fast.next(5000, 'SUBACK');
    check('flood: subscribers ready', sa && fa && sa.reasons[0] === 0 && fa.reasons[1] === 1, `${show(sa)} ${show(fa)}`);
    slow.sock.pause(); // never reads again

    let got = 0, end = false, bytes = 0;
    fast.packets = null;
    fast.parse = function () {
        // Count PUBLISHes without keeping them.
        for (;;) {
            if (this.buf.length < 2) return;
            let len = 0, mul = 1, i = 1;
            for (;;) {
                if (i >= this.buf.length) return;
                const ch = this.buf[i++];
                len += (ch & 0x7f) * mul;
                mul *= 128;
                if (!(ch & 0x80)) break;
            }
            if (this.buf.length < i + len) return;
            if (this.buf[0] >> 4 === 3) {
                const tl = this.buf.readUInt16BE(i);
                const topic = this.buf.subarray(i + 2, i + 2 + tl).toString();
                if (topic === 'flood/end') {
                    end = true;
                    const id = this.buf.readUInt16BE(i + 2 + tl);
                    this.sock.write(m.puback(id, 5));
                } else got++;
                bytes += len;
            }
            this.buf = this.buf.subarray(i + len);
        }
    };

    const before = rssKiB();
    let peak = before;
    const sampler = setInterval(() => { try { peak = Math.max(peak, rssKiB()); } catch (e) { /* gone */ } }, 50);
    const pubc = await m.open(port, login({clientId: 'flooder'}));
    const payload = Buffer.alloc(SIZE, 0x61);
    const one = m.publish({topic: 'flood/data', qos: 0, props: [m.prop.user('label', LABEL)], payload});
    const t0 = Date.now();
    const BATCH = 64;
    for (let i = 0; i < N; i += BATCH) await pubc.sendAsync(Buffer.concat(Array(Math.min(BATCH, N - i)).fill(one)));
    pubc.send(m.publish({topic: 'flood/end', qos: 1, id: 1, props: [m.prop.user('label', LABEL)], payload: 'end'}));
    const ack = await pubc.next(60000, 'PUBACK');
    const deadline = Date.now() + 30000;
    while (!end && Date.now() < deadline && !fast.closed) await new Promise((r) => setTimeout(r, 20));
    clearInterval(sampler);
    try { peak = Math.max(peak, rssKiB()); } catch (e) { /* gone */ }
    const secs = (Date.now() - t0) / 1000;
    console.log(`# flood: ${N} x ${SIZE} B QoS 0 in ${secs.toFixed(1)} s; reader got ${got}; node RSS ${before} KiB -> peak ${peak} KiB`);
    check('flood: publisher acknowledged at the end', ack && ack.reason === 0, show(ack));
    check('flood: the reading subscriber got the final QoS 1 message', end, `got ${got} data messages, no end`);
    check('flood: the reading subscriber got at least half of the QoS 0 messages', got >= N * 0.5, `${got} of ${N}`);
    check('flood: node RSS grew by less than 200 MB with a client that never reads', peak - before < 200 * 1024,
        `grew ${((peak - before) / 1024).toFixed(0)} MB`);
    pubc.destroy();
    fast.destroy();
    slow.destroy();
    await alive('node alive after the flood');
}

async function takeover() {
    // Clean start: the second connection with the same client id takes over.
    const a = await m.open(port, login({clientId: 'twin'}));
    const b = await m.open(port, login({clientId: 'twin'}));
    check('takeover (clean start): second CONNECT accepted', b.connack && b.connack.reason === 0, show(b.connack));
    const d = await a.next(5000);
    check('takeover (clean start): first connection gets DISCONNECT 0x8E', d && d.name === 'DISCONNECT' && d.reason === 0x8e, show(d));
    b.send(m.PINGREQ);
    const p = await b.next(5000, 'PINGRESP');
    check('takeover (clean start): the new connection works', !!p, 'no PINGRESP');
    a.destroy();
    b.destroy();
    // Persistent session: taken over with its state.
    const c = await m.open(port, login({clientId: 'keeper', clean: false, props: [m.prop.sessionExpiry(60)]}));
    const e = await m.open(port, login({clientId: 'keeper', clean: false, props: [m.prop.sessionExpiry(60)]}));
    check('takeover (persistent): session present', e.connack && e.connack.reason === 0 && e.connack.present === 1, show(e.connack));
    const f = await c.next(5000);
    check('takeover (persistent): first connection gets DISCONNECT 0x8E', f && f.name === 'DISCONNECT' && f.reason === 0x8e, show(f));
    c.destroy();
    e.destroy();
    // 3.1.1 clean session takeover.
    const g = await m.open(port, login({version: 4, clientId: 'twin3'}));
    const h = await m.open(port, login({version: 4, clientId: 'twin3'}));
    check('takeover (3.1.1): second CONNECT accepted, first closed',
        h.connack && h.connack.reason === 0 && (await g.closedWithin(5000)), show(h.connack));
    g.destroy();
    h.destroy();
    await alive('node alive after session takeovers');
}

// Request/response and content properties go through as published; a
// payload declared UTF-8 (Payload Format Indicator 1) that is not is refused
// with 0x99 and reaches nobody.
async function content() {
    const s = await subscriber('content-sub', [['content/#', 1]]);
    const p = await m.open(port, login({clientId: 'content-pub'}));
    const strProp = (id, v) => Buffer.concat([Buffer.from([id]), m.str(v)]);
    const corr = Buffer.from([0, 4, 0xde, 0xad, 0xbe, 0xef]);
    const props = [Buffer.from([0x01, 1]), strProp(0x03, 'application/json'), strProp(0x08, 'content/reply'),
        Buffer.concat([Buffer.from([0x09]), corr]), ...labelled()];
    p.send(m.publish({topic: 'content/req', qos: 1, id: 41, props, payload: '{"q":"ça va"}'}));
    const a1 = await p.next(5000, 'PUBACK');
    check('payload format 1 with UTF-8 (French): accepted', a1 && a1.reason === 0, show(a1));
    p.send(m.publish({topic: 'content/bad', qos: 1, id: 42, props: [Buffer.from([0x01, 1]), ...labelled()],
        payload: Buffer.from([0x41, 0xff, 0xfe])}));
    const a2 = await p.next(5000, 'PUBACK');
    check('payload format 1 with bytes that are not UTF-8: PUBACK 0x99', a2 && a2.reason === 0x99, show(a2));
    p.send(m.publish({topic: 'content/raw', qos: 1, id: 43, props: [Buffer.from([0x01, 0]), ...labelled()],
        payload: Buffer.from([0x41, 0xff, 0xfe])}));
    const a3 = await p.next(5000, 'PUBACK');
    check('payload format 0 (bytes): the same payload accepted', a3 && a3.reason === 0, show(a3));
    await pub(p, 'content/z', 'end', {qos: 1});
    const got = await receive(s.c, 'end', 5000);
    check('the subscriber gets the request and the bytes, never the invalid one',
        same(got.map((g) => g.topic), ['content/req', 'content/raw', 'content/z']), JSON.stringify(got.map((g) => g.topic)));
    const r = got[0] && got[0].props;
    check('Payload Format Indicator, Content Type, Response Topic and Correlation Data forwarded as published',
        r && r[0x01] === 1 && r[0x03] === 'application/json' && r[0x08] === 'content/reply' &&
        r[0x09] && Buffer.from(r[0x09]).equals(Buffer.from([0xde, 0xad, 0xbe, 0xef])), JSON.stringify(r));
    p.destroy();
    s.c.destroy();
}

// A node configured with max_keepalive 2, max_qos 1, retain_available 0.
async function limits() {
    const a = await m.open(port, login({clientId: 'lim-a', keepAlive: 60}));
    const cp = a.connack && a.connack.props;
    check('CONNACK tells a client asking 60 s: Server Keep Alive 2, Maximum QoS 1, Retain Available 0',
        a.connack && a.connack.reason === 0 && cp && cp[0x13] === 2 && cp[0x24] === 1 && cp[0x25] === 0,
        show(a.connack) + ' ' + JSON.stringify(cp));
    const t0 = Date.now();
    const d = await a.next(8000);
    const dt = Date.now() - t0;
    check('and holds it to 2 s: a silent client is disconnected with 0x8D within 2 to 6 s',
        d && d.name === 'DISCONNECT' && d.reason === 0x8d && dt >= 2000 && dt < 6000, `${show(d)} after ${dt} ms`);
    a.destroy();
    const b = await m.open(port, login({clientId: 'lim-b', keepAlive: 0}));
    check('keep-alive 0 (none) asked: Server Keep Alive 2', b.connack && b.connack.props && b.connack.props[0x13] === 2,
        JSON.stringify(b.connack && b.connack.props));
    b.destroy();
    const c = await m.open(port, login({clientId: 'lim-c', keepAlive: 1}));
    check('keep-alive 1 asked (below the maximum): kept, no Server Keep Alive',
        c.connack && c.connack.reason === 0 && !(0x13 in c.connack.props), JSON.stringify(c.connack && c.connack.props));
    c.destroy();
    const v4 = await m.open(port, login({version: 4, clientId: 'lim-v4', keepAlive: 60}));
    check('3.1.1 client asking 60 s (cannot be told): CONNACK 2, identifier rejected, as mosquitto does',
        v4.connack && v4.connack.reason === 2 && (await v4.closedWithin(3000)), show(v4.connack));
    v4.destroy();
    const w2 = await m.open(port, login({clientId: 'lim-w2', keepAlive: 1, will: {topic: 'lim/w', payload: 'x', qos: 2, props: labelled()}}));
    check('will at QoS 2 above the maximum: CONNACK 0x9B', w2.connack && w2.connack.reason === 0x9b, show(w2.connack));
    w2.destroy();
    const wr = await m.open(port, login({clientId: 'lim-wr', keepAlive: 1, will: {topic: 'lim/w', payload: 'x', qos: 0, retain: true, props: labelled()}}));
    check('retained will without retain available: CONNACK 0x9A', wr.connack && wr.connack.reason === 0x9a, show(wr.connack));
    wr.destroy();
    const s = await m.open(port, login({clientId: 'lim-s', keepAlive: 1}));
    s.send(m.subscribe({filters: [['lim/#', 2]]}));
    const sa = await s.next(5000, 'SUBACK');
    check('SUBSCRIBE at QoS 2: granted QoS 1', sa && sa.reasons && sa.reasons[0] === 1, show(sa));
    s.destroy();
    await expectDisconnect('PUBLISH at QoS 2 above the maximum: DISCONNECT 0x9B',
        m.publish({topic: 'lim/x', qos: 2, id: 5, props: labelled(), payload: 'q2'}), 0x9b);
    await expectDisconnect('retained PUBLISH without retain available: DISCONNECT 0x9A',
        m.publish({topic: 'lim/x', qos: 1, id: 6, retain: true, props: labelled(), payload: 'r'}), 0x9a);
    const p = await m.open(port, login({clientId: 'lim-p', keepAlive: 1}));
    const ack = await pub(p, 'lim/x', 'fine', {qos: 1});
    check('a QoS 1 publish within the limits: accepted', ack && ack.reason === 0, show(ack));
    p.destroy();
}

// Will Delay Interval (§3.1.3.2.2): the will waits for the delay or the end
// of the session, whichever comes first; a resumed session never sends it;
// a clean start ends the old session and sends it.
async function willdelay() {
    const s = await subscriber('wd-watch', [['wd/#', 1]]);
    const delayed = (id, delay, expiry, payload) => m.open(port, login({clientId: id, clean: false,
        props: [m.prop.sessionExpiry(expiry)],
        will: {topic: 'wd/' + id, payload, qos: 1, props: [Buffer.from([0x18, 0, 0, 0, delay]), ...labelled()]}}));
    const arrivals = {};
    const t0 = Date.now();
    const watch = (async () => {
        for (;;) {
            const p = await s.c.next(12000, 'PUBLISH');
            if (!p) return;
            s.c.send(m.ack(4, p.id));
            arrivals[p.payload.toString()] = Date.now() - t0;
            // A's will, were it sent, is due a second before B's: once B's
            // (and the others) came, A's absence means it was never sent.
            if (['b', 'c', 'd', 'e'].every((k) => k in arrivals)) return;
        }
    })();
    const a = await delayed('wd-a', 2, 60, 'a'); // drops, resumes at once: never sent
    const b = await delayed('wd-b', 3, 60, 'b'); // drops: sent after 3 s
    const c = await delayed('wd-c', 60, 2, 'c'); // drops: the session ends after 2 s, the will with it
    const d = await delayed('wd-d', 60, 60, 'd'); // a clean start replaces the session: sent then
    const e = m.open(port, login({clientId: 'wd-e', props: [m.prop.sessionExpiry(0)],
        will: {topic: 'wd/e', payload: 'e', qos: 1, props: [Buffer.from([0x18, 0, 0, 0, 30]), ...labelled()]}}));
    const e1 = await e; // session expiry 0: the session ends with the connection, the will is sent
    const td = Date.now() - t0;
    for (const x of [a, b, c, d, e1]) x.destroy();
    const a2 = await m.open(port, login({clientId: 'wd-a', clean: false, props: [m.prop.sessionExpiry(60)]}));
    check('will delay 2 s: the session is resumed at once (session present)', a2.connack && a2.connack.present === 1, show(a2.connack));
    const d2 = await m.open(port, login({clientId: 'wd-d', clean: true}));
    check('clean start on a session with a pending will: accepted', d2.connack && d2.connack.reason === 0, show(d2.connack));
    await watch;
    check('session expiry 0: the will is sent when the connection ends, whatever its delay', 'e' in arrivals && arrivals.e < td + 2000,
        JSON.stringify(arrivals));
    check('clean start: the old session ends and its delayed will is sent then', 'd' in arrivals && arrivals.d < 3000 + td,
        JSON.stringify(arrivals));
    check('will delay 3 s: sent no earlier than 3 s and within 7 s', 'b' in arrivals && arrivals.b >= 3000 && arrivals.b < td + 7000,
        JSON.stringify(arrivals));
    check('will delay 60 s, session expiry 2 s: sent when the session ends (2 to 6 s)', 'c' in arrivals && arrivals.c >= 2000 && arrivals.c < td + 6000,
        JSON.stringify(arrivals));
    check('a session resumed within its will delay never sends the will (not by the time a later one came)', !('a' in arrivals),
        JSON.stringify(arrivals));
    a2.destroy();
    d2.destroy();
    s.c.destroy();
}

// Node C: public/# readable by all, ukr/# read-write for UKR, everything
// for alice, home/%u/# for each principal.  olena logs in as user 'olena'.
async function acl() {
    const ol = (id) => m.open(port, {version: 5, user: 'olena', pass: 'pw-olena', clientId: id});
    const s = await ol('acl-olena');
    s.send(m.subscribe({id: 3, filters: [['ops/#', 1], ['public/#', 1], ['#', 1], ['ukr/+/x', 1], ['home/olena/#', 1], ['home/alice/#', 1]]}));
    const sa = await s.next(5000, 'SUBACK');
    check('SUBACK per filter: ops/# 0x87, public/# 1, # 0x87, ukr/+/x 1, home/olena/# 1, home/alice/# 0x87',
        sa && same(sa.reasons, [0x87, 1, 0x87, 1, 1, 0x87]), show(sa) + ' ' + JSON.stringify(sa && sa.reasons));
    const sh = await ol('acl-olena-share');
    sh.send(m.subscribe({id: 4, filters: [['$share/ga/ops/#', 1], ['$share/ga/public/#', 1]]}));
    const ssa = await sh.next(5000, 'SUBACK');
    check('shared subscriptions obey the rules on their filter: $share/ga/ops/# 0x87, $share/ga/public/# 1',
        ssa && same(ssa.reasons, [0x87, 1]), JSON.stringify(ssa && ssa.reasons));
    sh.send(m.disconnect(0));
    await sh.closedWithin(5000);
    sh.destroy();
    const p = await ol('acl-olena-pub');
    const r1 = await pub(p, 'ops/x', 'no', {qos: 1});
    check('olena publishing on ops/x (no write rule): PUBACK 0x87', r1 && r1.reason === 0x87, show(r1));
    const r2 = await pub(p, 'home/olena/x', 'mine', {qos: 1});
    check('olena publishing on home/olena/x (pattern %u): accepted', r2 && r2.reason === 0, show(r2));
    const r3 = await pub(p, 'home/alice/x', 'theirs', {qos: 1});
    check("olena publishing on home/alice/x (another's home): PUBACK 0x87", r3 && r3.reason === 0x87, show(r3));
    p.destroy();
    const a = await m.open(port, login({clientId: 'acl-alice'}));
    const r4 = await pub(a, 'public/news', 'hello', {qos: 1});
    const r5 = await pub(a, 'public/secret', 'allies only', {qos: 1, label: 'NATO SECRET REL TO NATO'});
    const r6 = await pub(a, 'ukr/a/x', 'for ukr', {qos: 1});
    const r7 = await pub(a, 'ops/y', 'ops', {qos: 1});
    check('alice (readwrite #) may publish anywhere', [r4, r5, r6, r7].every((r) => r && r.reason === 0),
        [r4, r5, r6, r7].map(show).join(' '));
    await pub(a, 'public/end', 'end', {qos: 1});
    a.destroy();
    const got = await receive(s, 'end', 5000);
    check('olena receives what her rules open and the labels allow: not the SECRET one, not ops/y',
        same(got.map((g) => g.topic + '|' + g.payload.toString()),
            ['home/olena/x|mine', 'public/news|hello', 'ukr/a/x|for ukr', 'public/end|end']),
        JSON.stringify(got.map((g) => g.topic)));
    s.destroy();
}

// After the reload: only "nation UKR / topic read ukr/#" is left.
async function aclreloaded() {
    const s = await m.open(port, {version: 5, user: 'olena', pass: 'pw-olena', clientId: 'acl-olena2'});
    s.send(m.subscribe({id: 4, filters: [['public/#', 1], ['ukr/#', 1]]}));
    const sa = await s.next(5000, 'SUBACK');
    check('after the reload: public/# 0x87, ukr/# granted', sa && same(sa.reasons, [0x87, 1]), JSON.stringify(sa && sa.reasons));
    const a = await m.open(port, login({clientId: 'acl-alice2'}));
    const r = await pub(a, 'ukr/z', 'z', {qos: 1});
    check('alice, whose rules are gone, may no longer publish: PUBACK 0x87', r && r.reason === 0x87, show(r));
    a.destroy();
    s.destroy();
}

// The receive quota (Receive Maximum 1024, §4.9): a QoS 2 publish holds its
// place until PUBCOMP, not until PUBREC; past the quota: DISCONNECT 0x93.
async function qos2quota() {
    const N = 1024;
    const burst = (c, from, n) => {
        const bufs = [];
        for (let i = 0; i < n; i++)
            bufs.push(m.publish({topic: 'q2q/x', qos: 2, id: from + i, props: labelled(), payload: 'q'}));
        c.send(Buffer.concat(bufs));
    };
    const recs = async (c, n) => {
        let ok = 0;
        for (let i = 0; i < n; i++) {
            const r = await c.next(10000, 'PUBREC');
            if (!r) break;
            if (r.reason === 0) ok++;
        }
        return ok;
    };
    const a = await m.open(port, login({clientId: 'q2q-a'}));
    burst(a, 1, N);
    const okA = await recs(a, N);
    check(`${N} QoS 2 publishes without PUBREL: ${N} PUBRECs with success`, okA === N, `${okA}`);
    burst(a, N + 1, 1);
    const d = await a.next(10000);
    check(`the ${N + 1}th while none is complete: DISCONNECT 0x93`, d && d.name === 'DISCONNECT' && d.reason === 0x93, show(d));
    a.destroy();
    const b = await m.open(port, login({clientId: 'q2q-b'}));
    burst(b, 1, N);
    const okB = await recs(b, N);
    b.send(m.ack(6, 1)); // PUBREL for id 1
    const comp = await b.next(10000, 'PUBCOMP');
    burst(b, 5000, 1);
    const r = await b.next(10000);
    check('after one PUBREL/PUBCOMP the quota has room for one more: PUBREC success',
        okB === N && comp && comp.reason === 0 && r && r.name === 'PUBREC' && r.reason === 0, `${okB} ${show(comp)} ${show(r)}`);
    b.destroy();
}

// Server-to-client topic aliases (§3.3.2.3.4): within the client's Topic
// Alias Maximum, a topic is sent once with its alias, then the alias alone;
// once all are given out, other topics go in full (no reassignment, which
// would thrash on a cyclic stream).
async function aliases() {
    const s = await subscriber('alias-sub', [['al/#', 1]], {props: [Buffer.from([0x22, 0, 2])]});
    const plain = await subscriber('alias-none', [['al/#', 1]]);
    const p = await m.open(port, login({clientId: 'alias-pub'}));
    const topics = ['al/1', 'al/2', 'al/1', 'al/3', 'al/2', 'al/3'];
    for (let i = 0; i < topics.length; i++) await pub(p, topics[i], 'm' + i, {qos: 1});
    await pub(p, 'al/end', 'end', {qos: 1});
    p.destroy();
    const got = await receive(s.c, 'end', 5000);
    const sent = got.map((g) => [g.topic, g.props && g.props[0x23]]);
    check('topic alias maximum 2: topics and aliases as sent',
        JSON.stringify(sent.slice(0, 6)) === JSON.stringify([['al/1', 1], ['al/2', 2], ['', 1], ['al/3', null], ['', 2], ['al/3', null]]),
        JSON.stringify(sent));
    const table = {};
    const resolved = got.map((g) => {
        const a = g.props && g.props[0x23];
        if (g.topic && a) table[a] = g.topic;
        return g.topic || table[a];
    });
    check('the client resolving the aliases gets every topic right', same(resolved, [...topics, 'al/end']), JSON.stringify(resolved));
    const got2 = await receive(plain.c, 'end', 5000);
    check('a client that asked for no aliases gets full topics and no alias property',
        same(got2.map((g) => g.topic), [...topics, 'al/end']) && got2.every((g) => !(g.props && 0x23 in g.props)),
        JSON.stringify(got2.map((g) => g.topic)));
    s.c.destroy();
    plain.c.destroy();
}

// Message Expiry Interval (§3.3.2.3.3): an expired message reaches nobody
// (offline queue, retained), and a delivery carries the time left.
async function expiry() {
    const exp = (n) => Buffer.from([0x02, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
    const off = await subscriber('exp-off', [['ex/q/#', 1]], {clean: false, props: [m.prop.sessionExpiry(600)]});
    off.c.send(m.disconnect(0));
    await off.c.closedWithin(3000);
    const live = await subscriber('exp-live', [['ex/q/#', 1]]);
    const p = await m.open(port, login({clientId: 'exp-pub'}));
    const pubx = (topic, payload, props, retain) => {
        p.send(m.publish({topic, qos: 1, id: nextId++, retain, props: [...props, ...labelled()], payload}));
        return p.next(5000, 'PUBACK');
    };
    await pubx('ex/q/short', 'short', [exp(1)]);
    await pubx('ex/q/long', 'long', [exp(600)]);
    await pubx('ex/q/none', 'none', []);
    await pubx('ex/r/short', 'rshort', [exp(1)], true);
    await pubx('ex/r/long', 'rlong', [exp(600)], true);
    const lg = await receive(live.c, 'none', 5000);
    const lp = lg.map((g) => g.props && g.props[0x02]);
    check('a live subscriber gets the time left (at most the interval) and no interval where none was set',
        same(payloads(lg), ['short', 'long', 'none']) && lp[0] >= 1 && lp[0] <= 1 && lp[1] > 590 && lp[1] <= 600 && lp[2] === undefined,
        JSON.stringify(lp));
    live.c.destroy();
    // The behaviour is a duration: wait until more than 1 s has passed for
    // sure (whole-second clock), well within the 600 s of the others.
    await sleep(2600);
    const back = await m.open(port, login({clientId: 'exp-off', clean: false, props: [m.prop.sessionExpiry(600)]}));
    const bg = await receive(back, 'none', 5000);
    check('offline queue: the expired message is not delivered, the others are', same(payloads(bg), ['long', 'none']),
        JSON.stringify(payloads(bg)));
    const left = bg[0] && bg[0].props && bg[0].props[0x02];
    check('the time left went down while it waited (598 s or less, above 590)', left > 590 && left <= 598, `${left}`);
    back.destroy();
    const r = await subscriber('exp-ret', [['ex/r/#', 1]]);
    await pub(p, 'ex/r/end', 'end', {qos: 1});
    const rg = await receive(r.c, 'end', 5000);
    check('retained: the expired one is gone, the other is kept', same(payloads(rg), ['rlong', 'end']), JSON.stringify(payloads(rg)));
    r.c.destroy();
    p.destroy();
}

runGroups({limits, willdelay, acl, aclreloaded, qos2quota, aliases, expiry, malformed, burst, loginflood, flood, takeover, will, timers, flow, maxpacket, qos2, subopts, content}, groups);
