/*
 * fuzz_mqtt_check.h -- the property the MQTT decoder must keep, shared by
 * fuzz/fuzz_mqtt.c and the regression replay in tests/unit.
 *
 * For any bytes and any protocol state: decoding never reads outside the
 * input, and a decoded packet is self-consistent -- its length fits the
 * input, SUBSCRIBE entries walk to the declared count, and a PUBLISH
 * re-encoded from its fields decodes to the same fields.  The same bytes
 * also go to the client-side decoder (mqttDecodeClient), which must accept
 * only client-bound packets and keep the same properties.
 */
#ifndef PN_FUZZ_MQTT_CHECK_H
#define PN_FUZZ_MQTT_CHECK_H

#include <stdio.h>
#include <string.h>

#include "../src/mqtt/mqtt.h"

/* The label the node takes (mqttUserPropOnly) agrees with a plain lookup:
 * absent means absent, one means that one; ambiguity is only ever more. */
static inline int fuzzLabelOnly(const MqttPublish *p, char *why, size_t cap) {
    MqttStr only = {NULL, 0}, any = {NULL, 0}, bad;
    int n = mqttUserPropOnly(&p->props, "label", &only, &bad);
    int found = mqttUserProp(&p->props, "label", &any);
    int ok = n < 0    ? 1
             : n == 0 ? !found
                      : found && any.len == only.len &&
                            (!any.len || any.p == only.p || memcmp(any.p, only.p, any.len) == 0);
    if (!ok) snprintf(why, cap, "mqttUserPropOnly (%d) disagrees with mqttUserProp (%d)", n, found);
    return ok ? 0 : -1;
}

/* Re-encode p and decode it again: with mqttDecode at version, or (version
 * 0) with mqttDecodeClient as an MQTT 5 client would. */
static inline int fuzzPublishAgain(const MqttPublish *p, int version, char *why, size_t cap) {
    if (fuzzLabelOnly(p, why, cap) != 0) return -1;
    int client = version == 0;
    int encodeVersion = client ? MQTT_V5 : version;
    MqttPropOut props;
    mqttPropInit(&props);
    mqttPropCopy(&props, p->props.raw, p->props.rawLen, NULL);
    pnBuf b;
    bufInit(&b);
    mqttEncodePublish(&b, encodeVersion, p->qos, p->retain, p->dup, p->topic.p, p->topic.len,
                      p->packetId, &props, p->payload, p->payloadLen);
    mqttPropFree(&props);
    MqttPacket q;
    uint8_t reason;
    int rc = client ? mqttDecodeClient((const uint8_t *)b.data, b.len, UINT32_MAX, &q, &reason)
                    : mqttDecode((const uint8_t *)b.data, b.len, version, UINT32_MAX, &q, &reason);
    int ok =
        rc == 1 && q.type == MQTT_PUBLISH && q.length == b.len && q.u.publish.qos == p->qos &&
        q.u.publish.retain == p->retain && q.u.publish.dup == p->dup &&
        q.u.publish.topic.len == p->topic.len && q.u.publish.payloadLen == p->payloadLen &&
        q.u.publish.packetId == p->packetId &&
        (!p->topic.len || memcmp(q.u.publish.topic.p, p->topic.p, p->topic.len) == 0) &&
        (!p->payloadLen || memcmp(q.u.publish.payload, p->payload, p->payloadLen) == 0) &&
        q.u.publish.props.rawLen == p->props.rawLen &&
        (!p->props.rawLen || memcmp(q.u.publish.props.raw, p->props.raw, p->props.rawLen) == 0) &&
        q.u.publish.props.nuser == p->props.nuser;
    bufFree(&b);
    if (!ok)
        snprintf(why, cap, "re-encoded PUBLISH decodes differently (%s, rc %d)",
                 client ? "client" : "server", rc);
    return ok ? 0 : -1;
}

/* The client-side decoder (mqttDecodeClient): only client-bound types are
 * accepted, the packet is self-contained (the same bytes alone decode the
 * same, one byte fewer asks for more), and a PUBLISH round-trips. */
static inline int fuzzCheckMqttClient(const uint8_t *data, size_t size, char *why, size_t cap) {
    MqttPacket p;
    uint8_t reason = 0;
    int rc = mqttDecodeClient(data, size, 1u << 20, &p, &reason);
    if (rc < -1 || rc > 1) {
        snprintf(why, cap, "client decode returned %d", rc);
        return -1;
    }
    if (rc == -1 && reason == RC_SUCCESS) {
        snprintf(why, cap, "client decode refused the input with reason 0");
        return -1;
    }
    if (rc != 1) return 0;
    if (p.length > size || p.length < 2) {
        snprintf(why, cap, "client decoded length %u, input %zu bytes", p.length, size);
        return -1;
    }
    switch (p.type) {
    case MQTT_CONNACK:
        if (p.u.ack.packetId > 1) {
            snprintf(why, cap, "CONNACK session present %u", p.u.ack.packetId);
            return -1;
        }
        break;
    case MQTT_PUBLISH:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_PINGRESP:
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        break;
    default:
        snprintf(why, cap, "client decode accepted server-bound type %u", p.type);
        return -1;
    }
    MqttPacket q;
    uint8_t r2;
    int again = mqttDecodeClient(data, p.length, 1u << 20, &q, &r2);
    if (again != 1 || q.length != p.length || q.type != p.type) {
        snprintf(why, cap, "the packet's own %u bytes decode differently (rc %d)", p.length, again);
        return -1;
    }
    again = mqttDecodeClient(data, p.length - 1, 1u << 20, &q, &r2);
    if (again != 0) {
        snprintf(why, cap, "%u of the packet's %u bytes decode with rc %d, not 0", p.length - 1,
                 p.length, again);
        return -1;
    }
    if (p.type == MQTT_PUBLISH) return fuzzPublishAgain(&p.u.publish, 0, why, cap);
    return 0;
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
            while (mqttNextTopic(&p.u.sub, p.type == MQTT_SUBSCRIBE, &pos, &f, &o))
                n++;
            if (n != p.u.sub.count) {
                snprintf(why, cap, "walked %d topic entries, decoder counted %d", n, p.u.sub.count);
                return -1;
            }
        }
        if (p.type == MQTT_PUBLISH && versions[v] &&
            fuzzPublishAgain(&p.u.publish, versions[v], why, cap) != 0)
            return -1;
    }
    return fuzzCheckMqttClient(data, size, why, cap);
}

#endif
