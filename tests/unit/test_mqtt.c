/*
 * test_mqtt.c -- the MQTT codec: packets decoded from hand-built bytes,
 * encoder/decoder round trips, and malformed input refused with the right
 * reason code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/mqtt/mqtt.h"

static int decode(const void *bytes, size_t n, int version, MqttPacket *p, uint8_t *reason) {
    return mqttDecode(bytes, n, version, 1 << 20, p, reason);
}

/* CONNECT v5: client id "c1", user "alice", password "pw", session expiry
 * 60, a will with a label user property. */
/* clang-format off */
static const uint8_t connectV5[] = {
    0x10, 52,                                           /* CONNECT, remaining length */
    0, 4, 'M', 'Q', 'T', 'T', 5, 0xC6, 0, 30,           /* proto, v5, flags: user pw will(q0) clean */
    5, 0x11, 0, 0, 0, 60,                               /* props: session expiry 60 */
    0, 2, 'c', '1',                                     /* client id */
    14, 0x26, 0, 5, 'l', 'a', 'b', 'e', 'l', 0, 4, 'N', 'A', 'T', 'O', /* will props: label */
    0, 1, 'w', 0, 1, 'x',                               /* will topic, payload */
    0, 5, 'a', 'l', 'i', 'c', 'e', 0, 2, 'p', 'w'};     /* user, password */
/* clang-format on */

