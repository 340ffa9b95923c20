// shared.js -- MQTT 5 shared subscriptions ($share/NAME/FILTER, §4.8.2)
// against a partnernet node, with raw packets (mqttraw.js).
//
//   node shared.js PORT SERVER_PID GROUP...
//
// Principals (tests/it/mqtt_shared.sh): alice and carol (SWE, NATO SECRET,
// passwords pw-NAME) and bob (SWE, NATO UNCLASSIFIED, pw-bob).
// GROUP: spread | qos | room | names | labels | handoff | offline | overflow (a node
// with max_queued = 3) | clear1, clear2 (carol's clearance lowered in
// between) | rs1, rs2, rs3 (around restarts of the node).  Prints "PASS what" or "FAIL
// what -- detail" per check; exits 1 when one failed.
'use strict';
const m = require('./mqttraw');
const {check, runGroups} = require('./tap');

const port = Number(process.argv[2]);
const groups = process.argv.slice(4);
const NU = 'NATO UNCLASSIFIED REL TO NATO, SWE';
const NR = 'NATO RESTRICTED REL TO SWE';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const hex = (n) => (n === undefined || n === null ? String(n) : '0x' + n.toString(16).padStart(2, '0'));
const login = (user, extra) => Object.assign({version: 5, user, pass: `pw-${user}`, clientId: ''}, extra || {});

// A member: a v5 session of user subscribed to filters ([filter, options]).
async function member(user, clientId, filters, extra) {
    const c = await m.open(port, login(user, Object.assign({clientId}, extra || {})));
    c.got = [];
    if (filters) {
        c.send(m.subscribe({filters}));
        c.suback = await c.next(5000, 'SUBACK');
    }
    return c;
}

// Read what c was sent until its PINGRESP: every PUBLISH the node queued
// for it before the PINGREQ arrived (acknowledged unless noAck; QoS 2 with
// PUBREC, and a PUBREL that comes with PUBCOMP).
async function settle(c, noAck) {
    c.send(m.PINGREQ);
    for (;;) {
        const p = await c.next(5000);
        if (!p || p.name === 'PINGRESP') return;
        if (p.name === 'PUBREL') c.send(m.ack(7, p.body.readUInt16BE(0)));
        if (p.name !== 'PUBLISH') continue;
        c.got.push(p.payload.toString());
        if (!noAck && p.qos === 1) c.send(m.ack(4, p.id));
        if (!noAck && p.qos === 2) c.send(m.ack(5, p.id));
    }
}

// Disconnect normally and wait until the node closed the connection: it
// has ended (or kept) the session by then.
async function leave(c) {
    c.send(m.disconnect(0));
    await c.closedWithin(5000);
    c.destroy();
}

let nextId = 1;
// Publish QoS 1 messages and wait for each PUBACK (the node fans a message
// out before it acknowledges it).
async function publish(topic, payloads, label, extra) {
    const p = await m.open(port, login('alice', {clientId: 'sh-pub'}));
    for (const payload of payloads) {
        p.send(m.publish(Object.assign({topic, qos: 1, id: nextId++, props: [m.prop.user('label', label || NU)], payload}, extra || {})));
        const ack = await p.next(5000, 'PUBACK');
        if (!ack || ack.reason !== 0) check(`publish ${payload} acknowledged`, false, ack ? hex(ack.reason) : 'no PUBACK');
    }
    p.destroy();
}

const range = (pre, a, b) => Array.from({length: b - a + 1}, (_, i) => `${pre}${a + i}`);
const sorted = (a) => [...a].sort();
const twice = (a) => a.filter((v, i) => a.indexOf(v) !== i);

