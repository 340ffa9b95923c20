// mqttraw.js -- a tiny hand-rolled MQTT 5 / 3.1.1 codec for sending the
// packets real clients never send (used by raw.js).  Plain Node.js, no
// dependencies.
'use strict';
const net = require('net');

function varint(n) {
    const out = [];
    do {
        let b = n % 128;
        n = Math.floor(n / 128);
        if (n > 0) b |= 0x80;
        out.push(b);
    } while (n > 0);
    return Buffer.from(out);
}

function u16(n) {
    return Buffer.from([(n >> 8) & 0xff, n & 0xff]);
}

// A length-prefixed string; s may be a Buffer (to send invalid UTF-8).
function str(s) {
    const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
    return Buffer.concat([u16(b.length), b]);
}

function packet(first, body) {
    return Buffer.concat([Buffer.from([first]), varint(body.length), body]);
}

function props(list) {
    const b = Buffer.concat(list || []);
    return Buffer.concat([varint(b.length), b]);
}

const prop = {
    user: (k, v) => Buffer.concat([Buffer.from([0x26]), str(k), str(v)]),
    topicAlias: (n) => Buffer.concat([Buffer.from([0x23]), u16(n)]),
    sessionExpiry: (n) => Buffer.from([0x11, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]),
    maxPacket: (n) => Buffer.from([0x27, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]),
    receiveMax: (n) => Buffer.concat([Buffer.from([0x21]), u16(n)]),
    subId: (n) => Buffer.concat([Buffer.from([0x0b]), varint(n)]),
    raw: (bytes) => Buffer.from(bytes),
};

// opts: {version: 5|4, clientId, user, pass, clean (default true), keepAlive,
// props: [Buffer], protocol, level, will: {topic, payload, qos, retain, props: [Buffer]}}
function connect(opts) {
    const v = opts.version || 5;
    let flags = opts.clean === false ? 0 : 0x02;
    if (opts.user !== undefined) flags |= 0x80;
    if (opts.pass !== undefined) flags |= 0x40;
    const w = opts.will;
    if (w) flags |= 0x04 | ((w.qos || 0) << 3) | (w.retain ? 0x20 : 0);
    const ka = opts.keepAlive === undefined ? 60 : opts.keepAlive;
    const parts = [str(opts.protocol || 'MQTT'), Buffer.from([opts.level || v, flags]), u16(ka)];
    if (v === 5) parts.push(props(opts.props));
    parts.push(str(opts.clientId || ''));
    if (w) {
        if (v === 5) parts.push(props(w.props));
        parts.push(str(w.topic), str(w.payload || ''));
    }
    if (opts.user !== undefined) parts.push(str(opts.user));
    if (opts.pass !== undefined) parts.push(str(opts.pass));
    return packet(0x10, Buffer.concat(parts));
}

// opts: {version, topic (string|Buffer), qos, retain, id, props: [Buffer], payload}
function publish(opts) {
    const v = opts.version || 5;
    const qos = opts.qos || 0;
    const parts = [str(opts.topic)];
    if (qos) parts.push(u16(opts.id === undefined ? 1 : opts.id));
    if (v === 5) parts.push(opts.rawProps || props(opts.props));
    parts.push(Buffer.isBuffer(opts.payload) ? opts.payload : Buffer.from(opts.payload || ''));
    return packet(0x30 | (qos << 1) | (opts.retain ? 1 : 0), Buffer.concat(parts));
}

function subscribe(opts) {
    const v = opts.version || 5;
    const parts = [u16(opts.id || 1)];
    if (v === 5) parts.push(props(opts.props));
    for (const [f, o] of opts.filters) parts.push(str(f), Buffer.from([o]));
    return packet(0x82, Buffer.concat(parts));
}

function unsubscribe(opts) {
    const v = opts.version || 5;
    const parts = [u16(opts.id || 1)];
    if (v === 5) parts.push(props([]));
    for (const f of opts.filters) parts.push(str(f));
    return packet(0xa2, Buffer.concat(parts));
}

// PUBACK/PUBREC/PUBREL/PUBCOMP (type 4..7) with a packet id (and reason, v5).
function ack(type, id, reason) {
    return packet((type << 4) | (type === 6 ? 2 : 0), reason === undefined ? u16(id) : Buffer.concat([u16(id), Buffer.from([reason])]));
}

const PINGREQ = Buffer.from([0xc0, 0x00]);

function disconnect(reason, propList) {
    return packet(0xe0, Buffer.concat([Buffer.from([reason || 0]), props(propList)]));
}

function puback(id, v) {
    return packet(0x40, v === 5 ? Buffer.concat([u16(id), Buffer.from([0])]) : u16(id));
}

