// mqttws.js -- MQTT over WebSocket (GET /mqtt on the node's HTTP and HTTPS
// listeners, subprotocol "mqtt") with MQTT.js, and raw WebSocket frames
// for what real clients never send.
//
//   HTTPPORT=... HTTPSPORT=... CA=... CERT_DIR=... TOKEN_OLENA=pn_...
//   SRV_PID=... MAX_PACKET=... CONNECT_TIMEOUT=... TOKEN_REVOKE=... PN=... DATA=...
//   node mqttws.js PART...
//
// Principals on the node: alice (SWE, NS) and olena (UKR, NC), passwords
// pw-alice / pw-olena, certificates CERT_DIR/{alice,olena}.{pem,key} (CN
// alice.swe / olena.ukr) signed by CA; TOKEN_OLENA is a bearer token of
// olena's.  The node's max_packet_size is MAX_PACKET and its
// connect_timeout CONNECT_TIMEOUT seconds.  Parts:
//   pubsub   labelled publish/subscribe, decide() refusals, QoS 1 and 2,
//            MQTT 5 and 3.1.1, password and bearer-token identities
//   will     a will on a lost WebSocket, none after a DISCONNECT
//   session  a persistent session resumed over a new WebSocket
//   tls      wss:// with client certificates; a cross-origin page gets no
//            certificate identity
//   refuse   upgrades refused: bad token, subprotocol other than mqtt,
//            no upgrade; a bad password over WebSocket
//   frames   raw frames: packets spanning messages, several packets in one
//            message, a fragmented message; close 1003 (text), 1002
//            (unmasked), 1009 (over the maximum packet size); the CONNECT
//            deadline counted from the upgrade
//   cycles   500 connect/disconnect cycles: the node's descriptors and
//            memory stay level
//   revoke   TOKEN_REVOKE (alice's) revoked with PN in DATA while its
//            connection is open: closed with 1008
//   metrics  /metrics (TOKEN_OP, an operator's) counts MQTT over WebSocket
//            connections apart from the feeds
//   backpressure  a subscriber that stops reading: the node's memory stays
//            bounded
// Prints "PASS what" / "FAIL what -- detail"; exits 1 when one failed.
'use strict';
const {check, finish} = require('./tap');
const crypto = require('crypto');
const {execFileSync} = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const mqtt = require('mqtt');
const WebSocket = require('ws');
const m = require('./mqttraw');

const env = process.env;
const HTTPPORT = Number(env.HTTPPORT), HTTPSPORT = Number(env.HTTPSPORT);
const WS_URL = `ws://127.0.0.1:${HTTPPORT}/mqtt`;
const WSS_URL = `wss://127.0.0.1:${HTTPSPORT}/mqtt`;
const L_S = 'NATO SECRET REL TO NATO';
const L_C = 'NATO CONFIDENTIAL REL TO NATO, UKR';
const L_SU = 'NATO SECRET REL TO NATO, UKR';
const lab = (l) => ({userProperties: {label: l}});

// ---- MQTT.js helpers ----------------------------------------------------------------

function connect(name, url, opts, expectRefusal) {
    return new Promise((resolve) => {
        const c = mqtt.connect(url, Object.assign({reconnectPeriod: 0, connectTimeout: 10000, protocolVersion: 5}, opts));
        const t = setTimeout(() => resolve({c, err: new Error('timeout')}), 10000);
        c.once('connect', (ack) => { clearTimeout(t); resolve({c, ack}); });
        c.once('error', (err) => { clearTimeout(t); resolve({c, err}); });
    }).then((r) => {
        if (!expectRefusal) check(`${name}: connected`, !r.err, r.err && r.err.message);
        return r;
    });
}

const pw = (user, extra) => Object.assign({username: user, password: 'pw-' + user, clean: true}, extra || {});
const certOpts = (who, extra) => Object.assign({ca: fs.readFileSync(env.CA),
    cert: fs.readFileSync(path.join(env.CERT_DIR, who + '.pem')),
    key: fs.readFileSync(path.join(env.CERT_DIR, who + '.key')), clean: true}, extra || {});

