/*
 * link.c -- a federation link (see link.h): an MQTT 5 client on the
 * node's loop that stores what the peer releases to this node.
 *
 * One connection at a time.  States: down (a retry timer runs) ->
 * connecting (TCP, then TLS) -> CONNECT sent -> subscribing (CONNACK
 * accepted, SUBSCRIBE sent) -> up (SUBACK).  Any failure closes the
 * connection, records the reason and retries with a doubling delay.
 * Messages are stored through exchangeImport(); their PUBACK is written
 * by the exchange's ack hook after the group commit made them durable.
 */
#include "link.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "../core/diag.h"
#include "../core/date.h"
#include "../core/str.h"
#include "../exchange/principals.h"
#include "../exchange/topic.h"
#include "../mqtt/mqtt.h"
#include "../mqtt/server.h"
#include "../node/stream.h"
#include "../node/tls.h"

#define LINK_KEEPALIVE 30     /* seconds, in CONNECT */
#define LINK_PING_EVERY 10000 /* ms of silence from us before a PINGREQ */
#define LINK_SILENT_MAX 45000 /* ms without a byte from the peer: reconnect */
#define LINK_RECEIVE_MAX 1000 /* unacknowledged QoS 1 messages the peer may send */
#define LINK_MAX_PACKET (16u << 20)
#define BACKOFF_MIN 100
#define BACKOFF_MAX 2000

enum { DOWN, CONNECTING, SUBSCRIBING, UP };
static const char *const stateNames[] = {"down", "connecting", "subscribing", "up"};

typedef struct LinkConn {
    uv_tcp_t tcp; /* first: the handle's address is the connection's */
    uv_connect_t req;
    struct Link *l;
    SSL *ssl;
    BIO *rbio, *wbio;
    pnBuf in, out;
    int closing;
    Session *session;
    uint64_t lastSent, lastSeen; /* uv_now, ms */
    int storeFailed;             /* a commit failed: close without acknowledging */
    int revoked;                 /* the peer's principal was removed: close */
    int sessionLost;             /* CONNACK said the peer had no session for us */
} LinkConn;

struct Link {
    Node *node;
    uv_loop_t *loop;
    Exchange *x;
    LinkOptions opt;
    char password[256];
    char clientId[128], sessionId[128], publisher[80];
    SSL_CTX *ctx;
    LinkConn *c; /* NULL when down */
    uv_timer_t retry;
    uint64_t backoff; /* ms before the next attempt */
    int state, stopping;
    int warned;        /* a refusal was logged (once per link) */
    DiagRepeat errors; /* the same failure every 2 s is logged once, then counted */
    LinkStatus st;
};

/* ---- output ---------------------------------------------------------------- */

static void rawWrite(LinkConn *c, const void *p, size_t n) {
    if (!c->closing) streamWrite((uv_stream_t *)&c->tcp, NULL, p, n);
}

static void tlsPump(LinkConn *c) {
    streamTlsPump(c->wbio, (uv_stream_t *)&c->tcp, NULL);
}

static void flush(LinkConn *c) {
    if (!c->out.len || c->closing) return;
    c->lastSent = uv_now(c->l->loop);
    if (!c->ssl) {
        rawWrite(c, c->out.data, c->out.len);
        c->out.len = 0;
        return;
    }
    if (SSL_is_init_finished(c->ssl)) { /* before that, output waits */
        SSL_write(c->ssl, c->out.data, (int)c->out.len);
        c->out.len = 0;
    }
    tlsPump(c);
}

/* ---- connection life ------------------------------------------------------- */

static void onRetry(uv_timer_t *t);

static void onClosed(uv_handle_t *h) {
    LinkConn *c = (LinkConn *)h;
    bufFree(&c->in);
    bufFree(&c->out);
    if (c->ssl) SSL_free(c->ssl);
    free(c);
}

static void connClose(LinkConn *c) {
    Link *l = c->l;
    if (c->closing) return;
    flush(c);
    c->closing = 1;
    if (c->session) exchangeDetach(l->x, c->session);
    c->session = NULL;
    uv_close((uv_handle_t *)&c->tcp, onClosed);
    l->c = NULL;
    l->state = DOWN;
    if (l->stopping) return;
    uv_timer_start(&l->retry, onRetry, l->backoff, 0);
    l->backoff = l->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : l->backoff * 2;
}