static void test_connect_v5(void **state) {
    (void)state;
    MqttPacket p;
    uint8_t reason;
    assert_int_equal(sizeof(connectV5), 54);
    assert_int_equal(decode(connectV5, sizeof(connectV5), 0, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_CONNECT);
    assert_int_equal(p.length, sizeof(connectV5));
    MqttConnect *c = &p.u.connect;
    assert_int_equal(c->version, 5);
    assert_true(c->cleanStart && c->hasUser && c->hasPassword && c->willFlag);
    assert_int_equal(c->keepAlive, 30);
    assert_int_equal(c->props.sessionExpiry, 60);
    assert_memory_equal(c->clientId.p, "c1", 2);
    MqttStr v;
    assert_int_equal(mqttUserProp(&c->willProps, "label", &v), 1);
    assert_memory_equal(v.p, "NATO", 4);
    assert_memory_equal(c->username.p, "alice", 5);
    assert_memory_equal(c->password.p, "pw", 2);
    /* Every strict prefix needs more bytes, never misreads. */
    for (size_t n = 0; n < sizeof(connectV5); n++)
        assert_int_equal(decode(connectV5, n, 0, &p, &reason), 0);
}

/* §2.2.2.2: a property outside its packet's set is a Malformed Packet.
 * Swap the CONNECT's session expiry (0x11) for other 4-byte properties,
 * and the will's user property for a Will Delay Interval. */
static void test_property_per_packet(void **state) {
    (void)state;
    MqttPacket p;
    uint8_t reason, b[sizeof(connectV5)];
    memcpy(b, connectV5, sizeof(b));
    b[13] = 0x18; /* Will Delay Interval in CONNECT's own properties */
    reason = 0;
    assert_int_equal(decode(b, sizeof(b), 0, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    b[13] = 0x02; /* Message Expiry Interval: a PUBLISH / will property */
    reason = 0;
    assert_int_equal(decode(b, sizeof(b), 0, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    b[13] = 0x27; /* Maximum Packet Size: allowed in CONNECT */
    assert_int_equal(decode(b, sizeof(b), 0, &p, &reason), 1);
    /* PUBLISH "t" QoS 0 with one 4-byte property. */
    uint8_t pub[] = {0x30, 10, 0, 1, 't', 5, 0x11, 0, 0, 0, 9, 'x'};
    reason = 0;
    assert_int_equal(decode(pub, sizeof(pub), 5, &p, &reason), -1); /* Session Expiry */
    assert_int_equal(reason, RC_MALFORMED);
    pub[6] = 0x18; /* Will Delay Interval */
    assert_int_equal(decode(pub, sizeof(pub), 5, &p, &reason), -1);
    pub[6] = 0x02; /* Message Expiry Interval: a PUBLISH property */
    assert_int_equal(decode(pub, sizeof(pub), 5, &p, &reason), 1);
    assert_int_equal(p.u.publish.props.messageExpiry, 9);
    /* PUBACK id 1, reason 0, a Content Type: only Reason String and user
     * properties belong in an acknowledgement. */
    const uint8_t ack[] = {0x40, 7, 0, 1, 0, 3, 0x03, 0, 0};
    reason = 0;
    assert_int_equal(decode(ack, sizeof(ack), 5, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    const uint8_t ackOk[] = {0x40, 7, 0, 1, 0, 3, 0x1F, 0, 0};
    assert_int_equal(decode(ackOk, sizeof(ackOk), 5, &p, &reason), 1);
}

/* Reason codes in words (hand-copied from the MQTT 5 table, §2.4). */
static void test_reason_text(void **state) {
    (void)state;
    assert_string_equal(mqttReasonText(0x86), "bad user name or password");
    assert_string_equal(mqttReasonText(0x87), "not authorized");
    assert_string_equal(mqttReasonText(0x97), "quota exceeded");
    assert_string_equal(mqttReasonText(0x9B), "QoS not supported");
    assert_string_equal(mqttReasonText(0x02), "granted");
    assert_string_equal(mqttReasonText(0xFE), "unknown reason");
}

static void test_connect_errors(void **state) {
    (void)state;
    MqttPacket p;
    uint8_t reason, bad[sizeof(connectV5)];
    memcpy(bad, connectV5, sizeof(bad));
    bad[8] = 3; /* protocol level 3 */
    assert_int_equal(decode(bad, sizeof(bad), 0, &p, &reason), -1);
    assert_int_equal(reason, RC_UNSUPPORTED_VERSION);
    memcpy(bad, connectV5, sizeof(bad));
    bad[9] |= 1; /* reserved flag */
    assert_int_equal(decode(bad, sizeof(bad), 0, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    memcpy(bad, connectV5, sizeof(bad));
    bad[13] = 0x7F; /* unknown property id */
    assert_int_equal(decode(bad, sizeof(bad), 0, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    /* A second CONNECT on a connected session is a protocol error. */
    assert_int_equal(decode(connectV5, sizeof(connectV5), 5, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
    /* Anything but CONNECT first is a protocol error. */
    const uint8_t ping[] = {0xC0, 0};
    assert_int_equal(decode(ping, 2, 0, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
}

static void test_publish_round_trip(void **state) {
    (void)state;
    MqttPropOut props;
    mqttPropInit(&props);
    mqttPropUser(&props, "label", 5, "NATO SECRET REL TO NATO, SWE", 28);
    mqttPropStr(&props, PROP_CONTENT_TYPE, "text/plain", 10);
    mqttPropVarint(&props, PROP_SUBSCRIPTION_ID, 300);
    pnBuf b;
    bufInit(&b);
    mqttEncodePublish(&b, MQTT_V5, 1, 1, 0, "intel/a", 7, 42, &props, "hello", 5);
    MqttPacket p;
    uint8_t reason;
    assert_int_equal(decode(b.data, b.len, 5, &p, &reason), 1);
    assert_int_equal(p.length, b.len);
    MqttPublish *pub = &p.u.publish;
    assert_int_equal(pub->qos, 1);
    assert_int_equal(pub->retain, 1);
    assert_int_equal(pub->packetId, 42);
    assert_memory_equal(pub->topic.p, "intel/a", 7);
    assert_int_equal(pub->payloadLen, 5);
    assert_memory_equal(pub->payload, "hello", 5);
    assert_int_equal(pub->props.subscriptionId, 300);
    assert_memory_equal(pub->props.contentType.p, "text/plain", 10);
    MqttStr v;
    assert_int_equal(mqttUserProp(&pub->props, "label", &v), 1);
    assert_int_equal(v.len, 28);
    /* 3.1.1 encoding carries no properties and decodes as such. */
    bufFree(&b);
    mqttEncodePublish(&b, MQTT_V311, 0, 0, 0, "t", 1, 0, &props, "x", 1);
    assert_int_equal(decode(b.data, b.len, 4, &p, &reason), 1);
    assert_int_equal(p.u.publish.payloadLen, 1);
    assert_int_equal(p.u.publish.props.nuser, 0);
    bufFree(&b);
    mqttPropFree(&props);
}

static void test_publish_errors(void **state) {
    (void)state;
    MqttPacket p;
    uint8_t reason;
    const uint8_t qos3[] = {0x36, 5, 0, 1, 't', 0, 1};
    assert_int_equal(decode(qos3, sizeof(qos3), 5, &p, &reason), -1);
    const uint8_t id0[] = {0x32, 6, 0, 1, 't', 0, 0, 0};
    assert_int_equal(decode(id0, sizeof(id0), 5, &p, &reason), -1);
    const uint8_t badUtf8[] = {0x30, 5, 0, 2, 0xC0, 0x80, 0};
    assert_int_equal(decode(badUtf8, sizeof(badUtf8), 5, &p, &reason), -1);
    const uint8_t dupProp[] = {0x30, 9, 0, 1, 't', 4, 0x01, 0, 0x01, 0, 'x'};
    assert_int_equal(decode(dupProp, sizeof(dupProp), 5, &p, &reason), -1);
    /* remaining length in five bytes */
    const uint8_t longVar[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
    assert_int_equal(decode(longVar, sizeof(longVar), 5, &p, &reason), -1);
    /* declared larger than the maximum packet size: refused before it arrives */
    const uint8_t big[] = {0x30, 0x80, 0x80, 0x40};
    assert_int_equal(mqttDecode(big, sizeof(big), 5, 1000, &p, &reason), -1);
    assert_int_equal(reason, RC_PACKET_TOO_LARGE);
}

static void test_subscribe(void **state) {
    (void)state;
    const uint8_t sub[] = {0x82, 17,  0,    7, 2, 0x0B, 5,   0,   3,   'a',
                           '/',  '#', 0x01, 0, 3, 'b',  '/', '+', 0x2E};
    MqttPacket p;
    uint8_t reason;
    assert_int_equal(decode(sub, sizeof(sub), 5, &p, &reason), 1);
    assert_int_equal(p.u.sub.count, 2);
    assert_int_equal(p.u.sub.props.subscriptionId, 5);
    uint32_t pos = 0;
    MqttStr f;
    uint8_t opt;
    assert_int_equal(mqttNextTopic(&p.u.sub, 1, &pos, &f, &opt), 1);
    assert_memory_equal(f.p, "a/#", 3);
    assert_int_equal(opt, 1);
    assert_int_equal(mqttNextTopic(&p.u.sub, 1, &pos, &f, &opt), 1);
    assert_int_equal(opt, 0x2E);
    assert_int_equal(mqttNextTopic(&p.u.sub, 1, &pos, &f, &opt), 0);
    /* wrong fixed-header flags, no entries, reserved option bits */
    uint8_t bad[sizeof(sub)];
    memcpy(bad, sub, sizeof(sub));
    bad[0] = 0x80;
    assert_int_equal(decode(bad, sizeof(bad), 5, &p, &reason), -1);
    const uint8_t empty[] = {0x82, 3, 0, 7, 0};
    assert_int_equal(decode(empty, sizeof(empty), 5, &p, &reason), -1);
    memcpy(bad, sub, sizeof(sub));
    bad[sizeof(bad) - 1] = 0xC1;
    assert_int_equal(decode(bad, sizeof(bad), 5, &p, &reason), -1);
}

static void test_acks_and_connack(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    mqttEncodeAck(&b, MQTT_V5, MQTT_PUBACK, 9, 0x87, "not authorized");
    MqttPacket p;
    uint8_t reason;
    /* Acks are client-bound too; decode them as a client would (v5). */
    assert_int_equal(decode(b.data, b.len, 5, &p, &reason), 1);
    assert_int_equal(p.u.ack.packetId, 9);
    assert_int_equal(p.u.ack.reason, 0x87);
    assert_memory_equal(p.u.ack.props.reasonString.p, "not authorized", 14);
    bufFree(&b);
    mqttEncodeAck(&b, MQTT_V311, MQTT_PUBACK, 9, 0, NULL);
    assert_int_equal(b.len, 4);
    bufFree(&b);
    mqttEncodeConnack(&b, MQTT_V311, 0, RC_BAD_USER_OR_PASSWORD, NULL);
    const uint8_t want[] = {0x20, 2, 0, 4};
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, want, 4);
    bufFree(&b);
}

static void test_utf8(void **state) {
    (void)state;
    assert_true(mqttUtf8Valid((const uint8_t *)"abc", 3));
    assert_true(mqttUtf8Valid((const uint8_t *)"\xc3\xbc", 2));
    assert_false(mqttUtf8Valid((const uint8_t *)"a\0b", 3));
    assert_false(mqttUtf8Valid((const uint8_t *)"\xed\xa0\x80", 3)); /* surrogate */
    assert_false(mqttUtf8Valid((const uint8_t *)"\xe0\x80\xaf", 3)); /* overlong */
    assert_false(mqttUtf8Valid((const uint8_t *)"\xc3", 1));         /* truncated */
}

/* ---- client side (federation links) -------------------------------------- */

static int decodeClient(const pnBuf *b, MqttPacket *p, uint8_t *reason) {
    return mqttDecodeClient((const uint8_t *)b->data, b->len, 1 << 20, p, reason);
}

/* Every strict prefix of a complete packet asks for more bytes. */
static void assertPrefixesIncomplete(const pnBuf *b, int client, int version) {
    MqttPacket p;
    uint8_t reason;
    for (size_t n = 0; n < b->len; n++) {
        int rc = client ? mqttDecodeClient((const uint8_t *)b->data, n, 1 << 20, &p, &reason)
                        : mqttDecode((const uint8_t *)b->data, n, version, 1 << 20, &p, &reason);
        if (rc != 0) fail_msg("prefix of %zu of %zu bytes: decode returned %d", n, b->len, rc);
    }
}

static void test_client_connect_round_trip(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    mqttEncodeConnect(&b, "$link-HQ", 1, 45, 3600, 200, "hq-node", "s3cret");
    MqttPacket p;
    uint8_t reason;
    /* A CONNECT is the first packet: decoded at version 0. */
    assert_int_equal(decode(b.data, b.len, 0, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_CONNECT);
    assert_int_equal(p.length, b.len);
    MqttConnect *c = &p.u.connect;
    assert_int_equal(c->version, MQTT_V5);
    assert_int_equal(c->cleanStart, 1);
    assert_int_equal(c->keepAlive, 45);
    assert_int_equal(c->willFlag, 0);
    assert_true(c->props.seen >> PROP_SESSION_EXPIRY & 1);
    assert_true(c->props.seen >> PROP_RECEIVE_MAX & 1);
    assert_int_equal(c->props.sessionExpiry, 3600);
    assert_int_equal(c->props.receiveMax, 200);
    assert_int_equal(c->clientId.len, 8);
    assert_memory_equal(c->clientId.p, "$link-HQ", 8);
    assert_true(c->hasUser && c->hasPassword);
    assert_int_equal(c->username.len, 7);
    assert_memory_equal(c->username.p, "hq-node", 7);
    assert_int_equal(c->password.len, 6);
    assert_memory_equal(c->password.p, "s3cret", 6);
    assertPrefixesIncomplete(&b, 0, 0);
    bufFree(&b);

    /* No credentials, no session expiry, no receive maximum, no clean start. */
    mqttEncodeConnect(&b, "c", 0, 0, 0, 0, NULL, NULL);
    assert_int_equal(decode(b.data, b.len, 0, &p, &reason), 1);
    assert_int_equal(c->cleanStart, 0);
    assert_int_equal(c->keepAlive, 0);
    assert_int_equal(c->props.seen, 0);
    assert_int_equal(c->props.rawLen, 0);
    assert_false(c->hasUser || c->hasPassword);
    assert_int_equal(c->username.len, 0);
    assert_int_equal(c->password.len, 0);
    assert_memory_equal(c->clientId.p, "c", 1);
    /* A user without a password, and the largest values. */
    bufFree(&b);
    mqttEncodeConnect(&b, "", 1, 65535, UINT32_MAX, 65535, "u", NULL);
    assert_int_equal(decode(b.data, b.len, 0, &p, &reason), 1);
    assert_int_equal(c->clientId.len, 0);
    assert_int_equal(c->keepAlive, 65535);
    assert_int_equal(c->props.sessionExpiry, UINT32_MAX);
    assert_int_equal(c->props.receiveMax, 65535);
    assert_true(c->hasUser);
    assert_false(c->hasPassword);
    assert_memory_equal(c->username.p, "u", 1);
    bufFree(&b);
}

static void test_client_subscribe_round_trip(void **state) {
    (void)state;
    const char *const filters[] = {"intel/#", "ops/+/status"};
    const uint8_t options = 0x25; /* QoS 1, no local, retain handling 2 */
    pnBuf b;
    bufInit(&b);
    mqttEncodeSubscribe(&b, 77, filters, 2, options);
    MqttPacket p;
    uint8_t reason;
    assert_int_equal(decode(b.data, b.len, MQTT_V5, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_SUBSCRIBE);
    assert_int_equal(p.length, b.len);
    assert_int_equal(p.u.sub.packetId, 77);
    assert_int_equal(p.u.sub.count, 2);
    assert_int_equal(p.u.sub.props.rawLen, 0);
    uint32_t pos = 0;
    MqttStr f;
    uint8_t opt = 0;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(mqttNextTopic(&p.u.sub, 1, &pos, &f, &opt), 1);
        assert_int_equal(f.len, strlen(filters[i]));
        assert_memory_equal(f.p, filters[i], f.len);
        assert_int_equal(opt, options);
    }
    assert_int_equal(mqttNextTopic(&p.u.sub, 1, &pos, &f, &opt), 0);
    assertPrefixesIncomplete(&b, 0, MQTT_V5);
    bufFree(&b);
}

static void test_client_connack(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    MqttPacket p;
    uint8_t reason;
    mqttEncodeConnack(&b, MQTT_V5, 1, RC_SUCCESS, NULL);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_CONNACK);
    assert_int_equal(p.length, b.len);
    assert_int_equal(p.u.ack.packetId, 1); /* session present */
    assert_int_equal(p.u.ack.reason, RC_SUCCESS);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);

    /* Refused: bad user name or password, no session. */
    mqttEncodeConnack(&b, MQTT_V5, 0, RC_BAD_USER_OR_PASSWORD, NULL);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_CONNACK);
    assert_int_equal(p.u.ack.packetId, 0);
    assert_int_equal(p.u.ack.reason, RC_BAD_USER_OR_PASSWORD);
    bufFree(&b);

    /* Properties the server announces reach the client. */
    MqttPropOut props;
    mqttPropInit(&props);
    mqttPropU16(&props, PROP_RECEIVE_MAX, 50);
    mqttPropU32(&props, PROP_MAX_PACKET_SIZE, 1 << 20);
    mqttPropStr(&props, PROP_ASSIGNED_CLIENT_ID, "x1", 2);
    mqttEncodeConnack(&b, MQTT_V5, 0, RC_SUCCESS, &props);
    mqttPropFree(&props);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.u.ack.props.receiveMax, 50);
    assert_int_equal(p.u.ack.props.maxPacketSize, 1 << 20);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);

    /* A 3.1.1 CONNACK (no property length) and reserved flag bits are
     * malformed to an MQTT 5 client. */
    mqttEncodeConnack(&b, MQTT_V311, 0, RC_SUCCESS, NULL);
    assert_int_equal(decodeClient(&b, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    bufFree(&b);
    const uint8_t badFlags[] = {0x20, 3, 0x02, 0, 0};
    assert_int_equal(mqttDecodeClient(badFlags, sizeof(badFlags), 1 << 20, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
}

static void test_client_suback(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    MqttPacket p;
    uint8_t reason;
    const uint8_t reasons[] = {RC_GRANTED_QOS1, RC_NOT_AUTHORIZED};
    mqttEncodeSuback(&b, MQTT_V5, MQTT_SUBACK, 77, reasons, 2);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_SUBACK);
    assert_int_equal(p.length, b.len);
    assert_int_equal(p.u.ack.packetId, 77);
    assert_int_equal(p.u.ack.reason, RC_NOT_AUTHORIZED); /* the worst */
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);

    const uint8_t granted[] = {RC_GRANTED_QOS2, RC_SUCCESS, RC_GRANTED_QOS1};
    mqttEncodeSuback(&b, MQTT_V5, MQTT_SUBACK, 78, granted, 3);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.u.ack.reason, RC_GRANTED_QOS2);
    bufFree(&b);

    const uint8_t unsub[] = {RC_SUCCESS, RC_NO_SUBSCRIPTION};
    mqttEncodeSuback(&b, MQTT_V5, MQTT_UNSUBACK, 79, unsub, 2);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_UNSUBACK);
    assert_int_equal(p.u.ack.packetId, 79);
    assert_int_equal(p.u.ack.reason, RC_NO_SUBSCRIPTION);
    bufFree(&b);

    /* No reason codes at all is malformed (§3.9.3). */
    mqttEncodeSuback(&b, MQTT_V5, MQTT_SUBACK, 80, reasons, 0);
    assert_int_equal(decodeClient(&b, &p, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    bufFree(&b);
}

static void test_client_publish(void **state) {
    (void)state;
    MqttPropOut props;
    mqttPropInit(&props);
    mqttPropUser(&props, "id", 2, "HQ:1234", 7);
    mqttPropUser(&props, "label", 5, "NATO SECRET", 11);
    pnBuf b;
    bufInit(&b);
    mqttEncodePublish(&b, MQTT_V5, 1, 0, 0, "intel/reports", 13, 4242, &props, "payload!", 8);
    mqttPropFree(&props);
    MqttPacket p;
    uint8_t reason;
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_PUBLISH);
    assert_int_equal(p.length, b.len);
    MqttPublish *pub = &p.u.publish;
    assert_int_equal(pub->qos, 1);
    assert_int_equal(pub->retain, 0);
    assert_int_equal(pub->dup, 0);
    assert_int_equal(pub->packetId, 4242);
    assert_int_equal(pub->topic.len, 13);
    assert_memory_equal(pub->topic.p, "intel/reports", 13);
    assert_int_equal(pub->payloadLen, 8);
    assert_memory_equal(pub->payload, "payload!", 8);
    assert_int_equal(pub->props.nuser, 2);
    MqttStr v;
    assert_int_equal(mqttUserProp(&pub->props, "id", &v), 1);
    assert_int_equal(v.len, 7);
    assert_memory_equal(v.p, "HQ:1234", 7);
    assert_int_equal(mqttUserProp(&pub->props, "label", &v), 1);
    assert_memory_equal(v.p, "NATO SECRET", 11);
    assert_int_equal(mqttUserProp(&pub->props, "time", &v), 0);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);

    /* QoS 0, retained, empty payload, no properties. */
    mqttEncodePublish(&b, MQTT_V5, 0, 1, 0, "a", 1, 0, NULL, NULL, 0);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(pub->qos, 0);
    assert_int_equal(pub->retain, 1);
    assert_int_equal(pub->packetId, 0);
    assert_int_equal(pub->payloadLen, 0);
    assert_int_equal(pub->props.nuser, 0);
    bufFree(&b);
}

static void test_client_other_packets(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    MqttPacket p;
    uint8_t reason;
    mqttEncodePingresp(&b);
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_PINGRESP);
    assert_int_equal(p.length, 2);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);
    const uint8_t pingBody[] = {0xD0, 1, 0};
    assert_int_equal(mqttDecodeClient(pingBody, sizeof(pingBody), 1 << 20, &p, &reason), -1);

    mqttEncodeAck(&b, MQTT_V5, MQTT_PUBACK, 4242, RC_NOT_AUTHORIZED, "no");
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_PUBACK);
    assert_int_equal(p.u.ack.packetId, 4242);
    assert_int_equal(p.u.ack.reason, RC_NOT_AUTHORIZED);
    assert_memory_equal(p.u.ack.props.reasonString.p, "no", 2);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);

    mqttEncodeDisconnect(&b, MQTT_V5, RC_SERVER_SHUTTING_DOWN, "bye");
    assert_int_equal(decodeClient(&b, &p, &reason), 1);
    assert_int_equal(p.type, MQTT_DISCONNECT);
    assert_int_equal(p.u.ack.reason, RC_SERVER_SHUTTING_DOWN);
    assert_memory_equal(p.u.ack.props.reasonString.p, "bye", 3);
    assertPrefixesIncomplete(&b, 1, 0);
    bufFree(&b);
}

static void test_client_refuses_server_bound(void **state) {
    (void)state;
    pnBuf b;
    bufInit(&b);
    MqttPacket p;
    uint8_t reason;
    mqttEncodeConnect(&b, "c", 1, 30, 0, 0, NULL, NULL);
    assert_int_equal(decodeClient(&b, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
    bufFree(&b);
    const char *const filters[] = {"a/b"};
    mqttEncodeSubscribe(&b, 1, filters, 1, 0);
    assert_int_equal(decodeClient(&b, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
    bufFree(&b);
    mqttEncodePingreq(&b);
    assert_int_equal(decodeClient(&b, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
    bufFree(&b);
    const uint8_t unsub[] = {0xA2, 6, 0, 1, 0, 0, 1, 'a'};
    assert_int_equal(mqttDecodeClient(unsub, sizeof(unsub), 1 << 20, &p, &reason), -1);
    assert_int_equal(reason, RC_PROTOCOL_ERROR);
    /* Reserved type 0. */
    const uint8_t type0[] = {0x00, 0};
    assert_int_equal(mqttDecodeClient(type0, sizeof(type0), 1 << 20, &p, &reason), -1);
    /* Too large for the client's maximum. */
    const uint8_t big[] = {0x30, 0x80, 0x80, 0x40};
    assert_int_equal(mqttDecodeClient(big, sizeof(big), 1000, &p, &reason), -1);
    assert_int_equal(reason, RC_PACKET_TOO_LARGE);
}

/* A property id is a variable byte integer: 257 (81 02) must not pass as
 * id 1 (payload format), nor 294 (A6 02) as a user property (0x26). */
static void test_multibyte_property_id(void **state) {
    (void)state;
    static const uint8_t puback257[] = {0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x81, 0x02, 0x00};
    static const uint8_t puback294[] = {0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0xA6, 0x02, 0x00};
    MqttPacket pkt;
    uint8_t reason;
    assert_int_equal(mqttDecode(puback257, sizeof(puback257), MQTT_V5, 1024, &pkt, &reason), -1);
    assert_int_equal(reason, RC_MALFORMED);
    assert_int_equal(mqttDecode(puback294, sizeof(puback294), MQTT_V5, 1024, &pkt, &reason), -1);
    assert_int_equal(mqttDecodeClient(puback257, sizeof(puback257), 1024, &pkt, &reason), -1);
}

/* The decoder keeps 32 user properties; one past them is still found. */
static void test_user_prop_past_limit(void **state) {
    (void)state;
    MqttPropOut props;
    mqttPropInit(&props);
    for (int i = 0; i < 40; i++)
        mqttPropUser(&props, "k", 1, "v", 1);
    mqttPropUser(&props, "label", 5, "NATO UNCLASSIFIED", 17);
    pnBuf out;
    bufInit(&out);
    mqttEncodePublish(&out, MQTT_V5, 1, 0, 0, "t", 1, 7, &props, "x", 1);
    MqttPacket pkt;
    uint8_t reason;
    assert_int_equal(
        mqttDecode((const uint8_t *)out.data, out.len, MQTT_V5, 1 << 20, &pkt, &reason), 1);
    assert_int_equal(pkt.u.publish.props.nuser, MQTT_MAX_USER_PROPS);
    MqttStr v;
    assert_int_equal(mqttUserProp(&pkt.u.publish.props, "label", &v), 1);
    assert_int_equal(v.len, 17);
    assert_memory_equal(v.p, "NATO UNCLASSIFIED", 17);
    assert_int_equal(mqttUserProp(&pkt.u.publish.props, "absent", &v), 0);
    bufFree(&out);
    mqttPropFree(&props);
}

/* The label user property: PUBLISH with the given keys (value "v<i>"),
 * then mqttUserPropOnly; returns its result, with the offending key in bad
 * and the value found in val. */
static int labelOnly(const char *const *keys, int n, char *bad, char *val) {
    MqttPropOut props;
    mqttPropInit(&props);
    for (int i = 0; i < n; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "v%d", i);
        mqttPropUser(&props, keys[i], strlen(keys[i]), v, (size_t)vl);
    }
    mqttPropStr(&props, PROP_CONTENT_TYPE, "text/plain", 10); /* another kind between */
    pnBuf out;
    bufInit(&out);
    mqttEncodePublish(&out, MQTT_V5, 1, 0, 0, "t", 1, 7, &props, "x", 1);
    MqttPacket pkt;
    uint8_t reason;
    assert_int_equal(decode(out.data, out.len, MQTT_V5, &pkt, &reason), 1);
    MqttStr v = {NULL, 0}, b = {NULL, 0};
    int rc = mqttUserPropOnly(&pkt.u.publish.props, "label", &v, &b);
    snprintf(bad, 16, "%.*s", (int)b.len, b.p ? (const char *)b.p : "");
    snprintf(val, 16, "%.*s", (int)v.len, v.p ? (const char *)v.p : "");
    bufFree(&out);
    mqttPropFree(&props);
    return rc;
}

/* Issue 10 item 4: the label key is matched exactly, and one more label
 * source -- a second 'label', a case variant -- makes it ambiguous. */
static void test_user_prop_only(void **state) {
    (void)state;
    char bad[16], val[16];
    const char *none[] = {"labels", "lab", "x"};
    assert_int_equal(labelOnly(none, 3, bad, val), 0);
    const char *one[] = {"a", "label", "labels"};
    assert_int_equal(labelOnly(one, 3, bad, val), 1);
    assert_string_equal(val, "v1");
    const char *two[] = {"label", "x", "label"};
    assert_int_equal(labelOnly(two, 3, bad, val), -1);
    assert_string_equal(bad, "label");
    const char *upper[] = {"Label"};
    assert_int_equal(labelOnly(upper, 1, bad, val), -1);
    assert_string_equal(bad, "Label");
    const char *both[] = {"label", "LABEL"};
    assert_int_equal(labelOnly(both, 2, bad, val), -1);
    assert_string_equal(bad, "LABEL");
    /* Past the user properties the decoder keeps. */
    const char *many[45];
    for (int i = 0; i < 45; i++)
        many[i] = "k";
    many[0] = "label";
    assert_int_equal(labelOnly(many, 44, bad, val), 1);
    many[44] = "labeL";
    assert_int_equal(labelOnly(many, 45, bad, val), -1);
    assert_string_equal(bad, "labeL");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_v5),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_property_per_packet),
        cmocka_unit_test(test_reason_text),
        cmocka_unit_test(test_publish_round_trip),
        cmocka_unit_test(test_publish_errors),
        cmocka_unit_test(test_subscribe),
        cmocka_unit_test(test_acks_and_connack),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_client_connect_round_trip),
        cmocka_unit_test(test_client_subscribe_round_trip),
        cmocka_unit_test(test_client_connack),
        cmocka_unit_test(test_client_suback),
        cmocka_unit_test(test_client_publish),
        cmocka_unit_test(test_client_other_packets),
        cmocka_unit_test(test_client_refuses_server_bound),
        cmocka_unit_test(test_multibyte_property_id),
        cmocka_unit_test(test_user_prop_past_limit),
        cmocka_unit_test(test_user_prop_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
