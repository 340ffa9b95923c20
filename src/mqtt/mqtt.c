/*
 * mqtt.c -- MQTT 5.0 / 3.1.1 packet codec (see mqtt.h).
 *
 * Decoding reads through a Reader that never moves past its end: every
 * get* sets r->bad instead of reading out of bounds, so the parse code can
 * read field after field and check once.  Spec references are to MQTT 5.0
 * (OASIS, 2019) sections.
 */
#include "mqtt.h"

#include "../core/utf8.h"

#include <string.h>

typedef struct Reader {
    const uint8_t *p, *end;
    int bad; /* ran off the end or met an invalid encoding */
} Reader;

static uint8_t getByte(Reader *r) {
    if (r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->p++;
}

static uint16_t getU16(Reader *r) {
    uint16_t hi = getByte(r);
    return (uint16_t)(hi << 8 | getByte(r));
}

static uint32_t getU32(Reader *r) {
    uint32_t v = (uint32_t)getU16(r) << 16;
    return v | getU16(r);
}

/* §1.5.5: at most four bytes, and (we insist) in the shortest form. */
static uint32_t getVarint(Reader *r) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        uint8_t b = getByte(r);
        v |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            if (i > 0 && b == 0) r->bad = 1; /* non-minimal encoding */
            return v;
        }
    }
    r->bad = 1;
    return 0;
}

static MqttStr getBin(Reader *r) {
    MqttStr s = {NULL, 0};
    s.len = getU16(r);
    if (r->bad || (size_t)(r->end - r->p) < s.len) {
        r->bad = 1;
        s.len = 0;
        return s;
    }
    s.p = r->p;
    r->p += s.len;
    return s;
}

static MqttStr getStr(Reader *r) {
    MqttStr s = getBin(r);
    if (!r->bad && !mqttUtf8Valid(s.p, s.len)) r->bad = 1;
    return s;
}

int mqttUtf8Valid(const uint8_t *s, size_t len) {
    /* §1.5.4: U+0000 is well-formed UTF-8 but MQTT forbids it. */
    return (len == 0 || memchr(s, 0, len) == NULL) && utf8Valid(s, len);
}

/* ---- properties (§2.2.2) ------------------------------------------------ */

/* Properties that may appear more than once. */
static int repeatable(uint8_t id) {
    return id == PROP_USER || id == PROP_SUBSCRIPTION_ID;
}

static void getProp(Reader *r, MqttProps *p, uint8_t id) {
    switch (id) {
    case PROP_PAYLOAD_FORMAT:
        p->payloadFormat = getByte(r);
        break;
    case PROP_REQUEST_PROBLEM_INFO:
        p->requestProblemInfo = getByte(r);
        break;
    case PROP_REQUEST_RESPONSE_INFO:
        p->requestResponseInfo = getByte(r);
        break;
    case PROP_MAX_QOS:
        p->maxQos = getByte(r);
        break;
    case PROP_RETAIN_AVAILABLE:
        p->retainAvailable = getByte(r);
        break;
    case PROP_WILDCARD_AVAILABLE:
    case PROP_SUB_ID_AVAILABLE:
    case PROP_SHARED_AVAILABLE:
        (void)getByte(r);
        break;
    case PROP_MESSAGE_EXPIRY:
        p->messageExpiry = getU32(r);
        break;
    case PROP_SESSION_EXPIRY:
        p->sessionExpiry = getU32(r);
        break;
    case PROP_WILL_DELAY:
        p->willDelay = getU32(r);
        break;
    case PROP_MAX_PACKET_SIZE:
        p->maxPacketSize = getU32(r);
        if (p->maxPacketSize == 0) r->bad = 1;
        break;
    case PROP_SUBSCRIPTION_ID:
        p->subscriptionId = getVarint(r);
        if (p->subscriptionId == 0) r->bad = 1;
        break;
    case PROP_RECEIVE_MAX:
        p->receiveMax = getU16(r);
        if (p->receiveMax == 0) r->bad = 1;
        break;
    case PROP_TOPIC_ALIAS_MAX:
        p->topicAliasMax = getU16(r);
        break;
    case PROP_TOPIC_ALIAS:
        p->topicAlias = getU16(r);
        break;
    case PROP_SERVER_KEEPALIVE:
        p->serverKeepAlive = getU16(r);
        break;
    case PROP_CONTENT_TYPE:
        p->contentType = getStr(r);
        break;
    case PROP_RESPONSE_TOPIC:
        p->responseTopic = getStr(r);
        break;
    case PROP_CORRELATION_DATA:
        p->correlationData = getBin(r);
        break;
    case PROP_AUTH_METHOD:
        p->authMethod = getStr(r);
        break;
    case PROP_AUTH_DATA:
        p->authData = getBin(r);
        break;
    case PROP_REASON_STRING:
        p->reasonString = getStr(r);
        break;
    case PROP_ASSIGNED_CLIENT_ID:
    case PROP_RESPONSE_INFO:
    case PROP_SERVER_REFERENCE:
        (void)getStr(r);
        break;
    case PROP_USER: {
        MqttStr k = getStr(r), v = getStr(r);
        if (p->nuser < MQTT_MAX_USER_PROPS) p->userKey[p->nuser] = k, p->userVal[p->nuser++] = v;
        break;
    }
    default:
        r->bad = 1; /* unknown property id: malformed (§2.2.2.2) */
    }
    if (id == PROP_PAYLOAD_FORMAT && p->payloadFormat > 1) r->bad = 1;
    if ((id == PROP_REQUEST_PROBLEM_INFO && p->requestProblemInfo > 1) ||
        (id == PROP_REQUEST_RESPONSE_INFO && p->requestResponseInfo > 1))
        r->bad = 1;
}