const TYPES = ['?', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE',
    'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

// Parse the properties block at b[pos..]; returns {props, end}.
function parseProps(b, pos) {
    let len = 0, mul = 1, i = pos;
    for (;;) {
        const c = b[i++];
        len += (c & 0x7f) * mul;
        mul *= 128;
        if (!(c & 0x80)) break;
    }
    const end = i + len;
    const out = {user: {}};
    while (i < end) {
        const id = b[i++];
        const s = () => {
            const n = b.readUInt16BE(i);
            const v = b.subarray(i + 2, i + 2 + n).toString('utf8');
            i += 2 + n;
            return v;
        };
        switch (id) {
        case 0x01: case 0x17: case 0x19: case 0x24: case 0x25: case 0x28: case 0x29: case 0x2a:
            out[id] = b[i++]; break;
        case 0x02: case 0x11: case 0x18: case 0x27: out[id] = b.readUInt32BE(i); i += 4; break;
        case 0x13: case 0x21: case 0x22: case 0x23: out[id] = b.readUInt16BE(i); i += 2; break;
        case 0x0b: { let v = 0, m = 1, c; do { c = b[i++]; v += (c & 0x7f) * m; m *= 128; } while (c & 0x80); out[id] = v; break; }
        case 0x26: { const k = s(); out.user[k] = s(); break; }
        case 0x09: case 0x16: { const n = b.readUInt16BE(i); out[id] = b.subarray(i + 2, i + 2 + n); i += 2 + n; break; }
        default: out[id] = s();
        }
    }
    return {props: out, end};
}

// A client connection that collects whole packets.
class Conn {
    constructor(port, host) {
        this.sock = net.connect(port, host || '127.0.0.1');
        this.sock.setNoDelay(true);
        this.buf = Buffer.alloc(0);
        this.packets = [];
        this.waiters = [];
        this.closed = false;
        this.error = null;
        this.version = 5;
        this.connected = new Promise((res) => {
            this.sock.once('connect', res);
            this.sock.once('error', res);
        });
        this.sock.on('data', (d) => {
            this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
            this.parse();
        });
        this.sock.on('error', (e) => { this.error = e; });
        this.sock.on('close', () => {
            this.closed = true;
            this.wake();
        });
    }

    parse() {
        for (;;) {
            if (this.buf.length < 2) return;
            let len = 0, mul = 1, i = 1;
            for (;;) {
                if (i >= this.buf.length) return;
                const c = this.buf[i++];
                len += (c & 0x7f) * mul;
                mul *= 128;
                if (!(c & 0x80)) break;
                if (i > 4) { this.sock.destroy(); return; }
            }
            if (this.buf.length < i + len) return;
            const p = {type: this.buf[0] >> 4, flags: this.buf[0] & 15, body: this.buf.subarray(i, i + len)};
            p.name = TYPES[p.type];
            this.decode(p);
            this.buf = this.buf.subarray(i + len);
            this.packets.push(p);
            this.wake();
        }
    }

    decode(p) {
        const b = p.body;
        try {
            if (p.name === 'CONNACK') {
                p.present = b[0] & 1;
                p.reason = b[1];
                if (this.version === 5 && b.length > 2) p.props = parseProps(b, 2).props;
            } else if (p.name === 'DISCONNECT') {
                p.reason = b.length ? b[0] : 0;
                if (b.length > 1) p.props = parseProps(b, 1).props;
            } else if (p.name === 'PUBLISH') {
                const n = b.readUInt16BE(0);
                p.topic = b.subarray(2, 2 + n).toString('utf8');
                let pos = 2 + n;
                p.qos = (p.flags >> 1) & 3;
                p.retain = p.flags & 1;
                if (p.qos) { p.id = b.readUInt16BE(pos); pos += 2; }
                if (this.version === 5) {
                    const r = parseProps(b, pos);
                    p.props = r.props;
                    pos = r.end;
                }
                p.payload = b.subarray(pos);
            } else if (['PUBACK', 'PUBREC', 'PUBCOMP', 'SUBACK', 'UNSUBACK'].includes(p.name)) {
                p.id = b.readUInt16BE(0);
                if (p.name === 'SUBACK' || p.name === 'UNSUBACK') {
                    const rest = this.version === 5 ? parseProps(b, 2).end : 2;
                    p.reasons = [...b.subarray(rest)];
                } else {
                    p.reason = b.length > 2 ? b[2] : 0;
                    if (b.length > 3) p.props = parseProps(b, 3).props;
                }
            }
        } catch (e) {
            p.decodeError = String(e);
        }
    }

    wake() {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
    }

    send(b) {
        if (!this.closed) this.sock.write(b);
    }

    // Write respecting backpressure.
    async sendAsync(b) {
        if (this.closed) return;
        if (!this.sock.write(b)) await new Promise((res) => {
            const done = () => { this.sock.off('drain', done); this.sock.off('close', done); res(); };
            this.sock.on('drain', done);
            this.sock.on('close', done);
        });
    }

    // The next packet (optionally of a given type, skipping others), or
    // null when the connection closed or the time ran out.
    async next(ms, type) {
        const deadline = Date.now() + (ms || 5000);
        for (;;) {
            const k = this.packets.findIndex((p) => !type || p.name === type);
            if (k >= 0) return this.packets.splice(k, 1)[0];
            if (this.closed) return null;
            const left = deadline - Date.now();
            if (left <= 0) return null;
            await new Promise((res) => {
                const t = setTimeout(res, left);
                this.waiters.push(() => { clearTimeout(t); res(); });
            });
        }
    }

    // Resolves true once the server closed the connection (within ms).
    async closedWithin(ms) {
        const deadline = Date.now() + ms;
        while (!this.closed) {
            const left = deadline - Date.now();
            if (left <= 0) return false;
            await new Promise((res) => {
                const t = setTimeout(res, left);
                this.waiters.push(() => { clearTimeout(t); res(); });
            });
        }
        return true;
    }

    destroy() {
        this.sock.destroy();
    }
}

// Connect and wait for the CONNACK.
async function open(port, opts) {
    const c = new Conn(port);
    c.version = opts.version || 5;
    await c.connected;
    c.send(connect(opts));
    c.connack = await c.next(10000, 'CONNACK');
    return c;
}

module.exports = {varint, u16, str, packet, props, prop, connect, publish, subscribe, unsubscribe, ack, disconnect, puback, PINGREQ, Conn, open};
