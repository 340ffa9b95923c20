/*
 * server.c -- MQTT front-end on libuv, with TLS through OpenSSL memory
 * BIOs (see server.h).
 *
 * Each connection owns a read buffer (bytes not yet forming a packet) and
 * a write buffer (encoded packets not yet handed to libuv).  Output is
 * flushed once per loop turn, after the exchange's group commit, so a
 * burst of deliveries costs one write per connection, not one per packet.
 *
 * Bounds: while a connection's pending output (encoded, or handed to libuv
 * and not yet written) is over maxOutputBytes, its input is neither
 * decoded nor read (uv_read_stop), so a client that sends and never reads
 * costs bounded memory; feTurn resumes it once the output drained to half.
 * The input buffer holds at most one packet (maxPacketSize) plus one read.
 * A connection must complete CONNECT within connectTimeout of its accept,
 * however slowly it trickles bytes.
 *
 * The protocol is also registered on the node as the StreamProtocol
 * "mqtt" (src/node/stream.h): a connection another front-end carries (MQTT
 * over WebSocket on the HTTP listener) is a Conn without a socket whose
 * bytes go out through its StreamCarrier; everything past the bytes --
 * CONNECT, sessions, decide() through the exchange -- is the same code.
 * Fuzzing's socketless connections are carried the same way, into a
 * buffer.
 */
#include "server.h"

#include <assert.h>
#include <stddef.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../exchange/principals.h"
#include "../exchange/topic.h"
#include "../node/stream.h"
#include "../node/tls.h"
#include "mqtt.h"

#define TOPIC_ALIAS_MAX 64
/* Server-to-client topic aliases (§3.3.2.3.4) kept per connection, at most
 * this many (or the client's Topic Alias Maximum if lower), found through a
 * small open-addressing table (OUT_ALIAS_SLOTS, a power of two, twice the
 * aliases).  Once all are given out they are kept, not reassigned: with a
 * cyclic stream of more topics than aliases, reassigning would change an
 * alias on every message and send more bytes than none at all. */
#define OUT_ALIAS_MAX 256
#define OUT_ALIAS_SLOTS 512
#define SERVER_RECEIVE_MAX 1024

typedef struct MqttServer Server;

typedef struct Conn {
    uv_tcp_t tcp; /* first: the handle's address is the Conn's */
    Server *srv;
    struct Conn *next;
    SSL *ssl;
    BIO *rbio, *wbio;
    pnBuf in, out;
    size_t writing; /* bytes handed to uv_write and not yet written */
    int version;    /* 0 until CONNECT */
    int closing, gotDisconnect;
    int revoked;           /* principal gone after a reload: close at the next chance */
    int authPending;       /* a password check runs on the thread pool: input waits */
    int freeLater;         /* closed while the check ran: free when it returns */
    struct AuthWork *auth; /* the check while authPending (cancelled on close) */
    int readStopped;       /* output over its bound: reading and decoding paused */
    NodeConn nc;           /* counted by the node's connection caps (admit.h) */
    uint64_t acceptedAt;   /* uv_now, ms: the CONNECT deadline counts from here */
    StreamCarrier carrier; /* carrier.write set: carried by another front-end, no socket */
    int carrierGone;       /* the carrier's connection went away: nothing more goes to it */
    Session *session;
    char principal[64];
    char peer[64];
    uint16_t keepAlive;
    int serverKeepAlive; /* 1: the CONNACK tells the client to use keepAlive */
    uint64_t lastSeen;   /* uv_now, ms */
    uint32_t clientMaxPacket;
    int noProblemInfo;                  /* CONNECT's Request Problem Information 0 (§3.1.2.11.7) */
    char *aliases[TOPIC_ALIAS_MAX + 1]; /* client-to-server, by alias */
    char **outAlias;       /* server-to-client, by alias (1..outAliasMax); NULL until used */
    uint16_t *outSlot;     /* OUT_ALIAS_SLOTS: alias of a topic hashed there, 0 empty */
    uint16_t outAliasMax;  /* what the client accepts (capped at OUT_ALIAS_MAX) */
    uint16_t outAliasUsed; /* aliases given out */
    uint32_t unacked; /* receive quota in use: QoS 1 until PUBACK, QoS 2 until PUBCOMP (§4.9) */
    /* will message, kept until a normal DISCONNECT */
    int hasWill;
    uint8_t willQos, willRetain;
    uint32_t willDelay; /* Will Delay Interval, seconds */
    char *willTopic, *willLabel;
    uint8_t *willPayload, *willProps;
    uint32_t willPayloadLen, willPropsLen;
} Conn;

struct MqttServer {
    Node *node;
    uv_loop_t *loop;
    Exchange *x;
    NodeListeners lis;
    MqttServerOptions opt;
    Conn *conns;
    int stopping;
    uint64_t autoIds;  /* assigned client ids */
    uint32_t checks;   /* password checks queued or running */
    MqttPropOut props; /* scratch for outgoing PUBLISH properties */
};

/* ---- output --------------------------------------------------------------- */

static int carried(const Conn *c) {
    return c->carrier.write != NULL;
}

static void rawWrite(Conn *c, const void *p, size_t n) {
    if (c->closing) return;
    if (!carried(c))
        streamWrite((uv_stream_t *)&c->tcp, &c->writing, p, n);
    else if (!c->carrierGone)
        c->carrier.write(c->carrier.ctx, p, n);
}

/* The connection as the node's caps count it: a carried one is counted as
 * its carrier's connection. */
static NodeConn *connNc(Conn *c) {
    return c->carrier.nc ? c->carrier.nc : &c->nc;
}

/* Move TLS records produced by OpenSSL to the socket. */
static void tlsPump(Conn *c) {
    streamTlsPump(c->wbio, (uv_stream_t *)&c->tcp, &c->writing);
}

/* Output not yet written to the socket. */
static size_t pending(const Conn *c) {
    size_t n = c->out.len + c->writing;
    if (carried(c) && !c->carrierGone && c->carrier.pending)
        n += c->carrier.pending(c->carrier.ctx);
    return n;
}

/* Large buffers are given back once empty, so a burst does not keep its
 * peak allocated for the connection's life. */
#define BUF_KEEP (256u << 10)

static void flushConn(Conn *c) {
    if (!c->out.len) {
        if (c->out.cap > BUF_KEEP) bufFree(&c->out);
        return;
    }
    if (c->ssl) {
        if (SSL_is_init_finished(c->ssl)) {
            SSL_write(c->ssl, c->out.data, (int)c->out.len);
            c->out.len = 0;
        }
        tlsPump(c);
    } else {
        rawWrite(c, c->out.data, c->out.len);
        c->out.len = 0;
    }
    if (!c->out.len && c->out.cap > BUF_KEEP) bufFree(&c->out);
}

/* ---- closing ---------------------------------------------------------------- */

static void connFree(Conn *c) {
    bufFree(&c->in);
    bufFree(&c->out);
    if (c->ssl) SSL_free(c->ssl); /* frees the BIOs too */
    for (int i = 0; i <= TOPIC_ALIAS_MAX; i++)
        free(c->aliases[i]);
    for (int i = 0; c->outAlias && i <= c->outAliasMax; i++)
        free(c->outAlias[i]);
    free(c->outAlias);
    free(c->outSlot);
    free(c->willTopic);
    free(c->willLabel);
    free(c->willPayload);
    free(c->willProps);
    free(c);
}

static void onClosed(uv_handle_t *h) {
    Conn *c = (Conn *)h;
    if (c->authPending)
        c->freeLater = 1; /* the password check still holds it */
    else
        connFree(c);
}

static void publishWill(Conn *c) {
    const char *why;
    exchangePublish(c->srv->x, c->session, c->willTopic, strlen(c->willTopic), c->willLabel,
                    c->willLabel ? strlen(c->willLabel) : 0, c->willProps, c->willPropsLen,
                    c->willPayload, c->willPayloadLen, c->willQos, c->willRetain, 0, &why);
}

static void cancelCheck(Conn *c);

