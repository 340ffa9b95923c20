// labels.js -- ambiguous labels are refused (issue 10, item 4), raw MQTT 5.
//
//   node labels.js PORT USER PASSWORD
//
// The node must have a [topic deflt/#] default label LABEL_U (below) and
// none for lab/#.  A message whose label is ambiguous -- two 'label' user
// properties (equal or not), a case variant of the key ('Label', 'LABEL'),
// or a label property that disagrees with the topic's default -- gets
// PUBACK 0x99 with a reason string and reaches no subscriber.  Prints
// "PASS what" / "FAIL what -- detail" lines (tap_run turns them into TAP).
'use strict';
const m = require('./mqttraw');

const [port, user, pass] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
const LABEL_U = 'NATO UNCLASSIFIED REL TO NATO, UKR';
const LABEL_S = 'NATO SECRET REL TO NATO';
let failed = 0;

function check(what, cond, detail) {
    if (cond) console.log(`PASS ${what}`);
    else {
        failed++;
        console.log(`FAIL ${what} -- ${detail === undefined ? '' : detail}`);
    }
}

const hex = (n) => (n === undefined || n === null ? String(n) : '0x' + n.toString(16).padStart(2, '0'));
const show = (p) => (p ? `${p.name} ${hex(p.reason)} ${JSON.stringify(p.props || {})}` : 'nothing');
const login = (extra) => Object.assign({version: 5, user, pass, clientId: ''}, extra || {});
const U = (k, v) => m.prop.user(k, v);

let nextId = 10;
async function puback(c, topic, payload, props) {
    const id = nextId++;
    c.send(m.publish({topic, qos: 1, id, props, payload}));
    return c.next(5000, 'PUBACK');
}

// A refusal: PUBACK 0x99 and a reason string containing `words`.
async function refused(c, what, topic, props, words) {
    const a = await puback(c, topic, 'refused:' + what, props);
    const reason = a && a.props ? String(a.props[0x1f] || '') : '';
    check(`${what}: PUBACK 0x99`, a && a.reason === 0x99, show(a));
    check(`${what}: the reason says why (${words})`, reason.includes(words), JSON.stringify(reason));
}

async function main() {
    const sub = await m.open(port, login({clientId: 'lab-reader'}));
    sub.send(m.subscribe({filters: [['lab/#', 1], ['deflt/#', 1]]}));
    const sa = await sub.next(5000, 'SUBACK');
    check('reader subscribed to lab/# and deflt/#', sa && sa.reasons.every((r) => r === 1), show(sa));

    const c = await m.open(port, login({clientId: 'lab-pub'}));
    check('publisher logged in', c.connack && c.connack.reason === 0, show(c.connack));

    await refused(c, 'two label properties that differ (NU, then NS)', 'lab/a',
        [U('label', LABEL_U), U('label', LABEL_S)], 'more than one');
    await refused(c, 'two equal label properties', 'lab/b', [U('label', LABEL_U), U('label', LABEL_U)],
        'more than one');
    await refused(c, "a 'Label' property (case variant) and no 'label'", 'lab/c', [U('Label', LABEL_U)],
        "'Label'");
    await refused(c, "a 'LABEL' property beside 'label'", 'lab/d', [U('label', LABEL_U), U('LABEL', LABEL_S)],
        "'LABEL'");
    await refused(c, "a 'Label' property beside the topic default", 'deflt/a', [U('Label', LABEL_S)], "'Label'");
    await refused(c, 'a label property that differs from the topic default', 'deflt/b', [U('label', LABEL_S)],
        'default');
    // Many user properties: the decoder keeps a few; the rest must still be seen.
    const many = [];
    for (let i = 0; i < 40; i++) many.push(U('k' + i, 'v'));
    await refused(c, 'a second label property after 40 others', 'lab/e',
        [U('label', LABEL_U)].concat(many, [U('label', LABEL_S)]), 'more than one');

    let a = await puback(c, 'deflt/c', 'same-as-default', [U('label', LABEL_U)]);
    check('a label property equal to the topic default: accepted', a && a.reason === 0, show(a));
    a = await puback(c, 'lab/ok', 'one-label', [U('label', LABEL_U), U('labels', 'not a label key')]);
    check('one label property (and an unrelated "labels"): accepted', a && a.reason === 0, show(a));

    // A will with two labels is refused at CONNECT: it could not be published unambiguously.
    const w = await m.open(port, login({clientId: 'lab-will',
        will: {topic: 'lab/will', payload: 'will', qos: 1, props: [U('label', LABEL_U), U('label', LABEL_S)]}}));
    check('a will with two label properties: CONNACK 0x99', w.connack && w.connack.reason === 0x99, show(w.connack));
    w.destroy();

    const got = [];
    for (;;) {
        const p = await sub.next(5000, 'PUBLISH');
        if (!p) break;
        got.push(p);
        if (p.qos) sub.send(m.ack(4, p.id));
        if (p.payload.toString() === 'one-label') break;
    }
    const payloads = got.map((p) => p.payload.toString());
    check('the reader got only the two accepted messages', JSON.stringify(payloads) === '["same-as-default","one-label"]',
        JSON.stringify(payloads));
    const labelKeys = got.map((p) => Object.keys(p.props.user).filter((k) => k.toLowerCase() === 'label').join('+'));
    check('each carries exactly one label-looking property, "label"', labelKeys.every((k) => k === 'label'),
        JSON.stringify(labelKeys));
    check('with the label it was accepted under', got.every((p) => p.props.user.label === LABEL_U),
        JSON.stringify(got.map((p) => p.props.user.label)));
    c.destroy();
    sub.destroy();
    process.exit(failed ? 1 : 0);
}

main().catch((e) => {
    console.log(`FAIL labels.js crashed -- ${e.stack}`);
    process.exit(1);
});
