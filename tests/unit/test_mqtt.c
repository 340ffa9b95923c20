/*
 * test_mqtt.c -- the MQTT codec: packets decoded from hand-built bytes,
 * encoder/decoder round trips, and malformed input refused with the right
 * reason code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/mqtt/mqtt.h"

static int decode(const void *bytes, size_t n, int version, MqttPacket *p, uint8_t *reason) {
    return mqttDecode(bytes, n, version, 1 << 20, p, reason);
}

/* CONNECT v5: client id "c1", user "alice", password "pw", session expiry
 * 60, a will with a label user property. */
static const uint8_t connectV5[] = {
    0x10, 52,                                           /* CONNECT, remaining length */
    0, 4, 'M', 'Q', 'T', 'T', 5, 0xC6, 0, 30,           /* proto, v5, flags: user pw will(q0) clean */
    5, 0x11, 0, 0, 0, 60,                               /* props: session expiry 60 */
    0, 2, 'c', '1',                                     /* client id */
    14, 0x26, 0, 5, 'l', 'a', 'b', 'e', 'l', 0, 4, 'N', 'A', 'T', 'O', /* will props: label */
    0, 1, 'w', 0, 1, 'x',                               /* will topic, payload */
    0, 5, 'a', 'l', 'i', 'c', 'e', 0, 2, 'p', 'w'};     /* user, password */

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
    for (size_t n = 0; n < sizeof(connectV5); n++) assert_int_equal(decode(connectV5, n, 0, &p, &reason), 0);
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
    const uint8_t sub[] = {0x82, 17, 0, 7, 2, 0x0B, 5, 0, 3, 'a', '/', '#', 0x01, 0, 3, 'b', '/', '+', 0x2E};
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_v5),   cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_publish_round_trip), cmocka_unit_test(test_publish_errors),
        cmocka_unit_test(test_subscribe),    cmocka_unit_test(test_acks_and_connack),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
