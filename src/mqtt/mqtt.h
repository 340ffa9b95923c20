/*
 * mqtt.h -- MQTT 5.0 and 3.1.1 packet codec: bytes <-> packet structs.
 *
 * Pure functions, no I/O, no allocation on decode: a decoded packet points
 * into the buffer it was decoded from (MqttStr), so the buffer must outlive
 * the packet.  Every malformed input yields a reason code (MQTT 5 §2.4:
 * 0x81 malformed, 0x82 protocol error, 0x95 packet too large ...) rather
 * than a crash; the decoder is fuzzed (fuzz/fuzz_mqtt.c).
 *
 * Version numbers are the protocol level byte: 4 for 3.1.1, 5 for 5.0.
 * Properties exist only in version 5; decoding a 3.1.1 packet leaves them
 * empty and encoders omit them.
 */
#ifndef PN_MQTT_H
#define PN_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "../core/buf.h"

enum {
    MQTT_CONNECT = 1,
    MQTT_CONNACK,
    MQTT_PUBLISH,
    MQTT_PUBACK,
    MQTT_PUBREC,
    MQTT_PUBREL,
    MQTT_PUBCOMP,
    MQTT_SUBSCRIBE,
    MQTT_SUBACK,
    MQTT_UNSUBSCRIBE,
    MQTT_UNSUBACK,
    MQTT_PINGREQ,
    MQTT_PINGRESP,
    MQTT_DISCONNECT,
    MQTT_AUTH
};

#define MQTT_V311 4
#define MQTT_V5 5

/* Reason codes (MQTT 5 §2.4) used by this server. */
enum {
    RC_SUCCESS = 0x00,
    RC_GRANTED_QOS1 = 0x01,
    RC_GRANTED_QOS2 = 0x02,
    RC_DISCONNECT_WITH_WILL = 0x04,
    RC_NO_SUBSCRIBERS = 0x10,
    RC_NO_SUBSCRIPTION = 0x11,
    RC_UNSPECIFIED = 0x80,
    RC_MALFORMED = 0x81,
    RC_PROTOCOL_ERROR = 0x82,
    RC_IMPL_SPECIFIC = 0x83,
    RC_UNSUPPORTED_VERSION = 0x84,
    RC_CLIENT_ID_INVALID = 0x85,
    RC_BAD_USER_OR_PASSWORD = 0x86,
    RC_NOT_AUTHORIZED = 0x87,
    RC_SERVER_UNAVAILABLE = 0x88,
    RC_SERVER_BUSY = 0x89,
    RC_BAD_AUTH_METHOD = 0x8C,
    RC_KEEPALIVE_TIMEOUT = 0x8D,
    RC_SESSION_TAKEN_OVER = 0x8E,
    RC_TOPIC_FILTER_INVALID = 0x8F,
    RC_TOPIC_NAME_INVALID = 0x90,
    RC_PACKET_ID_IN_USE = 0x91,
    RC_PACKET_ID_NOT_FOUND = 0x92,
    RC_RECEIVE_MAX_EXCEEDED = 0x93,
    RC_TOPIC_ALIAS_INVALID = 0x94,
    RC_PACKET_TOO_LARGE = 0x95,
    RC_QUOTA_EXCEEDED = 0x97,
    RC_PAYLOAD_FORMAT_INVALID = 0x99,
    RC_RETAIN_NOT_SUPPORTED = 0x9A,
    RC_QOS_NOT_SUPPORTED = 0x9B,
    RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E,
    RC_SERVER_SHUTTING_DOWN = 0x8B
};

/* Property identifiers (§2.2.2.2). */
enum {
    PROP_PAYLOAD_FORMAT = 0x01,
    PROP_MESSAGE_EXPIRY = 0x02,
    PROP_CONTENT_TYPE = 0x03,
    PROP_RESPONSE_TOPIC = 0x08,
    PROP_CORRELATION_DATA = 0x09,
    PROP_SUBSCRIPTION_ID = 0x0B,
    PROP_SESSION_EXPIRY = 0x11,
    PROP_ASSIGNED_CLIENT_ID = 0x12,
    PROP_SERVER_KEEPALIVE = 0x13,
    PROP_AUTH_METHOD = 0x15,
    PROP_AUTH_DATA = 0x16,
    PROP_REQUEST_PROBLEM_INFO = 0x17,
    PROP_WILL_DELAY = 0x18,
    PROP_REQUEST_RESPONSE_INFO = 0x19,
    PROP_RESPONSE_INFO = 0x1A,
    PROP_SERVER_REFERENCE = 0x1C,
    PROP_REASON_STRING = 0x1F,
    PROP_RECEIVE_MAX = 0x21,
    PROP_TOPIC_ALIAS_MAX = 0x22,
    PROP_TOPIC_ALIAS = 0x23,
    PROP_MAX_QOS = 0x24,
    PROP_RETAIN_AVAILABLE = 0x25,
    PROP_USER = 0x26,
    PROP_MAX_PACKET_SIZE = 0x27,
    PROP_WILDCARD_AVAILABLE = 0x28,
    PROP_SUB_ID_AVAILABLE = 0x29,
    PROP_SHARED_AVAILABLE = 0x2A
};

