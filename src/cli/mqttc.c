/*
 * mqttc.c -- the blocking MQTT 5 client of `pub` and `sub` (see mqttc.h).
 *
 * One packet at a time: the client writes a packet and reads until the
 * answer it waits for arrives.  Messages that arrive meanwhile (a sub
 * client publishing is not a case here) are not expected: pub never
 * subscribes, sub never publishes.
 */
#include "mqttc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../core/buf.h"
#include "../mqtt/mqtt.h"
#include "../node/node.h"
#include "../node/tls.h"

#define KEEPALIVE 60            /* seconds: a PINGREQ after half of it idle */
#define MAX_PACKET (256u << 20) /* what the node may send at most */
#define TOPIC_MAX 65535

struct Mqttc {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    pnBuf in;    /* bytes read, not yet decoded */
    size_t used; /* bytes of in consumed by the last packet handed out */
    uint16_t nextId;
    char topic[TOPIC_MAX + 1], label[4096], id[128];
};

static int sendAll(Mqttc *c, const pnBuf *b, pnError *err) {
    if (bufFailed(b)) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = c->ssl ? SSL_write(c->ssl, b->data + off, (int)(b->len - off))
                           : send(c->fd, b->data + off, b->len - off, MSG_NOSIGNAL);
        if (n <= 0 && !c->ssl && errno == EINTR) continue;
        if (n <= 0) return pnErrorSet(err, PN_EIO, "the connection to the node broke");
        off += (size_t)n;
    }
    return PN_OK;
}

static int sendPacket(Mqttc *c, pnBuf *b, pnError *err) {
    int rc = sendAll(c, b, err);
    bufFree(b);
    return rc;
}

/* Read more bytes; a PINGREQ goes out after KEEPALIVE/2 seconds of quiet
 * so a subscriber waiting for hours keeps its connection. */
static int readMore(Mqttc *c, pnError *err) {
    for (;;) {
        if (!c->ssl || SSL_pending(c->ssl) == 0) {
            struct pollfd p = {.fd = c->fd, .events = POLLIN};
            int r = poll(&p, 1, KEEPALIVE * 500);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) {
                pnBuf b;
                bufInit(&b);
                mqttEncodePingreq(&b);
                if (sendPacket(c, &b, err) != PN_OK) return PN_EIO;
                continue;
            }
        }
        if (bufGrow(&c->in, 16384) != 0) return pnErrorSet(err, PN_ENOMEM, "out of memory");
        char *at = c->in.data + c->in.len;
        ssize_t n = c->ssl ? SSL_read(c->ssl, at, 16384) : recv(c->fd, at, 16384, 0);
        if (n < 0 && !c->ssl && errno == EINTR) continue;
        if (n <= 0) return pnErrorSet(err, PN_EIO, "the node closed the connection");
        c->in.len += (size_t)n;
        return PN_OK;
    }
}

/* The next packet from the node; it points into c->in until the next
 * call. */
static int nextPacket(Mqttc *c, MqttPacket *pkt, pnError *err) {
    if (c->used) {
        memmove(c->in.data, c->in.data + c->used, c->in.len - c->used);
        c->in.len -= c->used;
        c->used = 0;
    }
    for (;;) {
        uint8_t reason = 0;
        int r = mqttDecodeClient((const uint8_t *)c->in.data, c->in.len, MAX_PACKET, pkt, &reason);
        if (r < 0)
            return pnErrorSet(err, PN_EIO, "the node sent a packet this client cannot read: %s",
                              mqttReasonText(reason));
        if (r > 0) {
            c->used = pkt->length;
            if (pkt->type == MQTT_DISCONNECT)
                return pnErrorSet(err, PN_EIO, "the node disconnected: %s (0x%02x)%s%.*s",
                                  mqttReasonText(pkt->u.ack.reason), pkt->u.ack.reason,
                                  pkt->u.ack.props.reasonString.len ? ": " : "",
                                  (int)pkt->u.ack.props.reasonString.len,
                                  (const char *)pkt->u.ack.props.reasonString.p);
            if (pkt->type == MQTT_PINGRESP) {
                memmove(c->in.data, c->in.data + c->used, c->in.len - c->used);
                c->in.len -= c->used;
                c->used = 0;
                continue;
            }
            return PN_OK;
        }
        if (readMore(c, err) != PN_OK) return PN_EIO;
    }
}