async function spread() {
    const a = await member('alice', 'sp-a', [['$share/g1/sp/#', 1]]);
    check('CONNACK says Shared Subscription Available (0x2A = 1)', a.connack.props && a.connack.props[0x2a] === 1,
        JSON.stringify(a.connack.props));
    const b = await member('alice', 'sp-b', [['$share/g1/sp/#', 1]]);
    const all = await member('alice', 'sp-all', [['sp/#', 1]]);
    check('shared subscriptions granted QoS 1', same(a.suback.reasons, [1]) && same(b.suback.reasons, [1]),
        `${a.suback.reasons} ${b.suback.reasons}`);
    const want = range('two-', 1, 10);
    await publish('sp/x', want);
    for (const c of [a, b, all]) await settle(c);
    check('two members: every message to exactly one of them', same(sorted([...a.got, ...b.got]), sorted(want)),
        JSON.stringify([a.got, b.got]));
    check('two members: five each (least recently given first)', a.got.length === 5 && b.got.length === 5,
        `${a.got.length} and ${b.got.length}`);
    check('an ordinary subscriber beside the share gets all ten', same(all.got, want), JSON.stringify(all.got));
    const c = await member('alice', 'sp-c', [['$share/g1/sp/#', 1]]);
    for (const x of [a, b, all]) x.got = [];
    const want3 = range('three-', 1, 9);
    await publish('sp/y', want3);
    for (const x of [a, b, c]) await settle(x);
    check('three members: every message once', same(sorted([...a.got, ...b.got, ...c.got]), sorted(want3)),
        JSON.stringify([a.got, b.got, c.got]));
    check('three members: three each', a.got.length === 3 && b.got.length === 3 && c.got.length === 3,
        `${a.got.length}, ${b.got.length}, ${c.got.length}`);
    // A second group on the same filter gets its own copy of each message.
    const d = await member('alice', 'sp-d', [['$share/g2/sp/#', 1]]);
    for (const x of [a, b, c]) x.got = [];
    await publish('sp/z', ['z1', 'z2']);
    for (const x of [a, b, c, d]) await settle(x);
    check('another group on the same filter gets every message too', same(d.got, ['z1', 'z2']) &&
        same(sorted([...a.got, ...b.got, ...c.got]), ['z1', 'z2']), JSON.stringify([a.got, b.got, c.got, d.got]));
    // Unsubscribing leaves the group: the others share what follows.
    c.send(m.unsubscribe({id: 9, filters: ['$share/g1/sp/#']}));
    const ua = await c.next(5000, 'UNSUBACK');
    check('UNSUBSCRIBE of a share: success', ua && same(ua.reasons, [0]), ua && ua.reasons);
    for (const x of [a, b, c]) x.got = [];
    await publish('sp/w', range('w', 1, 4));
    for (const x of [a, b, c]) await settle(x);
    check('after UNSUBSCRIBE the member left gets nothing, the others all', c.got.length === 0 &&
        same(sorted([...a.got, ...b.got]), range('w', 1, 4)), JSON.stringify([a.got, b.got, c.got]));
    for (const x of [a, b, c, d, all]) x.destroy();
}

// QoS 0 and QoS 2 through a share: one member each, the QoS 2 handshake
// completed with the member that got it.
async function qos() {
    const a = await member('alice', 'qo-a', [['$share/qo/qo/#', 2]]);
    const b = await member('alice', 'qo-b', [['$share/qo/qo/#', 2]]);
    check('QoS 2 shared subscriptions granted 2', same(a.suback.reasons, [2]) && same(b.suback.reasons, [2]),
        `${a.suback.reasons} ${b.suback.reasons}`);
    const p = await m.open(port, login('alice', {clientId: 'qo-pub'}));
    for (let i = 1; i <= 4; i++) {
        p.send(m.publish({topic: 'qo/x', qos: 0, props: [m.prop.user('label', NU)], payload: `z${i}`}));
        p.send(m.publish({topic: 'qo/x', qos: 2, id: i, props: [m.prop.user('label', NU)], payload: `q${i}`}));
        const rec = await p.next(5000, 'PUBREC');
        p.send(m.ack(6, i));
        await p.next(5000, 'PUBCOMP');
        check(`QoS 2 publish q${i} stored`, rec && rec.reason === 0, rec && hex(rec.reason));
    }
    p.destroy();
    await settle(a);
    await settle(b);
    await settle(a); // the PUBRELs of the QoS 2 ones come after the PUBRECs
    await settle(b);
    const all = sorted([...a.got, ...b.got]);
    check('QoS 0 and QoS 2 messages: each to exactly one member', same(all, sorted([...range('z', 1, 4), ...range('q', 1, 4)])),
        JSON.stringify([a.got, b.got]));
    check('spread: four each', a.got.length === 4 && b.got.length === 4, JSON.stringify([a.got, b.got]));
    a.destroy();
    b.destroy();
}