/* Record why the link went down, and close it. */
static void fail(LinkConn *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    strFormatV(c->l->st.lastError, sizeof(c->l->st.lastError), fmt, ap);
    va_end(ap);
    c->l->st.failures++;
    char line[400];
    strFormat(line, sizeof(line), "peer %s: %s", c->l->opt.name, c->l->st.lastError);
    diagRepeat(&c->l->errors, DIAG_WARNING, uv_now(c->l->loop), line);
    connClose(c);
}

/* ---- exchange hooks (the link's session at this node) ------------------------ */

static int hookSend(void *conn, Session *s, Outgoing *o) {
    (void)conn, (void)s, (void)o;
    return 1; /* the link subscribes to nothing here */
}

static void hookRelease(void *conn, uint16_t packetId) {
    (void)conn, (void)packetId;
}

/* The message is durable here (or could not be stored): answer the peer. */
static void hookAck(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why) {
    LinkConn *c = conn;
    (void)why;
    if (c->closing || qos == 0) return;
    /* Not stored here: the peer must keep it.  Closed from feTurn, not
     * while the exchange walks its pending messages. */
    if (reason >= 0x80) {
        c->storeFailed = 1;
        return;
    }
    mqttEncodeAck(&c->out, MQTT_V5, MQTT_PUBACK, packetId, 0, NULL);
}

/* A reload removed the peer's principal (or it no longer compiles): what
 * guards the imports is gone, so the link closes (from feTurn: the
 * exchange is walking its sessions now) and logs in again only once the
 * principal is back. */
static void hookRevoke(void *conn) {
    LinkConn *c = conn;
    c->revoked = 1;
}

static const ExchangeHooks linkHooks = {
    .send = hookSend, .release = hookRelease, .ack = hookAck, .revoke = hookRevoke};

/* ---- packets ------------------------------------------------------------------ */