function subscribe(c, filter, qos) {
    return new Promise((resolve) => c.subscribe(filter, {qos}, (err, granted) => resolve({err, granted})));
}

function publish(c, topic, payload, opts) {
    return new Promise((resolve) => c.publish(topic, payload, opts, (err, pkt) => resolve({err, pkt})));
}

function end(c) {
    return new Promise((resolve) => c.end(false, {}, resolve));
}

// Collect messages until one with payload stop arrives.
function collect(c, stop) {
    const got = [];
    const done = new Promise((resolve) => {
        c.on('message', (topic, payload, packet) => {
            const u = (packet.properties || {}).userProperties || {};
            got.push({topic, payload: payload.toString(), label: u.label, qos: packet.qos});
            if (payload.toString() === (stop || 'done')) resolve(true);
        });
    });
    return {got, done};
}

const within = (p, ms) => Promise.race([p, new Promise((r) => setTimeout(() => r(false), ms))]);
const payloads = (col) => col.got.map((x) => x.payload).join(',');

// ---- raw WebSocket client ---------------------------------------------------------------

// A WebSocket client on a plain socket: frames built by hand, server frames
// parsed; binary messages feed an mqttraw packet parser (ws.next() as for
// mqttraw's Conn).
class RawWs {
    constructor(port) {
        this.sock = net.connect(port, '127.0.0.1');
        this.sock.setNoDelay(true);
        this.raw = Buffer.alloc(0);
        this.head = null;
        this.closeCode = null;
        this.mq = Object.assign(Object.create(m.Conn.prototype),
            {sock: this.sock, buf: Buffer.alloc(0), packets: [], waiters: [], closed: false, version: 5});
        this.connected = new Promise((res) => { this.sock.once('connect', res); this.sock.once('error', res); });
        this.sock.on('data', (d) => { this.raw = Buffer.concat([this.raw, d]); this.parse(); });
        this.sock.on('error', () => {});
        this.sock.on('close', () => { this.mq.closed = true; this.mq.wake(); });
    }