/* A length-prefixed string or binary, pointing into the decoded buffer. */
typedef struct MqttStr {
    const uint8_t *p;
    uint16_t len;
} MqttStr;

#define MQTT_MAX_USER_PROPS 32

/* The properties of one packet.  `raw` covers the whole property block, so
 * a server can forward properties it does not interpret. */
typedef struct MqttProps {
    const uint8_t *raw;
    uint32_t rawLen;
    uint64_t seen; /* bit id set: property id was present */
    uint8_t payloadFormat, requestProblemInfo, requestResponseInfo, maxQos, retainAvailable;
    uint32_t messageExpiry, sessionExpiry, willDelay, maxPacketSize, subscriptionId;
    uint16_t receiveMax, topicAliasMax, topicAlias, serverKeepAlive;
    MqttStr contentType, responseTopic, correlationData, authMethod, authData, reasonString;
    MqttStr userKey[MQTT_MAX_USER_PROPS], userVal[MQTT_MAX_USER_PROPS];
    int nuser;
} MqttProps;

typedef struct MqttConnect {
    uint8_t version;
    uint8_t cleanStart, willFlag, willQos, willRetain, hasUser, hasPassword;
    uint16_t keepAlive;
    MqttProps props;
    MqttStr clientId;
    MqttProps willProps;
    MqttStr willTopic, willPayload;
    MqttStr username, password;
} MqttConnect;

typedef struct MqttPublish {
    uint8_t dup, qos, retain;
    MqttStr topic; /* may be empty in v5 when a topic alias is used */
    uint16_t packetId;
    MqttProps props;
    const uint8_t *payload;
    uint32_t payloadLen;
} MqttPublish;

/* PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH, and the ack part of
 * SUBACK/UNSUBACK for clients. */
typedef struct MqttAck {
    uint16_t packetId;
    uint8_t reason;
    MqttProps props;
} MqttAck;

/* SUBSCRIBE and UNSUBSCRIBE: entries are validated on decode and walked
 * with mqttNextTopic(). */
typedef struct MqttSubscribe {
    uint16_t packetId;
    MqttProps props;
    const uint8_t *list; /* the payload */
    uint32_t listLen;
    int count;
} MqttSubscribe;

typedef struct MqttPacket {
    uint8_t type, flags;
    uint32_t length; /* whole packet, fixed header included */
    union {
        MqttConnect connect;
        MqttPublish publish;
        MqttAck ack;
        MqttSubscribe sub;
    } u;
} MqttPacket;

/*
 * Decode one packet from buf[0..len).  version is the session's protocol
 * level (0 before CONNECT: only CONNECT is then accepted).  maxSize bounds
 * the whole packet.  Returns 1 with *pkt filled (pkt->length bytes used),
 * 0 when more bytes are needed, or -1 with *reason set (RC_MALFORMED,
 * RC_PROTOCOL_ERROR, RC_PACKET_TOO_LARGE, RC_UNSUPPORTED_VERSION).
 */
int mqttDecode(const uint8_t *buf, size_t len, int version, uint32_t maxSize, MqttPacket *pkt,
               uint8_t *reason);

/*
 * Decode one packet a client receives from an MQTT 5 server (CONNACK,
 * PUBLISH, PUBACK..PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, AUTH):
 * the federation link's side.  Results as mqttDecode.  CONNACK and
 * SUBACK/UNSUBACK land in pkt->u.ack: for CONNACK packetId holds the
 * session-present flag; for SUBACK reason is the highest reason code of
 * the list (>= 0x80: at least one filter refused).
 */
int mqttDecodeClient(const uint8_t *buf, size_t len, uint32_t maxSize, MqttPacket *pkt,
                     uint8_t *reason);

