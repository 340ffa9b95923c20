// sessions.js -- session and subscription caps, SUBACK sizes and long
// topics against a partnernet node, with raw MQTT bytes (issue 10, items 14
// and 17).
//
//   node sessions.js PORT USER PASSWORD USER2 PASSWORD2 GROUP...
//
// GROUP: suback | subcap | sesscap | topiclen | fill | change.  The node's
// caps come from the environment: MAXSUBS (max_subscriptions), MAXSESS
// (max_sessions_per_principal); fill makes FILL_SESSIONS persistent
// sessions of FILL_SUBS subscriptions each; change measures the bytes the
// node (NODE_PID) writes for one subscription change of session fill-3,
// against the size of the session state in DATA_DIR.  Prints one line per check,
// "PASS what" or "FAIL what -- detail" (tests/it/harden_sessions.sh turns
// them into TAP), and exits 1 when a check failed.
'use strict';
const fs = require('fs');
const m = require('./mqttraw');

const [port, user, pass, user2, pass2] = [Number(process.argv[2]), ...process.argv.slice(3, 7)];
const groups = process.argv.slice(7);
const MAXSUBS = Number(process.env.MAXSUBS || 256);
const MAXSESS = Number(process.env.MAXSESS || 32);
const LABEL = 'NATO UNCLASSIFIED REL TO PFP';
let failed = 0;

function check(what, cond, detail) {
    if (cond) console.log(`PASS ${what}`);
    else {
        failed++;
        console.log(`FAIL ${what} -- ${detail === undefined ? '' : detail}`);
    }
}

const hex = (n) => (n === undefined || n === null ? String(n) : '0x' + n.toString(16).padStart(2, '0'));
const show = (p) => (p ? `${p.name}${p.reason !== undefined ? ' ' + hex(p.reason) : ''}` : 'nothing (closed or timed out)');
const login = (extra) => Object.assign({version: 5, user, pass, clientId: ''}, extra || {});
const persistent = (id, extra) => login(Object.assign({clientId: id, clean: false, props: [m.prop.sessionExpiry(600)]}, extra || {}));
const range = (n, f) => Array.from({length: n}, (_, i) => f(i));
const counts = (a) => {
    const c = {};
    for (const x of a || []) c[hex(x)] = (c[hex(x)] || 0) + 1;
    return JSON.stringify(c);
};

async function suback(c, id, filters, version) {
    c.send(m.subscribe({id, filters, version}));
    return c.next(10000, 'SUBACK');
}

// Log in, then leave with a normal DISCONNECT (the session stays when persistent).
async function touch(opts) {
    const c = await m.open(port, opts);
    const ack = c.connack;
    if (ack && ack.reason === 0) {
        c.send(opts.version === 4 ? Buffer.from([0xe0, 0]) : m.disconnect(0));
        await c.closedWithin(5000);
    }
    c.destroy();
    return ack;
}

// One reason code per topic filter (MQTT 5 §3.9.3, 3.1.1 §3.9.3), however
// many filters a SUBSCRIBE carries; past the cap each is refused with 0x97.
async function groupSuback() {
    for (const version of [5, 4]) {
        const c = await m.open(port, login({version, clientId: `many-${version}`}));
        const s = await suback(c, 1, range(300, (i) => [`sa/${i}`, 1]), version);
        const r = (s && s.reasons) || [];
        const refused = version === 5 ? 0x97 : 0x80;
        check(`v${version}: SUBSCRIBE with 300 filters gets a SUBACK with 300 reason codes`, r.length === 300, `${r.length} codes`);
        const granted = r.slice(0, MAXSUBS).every((x) => x === 1);
        const over = r.slice(MAXSUBS).every((x) => x === refused);
        check(`v${version}: the first ${MAXSUBS} granted, the other ${300 - MAXSUBS} refused with ${hex(refused)}`, granted && over, counts(r));
        c.destroy();
    }
}

// max_subscriptions per session: a new filter past it is refused with
// 0x97; replacing an existing one is not a new subscription; unsubscribing
// makes room.
async function groupSubcap() {
    const c = await m.open(port, login({clientId: 'subcap'}));
    const s1 = await suback(c, 1, range(MAXSUBS, (i) => [`sc/${i}`, 1]));
    check(`${MAXSUBS} subscriptions granted`, s1 && s1.reasons.length === MAXSUBS && s1.reasons.every((x) => x === 1), counts(s1 && s1.reasons));
    const s2 = await suback(c, 2, [['sc/extra', 1]]);
    check('one more filter: SUBACK 0x97 quota exceeded', s2 && s2.reasons.length === 1 && s2.reasons[0] === 0x97, counts(s2 && s2.reasons));
    const s3 = await suback(c, 3, [['sc/0', 0]]);
    check('an existing filter can still be changed (granted QoS 0)', s3 && s3.reasons[0] === 0, counts(s3 && s3.reasons));
    c.send(m.unsubscribe({id: 4, filters: ['sc/1']}));
    const u = await c.next(5000, 'UNSUBACK');
    const s4 = await suback(c, 5, [['sc/extra', 1]]);
    check('after UNSUBSCRIBE the new filter is granted', u && u.reasons[0] === 0 && s4 && s4.reasons[0] === 1, counts(s4 && s4.reasons));
    c.send(m.PINGREQ);
    check('connection still served after the refusals', !!(await c.next(5000, 'PINGRESP')));
    c.destroy();
}