    // Send the upgrade request; resolves with the status line and headers.
    upgrade(headers) {
        const key = crypto.randomBytes(16).toString('base64');
        let req = `GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1:${HTTPPORT}\r\nUpgrade: websocket\r\n` +
            `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
        for (const [k, v] of Object.entries(headers || {'Sec-WebSocket-Protocol': 'mqtt'})) req += `${k}: ${v}\r\n`;
        this.sock.write(req + '\r\n');
        return new Promise((resolve) => { this.onHead = resolve; this.parse(); });
    }

    parse() {
        if (!this.head) {
            const i = this.raw.indexOf('\r\n\r\n');
            if (i < 0) return;
            this.head = this.raw.subarray(0, i).toString();
            this.raw = this.raw.subarray(i + 4);
            if (this.onHead) this.onHead(this.head);
        }
        for (;;) {
            if (this.raw.length < 2) return;
            let len = this.raw[1] & 0x7f, pos = 2;
            if (len === 126) { if (this.raw.length < 4) return; len = this.raw.readUInt16BE(2); pos = 4; }
            else if (len === 127) { if (this.raw.length < 10) return; len = Number(this.raw.readBigUInt64BE(2)); pos = 10; }
            if (this.raw.length < pos + len) return;
            const op = this.raw[0] & 15, data = this.raw.subarray(pos, pos + len);
            this.raw = this.raw.subarray(pos + len);
            if (op === 2 || op === 0) {
                this.mq.buf = Buffer.concat([this.mq.buf, data]);
                this.mq.parse();
            } else if (op === 8) {
                this.closeCode = data.length >= 2 ? data.readUInt16BE(0) : 1005;
                this.mq.wake();
            }
        }
    }

    // One frame: opcode, payload, fin, masked (clients must mask).
    frame(op, payload, fin = true, masked = true) {
        const n = payload.length;
        const hdr = [(fin ? 0x80 : 0) | op];
        const mbit = masked ? 0x80 : 0;
        if (n < 126) hdr.push(mbit | n);
        else if (n < 65536) hdr.push(mbit | 126, n >> 8, n & 255);
        else {
            hdr.push(mbit | 127, 0, 0, 0, 0);
            hdr.push((n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255);
        }
        if (!masked) return Buffer.concat([Buffer.from(hdr), payload]);
        const mask = crypto.randomBytes(4);
        const body = Buffer.from(payload);
        for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
        return Buffer.concat([Buffer.from(hdr), mask, body]);
    }

    send(payload) { this.sock.write(this.frame(2, payload)); }
    next(ms, type) { return this.mq.next(ms, type); }

    // The close code the node sent (null when none came within ms).
    async closeWithin(ms) {
        const deadline = Date.now() + ms;
        while (this.closeCode === null && !this.mq.closed && Date.now() < deadline)
            await new Promise((res) => {
                const t = setTimeout(res, deadline - Date.now());
                this.mq.waiters.push(() => { clearTimeout(t); res(); });
            });
        return this.closeCode;
    }

    destroy() { this.sock.destroy(); }
}

async function rawOpen(headers) {
    const w = new RawWs(HTTPPORT);
    await w.connected;
    w.status = await within(w.upgrade(headers), 5000);
    return w;
}

function httpStatus(headers) {
    return new Promise((resolve) => {
        const req = http.request({host: '127.0.0.1', port: HTTPPORT, path: '/mqtt', headers}, (res) => {
            let body = '';
            res.on('data', (d) => { body += d; });
            res.on('end', () => resolve({status: res.statusCode, body}));
        });
        req.on('error', (e) => resolve({status: 0, body: String(e)}));
        req.end();
    });
}

// The status a WebSocket upgrade (npm ws) got: 101, or the refusal's.
function upgradeStatus(protocols, headers) {
    return new Promise((resolve) => {
        const ws = new WebSocket(WS_URL, protocols, {headers});
        ws.once('open', () => { resolve({status: 101, protocol: ws.protocol}); ws.terminate(); });
        ws.once('unexpected-response', (req, res) => {
            let body = '';
            res.on('data', (d) => { body += d; });
            res.on('end', () => resolve({status: res.statusCode, body}));
        });
        ws.once('error', (err) => resolve({status: 0, body: String(err)}));
    });
}

// ---- parts ---------------------------------------------------------------------------------

async function pubsub() {
    const subA = await connect('alice v5 over ws:// (password)', WS_URL, pw('alice'));
    const subO = await connect('olena v5 over ws:// (bearer token, no username)', WS_URL,
        {wsOptions: {headers: {Authorization: 'Bearer ' + env.TOKEN_OLENA}}});
    const sub4 = await connect('alice 3.1.1 over ws:// (password)', WS_URL, pw('alice', {protocolVersion: 4}));
    const cols = {alice: collect(subA.c), olena: collect(subO.c), alice4: collect(sub4.c)};
    for (const [name, r] of [['alice', subA], ['olena', subO], ['alice4', sub4]]) {
        const s = await subscribe(r.c, 'ws/#', 2);
        check(`${name}: SUBSCRIBE ws/# granted QoS 2`, !s.err && s.granted[0].qos === 2, s.err ? s.err.message : JSON.stringify(s.granted));
    }
    const pub = await connect('publisher alice v5 over ws://', WS_URL, pw('alice'));
    let r = await publish(pub.c, 'ws/a', 'secret', {qos: 1, properties: lab(L_S)});
    check('QoS 1 publish with a label: PUBACK success', !r.err, r.err && r.err.message);
    r = await publish(pub.c, 'ws/a', 'conf', {qos: 2, properties: lab('nato confidential rel to nato, ukr')});
    check('QoS 2 publish with a label: PUBREC/PUBCOMP success', !r.err, r.err && r.err.message);
    r = await publish(pub.c, 'ws/a', 'nolabel', {qos: 1});
    check('publish without a label: decide() refuses, PUBACK 0x87', r.err && r.err.code === 0x87, r.err ? r.err.code : 'accepted');
    r = await publish(pub.c, 'ws/a', 'toohigh', {qos: 1, properties: lab('COSMIC TOP SECRET REL TO NATO')});
    check('publish above the publisher\'s clearance: PUBACK 0x87', r.err && r.err.code === 0x87, r.err ? r.err.code : 'accepted');
    r = await publish(pub.c, 'ws/a', 'badlabel', {qos: 1, properties: lab('NATO SECRET REL TO ATLANTIS')});
    check('publish with an unparsable label: PUBACK 0x99', r.err && r.err.code === 0x99, r.err ? r.err.code : 'accepted');
    await publish(pub.c, 'ws/a', 'done', {qos: 1, properties: lab(L_C)});
    for (const [name, col] of Object.entries(cols))
        check(`${name}: the stream ended ('done' came)`, await within(col.done, 5000), payloads(col));
    check('alice (SWE NS) received exactly secret, conf, done', payloads(cols.alice) === 'secret,conf,done', payloads(cols.alice));
    check('olena (UKR NS, bearer token) received exactly conf, done: never the NATO-only secret',
        payloads(cols.olena) === 'conf,done', payloads(cols.olena));
    check('alice over 3.1.1 received exactly secret, conf, done', payloads(cols.alice4) === 'secret,conf,done', payloads(cols.alice4));
    const conf = cols.alice.got.find((x) => x.payload === 'conf');
    check('the QoS 2 message came at QoS 2 with the canonical label',
        conf && conf.qos === 2 && conf.label === L_C, JSON.stringify(conf));
    check('every MQTT 5 delivery carries its label', [...cols.alice.got, ...cols.olena.got].every((x) => x.label),
        JSON.stringify(cols.alice.got));
    for (const r2 of [subA, subO, sub4, pub]) await end(r2.c);
}