/* "ORIGIN:SEQ" -> origin (NUL-terminated) and seq.  0 on success. */
static int parseId(const MqttStr *id, char *origin, size_t cap, uint64_t *seq) {
    size_t colon = id->len;
    while (colon > 0 && id->p[colon - 1] != ':')
        colon--;
    if (colon < 2 || colon - 1 >= cap || colon == id->len || id->len - colon > 20) return -1;
    memcpy(origin, id->p, colon - 1);
    origin[colon - 1] = '\0';
    uint64_t v = 0;
    for (size_t i = colon; i < id->len; i++) {
        if (id->p[i] < '0' || id->p[i] > '9') return -1;
        uint64_t d = (uint64_t)(id->p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return -1; /* does not fit: not an id we gave */
        v = v * 10 + d;
    }
    *seq = v;
    return 0;
}

/* What a relayed message's stored properties leave out: the node's own
 * (label, id, time, alias) and the Message Expiry Interval, stored again
 * counted from the origin time (see onPublish). */
static int importSkip(uint8_t id, const MqttStr *key) {
    return id == PROP_MESSAGE_EXPIRY || mqttNodeProperty(id, key);
}

/* How far ahead of this node's clock an origin time may be: clocks drift,
 * but a time far in the future would pin the log segment it lands in
 * (retention counts from the newest time in a segment) and mislead every
 * reader.  A day is generous for skew and small for harm. */
#define LINK_MAX_TIME_AHEAD (24 * 3600)

/* The origin time of a relayed message: *when, 0; -1 when the property is
 * absent, not a decimal number of at most 12 digits (seconds until the year
 * 33,658: never an overflow), or too far ahead of this node's clock. */
static int parseTime(const MqttProps *props, int64_t *when) {
    MqttStr t;
    if (!mqttUserProp(props, "time", &t) || t.len == 0 || t.len > 12) return -1;
    int64_t v = 0;
    for (size_t i = 0; i < t.len; i++) {
        if (t.p[i] < '0' || t.p[i] > '9') return -1;
        v = v * 10 + (t.p[i] - '0');
    }
    if (v > timeNow() + LINK_MAX_TIME_AHEAD) return -1;
    *when = v;
    return 0;
}

/* A message this node will never accept (no id, an ambiguous or refused
 * label, an origin not allowed from this peer): acknowledged with the
 * reason, and audited (here, unless the exchange already did).  The
 * refusal is final -- the same message would be refused again -- so
 * holding back the acknowledgement would only make the peer resend it
 * forever and stall what follows it in the link's session. */
static void refusePublish(LinkConn *c, const MqttPublish *p, uint8_t reason, const char *why,
                          int audited) {
    Link *l = c->l;
    l->st.refused++;
    snprintf(l->st.lastError, sizeof(l->st.lastError), "message refused: %s", why);
    char topic[256];
    snprintf(topic, sizeof(topic), "%.*s", (int)p->topic.len, (const char *)p->topic.p);
    if (!audited) exchangeAudit(l->x, "import_refused", l->publisher, topic, "", "import", why);
    /* Once, loudly: a misnamed [peer] section or a missing origins = entry
     * refuses everything the peer relays, and the audit alone is quiet. */
    if (!l->warned) {
        l->warned = 1;
        diagLog(DIAG_WARNING,
                "peer %s: refused a relayed message: %s (audited as import_refused; further "
                "refusals only there)",
                l->opt.name, why);
    }
    if (p->qos) mqttEncodeAck(&c->out, MQTT_V5, MQTT_PUBACK, p->packetId, reason, why);
}

/* Origins this peer may relay: those configured (origins =), by default
 * only the peer itself.  This node's own origin passes: exchangeImport
 * treats it as already held and stores nothing. */
static int originAllowed(const Link *l, const char *origin) {
    if (strcmp(origin, nodeName(l->node)) == 0) return 1;
    if (l->opt.norigins == 0) return strcmp(origin, l->opt.name) == 0;
    for (int i = 0; i < l->opt.norigins; i++)
        if (strcmp(l->opt.origins[i], origin) == 0) return 1;
    return 0;
}

/* The principal of this node that stands for the peer, compiled against
 * the registry and policy in force. */
static int peerPrincipal(Link *l, Principal *out, pnError *err) {
    const PrincipalEntry *e = principalsFind(nodePrincipals(l->node), l->publisher);
    if (!e)
        return pnErrorSet(err, PN_EINVAL,
                          "peer %s: no principal '%s' at this node to stand for the peer (decide() "
                          "for it guards what the peer relays): add it with `partnernet principal "
                          "add`, or name another with peer_principal =",
                          l->opt.name, l->publisher);
    if (principalEntryCompile(e, out, nodeRegistry(l->node), nodeSpif(l->node), err) != PN_OK)
        return pnErrorPrefix(err, "peer %s: principal '%s': ", l->opt.name, l->publisher);
    return PN_OK;
}

static void onPublish(LinkConn *c, const MqttPublish *p) {
    Link *l = c->l;
    l->st.received++;
    l->st.lastReceived = timeNow();
    if (p->qos == 2) return fail(c, "peer sent QoS 2 on a QoS 1 subscription");
    MqttStr label = {NULL, 0}, id = {NULL, 0};
    char origin[64];
    uint64_t seq = 0;
    MqttStr bad;
    int nl = mqttUserPropOnly(&p->props, "label", &label, &bad);
    int ni = mqttUserPropOnly(&p->props, "id", &id, &bad);
    MqttStr sig = {NULL, 0};
    if (mqttUserPropOnly(&p->props, "sig", &sig, &bad) < 0)
        return refusePublish(c, p, RC_PAYLOAD_FORMAT_INVALID,
                             "ambiguous signature: more than one 'sig' user property", 0);
    if (nl < 0 || ni < 0)
        return refusePublish(c, p, RC_PAYLOAD_FORMAT_INVALID,
                             nl < 0 ? "ambiguous label: more than one 'label' user property (or "
                                      "a case variant of the key)"
                                    : "ambiguous id: more than one 'id' user property",
                             0);
    if (!nl || !ni || parseId(&id, origin, sizeof(origin), &seq) != 0)
        return refusePublish(c, p, RC_PAYLOAD_FORMAT_INVALID,
                             "a relayed message needs 'label' and 'id' user properties", 0);
    if (!originAllowed(l, origin)) {
        char why[160];
        snprintf(why, sizeof(why), "origin '%s' is not accepted from peer %s (origins =)", origin,
                 l->opt.name);
        return refusePublish(c, p, RC_NOT_AUTHORIZED, why, 0);
    }
    int64_t when;
    if (parseTime(&p->props, &when) != 0)
        return refusePublish(c, p, RC_PAYLOAD_FORMAT_INVALID,
                             "a relayed message needs a 'time' user property: seconds since 1970, "
                             "at most a day ahead of this node's clock",
                             0);
    l->st.lastOrigin = when;
    MqttPropOut fwd;
    mqttPropInit(&fwd);
    mqttPropCopy(&fwd, p->props.raw, p->props.rawLen, importSkip);
    if (p->props.seen >> PROP_MESSAGE_EXPIRY & 1) {
        /* The peer sent the time left; stored, the interval counts from the
         * origin time again, as for a message published here, so what is
         * left keeps running down here and downstream. */
        int64_t age = timeNow() - when;
        uint64_t interval = (uint64_t)p->props.messageExpiry + (uint64_t)(age > 0 ? age : 0);
        mqttPropU32(&fwd, PROP_MESSAGE_EXPIRY,
                    interval > UINT32_MAX ? UINT32_MAX : (uint32_t)interval);
    }
    const char *why = NULL;
    int rc =
        exchangeImport(l->x, c->session, origin, seq, when, (const char *)p->topic.p, p->topic.len,
                       (const char *)label.p, label.len, (const uint8_t *)bufStr(&fwd.b),
                       (uint32_t)fwd.b.len, p->payload, p->payloadLen, p->qos, p->retain,
                       p->packetId, (const char *)sig.p, sig.len, &why);
    mqttPropFree(&fwd);
    /* Stored or already held: acknowledged by hookAck after the commit. */
    if (rc == XR_ALREADY_HELD)
        l->st.duplicates++;
    else if (rc == 0)
        l->st.stored++;
    else if (rc == XR_SERVER_BUSY) /* not stored: the peer must keep it */
        fail(c, "cannot store relayed messages (%s): link closed, the peer keeps them",
             why ? why : "busy");
    else
        refusePublish(c, p, (uint8_t)rc, why ? why : "refused", 1); /* audited by the exchange */
}

static void onConnack(LinkConn *c, const MqttAck *a) {
    Link *l = c->l;
    if (a->reason != 0) {
        char why[128] = "";
        if (a->props.reasonString.len)
            snprintf(why, sizeof(why), ": %.*s", (int)a->props.reasonString.len,
                     (const char *)a->props.reasonString.p);
        return fail(c, "peer refused the login as %s: %s (0x%02x)%s", l->opt.principal,
                    mqttReasonText(a->reason), a->reason, why);
    }
    /* The peer kept our session since the last login, or it lost it (and
     * with it what was queued for us): never pass over that in silence. */
    if (l->st.connects > 0 && a->packetId == 0) {
        l->st.sessionsLost++;
        c->sessionLost = 1;
        snprintf(l->st.lastError, sizeof(l->st.lastError),
                 "the peer had no session for this link any more: messages queued there while "
                 "the link was down may be lost");
        diagLog(DIAG_WARNING, "peer %s: %s", l->opt.name, l->st.lastError);
        exchangeAudit(l->x, "session_lost", l->publisher, "", "", "session_lost", l->st.lastError);
    }
    /* The peer's principal as it is now (a reload may have changed it). */
    Principal peer;
    pnError err = {0};
    if (peerPrincipal(l, &peer, &err) != PN_OK) return fail(c, "%s", err.msg);
    int present;
    void *taken = NULL;
    c->session = exchangeAttach(l->x, l->sessionId, l->publisher, &peer, 1, 0, 0, &linkHooks, c,
                                &present, &taken);
    if (!c->session) return fail(c, "out of memory");
    /* Subscribing again is harmless on a resumed session, and repairs one
     * the peer lost.  QoS 1, retain as published, retained messages only
     * for a new subscription. */
    uint8_t options = 1 | 1 << 3 | 1 << 4;
    mqttEncodeSubscribe(&c->out, 1, l->opt.topics, l->opt.ntopics, options);
    l->state = SUBSCRIBING;
}

static void onSuback(LinkConn *c, const MqttAck *a) {
    Link *l = c->l;
    if (a->reason >= 0x80)
        return fail(c, "peer refused the subscription: %s (0x%02x)", mqttReasonText(a->reason),
                    a->reason);
    l->state = UP;
    l->st.connects++;
    if (!c->sessionLost) l->st.lastError[0] = '\0'; /* a lost session stays reported */
    l->backoff = BACKOFF_MIN;
    diagRepeatEnd(&l->errors);
    diagLog(DIAG_INFO, "peer %s: link up (%s as %s)", l->opt.name, l->opt.address,
            l->opt.principal);
}

static void onPacket(LinkConn *c, MqttPacket *pkt) {
    switch (pkt->type) {
    case MQTT_CONNACK:
        return c->session ? fail(c, "second CONNACK") : onConnack(c, &pkt->u.ack);
    case MQTT_SUBACK:
        return onSuback(c, &pkt->u.ack);
    case MQTT_PUBLISH: /* a resumed session's backlog may come before the SUBACK */
        if (!c->session) return fail(c, "PUBLISH before CONNACK");
        return onPublish(c, &pkt->u.publish);
    case MQTT_DISCONNECT:
        return fail(c, "peer disconnected: %s (0x%02x)", mqttReasonText(pkt->u.ack.reason),
                    pkt->u.ack.reason);
    case MQTT_PINGRESP:
        return;
    default:
        return fail(c, "unexpected packet type %d", pkt->type);
    }
}

static void processInput(LinkConn *c) {
    size_t used = 0;
    while (!c->closing && used < c->in.len) {
        MqttPacket pkt;
        uint8_t reason;
        int rc = mqttDecodeClient((const uint8_t *)c->in.data + used, c->in.len - used,
                                  LINK_MAX_PACKET, &pkt, &reason);
        if (rc == 0) break;
        if (rc < 0)
            return fail(c, "malformed packet from the peer: %s (0x%02x)", mqttReasonText(reason),
                        reason);
        used += pkt.length;
        onPacket(c, &pkt);
    }
    if (c->closing || used == 0) return; /* before any plaintext, in.data is NULL */
    memmove(c->in.data, c->in.data + used, c->in.len - used);
    c->in.len -= used;
}

/* ---- I/O ------------------------------------------------------------------------ */

static int tlsInput(LinkConn *c, const char *p, size_t n) {
    int rc = streamTlsInput(c->ssl, c->rbio, c->wbio, (uv_stream_t *)&c->tcp, NULL, p, n, &c->in);
    if (rc == 1) flush(c); /* the CONNECT waited for the handshake */
    return rc < 0 ? -1 : 0;
}

static void onRead(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    LinkConn *c = (LinkConn *)s;
    if (n > 0 && !c->closing) {
        c->lastSeen = uv_now(c->l->loop);
        if (c->ssl && tlsInput(c, buf->base, (size_t)n) != 0) {
            char e[160];
            ERR_error_string_n(ERR_peek_last_error(), e, sizeof(e));
            ERR_clear_error(); /* the queue is per thread: leave nothing for the next one */
            long v = SSL_get_verify_result(c->ssl);
            if (v != X509_V_OK)
                fail(c, "TLS with the peer failed: certificate verify failed (%s)",
                     X509_verify_cert_error_string(v));
            else
                fail(c, "TLS with the peer failed: %s", e);
        } else {
            if (!c->ssl) bufAppend(&c->in, buf->base, (size_t)n);
            processInput(c);
        }
    } else if (n < 0 && !c->closing) {
        fail(c, "connection lost: %s", uv_strerror((int)n));
    }
    free(buf->base);
}

static void onConnected(uv_connect_t *req, int status) {
    LinkConn *c = req->data;
    Link *l = c->l;
    if (c->closing) return;
    if (status < 0) return fail(c, "cannot connect to %s: %s", l->opt.address, uv_strerror(status));
    uv_tcp_nodelay(&c->tcp, 1);
    c->lastSeen = c->lastSent = uv_now(l->loop);
    uv_read_start((uv_stream_t *)&c->tcp, streamAlloc, onRead);
    mqttEncodeConnect(&c->out, l->clientId, 0, LINK_KEEPALIVE, UINT32_MAX, LINK_RECEIVE_MAX,
                      l->opt.principal, l->password[0] ? l->password : NULL);
    if (l->ctx) {
        c->ssl = SSL_new(l->ctx);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        if (!c->ssl || !c->rbio || !c->wbio) return fail(c, "out of memory");
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        if (tlsClientName(c->ssl, l->opt.serverName, l->opt.address) != 0)
            return fail(c, "cannot set the name to verify");
        SSL_set_connect_state(c->ssl);
        SSL_do_handshake(c->ssl);
        tlsPump(c);
        return;
    }
    flush(c);
}

static void onRetry(uv_timer_t *t) {
    Link *l = t->data;
    if (l->stopping || l->c) return;
    struct sockaddr_storage sa;
    pnError err = {0};
    if (nodeParseAddr(l->opt.address, &sa, &err) != PN_OK) return; /* checked at start */
    LinkConn *c = calloc(1, sizeof(*c));
    if (!c) {
        uv_timer_start(&l->retry, onRetry, BACKOFF_MAX, 0);
        return;
    }
    c->l = l;
    c->req.data = c;
    bufInit(&c->in);
    bufInit(&c->out);
    uv_tcp_init(l->loop, &c->tcp);
    l->c = c;
    l->state = CONNECTING;
    int r = uv_tcp_connect(&c->req, &c->tcp, (const struct sockaddr *)&sa, onConnected);
    if (r != 0) fail(c, "cannot connect to %s: %s", l->opt.address, uv_strerror(r));
}

/* ---- the node's calls ------------------------------------------------------------ */

static void feTurn(void *ctx) {
    Link *l = ctx;
    if (!l->c) return;
    if (l->c->storeFailed)
        fail(l->c, "this node could not make relayed messages durable: link closed, the peer "
                   "keeps them");
    else if (l->c->revoked)
        fail(l->c,
             "principal '%s' (the peer's, guarding imports) was removed or no longer "
             "compiles: link closed",
             l->publisher);
    else
        flush(l->c);
}

static void feTick(void *ctx, int64_t now) {
    Link *l = ctx;
    LinkConn *c = l->c;
    (void)now;
    if (!c || c->closing || !c->lastSeen) return; /* TCP connect times out by itself */
    uint64_t ms = uv_now(l->loop);
    if (ms - c->lastSeen > LINK_SILENT_MAX) return fail(c, "peer silent for 45 s");
    if (l->state >= SUBSCRIBING && ms - c->lastSent > LINK_PING_EVERY) mqttEncodePingreq(&c->out);
}

static void feStop(void *ctx) {
    Link *l = ctx;
    if (l->stopping) return;
    l->stopping = 1;
    diagRepeatEnd(&l->errors);
    if (l->c) {
        mqttEncodeDisconnect(&l->c->out, MQTT_V5, 0, NULL);
        connClose(l->c);
    }
    uv_close((uv_handle_t *)&l->retry, NULL);
}

static void feDescribe(void *ctx, char *out, size_t cap) {
    Link *l = ctx;
    strFormat(out, cap, "peer %s %s", l->opt.name, l->opt.address);
}

void linkStatus(const Link *l, LinkStatus *st) {
    *st = l->st;
    st->state = stateNames[l->state];
}

/* ---- setup ------------------------------------------------------------------------- */

static int readPassword(Link *l, pnError *err) {
    char *text = NULL;
    size_t len = 0;
    if (fileRead(l->opt.passwordFile, sizeof(l->password), &text, &len) != 0)
        return pnErrorSet(err, PN_EIO, "peer %s: cannot read password_file '%s'", l->opt.name,
                          l->opt.passwordFile);
    size_t n = strcspn(text, "\r\n");
    int rc = n == 0 || n >= sizeof(l->password)
                 ? pnErrorSet(err, PN_EINVAL, "peer %s: password_file '%s' has no password",
                              l->opt.name, l->opt.passwordFile)
                 : PN_OK;
    if (rc == PN_OK) memcpy(l->password, text, n);
    OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

/* TLS when a ca is given: the peer's certificate must chain to it (and
 * name the peer, see checkServerName); cert and key, when given, are this
 * node's certificate for the login, else the password goes inside TLS. */
static int tlsSetup(Link *l, pnError *err) {
    if (tlsClientContext(&l->ctx, l->opt.certFile, l->opt.keyFile, l->opt.caFile, err) != PN_OK)
        return pnErrorPrefix(err, "peer %s: ", l->opt.name);
    return PN_OK;
}

int linkCheckOptions(const LinkOptions *o, pnError *err) {
    struct sockaddr_storage sa;
    if (!o->address) return pnErrorSet(err, PN_EINVAL, "peer %s: missing address", o->name);
    if (nodeParseAddr(o->address, &sa, err) != PN_OK)
        return pnErrorPrefix(err, "peer %s: ", o->name);
    if (!o->principal || !principalNameValid(o->principal))
        return pnErrorSet(err, PN_EINVAL, "peer %s: missing or invalid principal", o->name);
    if (o->ntopics == 0) return pnErrorSet(err, PN_EINVAL, "peer %s: no topics", o->name);
    for (int i = 0; i < o->ntopics; i++)
        if (!topicFilterValid(o->topics[i], strlen(o->topics[i])))
            return pnErrorSet(err, PN_EINVAL, "peer %s: invalid topic filter '%s'", o->name,
                              o->topics[i]);
    if (!o->passwordFile && !o->certFile)
        return pnErrorSet(err, PN_EINVAL, "peer %s: needs password_file or cert/key/ca", o->name);
    return PN_OK;
}

int linkStart(Link **out, Node *node, const LinkOptions *opt, pnError *err) {
    *out = NULL;
    Link *l = calloc(1, sizeof(*l));
    if (!l) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    *out = l;
    l->node = node;
    l->loop = nodeLoop(node);
    l->x = nodeExchange(node);
    l->opt = *opt;
    l->backoff = BACKOFF_MIN;
    diagRepeatInit(&l->errors);
    strCopy(l->st.name, sizeof(l->st.name), opt->name);
    strCopy(l->st.address, sizeof(l->st.address), opt->address ? opt->address : "");
    /* At the peer: one persistent session per (this node, peer). */
    snprintf(l->clientId, sizeof(l->clientId), "link-%s", nodeName(node));
    snprintf(l->sessionId, sizeof(l->sessionId), "$peer/%s", opt->name);
    /* Imports are guarded by, and audited under, the peer's principal here. */
    strCopy(l->publisher, sizeof(l->publisher),
            opt->peerPrincipal ? opt->peerPrincipal : opt->name);
    uv_timer_init(l->loop, &l->retry);
    l->retry.data = l;
    int rc = linkCheckOptions(&l->opt, err);
    Principal peer;
    if (rc == PN_OK) rc = peerPrincipal(l, &peer, err);
    if (rc == PN_OK && opt->passwordFile) rc = readPassword(l, err);
    if (rc == PN_OK && (opt->certFile || opt->keyFile || opt->caFile)) rc = tlsSetup(l, err);
    NodeFrontend fe = {.name = "peer",
                       .ctx = l,
                       .turn = feTurn,
                       .tick = feTick,
                       .stop = feStop,
                       .describe = feDescribe};
    if (rc == PN_OK) rc = nodeAdd(node, &fe, err);
    if (rc == PN_OK)
        uv_timer_start(&l->retry, onRetry, 0, 0);
    else
        feStop(l);
    return rc;
}

void linkFree(Link *l) {
    if (!l) return;
    if (l->ctx) SSL_CTX_free(l->ctx);
    OPENSSL_cleanse(l->password, sizeof(l->password));
    free(l);
}
