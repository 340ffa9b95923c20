// mqcli.js -- a one-step MQTT 5 client for shell tests that need what
// mosquitto_sub cannot do (Retain As Published) or must cut a QoS 2
// exchange at a chosen packet.  One step per run, so the node can be
// restarted or killed between steps.  Uses mqttraw.js, no npm modules.
//
//   node mqcli.js PORT USER PASS STEP ARG...
//
//   sub CLIENT FILTER OPTIONS        persistent session (expiry never),
//                                    subscribe with the option byte
//                                    (e.g. 9 = QoS 1 + Retain As Published);
//                                    prints "SUBACK 0x..", disconnects
//   pub TOPIC PAYLOAD QOS RETAIN LABEL
//                                    publish; prints "ACK 0x.." (PUBACK, or
//                                    PUBREC then PUBCOMP for QoS 2)
//   recv CLIENT LAST MS              resume CLIENT, acknowledge every
//                                    PUBLISH, print "MSG topic|payload|retain"
//                                    until the payload LAST arrived (MS at most)
//   burst PREFIX N LABEL            N retained QoS 1 publishes on PREFIX/1..N
//                                    in one write (so the node reads them in
//                                    one loop turn); prints "ACKS 0x.. 0x.."
//                                    in packet id order
//   q2cut CLIENT TOPIC PAYLOAD ID LABEL
//                                    persistent session: QoS 2 PUBLISH with
//                                    packet id ID, wait for its PUBREC, then
//                                    drop the connection without PUBREL;
//                                    prints "PUBREC 0x.."
//   q2dup CLIENT TOPIC PAYLOAD ID LABEL
//                                    resume CLIENT, send the same PUBLISH with
//                                    DUP, then PUBREL; prints "PUBREC 0x.."
//                                    and "PUBCOMP 0x.."
'use strict';
const m = require('./mqttraw');

const [port, user, pass, step, ...args] = [Number(process.argv[2]), ...process.argv.slice(3)];
const hex = (n) => '0x' + Number(n).toString(16).padStart(2, '0');
const NEVER = 0xffffffff;

async function login(clientId, clean) {
    const c = await m.open(port, {version: 5, user, pass, clientId, clean,
        props: clean ? [] : [m.prop.sessionExpiry(NEVER)]});
    if (!c.connack || c.connack.reason !== 0) {
        console.log(`CONNACK ${c.connack ? hex(c.connack.reason) : 'none'}`);
        process.exit(1);
    }
    return c;
}

function publishPacket(topic, payload, qos, retain, id, label) {
    return m.publish({topic, payload, qos, retain, id, props: [m.prop.user('label', label)]});
}

async function main() {
    if (step === 'sub') {
        const [client, filter, opt] = args;
        const c = await login(client, false);
        c.send(m.subscribe({id: 1, filters: [[filter, Number(opt)]]}));
        const s = await c.next(5000, 'SUBACK');
        console.log(`SUBACK ${s ? hex(s.reasons[0]) : 'none'}`);
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    } else if (step === 'pub') {
        const [topic, payload, qos, retain, label] = args;
        const c = await login('', true);
        c.send(publishPacket(topic, payload, Number(qos), retain === '1', 1, label));
        if (Number(qos) === 2) {
            const r = await c.next(5000, 'PUBREC');
            if (!r || r.reason >= 0x80) {
                console.log(`ACK ${r ? hex(r.reason) : 'none'}`);
            } else {
                c.send(m.ack(6, 1));
                const p = await c.next(5000, 'PUBCOMP');
                console.log(`ACK ${p ? hex(p.reason) : 'none'}`);
            }
        } else if (Number(qos) === 1) {
            const a = await c.next(5000, 'PUBACK');
            console.log(`ACK ${a ? hex(a.reason) : 'none'}`);
        }
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    } else if (step === 'burst') {
        const [prefix, n, label] = args;
        const c = await login('', true);
        const all = [];
        for (let i = 1; i <= Number(n); i++) all.push(publishPacket(`${prefix}/${i}`, `b${i}`, 1, true, i, label));
        c.send(Buffer.concat(all));
        const acks = {};
        for (let i = 0; i < Number(n); i++) {
            const a = await c.next(5000, 'PUBACK');
            if (!a) break;
            acks[a.id] = hex(a.reason);
        }
        const out = [];
        for (let i = 1; i <= Number(n); i++) out.push(acks[i] || 'none');
        console.log(`ACKS ${out.join(' ')}`);
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    } else if (step === 'recv') {
        const [client, last, ms] = args;
        const c = await login(client, false);
        const deadline = Date.now() + Number(ms);
        for (;;) {
            const p = await c.next(Math.max(1, deadline - Date.now()), 'PUBLISH');
            if (!p) break;
            if (p.qos === 1) c.send(m.puback(p.id, 5));
            if (p.qos === 2) c.send(m.ack(5, p.id));
            console.log(`MSG ${p.topic}|${p.payload.toString()}|${p.retain}`);
            if (p.payload.toString() === last) break;
        }
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    } else if (step === 'q2cut' || step === 'q2dup') {
        const [client, topic, payload, id, label] = args;
        const c = await login(client, false);
        const b = publishPacket(topic, payload, 2, false, Number(id), label);
        if (step === 'q2dup') b[0] |= 0x08;
        c.send(b);
        const r = await c.next(5000, 'PUBREC');
        console.log(`PUBREC ${r ? hex(r.reason) : 'none'}`);
        if (step === 'q2cut') {
            c.destroy();
            return;
        }
        c.send(m.ack(6, Number(id)));
        const p = await c.next(5000, 'PUBCOMP');
        console.log(`PUBCOMP ${p ? hex(p.reason) : 'none'}`);
        c.send(m.disconnect(0));
        await c.closedWithin(5000);
        c.destroy();
    } else {
        console.log(`unknown step ${step}`);
        process.exit(2);
    }
}

main().then(() => process.exit(0), (e) => {
    console.log(`ERROR ${e && e.stack}`);
    process.exit(1);
});