// Receive Maximum: a member with a window of 1 that does not acknowledge
// holds one message; the others go to the member with room.
async function room() {
    const slow = await member('alice', 'rm-slow', [['$share/rm/rm/#', 1]], {props: [m.prop.receiveMax(1)]});
    const fast = await member('alice', 'rm-fast', [['$share/rm/rm/#', 1]]);
    await publish('rm/x', range('r', 1, 10));
    await settle(slow, true);
    await settle(fast);
    check('a member whose receive window is full gets nothing more while another has room',
        slow.got.length === 1 && fast.got.length === 9 && same(sorted([...slow.got, ...fast.got]), sorted(range('r', 1, 10))),
        JSON.stringify([slow.got, fast.got]));
    await leave(fast);
    await leave(slow);
}

async function names() {
    // A retained message is held before the share is made: not sent to it.
    await publish('nm/ret', ['kept'], NU, {retain: true});
    const bad = ['$share', '$share/', '$share/g', '$share/g/', '$share//nm/x', '$share/g+/nm/x', '$share/#/nm/x', '$share/g/nm/#/x'];
    const c = await member('alice', 'nm-a', [...bad.map((f) => [f, 1]), ['$share/ok/nm/#', 1]]);
    check('invalid share names: 0x8F each; a valid one granted', c.suback && same(c.suback.reasons, [...bad.map(() => 0x8f), 1]),
        c.suback && c.suback.reasons.map(hex).join(' '));
    await publish('nm/end', ['end']);
    await settle(c);
    check('no retained message is sent on subscribing to a share', same(c.got, ['end']), JSON.stringify(c.got));
    c.send(m.subscribe({id: 5, filters: [['$share/nl/nm/#', 1 | 4]]}));
    const p = await c.next(5000);
    const closed = await c.closedWithin(5000);
    check('No Local on a shared subscription: DISCONNECT 0x82, closed', p && p.name === 'DISCONNECT' && p.reason === 0x82 && closed,
        `${p && p.name} ${p && hex(p.reason)} closed ${closed}`);
    c.destroy();
    // The same after filters the subscription quota refused in that packet
    // (the refusals are audited after the loop, the session already gone).
    const q = await member('alice', 'nm-q', [['nm/q', 1]]);
    const many = [];
    for (let i = 0; i < 300; i++) many.push([`nm/q/${i}`, 1]);
    q.send(m.subscribe({id: 6, filters: [...many, ['$share/nl/nm/#', 1 | 4]]}));
    const pq = await q.next(5000);
    const qclosed = await q.closedWithin(5000);
    check('No Local after filters over the quota: DISCONNECT 0x82, closed', pq && pq.name === 'DISCONNECT' && pq.reason === 0x82 && qclosed,
        `${pq && pq.name} ${pq && hex(pq.reason)} closed ${qclosed}`);
    q.destroy();
    const after = await member('alice', 'nm-after', [['nm/after', 1]]);
    check('the node still serves after it', after.suback && same(after.suback.reasons, [1]), after.suback && after.suback.reasons.map(hex).join(' '));
    await leave(after);
}

async function labels() {
    const a = await member('alice', 'lb-a', [['$share/lb/lb/#', 1]]);
    const b = await member('bob', 'lb-b', [['$share/lb/lb/#', 1]]);
    // Alternating NR (alice only) and NU (both): bob never gets an NR one,
    // even when it is his turn; nothing is lost.
    const msgs = [];
    for (let i = 1; i <= 6; i++) {
        await publish('lb/x', [`nr${i}`], NR);
        await publish('lb/x', [`nu${i}`], NU);
        msgs.push(`nr${i}`, `nu${i}`);
    }
    await settle(a);
    await settle(b);
    check('a member never gets a message decide() refuses him', b.got.every((p) => p.startsWith('nu')), JSON.stringify(b.got));
    check('every message reaches exactly one member', same(sorted([...a.got, ...b.got]), sorted(msgs)),
        JSON.stringify([a.got, b.got]));
    check('the member allowed only some labels still gets his share of those', b.got.length >= 3, JSON.stringify(b.got));
    await leave(a);
    // bob alone: an NR message goes to no one (refused, audited), an NU one to him.
    await settle(b);
    b.got = [];
    await publish('lb/x', ['nr-alone'], NR);
    await publish('lb/x', ['nu-alone'], NU);
    await settle(b);
    check('a message no member may receive is given to none', same(b.got, ['nu-alone']), JSON.stringify(b.got));
    b.destroy();
}