/* Which properties each packet may carry (§2.2.2.2, the table of property
 * identifiers).  A property outside its packet's set is a Malformed Packet:
 * accepting it would also mean forwarding it where it is invalid (a Will
 * Delay Interval copied into a PUBLISH makes clients drop the packet). */
#define B(id) (1ULL << (id))
#define WILL_PROPS_ 0x100 /* pseudo packet type: the will properties of CONNECT */
static uint64_t propsAllowed(int type) {
    const uint64_t message = B(PROP_PAYLOAD_FORMAT) | B(PROP_MESSAGE_EXPIRY) |
                             B(PROP_CONTENT_TYPE) | B(PROP_RESPONSE_TOPIC) |
                             B(PROP_CORRELATION_DATA);
    const uint64_t auth = B(PROP_AUTH_METHOD) | B(PROP_AUTH_DATA);
    uint64_t m = B(PROP_USER);
    switch (type) {
    case WILL_PROPS_:
        return m | message | B(PROP_WILL_DELAY);
    case MQTT_CONNECT:
        return m | auth | B(PROP_SESSION_EXPIRY) | B(PROP_REQUEST_PROBLEM_INFO) |
               B(PROP_REQUEST_RESPONSE_INFO) | B(PROP_RECEIVE_MAX) | B(PROP_TOPIC_ALIAS_MAX) |
               B(PROP_MAX_PACKET_SIZE);
    case MQTT_CONNACK:
        return m | auth | B(PROP_SESSION_EXPIRY) | B(PROP_ASSIGNED_CLIENT_ID) |
               B(PROP_SERVER_KEEPALIVE) | B(PROP_RESPONSE_INFO) | B(PROP_SERVER_REFERENCE) |
               B(PROP_REASON_STRING) | B(PROP_RECEIVE_MAX) | B(PROP_TOPIC_ALIAS_MAX) |
               B(PROP_MAX_QOS) | B(PROP_RETAIN_AVAILABLE) | B(PROP_MAX_PACKET_SIZE) |
               B(PROP_WILDCARD_AVAILABLE) | B(PROP_SUB_ID_AVAILABLE) | B(PROP_SHARED_AVAILABLE);
    case MQTT_PUBLISH:
        return m | message | B(PROP_SUBSCRIPTION_ID) | B(PROP_TOPIC_ALIAS);
    case MQTT_SUBSCRIBE:
        return m | B(PROP_SUBSCRIPTION_ID);
    case MQTT_UNSUBSCRIBE:
        return m;
    case MQTT_DISCONNECT:
        return m | B(PROP_SESSION_EXPIRY) | B(PROP_SERVER_REFERENCE) | B(PROP_REASON_STRING);
    case MQTT_AUTH:
        return m | auth | B(PROP_REASON_STRING);
    default: /* PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK */
        return m | B(PROP_REASON_STRING);
    }
}
#undef B