static void connClose(Conn *c) {
    if (c->closing) return;
    flushConn(c);
    if (c->session) {
        if (c->hasWill && !c->gotDisconnect && c->revoked) {
            /* Its principal was removed or no longer compiles: nobody may
             * publish as him any more, not even his will. */
            exchangeAudit(c->srv->x, "will_dropped", c->session->principalName, c->willTopic,
                          c->willLabel ? c->willLabel : "", "principal",
                          "will not published: the connection's principal was removed or is no "
                          "longer valid");
        } else if (c->hasWill && !c->gotDisconnect) {
            /* A delayed will waits in the session (a session that ends at
             * once, expiry 0, ends the delay with it). */
            ExchangeWill w = {c->willTopic,   c->willLabel,    c->willProps,
                              c->willPayload, c->willPropsLen, c->willPayloadLen,
                              c->willQos,     c->willRetain,   c->willDelay};
            if (!c->willDelay || !c->session->persistent ||
                exchangeDelayWill(c->srv->x, c->session, &w) != 0)
                publishWill(c);
        }
        if (c->session->conn == c) exchangeDetach(c->srv->x, c->session);
        c->session = NULL;
    }
    c->closing = 1;
    cancelCheck(c);
    admitRelease(nodeAdmit(c->srv->node), &c->nc); /* a carried one's is its carrier's */
    for (Conn **pp = &c->srv->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (!carried(c))
        uv_close((uv_handle_t *)&c->tcp, onClosed);
    else if (!c->carrierGone)
        c->carrier.close(c->carrier.ctx); /* freed when the carrier calls protoClosed */
}

/* MQTT 5 clients get a DISCONNECT with the reason; 3.1.1 ones are closed.
 * The Reason String is left out when it would make the packet larger than
 * the client accepts [MQTT-3.1.2-25]; Request Problem Information 0 still
 * allows it on a DISCONNECT (§3.1.2.11.7). */
static void connFail(Conn *c, uint8_t reason, const char *why) {
    size_t before = c->out.len;
    if (c->version) mqttEncodeDisconnect(&c->out, c->version, reason, why);
    if (why && c->out.len - before > c->clientMaxPacket) {
        c->out.len = before;
        mqttEncodeDisconnect(&c->out, c->version, reason, NULL);
    }
    connClose(c);
}

/* A PUBACK/PUBREC/PUBREL/PUBCOMP to c.  Its Reason String is diagnostic
 * only, so it is left out when the client asked for no problem
 * information [MQTT-3.1.2-29] or when it would make the packet larger than
 * the client's Maximum Packet Size [MQTT-3.1.2-25]; the reason code stays. */
static void sendAck(Conn *c, int type, uint16_t packetId, uint8_t reason, const char *why) {
    if (c->noProblemInfo) why = NULL;
    size_t before = c->out.len;
    mqttEncodeAck(&c->out, c->version, type, packetId, reason, why);
    if (why && c->out.len - before > c->clientMaxPacket) {
        c->out.len = before;
        mqttEncodeAck(&c->out, c->version, type, packetId, reason, NULL);
    }
}

/* ---- exchange hooks --------------------------------------------------------- */

/* What the node sets on every delivery itself (label, id, time, sig) is never
 * taken from the publisher's properties. */
int mqttNodeProperty(uint8_t id, const MqttStr *key) {
    if (id == PROP_TOPIC_ALIAS || id == PROP_SUBSCRIPTION_ID) return 1;
    if (!key) return 0;
    /* Case variants too: a publisher's "ID" forwarded beside the node's
     * "id" would make every peer refuse the message as ambiguous. */
    return (key->len == 5 && strncasecmp((const char *)key->p, "label", 5) == 0) ||
           (key->len == 2 && strncasecmp((const char *)key->p, "id", 2) == 0) ||
           (key->len == 4 && strncasecmp((const char *)key->p, "time", 4) == 0) ||
           (key->len == 3 && strncasecmp((const char *)key->p, "sig", 3) == 0);
}

static uint32_t outAliasHash(const char *t) {
    uint32_t h = 2166136261u; /* FNV-1a: the table holds a client's own topics, not an attacker's */
    for (; *t; t++)
        h = (h ^ (uint8_t)*t) * 16777619u;
    return h;
}

/* The alias for topic on c's outgoing side: *alias set and 1 when the
 * client already knows it (send an empty topic); 0 with *alias set when
 * this delivery gives it a new alias (send the topic and the alias); 0 with
 * *alias 0 when it gets none (aliases not used, all given out, or out of
 * memory).  *slot: where to record a new alias (outAliasKeep). */
static int outAliasFind(Conn *c, const char *topic, uint16_t *alias, uint32_t *slot) {
    *alias = 0;
    if (!c->outAliasMax) return 0;
    if (!c->outSlot) {
        c->outSlot = calloc(OUT_ALIAS_SLOTS, sizeof(*c->outSlot));
        c->outAlias = calloc((size_t)c->outAliasMax + 1, sizeof(*c->outAlias));
        if (!c->outSlot || !c->outAlias) {
            free(c->outSlot), free(c->outAlias);
            c->outSlot = NULL, c->outAlias = NULL, c->outAliasMax = 0;
            return 0;
        }
    }
    uint32_t i = outAliasHash(topic) & (OUT_ALIAS_SLOTS - 1);
    for (; c->outSlot[i]; i = (i + 1) & (OUT_ALIAS_SLOTS - 1))
        if (strcmp(c->outAlias[c->outSlot[i]], topic) == 0) {
            *alias = c->outSlot[i];
            return 1;
        }
    *slot = i;
    if (c->outAliasUsed < c->outAliasMax) *alias = (uint16_t)(c->outAliasUsed + 1);
    return 0;
}

/* A delivery's own properties and the Message Expiry Interval, which goes
 * out as the time left (§3.3.2.3.3), are never copied as stored. */
static int deliverySkip(uint8_t id, const MqttStr *key) {
    return id == PROP_MESSAGE_EXPIRY || mqttNodeProperty(id, key);
}

/* The time left of a message with a Message Expiry Interval: 1 with
 * *left set; 0 when it has none; -1 when it has expired.  The interval
 * counts from the message's time at its origin (a relayed message keeps
 * what is left of it: src/federation/link.c); whole seconds, and never
 * early: a message expires only once more than its interval has passed. */
int mqttExpiryLeft(const Message *m, int64_t now, uint32_t *left) {
    uint32_t interval;
    /* 0 is read as "no expiry", as mosquitto does: a lifetime of nothing
     * would make the message undeliverable the moment it is published. */
    if (!mqttPropsMessageExpiry(m->props, m->propsLen, &interval) || !interval) return 0;
    int64_t age = now - m->time;
    if (age < 0) age = 0;
    if (age > (int64_t)interval) return -1;
    *left = age == (int64_t)interval ? 1 : interval - (uint32_t)age;
    return 1;
}

static int hookSend(void *conn, Session *s, Outgoing *o) {
    Conn *c = conn;
    (void)s;
    if (c->closing) return -1;
    if (pending(c) > c->srv->opt.maxOutputBytes) return -1;
    Message *m = o->m;
    uint32_t left = 0;
    int expiry = mqttExpiryLeft(m, timeNow(), &left);
    if (expiry < 0) return 1; /* expired: dropped as if delivered (§3.3.2.3.3) */
    /* Every delivery builds properties: reuse one buffer, not a malloc each. */
    MqttPropOut *p = &c->srv->props;
    p->b.len = 0;
    if (c->version == MQTT_V5) {
        mqttPropCopy(p, m->props, m->propsLen, deliverySkip);
        if (expiry > 0) mqttPropU32(p, PROP_MESSAGE_EXPIRY, left);
        mqttPropUser(p, "label", 5, m->label, strlen(m->label));
        char id[96], when[24];
        int n = snprintf(id, sizeof(id), "%s:%llu", m->origin, (unsigned long long)m->originSeq);
        mqttPropUser(p, "id", 2, id, (size_t)n);
        n = snprintf(when, sizeof(when), "%lld", (long long)m->time);
        mqttPropUser(p, "time", 4, when, (size_t)n);
        if (m->sig) mqttPropUser(p, "sig", 3, m->sig, strlen(m->sig));
        for (int i = 0; i < o->nsub; i++)
            mqttPropVarint(p, PROP_SUBSCRIPTION_ID, o->subIds[i]);
    }
    uint16_t alias = 0;
    uint32_t slot = 0;
    /* Not for QoS 2: MQTT.js 5 stores an incoming QoS 2 PUBLISH before it
     * resolves the alias and hands it over with an empty topic at PUBREL. */
    int known = c->version == MQTT_V5 && o->qos < 2 && outAliasFind(c, m->topic, &alias, &slot);
    if (alias) mqttPropU16(p, PROP_TOPIC_ALIAS, alias);
    size_t before = c->out.len, tlen = known ? 0 : strlen(m->topic);
    mqttEncodePublish(&c->out, c->version, o->qos, o->retain, o->dup, m->topic, tlen, o->packetId,
                      p, m->payload, m->payloadLen);
    if (c->out.len - before > c->clientMaxPacket) {
        c->out.len = before; /* §3.1.2.11.4: never send more than the client accepts */
        return 1;
    }
    if (alias && !known) { /* the client learns this mapping with this packet */
        char *t = strdup(m->topic);
        if (!t) { /* cannot remember it: resend later without an alias */
            c->out.len = before;
            return -1;
        }
        c->outAlias[alias] = t;
        c->outSlot[slot] = alias;
        c->outAliasUsed++;
    }
    return 0;
}

static void hookRelease(void *conn, uint16_t packetId) {
    Conn *c = conn;
    if (!c->closing) sendAck(c, MQTT_PUBREL, packetId, 0, NULL);
}

static void hookAck(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why) {
    Conn *c = conn;
    if (c->closing) return;
    /* A will (packet id 0) is published for the session, not acknowledged
     * to anyone -- not even to a connection that resumed it meanwhile. */
    if (!packetId) return;
    /* 3.1.1 cannot say "not stored": an acknowledgement would make the
     * client forget a message the node does not hold.  Closing without one
     * makes it send the message again on its next connection. */
    if (reason == XR_SERVER_BUSY && c->version != MQTT_V5)
        return connFail(c, reason, "the node cannot store messages now");
    /* A QoS 2 publish keeps its place in the receive quota until PUBCOMP,
     * unless it was refused (the flow ends at the PUBREC then). */
    if (c->unacked && (qos == 1 || reason >= 0x80)) c->unacked--;
    if (qos == 2 && reason >= 0x80 && c->session) /* not stored after all */
        exchangeQos2Release(c->srv->x, c->session, packetId);
    sendAck(c, qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, packetId, reason, why);
}

/* Closed by reloaded(), after the sessions have been walked. */
static void hookRevoke(void *conn) {
    ((Conn *)conn)->revoked = 1;
}

static const ExchangeHooks mqttHooks = {
    .send = hookSend, .release = hookRelease, .ack = hookAck, .revoke = hookRevoke};

/* ---- packets ------------------------------------------------------------------ */

static void copyOut(char **dst, const MqttStr *s) {
    free(*dst);
    *dst = malloc((size_t)s->len + 1);
    if (*dst) {
        if (s->len) memcpy(*dst, s->p, s->len);
        (*dst)[s->len] = '\0';
    }
}

/* Identity from the TLS client certificate: CN selects the principal, and
 * the certificate's country must be its nation. */
static const PrincipalEntry *certPrincipal(Conn *c, char *why, size_t cap) {
    const PrincipalEntry *e = tlsPeerPrincipal(c->ssl, nodePrincipals(c->srv->node), why, cap);
    if (!e && !why[0]) snprintf(why, cap, "no credentials");
    return e;
}

static void sendConnack(Conn *c, int present, uint8_t reason, const char *assigned) {
    MqttPropOut p;
    mqttPropInit(&p);
    if (c->version == MQTT_V5 && reason == RC_SUCCESS) {
        mqttPropU16(&p, PROP_RECEIVE_MAX, SERVER_RECEIVE_MAX);
        mqttPropU16(&p, PROP_TOPIC_ALIAS_MAX, TOPIC_ALIAS_MAX);
        mqttPropU32(&p, PROP_MAX_PACKET_SIZE, c->srv->opt.maxPacketSize);
        mqttPropByte(&p, PROP_SHARED_AVAILABLE, 1);
        if (c->srv->opt.maxQos < 2) mqttPropByte(&p, PROP_MAX_QOS, (uint8_t)c->srv->opt.maxQos);
        if (c->srv->opt.noRetain) mqttPropByte(&p, PROP_RETAIN_AVAILABLE, 0);
        if (c->serverKeepAlive) mqttPropU16(&p, PROP_SERVER_KEEPALIVE, c->keepAlive);
        if (assigned) mqttPropStr(&p, PROP_ASSIGNED_CLIENT_ID, assigned, strlen(assigned));
    }
    mqttEncodeConnack(&c->out, c->version, present, reason, &p);
    mqttPropFree(&p);
}

/* Why a message with more than one label source is refused: the key is
 * matched exactly, so a second 'label' or a case variant would leave
 * receivers (or the node) to guess which label holds. */
static void ambiguousLabel(char *why, size_t cap, const MqttStr *bad) {
    if (bad->len == 5 && memcmp(bad->p, "label", 5) == 0)
        snprintf(why, cap, "ambiguous label: more than one 'label' user property");
    else
        snprintf(why, cap, "ambiguous label: user property '%.*s' (the label key is 'label')",
                 (int)(bad->len > 40 ? 40 : bad->len), (const char *)bad->p);
}

static void refuseConnect(Conn *c, uint8_t reason, const char *who, const char *why) {
    exchangeAudit(c->srv->x, "login_refused", who, "", "", "login", why);
    sendConnack(c, 0, reason, NULL);
    connClose(c);
}

/* Will properties that do not go into the will's PUBLISH: the node's own
 * (label, id, time, alias) and the Will Delay Interval, which is a will
 * property only (§3.1.3.2) — forwarded, it makes the PUBLISH malformed. */
static int willSkipProperty(uint8_t id, const MqttStr *key) {
    return id == PROP_WILL_DELAY || mqttNodeProperty(id, key);
}

static void keepWill(Conn *c, const MqttConnect *k) {
    c->hasWill = 1;
    c->willQos = k->willQos;
    c->willRetain = k->willRetain;
    c->willDelay = k->willProps.willDelay;
    copyOut(&c->willTopic, &k->willTopic);
    MqttStr lab;
    if (mqttUserProp(&k->willProps, "label", &lab)) copyOut(&c->willLabel, &lab);
    c->willPayload = malloc(k->willPayload.len + 1u);
    if (c->willPayload)
        memcpy(c->willPayload, k->willPayload.p ? k->willPayload.p : (const uint8_t *)"",
               k->willPayload.len);
    c->willPayloadLen = k->willPayload.len;
    MqttPropOut p;
    mqttPropInit(&p);
    mqttPropCopy(&p, k->willProps.raw, k->willProps.rawLen, willSkipProperty);
    c->willPropsLen = (uint32_t)p.b.len;
    c->willProps = (uint8_t *)bufDetach(&p.b);
    if (!c->willProps) c->willProps = calloc(1, 1);
}

/* Password checks (scrypt, tens of milliseconds by design) run on libuv's
 * thread pool so a flood of logins cannot stall the loop.  The worker gets
 * copies: the CONNECT bytes, the password, and the principal entry. */
typedef struct AuthWork {
    uv_work_t req;
    Conn *c;
    PrincipalEntry entry;
    int found, ok;
    char pass[PRINCIPAL_PASSWORD_MAX + 1];
    size_t passLen;
    uint8_t *packet;
    size_t len;
} AuthWork;

static void finishConnect(Conn *c, MqttConnect *k, const PrincipalEntry *e);
static void processInput(Conn *c);

/* A check still queued when its connection closes is dropped (authDone
 * then runs with UV_ECANCELED): a flood of abandoned logins must not keep
 * the thread pool busy in front of real ones.  A running one finishes. */
static void cancelCheck(Conn *c) {
    if (c->authPending && c->auth) uv_cancel((uv_req_t *)&c->auth->req);
}

static void authWork(uv_work_t *req) {
    AuthWork *w = req->data;
    /* An unknown name costs the same work, so timing tells nothing. */
    static const char dummy[] = "$scrypt$N=16384,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$"
                                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    /* All passLen bytes: "abc\0zzz" is not "abc". */
    int match = passwordVerifyLen(
        w->pass, w->passLen, w->found && w->entry.passwordHash[0] ? w->entry.passwordHash : dummy);
    w->ok = w->found && w->entry.passwordHash[0] && match == 1;
    memset(w->pass, 0, sizeof(w->pass));
}

static void authDone(uv_work_t *req, int status) {
    AuthWork *w = req->data;
    Conn *c = w->c;
    c->authPending = 0;
    c->auth = NULL;
    c->srv->checks--;
    if (c->freeLater) {
        connFree(c);
    } else if (!c->closing) {
        MqttPacket pkt;
        uint8_t reason;
        if (status == 0 && mqttDecode(w->packet, w->len, 0, UINT32_MAX, &pkt, &reason) == 1) {
            if (w->ok) {
                finishConnect(c, &pkt.u.connect, &w->entry);
            } else {
                char why[160], user[64] = "";
                MqttStr u = pkt.u.connect.username;
                snprintf(user, sizeof(user), "%.*s", (int)(u.len < 63 ? u.len : 63),
                         u.p ? (const char *)u.p : "");
                snprintf(why, sizeof(why), "bad username or password for '%s'", user);
                refuseConnect(c, RC_BAD_USER_OR_PASSWORD, user, why);
            }
        } else {
            connClose(c);
        }
        if (!c->closing) processInput(c); /* packets that arrived meanwhile */
    }
    free(w->packet);
    free(w);
}

/* Password checks queued or running for connections from addr. */
static uint32_t checksFrom(const Server *srv, const char *addr) {
    uint32_t n = 0;
    for (const Conn *c = srv->conns; c; c = c->next)
        if (c->authPending && strcmp(connNc((Conn *)c)->addr, addr) == 0) n++;
    return n;
}

/* Too many password checks in flight (node-wide or from this address):
 * answered at once, server busy (3.1.1: server unavailable), counted and
 * reported once a second, not audited one by one (a flood would flood the
 * audit log). */
static int loginBusy(Conn *c) {
    const Server *srv = c->srv;
    if (srv->checks < srv->opt.maxLoginChecks &&
        checksFrom(srv, connNc(c)->addr) < srv->opt.maxLoginChecksPerAddress)
        return 0;
    admitLoginBusy(nodeAdmit(srv->node));
    sendConnack(c, 0, c->version == MQTT_V5 ? RC_SERVER_BUSY : RC_SERVER_UNAVAILABLE, NULL);
    connClose(c);
    return 1;
}

static void startPasswordCheck(Conn *c, const uint8_t *packet, size_t len, MqttConnect *k) {
    if (loginBusy(c)) return;
    AuthWork *w = calloc(1, sizeof(*w));
    if (w) w->packet = malloc(len);
    if (!w || !w->packet || k->password.len > PRINCIPAL_PASSWORD_MAX ||
        k->username.len >= sizeof(w->entry.name)) {
        if (w) free(w->packet);
        free(w);
        return refuseConnect(c, RC_BAD_USER_OR_PASSWORD, "", "credentials too long");
    }
    memcpy(w->packet, packet, len);
    w->len = len;
    w->c = c;
    char user[64];
    memcpy(user, k->username.p ? (const char *)k->username.p : "", k->username.len);
    user[k->username.len] = '\0';
    memcpy(w->pass, k->password.p ? (const char *)k->password.p : "", k->password.len);
    w->passLen = k->password.len;
    const PrincipalEntry *e = principalsFind(nodePrincipals(c->srv->node), user);
    if (e) w->entry = *e, w->found = 1;
    w->req.data = w;
    c->authPending = 1;
    c->auth = w;
    c->srv->checks++;
    uv_queue_work(c->srv->loop, &w->req, authWork, authDone);
}

/* A Response Topic, when present, must be a topic name: no wildcards
 * [MQTT-3.3.2-14] -- a subscriber would publish its response to it. */
static int responseTopicValid(const MqttProps *p) {
    return !(p->seen >> PROP_RESPONSE_TOPIC & 1) ||
           topicNameValid((const char *)p->responseTopic.p, p->responseTopic.len);
}

/* What the CONNECT asks that the node refuses before any credential is
 * checked: enhanced authentication, which the node does not support
 * (0x8C and close [MQTT-4.12.0-1]), and a will whose Response Topic is not
 * a topic name (0x82, a protocol error).  Returns 0 after refusing. */
static int connectAcceptable(Conn *c, const MqttConnect *k) {
    char who[64];
    snprintf(who, sizeof(who), "%.*s", (int)(k->username.len < 63 ? k->username.len : 63),
             k->username.p ? (const char *)k->username.p : "");
    if (k->props.seen >> PROP_AUTH_METHOD & 1) {
        refuseConnect(c, RC_BAD_AUTH_METHOD, who,
                      "enhanced authentication (Authentication Method) is not supported");
        return 0;
    }
    if (k->willFlag && !responseTopicValid(&k->willProps)) {
        refuseConnect(c, RC_PROTOCOL_ERROR, who, "will Response Topic is not a valid topic name");
        return 0;
    }
    return 1;
}

/* CONNECT: a certificate identity completes at once; a password is checked
 * on the thread pool (packet/len: the CONNECT's bytes, copied for it). */
static void onConnect(Conn *c, MqttConnect *k, const uint8_t *packet, size_t len) {
    c->version = k->version;
    char why[256] = "no credentials";
    if (k->clientId.len >= 128)
        return refuseConnect(c, RC_CLIENT_ID_INVALID, "", "client id too long");
    if (!connectAcceptable(c, k)) return;
    const PrincipalEntry *e = c->ssl ? certPrincipal(c, why, sizeof(why)) : NULL;
    if (c->carrier.principal[0]) { /* the carrier's identity, e.g. a bearer token's */
        e = principalsFind(nodePrincipals(c->srv->node), c->carrier.principal);
        if (!e)
            return refuseConnect(c, RC_NOT_AUTHORIZED, c->carrier.principal, "unknown principal");
    }
    if (e) return finishConnect(c, k, e);
    if (k->hasUser && k->hasPassword) return startPasswordCheck(c, packet, len, k);
    char user[64];
    snprintf(user, sizeof(user), "%.*s", (int)(k->username.len < 63 ? k->username.len : 63),
             k->username.p ? (const char *)k->username.p : "");
    refuseConnect(c, c->ssl ? RC_NOT_AUTHORIZED : RC_BAD_USER_OR_PASSWORD, user, why);
}

/* The node's configured limits against what a CONNECT asks for: keep-alive
 * (v5 clients are told the node's maximum in the CONNACK; 3.1.1 clients
 * cannot be, so, as mosquitto does, they are refused with "identifier
 * rejected"), and a will's QoS and retain flag.  Returns 0 after refusing. */
static int connectWithinLimits(Conn *c, const MqttConnect *k, const char *who) {
    const MqttServerOptions *o = &c->srv->opt;
    c->keepAlive = k->keepAlive;
    if (o->maxKeepAlive && (k->keepAlive == 0 || k->keepAlive > o->maxKeepAlive)) {
        if (k->version != MQTT_V5) {
            refuseConnect(c, RC_CLIENT_ID_INVALID, who,
                          "keep-alive above the node's maximum (3.1.1 cannot be told)");
            return 0;
        }
        c->keepAlive = o->maxKeepAlive;
        c->serverKeepAlive = 1;
    }
    if (k->willFlag && k->willQos > o->maxQos) {
        refuseConnect(c, RC_QOS_NOT_SUPPORTED, who, "will QoS above the node's maximum QoS");
        return 0;
    }
    if (k->willFlag && k->willRetain && o->noRetain) {
        refuseConnect(c, RC_RETAIN_NOT_SUPPORTED, who, "retained will but retain is not available");
        return 0;
    }
    return 1;
}

/* Client ids "link-NODE" are those of federation links: reserved for
 * principals with the node role, on every protocol version and whether or
 * not the session exists yet -- another principal holding one would shut
 * the link out (and read what is queued for it). */
#define LINK_ID_PREFIX "link-"

static int linkClientId(const char *id) {
    return strncmp(id, LINK_ID_PREFIX, strlen(LINK_ID_PREFIX)) == 0;
}

/* A node principal e may take the link client id id from a session that
 * another principal, owner, holds without the node role (taken before the
 * reservation existed): the squatter's session is discarded. */
static int reclaimLinkId(Server *srv, const char *id, const PrincipalEntry *e, const char *owner) {
    if (!linkClientId(id) || !(e->roles & PRINCIPAL_ROLE_NODE)) return 0;
    const PrincipalEntry *o = principalsFind(nodePrincipals(srv->node), owner);
    return !o || !(o->roles & PRINCIPAL_ROLE_NODE);
}

/* Whether principal may hold one more MQTT connection
 * (max_connections_per_principal); taken, a connection this login takes
 * over, does not count. */
static int principalRoom(const Conn *c, const char *principal, const void *taken) {
    uint32_t n = 0, cap = nodeAdmit(c->srv->node)->perPrincipal;
    for (const Conn *o = c->srv->conns; o; o = o->next)
        if (o != c && o != taken && o->session && !o->closing &&
            strcmp(o->principal, principal) == 0)
            n++;
    return n < cap;
}

/* The principal is established: compile it, attach the session, answer. */
static void finishConnect(Conn *c, MqttConnect *k, const PrincipalEntry *e) {
    Server *srv = c->srv;
    char id[128];
    Principal p;
    pnError err = {0};
    if (principalEntryCompile(e, &p, nodeRegistry(srv->node), nodeSpif(srv->node), &err) != PN_OK)
        return refuseConnect(c, RC_NOT_AUTHORIZED, e->name, err.msg);
    strCopy(c->principal, sizeof(c->principal), e->name);
    memcpy(id, k->clientId.p ? (const char *)k->clientId.p : "", k->clientId.len);
    id[k->clientId.len] = '\0';
    const char *assigned = NULL;
    /* Client ids starting with '$' name sessions of other front-ends (HTTP
     * feeds, federation links): an MQTT client may not take them over. */
    if (id[0] == '$')
        return refuseConnect(c, RC_CLIENT_ID_INVALID, e->name,
                             "client ids starting with '$' are reserved for the node");
    /* MQTT 5: 0x85, a valid client id the server does not allow (as for
     * another principal's session); 3.1.1 has no such code that refuses a
     * login rather than a malformed id, so 5, not authorized. */
    if (linkClientId(id) && !(e->roles & PRINCIPAL_ROLE_NODE))
        return refuseConnect(c, k->version == MQTT_V5 ? RC_CLIENT_ID_INVALID : RC_NOT_AUTHORIZED,
                             e->name,
                             "client ids starting with '" LINK_ID_PREFIX
                             "' are reserved for federation links (principals with the node "
                             "role)");
    if (!id[0]) {
        if (k->version != MQTT_V5 && !k->cleanStart)
            return refuseConnect(c, RC_CLIENT_ID_INVALID, e->name, "empty client id");
        snprintf(id, sizeof(id), "auto-%llx-%llu", (unsigned long long)uv_hrtime(),
                 (unsigned long long)++srv->autoIds);
        assigned = id;
    }
    /* 3.1.1 has no expiry property: its persistent sessions get the
     * configured session_expiry_311. */
    uint32_t expiry = k->version == MQTT_V5 ? k->props.sessionExpiry
                      : k->cleanStart       ? 0
                                            : srv->opt.sessionExpiry311;
    if (!connectWithinLimits(c, k, e->name)) return;
    c->clientMaxPacket = k->props.maxPacketSize ? k->props.maxPacketSize : UINT32_MAX;
    /* Absent means 1 (§3.1.2.11.7). */
    c->noProblemInfo =
        (k->props.seen >> PROP_REQUEST_PROBLEM_INFO & 1) && k->props.requestProblemInfo == 0;
    c->outAliasMax = k->version != MQTT_V5                    ? 0
                     : k->props.topicAliasMax < OUT_ALIAS_MAX ? k->props.topicAliasMax
                                                              : OUT_ALIAS_MAX;
    MqttStr wl, bad;
    if (k->willFlag && mqttUserPropOnly(&k->willProps, "label", &wl, &bad) < 0) {
        char why[160];
        ambiguousLabel(why, sizeof(why), &bad);
        return refuseConnect(c, RC_PAYLOAD_FORMAT_INVALID, e->name, why);
    }
    /* As for PUBLISH: a will declared UTF-8 that is not would reach
     * subscribers who trust the declaration (MQTT 5 §3.1.3.2.3). */
    if (k->willFlag && k->willProps.payloadFormat == 1 &&
        !mqttUtf8Valid(k->willPayload.p, k->willPayload.len))
        return refuseConnect(c, RC_PAYLOAD_FORMAT_INVALID, e->name,
                             "will payload declared UTF-8 (Payload Format Indicator 1) is not "
                             "valid UTF-8");
    const char *owner = exchangeSessionPrincipal(srv->x, id);
    if (owner && strcmp(owner, e->name) != 0 && !reclaimLinkId(srv, id, e, owner))
        return refuseConnect(c, RC_CLIENT_ID_INVALID, e->name,
                             "this client id names another principal's session");
    char quota[200];
    if (exchangeSessionQuota(srv->x, id, e->name, &p, expiry > 0, quota, sizeof(quota)) != 0)
        return refuseConnect(c, RC_QUOTA_EXCEEDED, e->name, quota);
    if (owner && strcmp(owner, e->name) != 0) { /* taken back: say whose session goes */
        char detail[300];
        snprintf(detail, sizeof(detail),
                 "link client id '%s' taken back from principal '%s', whose session is discarded",
                 id, owner);
        exchangeAudit(srv->x, "session_discarded", e->name, "", "", "reserved", detail);
    }
    int present;
    void *taken = exchangeSessionConn(srv->x, id);
    if (!principalRoom(c, e->name, taken)) {
        char why[160];
        snprintf(why, sizeof(why), "principal '%s' already holds %u connections (the most one may)",
                 e->name, nodeAdmit(srv->node)->perPrincipal);
        return refuseConnect(c, k->version == MQTT_V5 ? RC_QUOTA_EXCEEDED : RC_SERVER_UNAVAILABLE,
                             e->name, why);
    }
    /* The old connection goes first (its will, its detach), so the session
     * is in a settled state when the new one attaches. */
    if (taken) connFail(taken, RC_SESSION_TAKEN_OVER, "another connection took over the session");
    c->session = exchangeAttach(srv->x, id, e->name, &p, k->cleanStart, expiry, k->props.receiveMax,
                                &mqttHooks, c, &present, &taken);
    if (taken) connFail(taken, RC_SESSION_TAKEN_OVER, "another connection took over the session");
    if (!c->session) return refuseConnect(c, RC_SERVER_BUSY, e->name, "out of memory");
    c->session->auditAll = (e->roles & PRINCIPAL_ROLE_NODE) != 0;
    admitAuthenticated(nodeAdmit(srv->node), connNc(c));
    if (k->willFlag) keepWill(c, k);
    sendConnack(c, present, RC_SUCCESS, assigned);
    exchangeDrain(srv->x, c->session);
}

/* A publish with more than one label source: refused (0x99, audited),
 * never delivered with a guess. */
static void refuseAmbiguous(Conn *c, const MqttPublish *p, const MqttStr *topic,
                            const MqttStr *bad) {
    char why[160], t[256];
    ambiguousLabel(why, sizeof(why), bad);
    snprintf(t, sizeof(t), "%.*s", (int)(topic->len < sizeof(t) ? topic->len : sizeof(t) - 1),
             (const char *)topic->p);
    exchangeAudit(c->srv->x, "publish_refused", c->session->principalName, t, "", "ambiguous_label",
                  why);
    if (!p->qos) return;
    c->unacked--;
    sendAck(c, p->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, p->packetId, RC_PAYLOAD_FORMAT_INVALID,
            why);
}

static void onPublish(Conn *c, MqttPublish *p) {
    /* Protocol errors, never stored nor forwarded (§4.13). */
    if (p->props.seen >> PROP_SUBSCRIPTION_ID & 1) /* [MQTT-3.3.4-6] */
        return connFail(c, RC_PROTOCOL_ERROR, "a client PUBLISH carries a Subscription Identifier");
    if (!responseTopicValid(&p->props))
        return connFail(c, RC_PROTOCOL_ERROR, "Response Topic is not a valid topic name");
    if (p->qos > c->srv->opt.maxQos)
        return connFail(c, RC_QOS_NOT_SUPPORTED, "QoS above the node's maximum QoS");
    if (p->retain && c->srv->opt.noRetain)
        return connFail(c, RC_RETAIN_NOT_SUPPORTED, "retain is not available on this node");
    /* The ids awaiting PUBREL are the session's: a resend on a new
     * connection, or after a restart, is recognised too. */
    if (p->qos == 2 && exchangeQos2Held(c->session, p->packetId)) {
        /* Retransmission of one we hold: acknowledge again, store nothing. */
        sendAck(c, MQTT_PUBREC, p->packetId, 0, NULL);
        return;
    }
    if (p->qos && ++c->unacked > SERVER_RECEIVE_MAX)
        return connFail(c, RC_RECEIVE_MAX_EXCEEDED,
                        "more unacknowledged publishes than the receive maximum");
    if (p->qos == 2 && c->session->nqos2In >= QOS2_IN_MAX)
        return connFail(c, RC_RECEIVE_MAX_EXCEEDED,
                        "more QoS 2 publishes awaiting PUBREL than the receive maximum");
    MqttStr topic = p->topic;
    if (p->props.seen >> PROP_TOPIC_ALIAS & 1) {
        uint16_t a = p->props.topicAlias;
        if (a == 0 || a > TOPIC_ALIAS_MAX)
            return connFail(c, RC_TOPIC_ALIAS_INVALID, "topic alias out of range");
        if (topic.len)
            copyOut(&c->aliases[a], &topic);
        else if (!c->aliases[a])
            return connFail(c, RC_PROTOCOL_ERROR, "unknown topic alias");
        topic.p = (const uint8_t *)c->aliases[a];
        topic.len = (uint16_t)strlen(c->aliases[a]);
    }
    if (p->props.payloadFormat == 1 && !mqttUtf8Valid(p->payload, p->payloadLen)) {
        /* §3.3.2.3.2: a payload declared UTF-8 that is not is refused, never
         * handed to subscribers who would trust the declaration. */
        if (p->qos) {
            c->unacked--;
            sendAck(c, p->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, p->packetId,
                    RC_PAYLOAD_FORMAT_INVALID,
                    "payload format indicator 1 but the payload is not UTF-8");
        }
        exchangeAudit(c->srv->x, "publish_refused", c->principal, "", "", "payload_format",
                      "payload is not valid UTF-8");
        return;
    }
    MqttStr lab = {NULL, 0}, bad;
    int hasLabel = mqttUserPropOnly(&p->props, "label", &lab, &bad);
    if (hasLabel < 0) return refuseAmbiguous(c, p, &topic, &bad);
    MqttPropOut fwd;
    mqttPropInit(&fwd);
    mqttPropCopy(&fwd, p->props.raw, p->props.rawLen, mqttNodeProperty);
    const char *why = NULL;
    int rc = exchangePublish(c->srv->x, c->session, (const char *)topic.p, topic.len,
                             hasLabel ? (const char *)lab.p : NULL, lab.len,
                             (const uint8_t *)bufStr(&fwd.b), (uint32_t)fwd.b.len, p->payload,
                             p->payloadLen, p->qos, p->retain, p->packetId, &why);
    mqttPropFree(&fwd);
    if (rc == 0) {
        /* Acknowledged at commit, once durable; a DUP arriving before then
         * must already find the id. */
        if (p->qos == 2) exchangeQos2Hold(c->srv->x, c->session, p->packetId);
        return;
    }
    if (rc == XR_SERVER_BUSY && c->version != MQTT_V5)
        return connFail(c, (uint8_t)rc, "the node cannot store messages now"); /* see hookAck */
    if (p->qos) {
        c->unacked--;
        /* 3.1.1 has no negative acknowledgement: the refusal is audited and
         * the message dropped, but the client must not retry forever. */
        uint8_t reason = c->version == MQTT_V5 ? (uint8_t)rc : 0;
        sendAck(c, p->qos == 1 ? MQTT_PUBACK : MQTT_PUBREC, p->packetId, reason,
                c->version == MQTT_V5 ? why : NULL);
    }
    if (rc == XR_TOPIC_NAME_INVALID && c->version != MQTT_V5) connClose(c);
}

/* Refusals past max_subscriptions: one audit line per SUBSCRIBE, not one
 * per filter (a SUBSCRIBE may carry thousands). */
static void auditQuota(Conn *c, const char *first, int refused, int total) {
    char d[200];
    strFormat(d, sizeof(d), "%d of %d filters refused: session %s is at max_subscriptions %lu",
              refused, total, c->session->clientId,
              (unsigned long)exchangeMaxSubscriptions(c->srv->x));
    exchangeAudit(c->srv->x, "subscribe_refused", c->principal, first, "", "quota", d);
}

/* Whether a SUBSCRIBE asks for No Local on a shared subscription, a
 * protocol error (§3.8.3.1) found before any of its filters takes effect. */
static int noLocalShared(MqttSubscribe *s) {
    uint32_t pos = 0;
    MqttStr f;
    uint8_t opt;
    while (mqttNextTopic(s, 1, &pos, &f, &opt))
        if ((opt & 4) && f.p && memchr(f.p, 0, f.len) == NULL &&
            topicFilterIsShared((const char *)f.p, f.len))
            return 1;
    return 0;
}

/* SUBSCRIBE (sub 1) or UNSUBSCRIBE (sub 0): one reason code per topic
 * filter, however many the packet carries (MQTT 5 §3.9.3, §3.11.3). */
static void onSubscribe(Conn *c, MqttSubscribe *s, int sub) {
    if (sub && noLocalShared(s))
        return connFail(c, RC_PROTOCOL_ERROR, "No Local set on a shared subscription");
    pnBuf reasons, filter, first;
    bufInit(&reasons);
    bufInit(&filter);
    bufInit(&first);
    int n = 0, quota = 0;
    uint32_t pos = 0;
    MqttStr f;
    uint8_t opt;
    while (mqttNextTopic(s, sub, &pos, &f, &opt)) {
        filter.len = 0;
        bufAppend(&filter, f.p ? (const char *)f.p : "", f.len);
        uint8_t rc = sub ? RC_TOPIC_FILTER_INVALID : RC_NO_SUBSCRIPTION;
        int whole = strlen(bufStr(&filter)) == f.len; /* else an embedded NUL: never valid */
        if (bufFailed(&filter))
            rc = RC_SERVER_BUSY;
        else if (whole && sub) {
            int maxQos = c->srv->opt.maxQos; /* granted at most the node's maximum QoS */
            if ((opt & 3) > maxQos) opt = (uint8_t)((opt & ~3) | maxQos);
            rc = (uint8_t)exchangeSubscribe(c->srv->x, c->session, bufStr(&filter), opt,
                                            s->props.subscriptionId);
        } else if (whole)
            rc = exchangeUnsubscribe(c->srv->x, c->session, bufStr(&filter)) ? RC_SUCCESS
                                                                             : RC_NO_SUBSCRIPTION;
        if (rc == RC_QUOTA_EXCEEDED && !quota++) bufPuts(&first, bufStr(&filter));
        bufAppend(&reasons, &rc, 1);
        n++;
    }
    if (quota) auditQuota(c, bufStr(&first), quota, n);
    if (bufFailed(&reasons))
        connFail(c, RC_SERVER_BUSY, "out of memory");
    else
        mqttEncodeSuback(&c->out, c->version, sub ? MQTT_SUBACK : MQTT_UNSUBACK, s->packetId,
                         (const uint8_t *)reasons.data, n);
    bufFree(&reasons);
    bufFree(&filter);
    bufFree(&first);
}

static void onPacket(Conn *c, MqttPacket *pkt) {
    Exchange *x = c->srv->x;
    switch (pkt->type) {
    case MQTT_PUBLISH:
        onPublish(c, &pkt->u.publish);
        break;
    case MQTT_PUBACK:
        exchangeAcked(x, c->session, pkt->u.ack.packetId, MQTT_PUBACK);
        break;
    case MQTT_PUBREC:
        exchangeAcked(x, c->session, pkt->u.ack.packetId, MQTT_PUBREC);
        sendAck(c, MQTT_PUBREL, pkt->u.ack.packetId, 0, NULL);
        break;
    case MQTT_PUBCOMP:
        exchangeAcked(x, c->session, pkt->u.ack.packetId, MQTT_PUBCOMP);
        break;
    case MQTT_PUBREL: {
        int known = exchangeQos2Release(x, c->session, pkt->u.ack.packetId);
        /* The PUBCOMP gives the publish's place in the quota back (an id
         * from an earlier connection never took one here: never below 0). */
        if (known && c->unacked) c->unacked--;
        sendAck(c, MQTT_PUBCOMP, pkt->u.ack.packetId,
                known || c->version != MQTT_V5 ? 0 : RC_PACKET_ID_NOT_FOUND, NULL);
        break;
    }
    case MQTT_SUBSCRIBE:
        onSubscribe(c, &pkt->u.sub, 1);
        break;
    case MQTT_UNSUBSCRIBE:
        onSubscribe(c, &pkt->u.sub, 0);
        break;
    case MQTT_PINGREQ:
        mqttEncodePingresp(&c->out);
        break;
    case MQTT_DISCONNECT:
        c->gotDisconnect = pkt->u.ack.reason != RC_DISCONNECT_WITH_WILL;
        if (c->session && c->version == MQTT_V5 &&
            (pkt->u.ack.props.seen >> PROP_SESSION_EXPIRY & 1)) {
            /* §3.14.2.2.2: a session that began with expiry 0 cannot be
             * made persistent now -- it would also pass the session cap. */
            if (!c->session->persistent && pkt->u.ack.props.sessionExpiry > 0) {
                c->gotDisconnect = 0;
                return connFail(c, RC_PROTOCOL_ERROR,
                                "session expiry set at DISCONNECT on a session that began with 0");
            }
            c->session->expiry = pkt->u.ack.props.sessionExpiry;
            c->session->persistent = c->session->expiry > 0;
            exchangeSessionChanged(x, c->session);
        }
        connClose(c);
        break;
    default:
        connFail(c, RC_PROTOCOL_ERROR, "unexpected packet type");
    }
}

/* A complete packet that starts like an MQTT 5 CONNECT (protocol name
 * "MQTT", level 5): its refusal can be a CONNACK the client understands. */
static int connectIsV5(const char *b, size_t len) {
    size_t i = 1;
    while (i < len && i < 5 && (b[i] & 0x80))
        i++; /* remaining length */
    i++;
    return len > i + 6 && (b[0] & 0xF0) == 0x10 && memcmp(b + i, "\0\4MQTT", 6) == 0 &&
           b[i + 6] == MQTT_V5;
}

/* The largest packet c may send now: before login, a CONNECT of at most
 * max_connect_size, so sockets that never log in hold little memory. */
static uint32_t inputLimit(const Conn *c) {
    const MqttServerOptions *o = &c->srv->opt;
    return c->session || o->maxConnectSize > o->maxPacketSize ? o->maxPacketSize
                                                              : o->maxConnectSize;
}

/* Decode and handle every complete packet in c->in. */
static void processInput(Conn *c) {
    size_t used = 0;
    while (!c->closing && !c->authPending && used < c->in.len &&
           pending(c) <= c->srv->opt.maxOutputBytes) {
        MqttPacket pkt;
        uint8_t reason;
        int rc = mqttDecode((const uint8_t *)c->in.data + used, c->in.len - used, c->version,
                            inputLimit(c), &pkt, &reason);
        if (rc == 0) break;
        if (rc < 0) {
            if (!c->version && reason == RC_UNSUPPORTED_VERSION) {
                c->version = MQTT_V311; /* answer in the form any client reads */
                sendConnack(c, 0, reason, NULL);
                connClose(c);
            } else if (!c->version && connectIsV5(c->in.data + used, c->in.len - used) &&
                       reason == RC_MALFORMED) {
                /* A malformed v5 CONNECT gets CONNACK 0x81 (§4.13.1), so the
                 * client learns why before the close. */
                c->version = MQTT_V5;
                sendConnack(c, 0, reason, NULL);
                connClose(c);
            } else {
                connFail(c, reason,
                         reason == RC_PACKET_TOO_LARGE ? "packet too large" : "malformed packet");
            }
            break;
        }
        used += pkt.length;
        if (pkt.type == MQTT_CONNECT)
            onConnect(c, &pkt.u.connect, (const uint8_t *)c->in.data + used - pkt.length,
                      pkt.length);
        else
            onPacket(c, &pkt);
    }
    if (used) {
        memmove(c->in.data, c->in.data + used, c->in.len - used);
        c->in.len -= used;
    }
    if (!c->in.len && c->in.cap > BUF_KEEP) bufFree(&c->in);
}

/* Pause reading while output is over its bound, or while input waits for
 * a password check beyond one packet; feTurn resumes it. */
static void maybePause(Conn *c) {
    if (c->closing || c->readStopped) return;
    if (pending(c) > c->srv->opt.maxOutputBytes || (c->authPending && c->in.len > inputLimit(c))) {
        if (!carried(c))
            uv_read_stop((uv_stream_t *)&c->tcp);
        else if (c->carrier.pause && !c->carrierGone)
            c->carrier.pause(c->carrier.ctx, 1);
        c->readStopped = 1;
    }
}

static void onRead(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* Decode what waited and read again once the output drained to half. */
static void maybeResume(Conn *c) {
    if (c->closing || !c->readStopped || c->authPending ||
        pending(c) >= c->srv->opt.maxOutputBytes / 2)
        return;
    processInput(c);
    if (c->closing || pending(c) > c->srv->opt.maxOutputBytes) return;
    c->readStopped = 0;
    if (!carried(c))
        uv_read_start((uv_stream_t *)&c->tcp, streamAlloc, onRead);
    else if (c->carrier.pause && !c->carrierGone)
        c->carrier.pause(c->carrier.ctx, 0);
}

/* ---- libuv callbacks -------------------------------------------------------- */

static int tlsInput(Conn *c, const char *p, size_t n) {
    return streamTlsInput(c->ssl, c->rbio, c->wbio, (uv_stream_t *)&c->tcp, &c->writing, p, n,
                          &c->in) < 0
               ? -1
               : 0;
}

static void onRead(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    Conn *c = (Conn *)s;
    if (n > 0 && !c->closing) {
        c->lastSeen = uv_now(c->srv->loop);
        if (c->ssl) {
            if (tlsInput(c, buf->base, (size_t)n) != 0) connClose(c);
        } else {
            bufAppend(&c->in, buf->base, (size_t)n);
        }
        if (!c->closing) processInput(c);
        maybePause(c);
    } else if (n < 0) {
        connClose(c);
    }
    free(buf->base);
}

static void evictConn(NodeConn *nc) {
    connClose((Conn *)((char *)nc - offsetof(Conn, nc)));
}

static int admitConn(Node *node, Conn *c) {
    char addr[sizeof(c->nc.addr)];
    admitPeerAddr(&c->tcp, addr, sizeof(addr));
    return admitAccept(nodeAdmit(node), &c->nc, addr, evictConn);
}

static void onConnection(uv_stream_t *listener, int status) {
    Server *srv = listener->data;
    if (status < 0) return admitAcceptFailed(nodeAdmit(srv->node), status);
    Conn *c = calloc(1, sizeof(*c));
    if (!c) return;
    c->srv = srv;
    c->clientMaxPacket = UINT32_MAX;
    uv_tcp_init(srv->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || srv->stopping ||
        !admitConn(srv->node, c)) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, onClosed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->lastSeen = c->acceptedAt = uv_now(srv->loop);
    if (nodeListenerTls(&srv->lis, listener)) {
        c->ssl = SSL_new(srv->lis.ctx);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        SSL_set_accept_state(c->ssl);
    }
    c->next = srv->conns;
    srv->conns = c;
    uv_read_start((uv_stream_t *)&c->tcp, streamAlloc, onRead);
}

/* Once per loop turn, after the node's group commit: one write per
 * connection. */
static void feTurn(void *ctx) {
    Server *srv = ctx;
    for (Conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        maybeResume(c);
        if (c->closing) continue;
        if (c->session && pending(c) < srv->opt.maxOutputBytes / 2)
            exchangeDrain(srv->x, c->session);
        flushConn(c);
    }
}

/* A carried connection's carrier counts what it holds itself. */
static size_t connBuffered(const Conn *c) {
    return c->in.len + c->out.len + c->writing;
}

static size_t feBuffered(void *ctx, size_t *unauth) {
    Server *srv = ctx;
    size_t n = 0;
    *unauth = 0;
    for (Conn *c = srv->conns; c; c = c->next) {
        size_t b = connBuffered(c);
        n += b;
        if (!c->session) *unauth += b;
    }
    return n;
}

/* Close the connections over share, unauthenticated (no session yet) or
 * authenticated ones as unauthOnly says (see NodeFrontend.shed). */
static int feShed(void *ctx, size_t share, int unauthOnly) {
    Server *srv = ctx;
    int closed = 0;
    for (Conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (!c->session == !!unauthOnly && connBuffered(c) > share) {
            connFail(c, RC_QUOTA_EXCEEDED, "connection buffers over the node's memory budget");
            closed++;
        }
    }
    return closed;
}

static void feTick(void *ctx, int64_t now) {
    Server *srv = ctx;
    (void)now;
    uint64_t ms = uv_now(srv->loop);
    for (Conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        /* §3.1.2.10: one and a half keep-alive periods of silence. */
        if (c->keepAlive && ms - c->lastSeen > (uint64_t)c->keepAlive * 1500)
            connFail(c, RC_KEEPALIVE_TIMEOUT, "keep alive timeout");
        else if (!c->session && ms - c->acceptedAt > (uint64_t)srv->opt.connectTimeout * 1000)
            connClose(c); /* no completed CONNECT within the deadline from accept */
    }
}

static void feStop(void *ctx) {
    Server *srv = ctx;
    if (srv->stopping) return;
    srv->stopping = 1;
    while (srv->conns)
        connFail(srv->conns, RC_SERVER_SHUTTING_DOWN, "node shutting down");
    nodeListenersClose(&srv->lis);
}

static void feReloaded(void *ctx) {
    Server *srv = ctx;
    for (Conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->revoked) connFail(c, RC_NOT_AUTHORIZED, "principal removed or no longer valid");
    }
}

static void feDescribe(void *ctx, char *out, size_t cap) {
    Server *srv = ctx;
    strFormat(out, cap, "mqtt %s, mqtts %s", srv->lis.plainOn ? srv->opt.mqttAddr : "off",
              srv->lis.tlsOn ? srv->opt.mqttsAddr : "off");
}

/* ---- connections carried by other front-ends (stream.h) -------------------- */

static void *protoOpen(void *ctx, const StreamCarrier *carrier) {
    Server *srv = ctx;
    if (srv->stopping) return NULL;
    Conn *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->srv = srv;
    c->clientMaxPacket = UINT32_MAX;
    c->carrier = *carrier;
    /* The CONNECT deadline counts from here: for a WebSocket, the upgrade. */
    c->lastSeen = c->acceptedAt = uv_now(srv->loop);
    c->next = srv->conns;
    srv->conns = c;
    return c;
}

static int protoInput(void *conn, const void *p, size_t n) {
    Conn *c = conn;
    if (c->closing) return -1;
    c->lastSeen = uv_now(c->srv->loop);
    bufAppend(&c->in, p, n);
    if (!c->readStopped) processInput(c);
    maybePause(c);
    return c->closing ? -1 : 0;
}

static void protoClosed(void *conn) {
    Conn *c = conn;
    c->carrierGone = 1;
    connClose(c); /* a lost connection: the will goes out */
    if (c->authPending)
        c->freeLater = 1; /* the password check still holds it */
    else
        connFree(c);
}

static void captureWrite(void *ctx, const void *p, size_t n) {
    bufAppend(ctx, p, n);
}

static void captureClose(void *ctx) {
    (void)ctx; /* the fuzzer frees it with mqttServerTestClose */
}

MqttConn *mqttServerTestOpen(MqttServer *srv, const char *principal, pnBuf *out) {
    StreamCarrier k = {.ctx = out, .write = captureWrite, .close = captureClose};
    strCopy(k.principal, sizeof(k.principal), principal);
    return protoOpen(srv, &k);
}

int mqttServerTestInput(MqttConn *conn, const void *p, size_t n) {
    return protoInput(conn, p, n);
}

void mqttServerTestClose(MqttConn *conn) {
    if (conn) protoClosed(conn);
}

/* ---- setup ----------------------------------------------------------------- */

int mqttServerStart(MqttServer **out, Node *node, const MqttServerOptions *opt, pnError *err) {
    *out = NULL;
    Server *srv = calloc(1, sizeof(*srv));
    if (!srv) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    srv->node = node;
    srv->loop = nodeLoop(node);
    srv->x = nodeExchange(node);
    srv->opt = *opt;
    if (!srv->opt.maxPacketSize) srv->opt.maxPacketSize = 1u << 20;
    if (!srv->opt.maxQosSet || srv->opt.maxQos > 2 || srv->opt.maxQos < 0) srv->opt.maxQos = 2;
    if (!srv->opt.maxOutputBytes) srv->opt.maxOutputBytes = 4u << 20;
    if (!srv->opt.connectTimeout) srv->opt.connectTimeout = 10;
    if (!srv->opt.sessionExpiry311) srv->opt.sessionExpiry311 = MQTT_SESSION_EXPIRY_311;
    if (!srv->opt.maxConnectSize) srv->opt.maxConnectSize = 64u << 10;
    if (!srv->opt.maxLoginChecks) srv->opt.maxLoginChecks = 64;
    if (!srv->opt.maxLoginChecksPerAddress) srv->opt.maxLoginChecksPerAddress = 32;
    *out = srv; /* from here on freed by mqttServerFree, also on error */
    int rc = nodeListenersStart(node, &srv->lis, opt->mqttAddr, opt->mqttsAddr, opt->certFile,
                                opt->keyFile, opt->caFile, opt->requireClientCert, onConnection,
                                srv, err);
    NodeFrontend fe = {.name = "mqtt",
                       .ctx = srv,
                       .turn = feTurn,
                       .tick = feTick,
                       .reloaded = feReloaded,
                       .stop = feStop,
                       .describe = feDescribe,
                       .buffered = feBuffered,
                       .shed = feShed};
    StreamProtocol proto = {.name = "mqtt",
                            .ctx = srv,
                            .maxMessage = srv->opt.maxPacketSize,
                            .open = protoOpen,
                            .input = protoInput,
                            .closed = protoClosed};
    if (rc == PN_OK) rc = nodeAdd(node, &fe, err);
    if (rc == PN_OK) rc = nodeProtocolAdd(node, &proto, err);
    if (rc != PN_OK) feStop(srv);
    return rc;
}

void mqttServerFree(MqttServer *srv) {
    if (!srv) return;
    assert(!srv->conns);
    mqttPropFree(&srv->props);
    nodeListenersFree(&srv->lis);
    free(srv);
}