// max_sessions_per_principal: persistent sessions only; a resumed session
// is not a new one; other principals are not affected.
async function groupSesscap() {
    const made = [];
    for (let i = 0; i < MAXSESS; i++) made.push(await touch(persistent(`cap-${i}`)));
    check(`${MAXSESS} persistent sessions accepted`, made.every((a) => a && a.reason === 0), made.map(show).join(','));
    const extra = await touch(persistent('cap-extra'));
    check('one more persistent session (v5): CONNACK 0x97 quota exceeded', extra && extra.reason === 0x97, show(extra));
    const old = await touch({version: 4, user, pass, clientId: 'cap-extra-311', clean: false});
    check('one more persistent session (3.1.1 clean session 0): CONNACK 5 not authorized', old && old.reason === 5, show(old));
    const clean = await touch(login({clientId: 'cap-clean'}));
    check('a non-persistent session is still accepted', clean && clean.reason === 0, show(clean));
    const resume = await touch(persistent('cap-0'));
    check('resuming an existing persistent session is accepted (session present)', resume && resume.reason === 0 && resume.present === 1, show(resume));
    const other = await touch(Object.assign(persistent('cap-other'), {user: user2, pass: pass2}));
    check('another principal is not affected', other && other.reason === 0, show(other));
    // MQTT 5 §3.14.2.2.2: a session that began with expiry 0 may not be made
    // persistent by DISCONNECT -- that would pass the cap.
    const c = await m.open(port, login({clientId: 'cap-sneak'}));
    c.send(m.disconnect(0, [m.prop.sessionExpiry(600)]));
    const d = await c.next(5000, 'DISCONNECT');
    check('DISCONNECT setting an expiry on a session that began with 0: DISCONNECT 0x82 protocol error', d && d.reason === 0x82, show(d));
    c.destroy();
    const after = await touch(persistent('cap-sneak-2'));
    check('and it did not become a persistent session past the cap', after && after.reason === 0x97, show(after));
    // Ending one session (clean start, expiry 0) makes room.
    await touch(login({clientId: 'cap-1'}));
    const room = await touch(persistent('cap-extra'));
    check('after one session ended a new persistent session is accepted', room && room.reason === 0, show(room));
}

function labelled() {
    return [m.prop.user('label', LABEL)];
}

// Topics up to the MQTT limit of 65,535 bytes are accepted and delivered.
async function groupTopiclen() {
    const sub = await m.open(port, login({clientId: 'tl-sub'}));
    const s = await suback(sub, 1, [['tl/#', 1], ['tf/' + 'f'.repeat(1997), 1]]);
    check('filters of 4 and 2000 bytes granted', s && s.reasons.length === 2 && s.reasons.every((x) => x === 1), counts(s && s.reasons));
    const pub = await m.open(port, login({clientId: 'tl-pub'}));
    const lens = [1023, 1024, 1025, 4096, 65535];
    let id = 1;
    const acks = [];
    for (const n of lens) {
        pub.send(m.publish({topic: 'tl/' + 'a'.repeat(n - 3), qos: 1, id: id++, props: labelled(), payload: String(n)}));
        acks.push(await pub.next(10000, 'PUBACK'));
    }
    check(`topics of ${lens.join(', ')} bytes: PUBACK 0x00`, acks.every((a) => a && a.reason === 0), acks.map(show).join(','));
    const got = [];
    for (let i = 0; i < lens.length; i++) {
        const p = await sub.next(10000, 'PUBLISH');
        if (!p) break;
        got.push(p.topic.length);
        if (p.qos) sub.send(m.puback(p.id, 5));
    }
    check('the subscriber gets them with their full topics', JSON.stringify(got) === JSON.stringify(lens), JSON.stringify(got));
    pub.send(m.publish({topic: 'tf/' + 'f'.repeat(1997), qos: 1, id: id++, props: labelled(), payload: 'f'}));
    const a2 = await pub.next(10000, 'PUBACK');
    const p2 = await sub.next(10000, 'PUBLISH');
    check('a 2000-byte filter matches its topic', a2 && a2.reason === 0 && p2 && p2.topic.length === 2000, `${show(a2)} ${p2 && p2.topic.length}`);
    pub.send(m.publish({topic: 'tl/' + 'a'.repeat(1500) + '/+', qos: 1, id: id++, props: labelled(), payload: 'w'}));
    const bad = await pub.next(10000, 'PUBACK');
    check('a long topic with a wildcard: PUBACK 0x90 "invalid topic name"', bad && bad.reason === 0x90 && bad.props && /invalid topic name/.test(bad.props[0x1f]), `${show(bad)} ${JSON.stringify(bad && bad.props)}`);
    const old = await m.open(port, login({version: 4, clientId: 'tl-311'}));
    old.send(m.publish({version: 4, topic: 'tl/' + 'b'.repeat(3000), qos: 1, id: 7, payload: 'v4'}));
    const a4 = await old.next(10000, 'PUBACK');
    const p4 = await sub.next(10000, 'PUBLISH');
    check('3.1.1: a 3003-byte topic is accepted and delivered', a4 && !old.closed && p4 && p4.topic.length === 3003, `${show(a4)} ${p4 && p4.topic.length}`);
    pub.destroy();
    sub.destroy();
    old.destroy();
}