static void getProps(Reader *r, MqttProps *p, int version, int type) {
    memset(p, 0, sizeof(*p));
    if (version != MQTT_V5) return;
    uint32_t len = getVarint(r);
    if (r->bad || (size_t)(r->end - r->p) < len) {
        r->bad = 1;
        return;
    }
    Reader pr = {r->p, r->p + len, 0};
    uint64_t allowed = propsAllowed(type);
    p->raw = r->p;
    p->rawLen = len;
    r->p += len;
    while (pr.p < pr.end && !pr.bad) {
        uint32_t wide = getVarint(&pr); /* range-checked before narrowing: 257 is not 1 */
        if (pr.bad || wide >= 64) {
            pr.bad = 1;
            break;
        }
        uint8_t id = (uint8_t)wide;
        if ((p->seen >> id & 1) && !repeatable(id)) pr.bad = 1; /* §2.2.2.2: protocol error */
        if (!(allowed >> id & 1)) pr.bad = 1;                   /* not a property of this packet */
        p->seen |= 1ULL << id;
        getProp(&pr, p, id);
    }
    if (pr.bad) r->bad = 1;
}

int mqttUserProp(const MqttProps *p, const char *key, MqttStr *val) {
    size_t kl = strlen(key);
    for (int i = 0; i < p->nuser; i++)
        if (p->userKey[i].len == kl && memcmp(p->userKey[i].p, key, kl) == 0) {
            *val = p->userVal[i];
            return 1;
        }
    if (p->nuser < MQTT_MAX_USER_PROPS) return 0;
    /* More user properties than the decoder keeps: walk the rest in the raw
     * block (already validated by getProps), so none is ever missed. */
    Reader r = {p->raw, p->raw + p->rawLen, 0};
    MqttProps scratch;
    memset(&scratch, 0, sizeof(scratch));
    while (r.p < r.end && !r.bad) {
        uint32_t id = getVarint(&r);
        if (id != PROP_USER) {
            if (id >= 64) return 0;
            scratch.nuser = 0;
            getProp(&r, &scratch, (uint8_t)id);
            continue;
        }
        MqttStr k = getStr(&r), v = getStr(&r);
        if (!r.bad && k.len == kl && memcmp(k.p, key, kl) == 0) {
            *val = v;
            return 1;
        }
    }
    return 0;
}

int mqttPropsMessageExpiry(const uint8_t *raw, uint32_t len, uint32_t *seconds) {
    if (!raw || !len) return 0;
    Reader r = {raw, raw + len, 0};
    MqttProps scratch;
    memset(&scratch, 0, sizeof(scratch));
    while (r.p < r.end && !r.bad) {
        uint32_t id = getVarint(&r);
        if (r.bad || id >= 64) return 0;
        scratch.nuser = 0; /* user properties are not kept: no limit reached */
        getProp(&r, &scratch, (uint8_t)id);
        if (id == PROP_MESSAGE_EXPIRY && !r.bad) {
            *seconds = scratch.messageExpiry;
            return 1;
        }
    }
    return 0;
}

/* Does k equal key (lower case) ignoring ASCII case?  *exact: byte for byte. */
static int keyLike(const MqttStr *k, const char *key, size_t kl, int *exact) {
    if (k->len != kl) return 0;
    *exact = memcmp(k->p, key, kl) == 0;
    for (size_t i = 0; i < kl; i++) {
        uint8_t c = k->p[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != (uint8_t)key[i]) return 0;
    }
    return 1;
}

int mqttUserPropOnly(const MqttProps *p, const char *key, MqttStr *val, MqttStr *bad) {
    size_t kl = strlen(key);
    int found = 0;
    if (!p->raw) return 0; /* no property block (MQTT 3.1.1): nothing to walk */
    /* The raw block was validated by getProps: walk all of it, so a second
     * label past the kept user properties is not missed. */
    Reader r = {p->raw, p->raw + p->rawLen, 0};
    MqttProps scratch;
    memset(&scratch, 0, sizeof(scratch));
    while (r.p < r.end && !r.bad) {
        uint32_t id = getVarint(&r);
        if (id != PROP_USER) {
            if (id >= 64) break;
            scratch.nuser = 0;
            getProp(&r, &scratch, (uint8_t)id);
            continue;
        }
        MqttStr k = getStr(&r), v = getStr(&r);
        int exact = 0;
        if (r.bad || !keyLike(&k, key, kl, &exact)) continue;
        if (!exact || found) {
            *bad = k;
            return -1;
        }
        *val = v;
        found = 1;
    }
    return found;
}

/* ---- packets ------------------------------------------------------------- */