async function handoff() {
    // p (persistent) and q share; q gets messages and never acknowledges;
    // when q's session ends, those go to p.
    const pp = await member('alice', 'ho-p', [['$share/ho/ho/#', 1]], {clean: false, props: [m.prop.sessionExpiry(600)]});
    const q = await member('alice', 'ho-q', [['$share/ho/ho/#', 1]]);
    await publish('ho/x', range('h', 1, 6));
    await settle(pp);
    await settle(q, true);
    check('before: split between the two members', pp.got.length === 3 && q.got.length === 3, JSON.stringify([pp.got, q.got]));
    const held = q.got;
    await leave(q); // its session ends with three unacknowledged messages
    await settle(pp);
    check('a member whose session ends: its unacknowledged messages go to another member',
        same(sorted(pp.got), sorted([...range('h', 1, 6).filter((x) => !held.includes(x)), ...held])), JSON.stringify(pp.got));
    // A persistent member that disconnects: what it has not acknowledged
    // goes to a connected member (q2) rather than wait for it.
    const q2 = await member('alice', 'ho-q2', [['$share/ho/ho/#', 1]]);
    pp.got = [];
    await publish('ho/x', ['h7', 'h8']);
    await settle(pp, true);
    await settle(q2);
    const ppHeld = pp.got;
    await leave(pp);
    await settle(q2);
    check('a persistent member disconnecting: its unacknowledged message goes to a connected member',
        ppHeld.length === 1 && same(sorted(q2.got), ['h7', 'h8']), JSON.stringify([ppHeld, q2.got]));
    const back = await member('alice', 'ho-p', null, {clean: false, props: [m.prop.sessionExpiry(600)]});
    await settle(back);
    check('... and is not sent to it again when it returns', back.got.length === 0, JSON.stringify(back.got));
    back.send(m.unsubscribe({id: 3, filters: ['$share/ho/ho/#']}));
    await back.next(5000, 'UNSUBACK');
    back.destroy();
    q2.destroy();
}

// Read c's messages until `last` came (or 10 s passed), then settle.
async function until(c, last) {
    const deadline = Date.now() + 10000;
    while (!c.got.includes(last) && Date.now() < deadline) {
        const p = await c.next(deadline - Date.now(), 'PUBLISH');
        if (!p) break;
        c.got.push(p.payload.toString());
        if (p.qos === 1) c.send(m.ack(4, p.id));
    }
    await settle(c);
}

// max_queued = 3: a persistent member offline gets three queued; the
// group's other seven wait in the log and follow, in order, once it drains.
async function overflow() {
    let a = await member('alice', 'ov-a', [['$share/ov/ov/#', 1]], persistent());
    await leave(a);
    await publish('ov/x', range('v', 1, 10));
    a = await member('alice', 'ov-a', null, persistent());
    await until(a, 'v10');
    check('every member full: the rest waits in the log and all come, in order, once',
        same(a.got, range('v', 1, 10)), JSON.stringify(a.got));
    a.destroy();
}

// Segments of 2 KB, 6 KB kept: a persistent member offline gets three
// queued, the group's other messages wait in the log, and retention
// removes the oldest of them (rt2, after the script saw it happen).
async function rt1() {
    const a = await member('alice', 'rt-a', [['$share/rt/rt/#', 1]], persistent());
    await leave(a);
    await publish('rt/x', range('t', 1, 200));
}

async function rt2() {
    const a = await member('alice', 'rt-a', null, persistent());
    await until(a, 't200');
    check('retention: the three queued and the newest ones come', ['t1', 't2', 't3', 't200'].every((x) => a.got.includes(x)),
        JSON.stringify(a.got));
    check('... those retention removed do not (their loss is audited)', a.got.length < 200 && twice(a.got).length === 0,
        `${a.got.length} messages`);
    a.destroy();
}

