/*
 * fuzz_mqtt_check.h -- the property the MQTT decoder must keep, shared by
 * fuzz/fuzz_mqtt.c and the regression replay in tests/unit.
 *
 * For any bytes and any protocol state: decoding never reads outside the
 * input, and a decoded packet is self-consistent -- its length fits the
 * input, SUBSCRIBE entries walk to the declared count, and a PUBLISH
 * re-encoded from its fields decodes to the same fields.
 */
#ifndef PN_FUZZ_MQTT_CHECK_H
#define PN_FUZZ_MQTT_CHECK_H

#include <stdio.h>
#include <string.h>

#include "../src/mqtt/mqtt.h"

static inline int fuzzPublishAgain(const MqttPublish *p, int version, char *why, size_t cap) {
    MqttPropOut props;
    mqttPropInit(&props);
    mqttPropCopy(&props, p->props.raw, p->props.rawLen, NULL);
    pnBuf b;
    bufInit(&b);
    mqttEncodePublish(&b, version, p->qos, p->retain, p->dup, p->topic.p, p->topic.len, p->packetId, &props, p->payload,
                      p->payloadLen);
    mqttPropFree(&props);
    MqttPacket q;
    uint8_t reason;
    int rc = mqttDecode((const uint8_t *)b.data, b.len, version, UINT32_MAX, &q, &reason);
    int ok = rc == 1 && q.type == MQTT_PUBLISH && q.u.publish.qos == p->qos && q.u.publish.retain == p->retain &&
             q.u.publish.topic.len == p->topic.len && q.u.publish.payloadLen == p->payloadLen &&
             q.u.publish.packetId == p->packetId &&
             (!p->topic.len || memcmp(q.u.publish.topic.p, p->topic.p, p->topic.len) == 0) &&
             (!p->payloadLen || memcmp(q.u.publish.payload, p->payload, p->payloadLen) == 0) &&
             q.u.publish.props.rawLen == p->props.rawLen;
    bufFree(&b);
    if (!ok) snprintf(why, cap, "re-encoded PUBLISH decodes differently (rc %d)", rc);
    return ok ? 0 : -1;
}

/* 0 when the property holds, -1 with why filled when it does not. */
static inline int fuzzCheckMqtt(const uint8_t *data, size_t size, char *why, size_t cap) {
    static const int versions[3] = {0, MQTT_V311, MQTT_V5};
    for (int v = 0; v < 3; v++) {
        MqttPacket p;
        uint8_t reason;
        int rc = mqttDecode(data, size, versions[v], 1u << 20, &p, &reason);
        if (rc != 1) continue;
        if (p.length > size) {
            snprintf(why, cap, "decoded length %u beyond the %zu input bytes", p.length, size);
            return -1;
        }
        if (p.type == MQTT_SUBSCRIBE || p.type == MQTT_UNSUBSCRIBE) {
            uint32_t pos = 0;
            MqttStr f;
            uint8_t o;
            int n = 0;
            while (mqttNextTopic(&p.u.sub, p.type == MQTT_SUBSCRIBE, &pos, &f, &o)) n++;
            if (n != p.u.sub.count) {
                snprintf(why, cap, "walked %d topic entries, decoder counted %d", n, p.u.sub.count);
                return -1;
            }
        }
        if (p.type == MQTT_PUBLISH && versions[v] && fuzzPublishAgain(&p.u.publish, versions[v], why, cap) != 0)
            return -1;
    }
    return 0;
}

#endif