static int decodeConnect(Reader *r, MqttConnect *c, uint8_t *reason) {
    memset(c, 0, sizeof(*c)); /* rare packet: absent optional fields read as empty */
    MqttStr proto = getStr(r);
    c->version = getByte(r);
    if (r->bad) return -1;
    int v311 = proto.len == 4 && memcmp(proto.p, "MQTT", 4) == 0;
    if (!v311 || (c->version != MQTT_V311 && c->version != MQTT_V5)) {
        *reason = RC_UNSUPPORTED_VERSION;
        return -1;
    }
    uint8_t flags = getByte(r);
    if (flags & 1) return -1; /* reserved bit (§3.1.2.3) */
    c->cleanStart = flags >> 1 & 1;
    c->willFlag = flags >> 2 & 1;
    c->willQos = flags >> 3 & 3;
    c->willRetain = flags >> 5 & 1;
    c->hasPassword = flags >> 6 & 1;
    c->hasUser = flags >> 7 & 1;
    if (c->willQos == 3 || (!c->willFlag && (c->willQos || c->willRetain))) return -1;
    c->keepAlive = getU16(r);
    getProps(r, &c->props, c->version, MQTT_CONNECT);
    c->clientId = getStr(r);
    if (c->willFlag) {
        getProps(r, &c->willProps, c->version, WILL_PROPS_);
        c->willTopic = getStr(r);
        c->willPayload = getBin(r);
    }
    if (c->hasUser) c->username = getStr(r);
    if (c->hasPassword) c->password = getBin(r);
    if (r->bad || r->p != r->end) return -1;
    return 1;
}

static int decodePublish(Reader *r, uint8_t flags, int version, MqttPublish *p) {
    p->packetId = 0;
    p->dup = flags >> 3 & 1;
    p->qos = flags >> 1 & 3;
    p->retain = flags & 1;
    if (p->qos == 3 || (p->qos == 0 && p->dup)) return -1; /* §3.3.1.2 */
    p->topic = getStr(r);
    if (p->qos) {
        p->packetId = getU16(r);
        if (p->packetId == 0) return -1;
    }
    getProps(r, &p->props, version, MQTT_PUBLISH);
    if (r->bad) return -1;
    p->payload = r->p;
    p->payloadLen = (uint32_t)(r->end - r->p);
    return 1;
}

/* PUBACK..PUBCOMP, DISCONNECT, AUTH: §3.4.2.1 lets v5 omit reason and props. */
static int decodeAck(Reader *r, int type, int version, MqttAck *a) {
    a->packetId = 0;
    if (type != MQTT_DISCONNECT && type != MQTT_AUTH) {
        a->packetId = getU16(r);
        if (a->packetId == 0) return -1;
    }
    a->reason = 0;
    memset(&a->props, 0, sizeof(a->props));
    if (version == MQTT_V5 && r->p < r->end) {
        a->reason = getByte(r);
        if (r->p < r->end) getProps(r, &a->props, version, type);
    }
    if (r->bad || r->p != r->end) return -1;
    return 1;
}

static int decodeSubscribe(Reader *r, int isSub, int version, MqttSubscribe *s) {
    s->packetId = getU16(r);
    if (s->packetId == 0) return -1;
    getProps(r, &s->props, version, isSub ? MQTT_SUBSCRIBE : MQTT_UNSUBSCRIBE);
    if (r->bad) return -1;
    s->list = r->p;
    s->listLen = (uint32_t)(r->end - r->p);
    s->count = 0;
    while (r->p < r->end) {
        MqttStr f = getStr(r);
        if (isSub) {
            uint8_t o = getByte(r);
            /* QoS 3, retain handling 3 and reserved bits are malformed. */
            if ((o & 3) == 3 || (o >> 4 & 3) == 3 || (o & 0xc0) ||
                (version != MQTT_V5 && (o & 0xfc)))
                return -1;
        }
        if (r->bad || f.len == 0) return -1;
        s->count++;
    }
    return s->count ? 1 : -1; /* §3.8.3: at least one entry */
}

int mqttNextTopic(const MqttSubscribe *s, int isSubscribe, uint32_t *pos, MqttStr *filter,
                  uint8_t *options) {
    if (*pos >= s->listLen) return 0;
    Reader r = {s->list + *pos, s->list + s->listLen, 0};
    *filter = getBin(&r);
    if (isSubscribe) *options = getByte(&r);
    if (r.bad) return 0;
    *pos = (uint32_t)(r.p - s->list);
    return 1;
}