async function will() {
    const sub = await connect('will subscriber olena (token)', WS_URL,
        {wsOptions: {headers: {Authorization: 'Bearer ' + env.TOKEN_OLENA}}});
    const col = collect(sub.c, 'marker');
    await subscribe(sub.c, 'wswill/#', 1);
    const willOpts = (payload) => ({will: {topic: 'wswill/a', payload: Buffer.from(payload), qos: 1, properties: lab(L_C)}});
    const lost = await connect('alice with a will', WS_URL, pw('alice', willOpts('gone')));
    lost.c.stream.destroy(); // the WebSocket's socket goes away without a DISCONNECT
    const polite = await connect('alice with a will, ends with DISCONNECT', WS_URL, pw('alice', willOpts('polite')));
    await end(polite.c);
    const pub = await connect('marker publisher', WS_URL, pw('alice'));
    await within(new Promise((res) => { const t = setInterval(() => { if (col.got.some((x) => x.payload === 'gone')) { clearInterval(t); res(); } }, 20); }), 5000);
    await publish(pub.c, 'wswill/marker', 'marker', {qos: 1, properties: lab(L_C)});
    check('the marker came', await within(col.done, 5000), payloads(col));
    check('the will of the lost WebSocket is published (with its label); none after DISCONNECT',
        payloads(col) === 'gone,marker' && col.got[0].label === L_C, JSON.stringify(col.got));
    await end(sub.c);
    await end(pub.c);
}

