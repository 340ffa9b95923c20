// roguepeer.js -- a fake federation peer: a tiny MQTT 5 server that lets a
// partnernet link log in and subscribe, then relays crafted messages
// (forged origins, ids and labels) as if it were a node (issue 10, item 3).
//
//   node roguepeer.js PORT EVENTS SCRIPT
//
// SCRIPT is a JSON file: [{"pid": 1, "topic": "t", "payload": "p",
// "props": [["label", "..."], ["id", "swe:0"], ["time", "1"]]}, ...]; each
// is sent as a QoS 1 PUBLISH with those user properties, once, after the
// first SUBSCRIBE.  Every packet the link sends is appended to EVENTS, one
// line each: "LISTENING", "CONNECT", "SUBSCRIBE", "PUBACK <pid> <reason hex>
// <reason string>".  Runs until killed.
'use strict';
const fs = require('fs');
const net = require('net');
const m = require('./mqttraw');

const [port, events, script] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const messages = JSON.parse(fs.readFileSync(script, 'utf8'));
let sent = false;

const note = (line) => fs.appendFileSync(events, line + '\n');

function connack() {
    return m.packet(0x20, Buffer.concat([Buffer.from([0, 0]), m.props([])]));
}

function suback(id, n) {
    return m.packet(0x90, Buffer.concat([m.u16(id), m.props([]), Buffer.alloc(n, 1)]));
}

// Skip a properties block at b[pos..]; returns the position after it.
function skipProps(b, pos) {
    let len = 0, mul = 1, c;
    do {
        c = b[pos++];
        len += (c & 0x7f) * mul;
        mul *= 128;
    } while (c & 0x80);
    return pos + len;
}

function onPacket(sock, type, body) {
    if (type === 1) {
        note('CONNECT');
        sock.write(connack());
    } else if (type === 8) {
        const id = body.readUInt16BE(0);
        let pos = skipProps(body, 2), n = 0;
        while (pos < body.length) {
            pos += 2 + body.readUInt16BE(pos) + 1;
            n++;
        }
        note('SUBSCRIBE');
        sock.write(suback(id, n));
        if (sent) return;
        sent = true;
        for (const msg of messages)
            sock.write(m.publish({topic: msg.topic, qos: 1, id: msg.pid, payload: msg.payload,
                props: msg.props.map(([k, v]) => m.prop.user(k, v))}));
    } else if (type === 4) {
        const id = body.readUInt16BE(0);
        const reason = body.length > 2 ? body[2] : 0;
        let why = '';
        if (body.length > 3) {
            // Reason string (0x1f) in the properties, if any.
            let pos = 3, len = 0, mul = 1, c;
            do {
                c = body[pos++];
                len += (c & 0x7f) * mul;
                mul *= 128;
            } while (c & 0x80);
            const end = pos + len;
            while (pos < end) {
                const pid = body[pos++];
                const n = body.readUInt16BE(pos);
                if (pid === 0x1f) why = body.subarray(pos + 2, pos + 2 + n).toString('utf8');
                pos += 2 + n + (pid === 0x26 ? 2 + body.readUInt16BE(pos + 2 + n) : 0);
            }
        }
        note(`PUBACK ${id} 0x${reason.toString(16).padStart(2, '0')} ${why}`);
    } else if (type === 12) {
        sock.write(Buffer.from([0xd0, 0]));
    }
}

const server = net.createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('error', () => {});
    sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
            if (buf.length < 2) return;
            let len = 0, mul = 1, i = 1, c;
            do {
                if (i >= buf.length) return;
                c = buf[i++];
                len += (c & 0x7f) * mul;
                mul *= 128;
            } while (c & 0x80);
            if (buf.length < i + len) return;
            onPacket(sock, buf[0] >> 4, buf.subarray(i, i + len));
            buf = buf.subarray(i + len);
        }
    });
});
server.listen(port, '127.0.0.1', () => note('LISTENING'));