/* Fixed-header flags each type must carry (§2.1.3); PUBLISH is checked
 * separately. */
static int flagsValid(int type, uint8_t flags) {
    if (type == MQTT_PUBLISH) return 1;
    if (type == MQTT_PUBREL || type == MQTT_SUBSCRIBE || type == MQTT_UNSUBSCRIBE)
        return flags == 2;
    return flags == 0;
}

/* The fixed header: 1 with pkt->type/flags/length and *body set, 0 when
 * more bytes are needed (pkt->type already set, or 0 when not yet known),
 * -1 with *reason. */
static int frame(const uint8_t *buf, size_t len, uint32_t maxSize, MqttPacket *pkt, Reader *body,
                 uint8_t *reason) {
    *reason = RC_MALFORMED;
    pkt->type = 0;
    if (len < 2) return 0;
    /* Remaining length: read as many bytes as are present. */
    uint32_t rem = 0;
    size_t i = 1;
    for (;; i++) {
        if (i >= len) return 0;
        if (i > 4) return -1;
        rem |= (uint32_t)(buf[i] & 0x7f) << (7 * (i - 1));
        if (!(buf[i] & 0x80)) break;
    }
    uint64_t total = (uint64_t)i + 1 + rem;
    if (total > maxSize) {
        *reason = RC_PACKET_TOO_LARGE;
        return -1;
    }
    pkt->type = buf[0] >> 4;
    pkt->flags = buf[0] & 15;
    if (pkt->type == 0 || !flagsValid(pkt->type, pkt->flags)) return -1;
    if (len < total) return 0;
    pkt->length = (uint32_t)total;
    *body = (Reader){buf + i + 1, buf + total, 0};
    return 1;
}

/* The packets both sides send: PUBLISH, PUBACK..PUBCOMP, DISCONNECT,
 * AUTH.  Returns 1/-1, or 0 when type is not one of them. */
static int decodeEitherWay(Reader *r, MqttPacket *pkt, int version) {
    switch (pkt->type) {
    case MQTT_PUBLISH:
        return decodePublish(r, pkt->flags, version, &pkt->u.publish);
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_DISCONNECT:
    case MQTT_AUTH:
        return decodeAck(r, pkt->type, version, &pkt->u.ack);
    default:
        return 0;
    }
}

int mqttDecode(const uint8_t *buf, size_t len, int version, uint32_t maxSize, MqttPacket *pkt,
               uint8_t *reason) {
    Reader r;
    int rc = frame(buf, len, maxSize, pkt, &r, reason);
    if (rc < 0 || pkt->type == 0) return rc;
    /* A wrong first packet is refused before its body has arrived. */
    if (version == 0 && pkt->type != MQTT_CONNECT) {
        *reason = RC_PROTOCOL_ERROR;
        return -1;
    }
    if (version != 0 && pkt->type == MQTT_CONNECT) {
        *reason = RC_PROTOCOL_ERROR; /* §3.1: a second CONNECT */
        return -1;
    }
    if (rc == 0) return 0;
    switch (pkt->type) {
    case MQTT_CONNECT:
        rc = decodeConnect(&r, &pkt->u.connect, reason);
        break;
    case MQTT_SUBSCRIBE:
        rc = decodeSubscribe(&r, 1, version, &pkt->u.sub);
        break;
    case MQTT_UNSUBSCRIBE:
        rc = decodeSubscribe(&r, 0, version, &pkt->u.sub);
        break;
    case MQTT_PINGREQ:
        rc = r.p == r.end ? 1 : -1;
        break;
    default:
        rc = decodeEitherWay(&r, pkt, version);
        if (rc == 0) rc = -1, *reason = RC_PROTOCOL_ERROR; /* server-bound only */
    }
    if (rc < 0 && *reason == RC_SUCCESS) *reason = RC_MALFORMED;
    return rc;
}

/* CONNACK (§3.2): the session-present flag goes to ack.packetId. */
static int decodeConnack(Reader *r, MqttAck *a) {
    uint8_t flags = getByte(r);
    a->packetId = flags & 1;
    a->reason = getByte(r);
    memset(&a->props, 0, sizeof(a->props));
    getProps(r, &a->props, MQTT_V5, MQTT_CONNACK);
    if (r->bad || r->p != r->end || (flags & 0xFE)) return -1;
    return 1;
}