async function session() {
    const opts = pw('alice', {clientId: 'ws-sess', clean: false, properties: {sessionExpiryInterval: 300}});
    const first = await connect('persistent session over ws://', WS_URL, opts);
    const s = await subscribe(first.c, 'wssess/#', 1);
    check('persistent session: subscribed', !s.err, s.err && s.err.message);
    await end(first.c);
    const pub = await connect('publisher while the session is offline', WS_URL, pw('alice'));
    for (const p of ['q1', 'q2', 'done']) await publish(pub.c, 'wssess/x', p, {qos: 1, properties: lab(L_S)});
    await end(pub.c);
    const again = await new Promise((resolve) => {
        const c = mqtt.connect(WS_URL, Object.assign({reconnectPeriod: 0, protocolVersion: 5}, opts));
        const col = collect(c);
        c.once('connect', (ack) => resolve({c, ack, col}));
        c.once('error', (err) => resolve({c, err, col}));
    });
    check('reconnected over a new WebSocket: session present', again.ack && again.ack.sessionPresent,
        again.err ? again.err.message : JSON.stringify(again.ack));
    check('the messages queued while offline arrive', await within(again.col.done, 5000) && payloads(again.col) === 'q1,q2,done',
        payloads(again.col));
    // Clean up: end the session.
    await new Promise((res) => again.c.end(false, {properties: {sessionExpiryInterval: 0}}, res));
}

async function tls() {
    const ol = await connect('olena over wss:// with her client certificate, no username', WSS_URL, certOpts('olena'));
    if (ol.c && !ol.err) {
        let r = await publish(ol.c, 'wstls/a', 'x', {qos: 1, properties: lab(L_C)});
        check('wss:// olena: a label released to UKR is accepted', !r.err, r.err && r.err.message);
        r = await publish(ol.c, 'wstls/a', 'x', {qos: 1, properties: lab(L_SU)});
        check('wss:// olena: the identity is hers, a SECRET label (over her clearance) refused 0x87', r.err && r.err.code === 0x87,
            r.err ? r.err.code : 'accepted');
        await end(ol.c);
    }
    const same = await connect('alice over wss://, certificate, Origin of the node itself', WSS_URL,
        certOpts('alice', {wsOptions: {headers: {Origin: `https://127.0.0.1:${HTTPSPORT}`}}}));
    if (same.c) same.c.end(true);
    const cross = await connect('cross-origin', WSS_URL,
        certOpts('alice', {wsOptions: {headers: {Origin: 'https://evil.example'}}}), true);
    check('a cross-origin page gets no certificate identity: CONNECT without password refused (0x86)',
        cross.err && cross.err.code === 0x86, cross.err ? `${cross.err.message} ${cross.err.code}` : 'connected');
    if (cross.c) cross.c.end(true);
    const crossPw = await connect('a cross-origin page may still log in with a password', WSS_URL,
        certOpts('alice', {username: 'olena', password: 'pw-olena', wsOptions: {headers: {Origin: 'https://evil.example'}}}));
    if (crossPw.c && !crossPw.err) {
        const r = await publish(crossPw.c, 'wstls/b', 'x', {qos: 1, properties: lab(L_SU)});
        check('cross-origin with a password: the identity is the password\'s (olena), not the certificate\'s',
            r.err && r.err.code === 0x87, r.err ? r.err.code : 'accepted as alice');
        await end(crossPw.c);
    }
}

async function refuse() {
    let r = await upgradeStatus('mqtt', {Authorization: 'Bearer pn_not-a-token'});
    check('an unknown bearer token: no upgrade, 401', r.status === 401, JSON.stringify(r));
    r = await upgradeStatus('foo');
    check('subprotocol foo only: no upgrade, 400 bad_subprotocol', r.status === 400 && /bad_subprotocol/.test(r.body), JSON.stringify(r));
    r = await upgradeStatus([]);
    check('no subprotocol: no upgrade, 400', r.status === 400, JSON.stringify(r));
    r = await upgradeStatus(['foo', 'mqtt']);
    check('subprotocols foo, mqtt: upgraded with mqtt chosen', r.status === 101 && r.protocol === 'mqtt', JSON.stringify(r));
    r = await httpStatus({});
    check('GET /mqtt without an upgrade: 426', r.status === 426 && /upgrade_required/.test(r.body), JSON.stringify(r));
    const bad = await connect('bad password', WS_URL, {username: 'alice', password: 'wrong'}, true);
    check('a bad password over WebSocket: CONNACK 0x86', bad.err && bad.err.code === 0x86, bad.err ? bad.err.code : 'connected');
    if (bad.c) bad.c.end(true);
}