/* Walk SUBSCRIBE/UNSUBSCRIBE entries: *pos starts at 0.  Returns 1 with the
 * topic filter (and, for SUBSCRIBE, the options byte), 0 at the end. */
int mqttNextTopic(const MqttSubscribe *s, int isSubscribe, uint32_t *pos, MqttStr *filter,
                  uint8_t *options);

/* Find a user property by key; returns 1 with *val set, 0 when absent. */
int mqttUserProp(const MqttProps *p, const char *key, MqttStr *val);

/* The one user property key (matched exactly, key in lower case): returns 1
 * with *val set, 0 when absent, -1 when it is ambiguous -- the key appears
 * more than once, or a key differing from it only in case ("Label") is
 * present; *bad is then the offending key.  Every user property is looked
 * at, also past the ones the decoder keeps. */
int mqttUserPropOnly(const MqttProps *p, const char *key, MqttStr *val, MqttStr *bad);

/* The Message Expiry Interval in an encoded property block (a message's
 * stored properties): 1 with *seconds set, 0 when there is none. */
int mqttPropsMessageExpiry(const uint8_t *raw, uint32_t len, uint32_t *seconds);

/* ---- encoding (all append to out; properties only for v5) ---------------- */

/* A property list being built for an outgoing packet. */
typedef struct MqttPropOut {
    pnBuf b;
} MqttPropOut;

void mqttPropInit(MqttPropOut *p);
void mqttPropFree(MqttPropOut *p);
void mqttPropByte(MqttPropOut *p, uint8_t id, uint8_t v);
void mqttPropU16(MqttPropOut *p, uint8_t id, uint16_t v);
void mqttPropU32(MqttPropOut *p, uint8_t id, uint32_t v);
void mqttPropVarint(MqttPropOut *p, uint8_t id, uint32_t v);
void mqttPropStr(MqttPropOut *p, uint8_t id, const void *s, size_t len);
void mqttPropUser(MqttPropOut *p, const void *k, size_t klen, const void *v, size_t vlen);
/* Append raw encoded properties (from MqttProps.raw), skipping the ids for
 * which skip(id, key) returns non-zero (key is set for user properties). */
void mqttPropCopy(MqttPropOut *p, const uint8_t *raw, uint32_t len,
                  int (*skip)(uint8_t id, const MqttStr *key));

void mqttEncodeConnack(pnBuf *out, int version, int sessionPresent, uint8_t reason,
                       const MqttPropOut *props);
void mqttEncodePublish(pnBuf *out, int version, uint8_t qos, int retain, int dup, const void *topic,
                       size_t topicLen, uint16_t packetId, const MqttPropOut *props,
                       const void *payload, size_t payloadLen);
/* PUBACK/PUBREC/PUBREL/PUBCOMP/UNSUBACK-less acks; reasonString may be NULL. */
void mqttEncodeAck(pnBuf *out, int version, int type, uint16_t packetId, uint8_t reason,
                   const char *reasonString);
void mqttEncodeSuback(pnBuf *out, int version, int type, uint16_t packetId, const uint8_t *reasons,
                      int n);
void mqttEncodeDisconnect(pnBuf *out, int version, uint8_t reason, const char *reasonString);
void mqttEncodePingresp(pnBuf *out);

/* Client-side packets (MQTT 5 only), for federation links.  user and
 * password may be NULL; sessionExpiry/receiveMax 0 leave them out. */
void mqttEncodeConnect(pnBuf *out, const char *clientId, int cleanStart, uint16_t keepAlive,
                       uint32_t sessionExpiry, uint16_t receiveMax, const char *user,
                       const char *password);
/* One SUBSCRIBE with n filters, all with the same options byte. */
void mqttEncodeSubscribe(pnBuf *out, uint16_t packetId, const char *const *filters, int n,
                         uint8_t options);
void mqttEncodePingreq(pnBuf *out);

/* The name of an MQTT 5 reason code (§2.4) in plain words, e.g. 0x86 "bad
 * user name or password"; 1 and 2 (granted QoS) "granted".  Static text. */
const char *mqttReasonText(uint8_t rc);

/* Length in bytes of the variable byte integer encoding of v. */
int mqttVarintSize(uint32_t v);

/* Is s valid MQTT UTF-8 (§1.5.4: no U+0000, no surrogates, shortest form)? */
int mqttUtf8Valid(const uint8_t *s, size_t len);

#endif