/* SUBACK/UNSUBACK (§3.9): ack.reason is the worst reason code. */
static int decodeSuback(Reader *r, MqttAck *a) {
    a->packetId = getU16(r);
    memset(&a->props, 0, sizeof(a->props));
    getProps(r, &a->props, MQTT_V5, MQTT_SUBACK);
    a->reason = 0;
    if (r->bad || r->p == r->end || a->packetId == 0) return -1;
    while (r->p < r->end) {
        uint8_t rc = getByte(r);
        if (rc > a->reason) a->reason = rc;
    }
    return 1;
}

int mqttDecodeClient(const uint8_t *buf, size_t len, uint32_t maxSize, MqttPacket *pkt,
                     uint8_t *reason) {
    Reader r;
    int rc = frame(buf, len, maxSize, pkt, &r, reason);
    if (rc <= 0) return rc;
    switch (pkt->type) {
    case MQTT_CONNACK:
        rc = decodeConnack(&r, &pkt->u.ack);
        break;
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
        rc = decodeSuback(&r, &pkt->u.ack);
        break;
    case MQTT_PINGRESP:
        rc = r.p == r.end ? 1 : -1;
        break;
    default:
        rc = decodeEitherWay(&r, pkt, MQTT_V5);
        if (rc == 0) rc = -1, *reason = RC_PROTOCOL_ERROR; /* client-bound only */
    }
    if (rc < 0 && *reason == RC_SUCCESS) *reason = RC_MALFORMED;
    return rc;
}

/* ---- encoding ----------------------------------------------------------- */

int mqttVarintSize(uint32_t v) {
    return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

static void putVarint(pnBuf *b, uint32_t v) {
    uint8_t tmp[4];
    int n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v && n < 4);
    bufAppend(b, tmp, (size_t)n);
}

static void putU16(pnBuf *b, uint16_t v) {
    uint8_t t[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    bufAppend(b, t, 2);
}

static void putU32(pnBuf *b, uint32_t v) {
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    bufAppend(b, t, 4);
}

static void putStr(pnBuf *b, const void *s, size_t len) {
    putU16(b, (uint16_t)len);
    bufAppend(b, s, len);
}

void mqttPropInit(MqttPropOut *p) {
    bufInit(&p->b);
}
void mqttPropFree(MqttPropOut *p) {
    bufFree(&p->b);
}

void mqttPropByte(MqttPropOut *p, uint8_t id, uint8_t v) {
    bufAppend(&p->b, &id, 1);
    bufAppend(&p->b, &v, 1);
}
void mqttPropU16(MqttPropOut *p, uint8_t id, uint16_t v) {
    bufAppend(&p->b, &id, 1);
    putU16(&p->b, v);
}
void mqttPropU32(MqttPropOut *p, uint8_t id, uint32_t v) {
    bufAppend(&p->b, &id, 1);
    putU32(&p->b, v);
}
void mqttPropVarint(MqttPropOut *p, uint8_t id, uint32_t v) {
    bufAppend(&p->b, &id, 1);
    putVarint(&p->b, v);
}
void mqttPropStr(MqttPropOut *p, uint8_t id, const void *s, size_t len) {
    bufAppend(&p->b, &id, 1);
    putStr(&p->b, s, len);
}
void mqttPropUser(MqttPropOut *p, const void *k, size_t klen, const void *v, size_t vlen) {
    uint8_t id = PROP_USER;
    bufAppend(&p->b, &id, 1);
    putStr(&p->b, k, klen);
    putStr(&p->b, v, vlen);
}

void mqttPropCopy(MqttPropOut *p, const uint8_t *raw, uint32_t len,
                  int (*skip)(uint8_t id, const MqttStr *key)) {
    if (!raw || !len) return;
    Reader r = {raw, raw + len, 0};
    MqttProps scratch;
    memset(&scratch, 0, sizeof(scratch));
    while (r.p < r.end && !r.bad) {
        const uint8_t *start = r.p;
        uint32_t wide = getVarint(&r);
        if (wide >= 64) break; /* only ever copies what getProps accepted */
        uint8_t id = (uint8_t)wide;
        MqttStr key = {NULL, 0};
        if (id == PROP_USER) {
            const uint8_t *save = r.p;
            key = getStr(&r);
            r.p = save;
        }
        scratch.nuser = 0;
        getProp(&r, &scratch, id);
        if (r.bad) break;
        if (!skip || !skip(id, id == PROP_USER ? &key : NULL))
            bufAppend(&p->b, start, (size_t)(r.p - start));
    }
}

/* Fixed header + variable part held in body. */
static void putPacket(pnBuf *out, uint8_t first, const pnBuf *body) {
    bufAppend(out, &first, 1);
    putVarint(out, (uint32_t)body->len);
    bufAppend(out, bufStr(body), body->len);
}

static void putProps(pnBuf *b, int version, const MqttPropOut *props) {
    if (version != MQTT_V5) return;
    uint32_t n = props ? (uint32_t)props->b.len : 0;
    putVarint(b, n);
    if (n) bufAppend(b, bufStr(&props->b), n);
}

void mqttEncodeConnack(pnBuf *out, int version, int sessionPresent, uint8_t reason,
                       const MqttPropOut *props) {
    pnBuf b;
    bufInit(&b);
    uint8_t v[2] = {(uint8_t)(sessionPresent ? 1 : 0), reason};
    if (version != MQTT_V5) {
        /* 3.1.1 return codes: map the v5 reasons a 3.1.1 client can see. */
        v[1] = reason == RC_SUCCESS                ? 0
               : reason == RC_UNSUPPORTED_VERSION  ? 1
               : reason == RC_CLIENT_ID_INVALID    ? 2
               : reason == RC_SERVER_UNAVAILABLE   ? 3
               : reason == RC_BAD_USER_OR_PASSWORD ? 4
                                                   : 5;
    }
    bufAppend(&b, v, 2);
    putProps(&b, version, props);
    putPacket(out, MQTT_CONNACK << 4, &b);
    bufFree(&b);
}

void mqttEncodePublish(pnBuf *out, int version, uint8_t qos, int retain, int dup, const void *topic,
                       size_t topicLen, uint16_t packetId, const MqttPropOut *props,
                       const void *payload, size_t payloadLen) {
    uint8_t first = (uint8_t)(MQTT_PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0));
    uint32_t plen = version == MQTT_V5 ? (uint32_t)(props ? props->b.len : 0) : 0;
    uint32_t rem = 2 + (uint32_t)topicLen + (qos ? 2 : 0) + (uint32_t)payloadLen +
                   (version == MQTT_V5 ? (uint32_t)mqttVarintSize(plen) + plen : 0);
    /* Written in place: this is the hot path, no intermediate body. */
    bufAppend(out, &first, 1);
    putVarint(out, rem);
    putStr(out, topic, topicLen);
    if (qos) putU16(out, packetId);
    putProps(out, version, props);
    bufAppend(out, payload, payloadLen);
}