// Persistent sessions with many subscriptions, for the storage checks.
async function groupFill() {
    const n = Number(process.env.FILL_SESSIONS || 20), k = Number(process.env.FILL_SUBS || 200);
    let ok = 0;
    for (let i = 0; i < n; i++) {
        const c = await m.open(port, persistent(`fill-${i}`));
        const s = c.connack && c.connack.reason === 0 ? await suback(c, 1, range(k, (j) => [`fill/${i}/some/longer/topic/filter/${j}/+/#`, 1])) : null;
        if (s && s.reasons.length === k && s.reasons.every((x) => x === 1)) ok++;
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    }
    check(`${n} persistent sessions with ${k} subscriptions each`, ok === n, `${ok} made`);
}

// The session state files (DATA_DIR/sessions.json, DATA_DIR/sessions/*):
// name, inode, mtime and size of each, and their total size.
function sessionState() {
    const dir = process.env.DATA_DIR;
    const files = [];
    if (fs.existsSync(`${dir}/sessions.json`)) files.push(`${dir}/sessions.json`);
    if (fs.existsSync(`${dir}/sessions`)) for (const f of fs.readdirSync(`${dir}/sessions`)) files.push(`${dir}/sessions/${f}`);
    let total = 0;
    const lines = files.sort().map((f) => {
        const st = fs.statSync(f);
        total += st.size;
        return `${f} ${st.ino} ${st.mtimeMs} ${st.size}`;
    });
    return {key: lines.join('\n'), total};
}

const wchar = () => Number(/wchar: (\d+)/.exec(fs.readFileSync(`/proc/${process.env.NODE_PID}/io`, 'utf8'))[1]);

// Resolves once the session state on disk differs from key (false after ms).
async function stateChange(key, ms) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
        if (sessionState().key !== key) return true;
        await new Promise((r) => setTimeout(r, 20));
    }
    return false;
}

// One subscription change of a connected persistent session: the bytes
// written from just before the SUBSCRIBE until the session state on disk
// shows it.  The whole state rewritten would be >= its total size.
async function groupChange() {
    const before = sessionState();
    const c = await m.open(port, persistent('fill-3'));
    check('fill-3 resumed', c.connack && c.connack.reason === 0 && c.connack.present === 1, show(c.connack));
    await stateChange(before.key, 3000); /* the attach, written (or the next periodic write) */
    const s0 = sessionState();
    const w0 = wchar();
    const s = await suback(c, 9, [['fill/3/one/more', 1]]);
    const changed = await stateChange(s0.key, 5000);
    const wrote = wchar() - w0;
    check('the subscription is granted and written', s && s.reasons[0] === 1 && changed, `${counts(s && s.reasons)} changed ${changed}`);
    console.log(`# session state ${s0.total} bytes; one subscription change wrote ${wrote} bytes`);
    check(`one subscription change writes less than a quarter of the session state (${wrote} of ${s0.total} bytes)`, wrote < s0.total / 4, `${wrote}`);
    c.send(m.disconnect(0));
    await c.closedWithin(5000);
    c.destroy();
}

(async () => {
    const table = {suback: groupSuback, subcap: groupSubcap, sesscap: groupSesscap, topiclen: groupTopiclen, fill: groupFill, change: groupChange};
    for (const g of groups) {
        if (!table[g]) throw new Error(`unknown group ${g}`);
        await table[g]();
    }
    process.exit(failed ? 1 : 0);
})().catch((e) => {
    console.log(`FAIL exception -- ${e.stack}`);
    process.exit(1);
});