/* "what: reason in words (0xNN): the node's reason string" */
static int refused(pnError *err, const char *what, const MqttAck *a) {
    return pnErrorSet(err, PN_EINVAL, "%s: %s (0x%02x)%s%.*s", what, mqttReasonText(a->reason),
                      a->reason, a->props.reasonString.len ? ": " : "",
                      (int)a->props.reasonString.len, (const char *)a->props.reasonString.p);
}

static int openSocket(Mqttc *c, const char *address, pnError *err) {
    struct sockaddr_storage sa;
    if (nodeParseAddr(address, &sa, err) != PN_OK) return PN_EINVAL;
    c->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len =
        sa.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, len) != 0)
        return pnErrorSet(err, PN_EIO, "cannot connect to the node at %s: %s", address,
                          strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return PN_OK;
}

static int startTls(Mqttc *c, const MqttcOptions *o, pnError *err) {
    if (tlsClientContext(&c->ctx, o->certFile, o->keyFile, o->caFile, err) != PN_OK)
        return PN_EINVAL;
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 ||
        tlsClientName(c->ssl, o->serverName, o->address) != 0)
        return pnErrorSet(err, PN_ENOMEM, "cannot set up TLS");
    if (SSL_connect(c->ssl) != 1) {
        long v = SSL_get_verify_result(c->ssl);
        unsigned long e = ERR_get_error();
        char why[256];
        ERR_error_string_n(e, why, sizeof(why));
        ERR_clear_error();
        SSL_free(c->ssl);
        c->ssl = NULL; /* no close_notify on a failed handshake */
        return pnErrorSet(err, PN_EIO, "TLS with the node at %s failed: %s", o->address,
                          v != X509_V_OK ? X509_verify_cert_error_string(v)
                          : e            ? why
                                         : "connection closed");
    }
    return PN_OK;
}

static int login(Mqttc *c, const MqttcOptions *o, pnError *err) {
    pnBuf b;
    bufInit(&b);
    mqttEncodeConnect(&b, o->clientId ? o->clientId : "", 1, KEEPALIVE, 0, 0, o->user, o->password);
    if (sendPacket(c, &b, err) != PN_OK) return PN_EIO;
    MqttPacket pkt;
    if (nextPacket(c, &pkt, err) != PN_OK) return pnErrorPrefix(err, "login: ");
    if (pkt.type != MQTT_CONNACK)
        return pnErrorSet(err, PN_EIO, "the node answered the login with packet type %d", pkt.type);
    if (pkt.u.ack.reason >= 0x80) {
        char what[200];
        snprintf(what, sizeof(what), "the node refused the login%s%s", o->user ? " as " : "",
                 o->user ? o->user : " by certificate");
        return refused(err, what, &pkt.u.ack);
    }
    return PN_OK;
}

int mqttcConnect(Mqttc **out, const MqttcOptions *o, pnError *err) {
    *out = NULL;
    Mqttc *c = calloc(1, sizeof(*c));
    if (!c) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    c->fd = -1;
    bufInit(&c->in);
    int rc = openSocket(c, o->address, err);
    if (rc == PN_OK && o->caFile) rc = startTls(c, o, err);
    if (rc == PN_OK) rc = login(c, o, err);
    if (rc != PN_OK) {
        mqttcClose(c);
        return rc;
    }
    *out = c;
    return PN_OK;
}

static uint16_t nextId(Mqttc *c) {
    if (++c->nextId == 0) c->nextId = 1;
    return c->nextId;
}

/* Wait for the acknowledgement of type of packet id. */
static int waitAck(Mqttc *c, int type, uint16_t id, MqttAck *ack, pnError *err) {
    for (;;) {
        MqttPacket pkt;
        if (nextPacket(c, &pkt, err) != PN_OK) return PN_EIO;
        if (pkt.type == type && pkt.u.ack.packetId == id) {
            *ack = pkt.u.ack;
            return PN_OK;
        }
    }
}