void mqttEncodeAck(pnBuf *out, int version, int type, uint16_t packetId, uint8_t reason,
                   const char *reasonString) {
    pnBuf b;
    bufInit(&b);
    putU16(&b, packetId);
    if (version == MQTT_V5 && (reason != RC_SUCCESS || reasonString)) {
        bufAppend(&b, &reason, 1);
        MqttPropOut p;
        mqttPropInit(&p);
        if (reasonString) mqttPropStr(&p, PROP_REASON_STRING, reasonString, strlen(reasonString));
        putProps(&b, version, &p);
        mqttPropFree(&p);
    }
    putPacket(out, (uint8_t)(type << 4 | (type == MQTT_PUBREL ? 2 : 0)), &b);
    bufFree(&b);
}

void mqttEncodeSuback(pnBuf *out, int version, int type, uint16_t packetId, const uint8_t *reasons,
                      int n) {
    pnBuf b;
    bufInit(&b);
    putU16(&b, packetId);
    putProps(&b, version, NULL);
    /* 3.1.1 has no UNSUBACK payload and only 0x80 as a SUBACK failure. */
    if (version == MQTT_V5 || type == MQTT_SUBACK)
        for (int i = 0; i < n; i++) {
            uint8_t rc = reasons[i];
            if (version != MQTT_V5 && rc >= 0x80) rc = 0x80;
            bufAppend(&b, &rc, 1);
        }
    putPacket(out, (uint8_t)(type << 4), &b);
    bufFree(&b);
}

void mqttEncodeDisconnect(pnBuf *out, int version, uint8_t reason, const char *reasonString) {
    if (version != MQTT_V5) return; /* 3.1.1: the server just closes */
    pnBuf b;
    bufInit(&b);
    bufAppend(&b, &reason, 1);
    MqttPropOut p;
    mqttPropInit(&p);
    if (reasonString) mqttPropStr(&p, PROP_REASON_STRING, reasonString, strlen(reasonString));
    putProps(&b, version, &p);
    mqttPropFree(&p);
    putPacket(out, MQTT_DISCONNECT << 4, &b);
    bufFree(&b);
}