const login = (extra) => Object.assign({version: 5, user: 'alice', pass: 'pw-alice', clientId: ''}, extra || {});

async function frames() {
    let w = await rawOpen();
    check('raw upgrade: 101 with Sec-WebSocket-Protocol: mqtt',
        /^HTTP\/1.1 101/.test(w.status || '') && /\r\nSec-WebSocket-Protocol: mqtt(\r|$)/i.test(w.status), w.status);
    const conn = m.connect(login({clientId: 'raw-ws'}));
    w.send(conn.subarray(0, 5)); // one packet over two messages
    w.send(conn.subarray(5));
    const ack = await w.next(10000, 'CONNACK');
    check('a CONNECT split over two WebSocket messages: CONNACK success', ack && ack.reason === 0, JSON.stringify(ack));
    w.send(Buffer.concat([m.subscribe({filters: [['raw/#', 1]]}), m.PINGREQ])); // two packets, one message
    const sa = await w.next(5000, 'SUBACK'), pr = await w.next(5000, 'PINGRESP');
    check('SUBSCRIBE and PINGREQ in one message: SUBACK and PINGRESP', sa && sa.reasons[0] === 1 && pr,
        `${JSON.stringify(sa)} ${JSON.stringify(pr)}`);
    const pub = m.publish({topic: 'raw/x', qos: 1, id: 7, props: [m.prop.user('label', L_S)], payload: 'frag'});
    w.sock.write(Buffer.concat([w.frame(2, pub.subarray(0, 3), false), w.frame(0, pub.subarray(3), true)]));
    const pa = await w.next(5000, 'PUBACK'), got = await w.next(5000, 'PUBLISH');
    check('a PUBLISH in a fragmented message: PUBACK success and delivered back',
        pa && pa.reason === 0 && got && got.payload.toString() === 'frag', `${JSON.stringify(pa)} ${got && got.payload}`);
    w.sock.write(w.frame(1, Buffer.from('hello')));
    let code = await w.closeWithin(5000);
    check('a text message: close 1003', code === 1003, `close ${code}`);
    w.destroy();

    w = await rawOpen();
    w.sock.write(w.frame(2, m.connect(login()), true, false));
    code = await w.closeWithin(5000);
    check('an unmasked client frame: close 1002', code === 1002, `close ${code}`);
    w.destroy();

    w = await rawOpen();
    const max = Number(env.MAX_PACKET);
    w.send(Buffer.alloc(max + 1));
    code = await w.closeWithin(5000);
    check(`a message over the maximum packet size (${max} + 1 bytes): close 1009`, code === 1009, `close ${code}`);
    w.destroy();

    w = await rawOpen();
    w.send(m.connect(login({clientId: 'raw-big'})));
    const ok = await w.next(10000, 'CONNACK');
    const big = m.publish({topic: 'raw/big', qos: 1, id: 9, props: [m.prop.user('label', L_S)], payload: Buffer.alloc(max - 200)});
    w.send(big);
    const bigAck = await w.next(5000, 'PUBACK');
    check('a PUBLISH just under the maximum packet size in one message is taken',
        ok && ok.reason === 0 && bigAck && bigAck.reason === 0, JSON.stringify(bigAck));
    w.destroy();

    // The deadline runs from the upgrade: a socket that waited before
    // upgrading gets the whole connect_timeout after it.
    const t = Number(env.CONNECT_TIMEOUT) * 1000;
    w = new RawWs(HTTPPORT);
    await w.connected;
    await new Promise((res) => setTimeout(res, 1000));
    const up = Date.now();
    await w.upgrade();
    code = await w.closeWithin(t + 3000);
    const after = Date.now() - up;
    check(`no CONNECT after the upgrade: closed (1000) after connect_timeout (${t} ms) counted from the upgrade, within a tick`,
        code === 1000 && after >= t - 100 && after <= t + 1500, `close ${code} after ${after} ms`);
    w.destroy();
}