// carol (NATO SECRET), persistent and offline, is given three NATO
// RESTRICTED messages; then (clear2) her clearance is lowered.
async function clear1() {
    const c = await member('carol', 'cl-c', [['$share/cl/cl/#', 1]], persistent());
    await leave(c);
    await publish('cl/x', range('c', 1, 3), NR);
}

// After the reload: carol may no longer see them; when she returns they
// go to alice, the other member, and not to her.
async function clear2() {
    const b = await member('alice', 'cl-b', [['$share/cl/cl/#', 1]]);
    const c = await member('carol', 'cl-c', null, persistent());
    check('carol resumes her session', c.connack && c.connack.present === 1, JSON.stringify(c.connack));
    await settle(c);
    await settle(b);
    check('clearance lowered: the messages carol may no longer see are not sent to her', c.got.length === 0,
        JSON.stringify(c.got));
    check('... they go to a member who may see them', same(b.got, range('c', 1, 3)), JSON.stringify(b.got));
    await leave(b);
    c.destroy();
}

async function offline() {
    // a: persistent, goes offline; b: connected.  While b is there, b gets
    // everything; once b is gone, a's session queue keeps a's share.
    let a = await member('alice', 'of-a', [['$share/of/of/#', 1]], {clean: false, props: [m.prop.sessionExpiry(600)]});
    await leave(a);
    const b = await member('alice', 'of-b', [['$share/of/of/#', 1]]);
    await publish('of/x', range('o', 1, 4));
    await settle(b);
    check('a connected member is preferred to an offline one', same(b.got, range('o', 1, 4)), JSON.stringify(b.got));
    await leave(b);
    await publish('of/x', range('o', 5, 8));
    a = await member('alice', 'of-a', null, {clean: false, props: [m.prop.sessionExpiry(600)]});
    check('the persistent member resumes its session', a.connack.present === 1, JSON.stringify(a.connack));
    await settle(a);
    check('an offline persistent member keeps its share in its queue and gets it back', same(a.got, range('o', 5, 8)),
        JSON.stringify(a.got));
    a.send(m.unsubscribe({id: 3, filters: ['$share/of/of/#']}));
    await a.next(5000, 'UNSUBACK');
    a.destroy();
}

const persistent = () => ({clean: false, props: [m.prop.sessionExpiry(3600)]});

// Before a kill -9: two persistent members offline, six messages for them.
async function rs1() {
    for (const id of ['rs-a', 'rs-b']) {
        const c = await member('alice', id, [['$share/rs/rs/#', 1]], persistent());
        check(`${id}: shared subscription of a persistent session granted`, c.suback && same(c.suback.reasons, [1]),
            c.suback && c.suback.reasons);
        await leave(c);
    }
    await publish('rs/x', range('r', 1, 6));
}

// After the kill -9: the six come back, each once; then four more wait.
async function rs2() {
    const a = await member('alice', 'rs-a', null, persistent());
    const b = await member('alice', 'rs-b', null, persistent());
    await settle(a);
    await settle(b);
    const got = [...a.got, ...b.got];
    check('after kill -9: nothing lost', range('r', 1, 6).every((x) => got.includes(x)), JSON.stringify([a.got, b.got]));
    check('after kill -9: nothing twice', twice(got).length === 0 && got.length === 6, JSON.stringify([a.got, b.got]));
    await leave(a);
    await leave(b);
    await publish('rs/x', range('r', 7, 10));
}

// After a clean stop: exactly the four not yet acknowledged, each once.
async function rs3() {
    const a = await member('alice', 'rs-a', null, persistent());
    const b = await member('alice', 'rs-b', null, persistent());
    await settle(a);
    await settle(b);
    check('after SIGTERM: the four waiting messages, each once, none acknowledged before',
        same(sorted([...a.got, ...b.got]), sorted(range('r', 7, 10))), JSON.stringify([a.got, b.got]));
    check('after SIGTERM: each member kept its own share (two each)', a.got.length === 2 && b.got.length === 2,
        JSON.stringify([a.got, b.got]));
    a.destroy();
    b.destroy();
}

runGroups({spread, qos, room, names, labels, handoff, offline, overflow, rt1, rt2, clear1, clear2, rs1, rs2, rs3}, groups);