void mqttEncodePingresp(pnBuf *out) {
    uint8_t p[2] = {MQTT_PINGRESP << 4, 0};
    bufAppend(out, p, 2);
}

void mqttEncodeConnect(pnBuf *out, const char *clientId, int cleanStart, uint16_t keepAlive,
                       uint32_t sessionExpiry, uint16_t receiveMax, const char *user,
                       const char *password) {
    pnBuf b;
    bufInit(&b);
    putStr(&b, "MQTT", 4);
    uint8_t v = MQTT_V5;
    bufAppend(&b, &v, 1);
    uint8_t flags = (uint8_t)((cleanStart ? 2 : 0) | (password ? 0x40 : 0) | (user ? 0x80 : 0));
    bufAppend(&b, &flags, 1);
    putU16(&b, keepAlive);
    MqttPropOut p;
    mqttPropInit(&p);
    if (sessionExpiry) mqttPropU32(&p, PROP_SESSION_EXPIRY, sessionExpiry);
    if (receiveMax) mqttPropU16(&p, PROP_RECEIVE_MAX, receiveMax);
    putProps(&b, MQTT_V5, &p);
    mqttPropFree(&p);
    putStr(&b, clientId, strlen(clientId));
    if (user) putStr(&b, user, strlen(user));
    if (password) putStr(&b, password, strlen(password));
    putPacket(out, MQTT_CONNECT << 4, &b);
    bufFree(&b);
}

void mqttEncodeSubscribe(pnBuf *out, uint16_t packetId, const char *const *filters, int n,
                         uint8_t options) {
    pnBuf b;
    bufInit(&b);
    putU16(&b, packetId);
    putProps(&b, MQTT_V5, NULL);
    for (int i = 0; i < n; i++) {
        putStr(&b, filters[i], strlen(filters[i]));
        bufAppend(&b, &options, 1);
    }
    putPacket(out, MQTT_SUBSCRIBE << 4 | 2, &b);
    bufFree(&b);
}

void mqttEncodePingreq(pnBuf *out) {
    uint8_t p[2] = {MQTT_PINGREQ << 4, 0};
    bufAppend(out, p, 2);
}

const char *mqttReasonText(uint8_t rc) {
    /* MQTT 5 §2.4, the reason code table, in words an operator reads. */
    switch (rc) {
    case 0x00:
        return "success";
    case 0x04:
        return "disconnect with will message";
    case 0x10:
        return "no matching subscribers";
    case 0x11:
        return "no subscription existed";
    case 0x80:
        return "unspecified error";
    case 0x81:
        return "malformed packet";
    case 0x82:
        return "protocol error";
    case 0x83:
        return "implementation specific error";
    case 0x84:
        return "unsupported protocol version";
    case 0x85:
        return "client identifier not valid";
    case 0x86:
        return "bad user name or password";
    case 0x87:
        return "not authorized";
    case 0x88:
        return "server unavailable";
    case 0x89:
        return "server busy";
    case 0x8A:
        return "banned";
    case 0x8B:
        return "server shutting down";
    case 0x8C:
        return "bad authentication method";
    case 0x8D:
        return "keep alive timeout";
    case 0x8E:
        return "session taken over";
    case 0x8F:
        return "topic filter invalid";
    case 0x90:
        return "topic name invalid";
    case 0x91:
        return "packet identifier in use";
    case 0x92:
        return "packet identifier not found";
    case 0x93:
        return "receive maximum exceeded";
    case 0x94:
        return "topic alias invalid";
    case 0x95:
        return "packet too large";
    case 0x96:
        return "message rate too high";
    case 0x97:
        return "quota exceeded";
    case 0x98:
        return "administrative action";
    case 0x99:
        return "payload format invalid";
    case 0x9A:
        return "retain not supported";
    case 0x9B:
        return "QoS not supported";
    case 0x9C:
        return "use another server";
    case 0x9D:
        return "server moved";
    case 0x9E:
        return "shared subscriptions not supported";
    case 0x9F:
        return "connection rate exceeded";
    case 0xA0:
        return "maximum connect time";
    case 0xA1:
        return "subscription identifiers not supported";
    case 0xA2:
        return "wildcard subscriptions not supported";
    default:
        return rc < 3 ? "granted" : "unknown reason";
    }
}