function fdCount(pid) { return fs.readdirSync(`/proc/${pid}/fd`).length; }
function rssKiB(pid) { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); }

// One raw cycle: upgrade with the token, CONNECT, SUBSCRIBE, PUBLISH QoS 1,
// then DISCONNECT or a lost socket.
async function cycle(i) {
    const w = await rawOpen({'Sec-WebSocket-Protocol': 'mqtt', Authorization: 'Bearer ' + env.TOKEN_OLENA});
    w.send(m.connect({version: 5, clientId: `cyc-${i}`}));
    const a = await w.next(5000, 'CONNACK');
    w.send(m.subscribe({filters: [['cyc/#', 1]]}));
    w.send(m.publish({topic: `cyc/${i}`, qos: 1, id: 1, props: [m.prop.user('label', L_C)], payload: 'x'}));
    const p = await w.next(5000, 'PUBACK');
    if (i % 2) w.send(m.disconnect(0));
    else w.destroy();
    if (i % 2) await w.mq.closedWithin(5000);
    w.destroy();
    return a && a.reason === 0 && p && p.reason === 0;
}

async function cycles() {
    const pid = Number(env.SRV_PID), N = 500, PAR = 10;
    let ok = 0;
    const run = async (from, to) => {
        for (let i = from; i < to; i += PAR) {
            const r = await Promise.all(Array.from({length: Math.min(PAR, to - i)}, (_, k) => cycle(i + k)));
            ok += r.filter(Boolean).length;
        }
    };
    await run(0, 50); // warm-up: buffers and caches reach their working size
    const fd0 = fdCount(pid), rss0 = rssKiB(pid);
    await run(50, 50 + N);
    // The node closes its side once the client is gone: let it see the last ones.
    let fd1 = fdCount(pid);
    for (let k = 0; k < 50 && fd1 > fd0; k++) { await new Promise((r) => setTimeout(r, 100)); fd1 = fdCount(pid); }
    const rss1 = rssKiB(pid);
    console.log(`# ${N} WebSocket connect/disconnect cycles: fds ${fd0} -> ${fd1}, RSS ${rss0} -> ${rss1} KiB`);
    check(`${N + 50} cycles: every CONNECT and PUBLISH acknowledged`, ok === N + 50, `${ok} of ${N + 50}`);
    check('the node\'s open descriptors are back to where they were', fd1 <= fd0, `${fd0} -> ${fd1}`);
    check('the node\'s memory stays level (under 8 MiB more)', rss1 - rss0 < 8 * 1024, `${rss0} -> ${rss1} KiB`);
}

// A bearer token revoked while its MQTT connection is open: closed with 1008.
async function revoke() {
    const w = await rawOpen({'Sec-WebSocket-Protocol': 'mqtt', Authorization: 'Bearer ' + env.TOKEN_REVOKE});
    w.send(m.connect({version: 5, clientId: 'revoke-me'}));
    const a = await w.next(5000, 'CONNACK');
    check('connected with a token about to be revoked', a && a.reason === 0, JSON.stringify(a));
    execFileSync(env.PN, ['token', 'revoke', env.TOKEN_REVOKE, '--data', env.DATA]);
    const code = await w.closeWithin(5000);
    check('the token is revoked: the MQTT connection is closed with 1008', code === 1008, `close ${code}`);
    w.destroy();
}