int mqttcPublish(Mqttc *c, const char *topic, const char *label, const void *payload, size_t len,
                 int qos, int retain, pnError *err) {
    MqttPropOut props;
    mqttPropInit(&props);
    if (label) mqttPropUser(&props, "label", 5, label, strlen(label));
    uint16_t id = qos ? nextId(c) : 0;
    pnBuf b;
    bufInit(&b);
    mqttEncodePublish(&b, MQTT_V5, (uint8_t)qos, retain, 0, topic, strlen(topic), id, &props,
                      payload, len);
    mqttPropFree(&props);
    int rc = sendPacket(c, &b, err);
    if (rc != PN_OK || qos == 0) return rc;
    MqttAck ack;
    if (waitAck(c, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, id, &ack, err) != PN_OK) return PN_EIO;
    if (ack.reason >= 0x80) return refused(err, "the node refused the message", &ack);
    if (qos == 1) return PN_OK;
    bufInit(&b);
    mqttEncodeAck(&b, MQTT_V5, MQTT_PUBREL, id, 0, NULL);
    if (sendPacket(c, &b, err) != PN_OK) return PN_EIO;
    return waitAck(c, MQTT_PUBCOMP, id, &ack, err);
}

int mqttcSubscribe(Mqttc *c, const char *filter, int qos, pnError *err) {
    uint16_t id = nextId(c);
    pnBuf b;
    bufInit(&b);
    mqttEncodeSubscribe(&b, id, &filter, 1, (uint8_t)qos);
    if (sendPacket(c, &b, err) != PN_OK) return PN_EIO;
    MqttAck ack;
    if (waitAck(c, MQTT_SUBACK, id, &ack, err) != PN_OK) return PN_EIO;
    if (ack.reason >= 0x80) return refused(err, "the node refused the subscription", &ack);
    return PN_OK;
}

/* Copy an MQTT string into a NUL-terminated field (cut to fit). */
static const char *copyStr(char *dst, size_t cap, const MqttStr *s) {
    size_t n = s->len < cap ? s->len : cap - 1;
    if (n) memcpy(dst, s->p, n);
    dst[n] = '\0';
    return dst;
}

static int64_t timeProp(const MqttProps *p) {
    MqttStr t;
    char text[24];
    if (!mqttUserProp(p, "time", &t) || t.len == 0) return 0;
    return strtoll(copyStr(text, sizeof(text), &t), NULL, 10);
}

/* Acknowledge a received QoS 1 or 2 message (QoS 2: PUBREC, then the
 * node's PUBREL is answered with PUBCOMP). */
static int ackMessage(Mqttc *c, int qos, uint16_t id, pnError *err) {
    if (qos == 0) return PN_OK;
    pnBuf b;
    bufInit(&b);
    mqttEncodeAck(&b, MQTT_V5, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, id, 0, NULL);
    return sendPacket(c, &b, err);
}

int mqttcReceive(Mqttc *c, MqttcMessage *m, pnError *err) {
    for (;;) {
        MqttPacket pkt;
        if (nextPacket(c, &pkt, err) != PN_OK) return PN_EIO;
        if (pkt.type == MQTT_PUBREL) {
            pnBuf b;
            bufInit(&b);
            mqttEncodeAck(&b, MQTT_V5, MQTT_PUBCOMP, pkt.u.ack.packetId, 0, NULL);
            if (sendPacket(c, &b, err) != PN_OK) return PN_EIO;
            continue;
        }
        if (pkt.type != MQTT_PUBLISH) continue;
        MqttPublish *p = &pkt.u.publish;
        MqttStr s;
        memset(m, 0, sizeof(*m));
        m->topic = copyStr(c->topic, sizeof(c->topic), &p->topic);
        m->label =
            mqttUserProp(&p->props, "label", &s) ? copyStr(c->label, sizeof(c->label), &s) : "";
        m->id = mqttUserProp(&p->props, "id", &s) ? copyStr(c->id, sizeof(c->id), &s) : "";
        m->time = timeProp(&p->props);
        m->payload = p->payload;
        m->payloadLen = p->payloadLen;
        m->qos = p->qos;
        m->retain = p->retain;
        return ackMessage(c, p->qos, p->packetId, err);
    }
}

void mqttcClose(Mqttc *c) {
    if (!c) return;
    if (c->fd >= 0 && (c->ssl || !c->ctx)) {
        pnBuf b;
        bufInit(&b);
        mqttEncodeDisconnect(&b, MQTT_V5, RC_SUCCESS, NULL);
        sendPacket(c, &b, NULL);
    }
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0) close(c->fd);
    bufFree(&c->in);
    free(c);
}