// A subscriber over WebSocket that stops reading while much more than the
// MQTT output bound is published for it: the node holds a bounded amount
// (the MQTT side counts what waits in the WebSocket's queues) and goes on
// serving others.
async function backpressure() {
    const pid = Number(env.SRV_PID), N = 50000, SIZE = 2048;
    const slow = await rawOpen();
    slow.send(m.connect(login({clientId: 'ws-never-reads'})));
    const sa = await slow.next(10000, 'CONNACK');
    slow.send(m.subscribe({filters: [['bp/#', 0]]}));
    const sb = await slow.next(5000, 'SUBACK');
    check('backpressure: the subscriber is ready', sa && sa.reason === 0 && sb, JSON.stringify(sb));
    slow.sock.pause(); // never reads again
    const pub = await rawOpen();
    pub.send(m.connect(login({clientId: 'ws-flood'})));
    await pub.next(10000, 'CONNACK');
    const rss0 = rssKiB(pid);
    let peak = rss0;
    const sampler = setInterval(() => { try { peak = Math.max(peak, rssKiB(pid)); } catch (e) { /* gone */ } }, 50);
    const body = Buffer.alloc(SIZE, 120);
    const msg = m.publish({topic: 'bp/x', qos: 0, props: [m.prop.user('label', L_S)], payload: body});
    for (let i = 0; i < N; i += 100) {
        const batch = [];
        for (let k = 0; k < 100; k++) batch.push(pub.frame(2, msg));
        if (!pub.sock.write(Buffer.concat(batch))) await new Promise((r) => pub.sock.once('drain', r));
    }
    pub.send(m.publish({topic: 'bp/end', qos: 1, id: 5, props: [m.prop.user('label', L_S)], payload: 'end'}));
    const ack = await pub.next(60000, 'PUBACK');
    clearInterval(sampler);
    peak = Math.max(peak, rssKiB(pid));
    console.log(`# backpressure: ${N} x ${SIZE} B QoS 0 to a reader that stopped; node RSS ${rss0} -> peak ${peak} KiB`);
    check('backpressure: the flood was taken (PUBACK after it)', ack && ack.reason === 0, JSON.stringify(ack));
    check(`backpressure: node RSS grew by less than 60 MiB for ${(N * SIZE) >> 20} MiB published`, peak - rss0 < 60 * 1024,
        `${rss0} -> ${peak} KiB`);
    const other = await connect('backpressure: another client is served meanwhile', WS_URL, pw('alice'));
    if (other.c) await end(other.c);
    pub.destroy();
    slow.destroy();
}

// /metrics counts MQTT over WebSocket connections apart from the feeds.
async function metrics() {
    const a = await connect('metrics: first MQTT over WebSocket client', WS_URL, pw('alice'));
    const b = await connect('metrics: second one', WS_URL, pw('olena'));
    const text = await new Promise((resolve) => {
        http.get({host: '127.0.0.1', port: HTTPPORT, path: '/metrics',
            headers: {Authorization: 'Bearer ' + env.TOKEN_OP}}, (res) => {
            let body = '';
            res.on('data', (d) => { body += d; });
            res.on('end', () => resolve(body));
        }).on('error', (e) => resolve(String(e)));
    });
    const val = (name) => { const r = new RegExp(`^${name} (\\d+)$`, 'm').exec(text); return r ? Number(r[1]) : null; };
    check('/metrics: partnernet_mqtt_websocket_connections 2, partnernet_websocket_feeds 0',
        val('partnernet_mqtt_websocket_connections') === 2 && val('partnernet_websocket_feeds') === 0,
        text.split('\n').filter((l) => /websocket/.test(l)).join(' | '));
    for (const r of [a, b]) if (r.c) await end(r.c);
}

const PARTS = {metrics, pubsub, will, session, tls, refuse, frames, cycles, revoke, backpressure};

(async () => {
    const watchdog = setTimeout(() => { console.log('FAIL finished within 100 s -- watchdog'); process.exit(1); }, 100000);
    for (const p of process.argv.slice(2)) {
        if (!PARTS[p]) { check(`known part ${p}`, false, Object.keys(PARTS).join(' ')); continue; }
        console.log(`# ${p}`);
        await PARTS[p]();
    }
    clearTimeout(watchdog);
    finish();
})();
