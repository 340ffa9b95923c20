/*
 * wsmqtt.c -- GET /mqtt: MQTT over WebSocket (RFC 6455, MQTT 5 §6), so
 * MQTT clients in a browser (MQTT.js) connect to the node as they do to
 * mosquitto.
 *
 * The upgrade must offer the subprotocol "mqtt"; without it there is no
 * upgrade (400).  The connection then carries a connection of the MQTT
 * front-end, found on the node as the StreamProtocol "mqtt"
 * (src/node/stream.h): every binary message from the client is MQTT
 * input, whatever the packet boundaries (a packet may span messages, a
 * message may hold several packets), and what the MQTT side writes goes
 * out as binary messages.  CONNECT, sessions, labels and decide() are the
 * MQTT front-end's, unchanged; its CONNECT deadline counts from the
 * upgrade.  A text message is closed with 1003 (MQTT is binary, §6.0), a
 * message larger than the MQTT maximum packet size with 1009, an unmasked
 * client frame with 1002 (wslay).
 *
 * Identity: a bearer token on the upgrade (as for the rest of the API), or
 * the client certificate over HTTPS -- but not for a page of another
 * origin: a browser presents its certificate to any site's page that
 * opens a WebSocket, so a cross-origin upgrade gets no certificate
 * identity (it may still log in with the MQTT username and password).
 * Without either, the MQTT CONNECT's username and password decide.
 */
#include <string.h>
#include <strings.h>

#include "../core/str.h"
#include "conn.h"

#define WS_CLOSE_UNSUPPORTED 1003
#define WS_CLOSE_INTERNAL 1011

/* ---- the carrier: how the MQTT side's bytes reach the client ----------------- */

static void carrierWrite(void *ctx, const void *p, size_t n) {
    HttpConn *c = ctx;
    if (c->closing || c->closeAfter || !c->ws) return;
    struct wslay_event_msg m = {WSLAY_BINARY_FRAME, p, n};
    if (wslay_event_queue_msg(c->ws, &m) != 0) {
        /* Out of memory: MQTT bytes cannot be dropped from the middle of
         * the stream, so the connection ends. */
        return wsClose(c, WS_CLOSE_INTERNAL, "out of memory");
    }
    wslay_event_send(c->ws);
    httpFlush(c);
}

static size_t carrierPending(void *ctx) {
    return wsQueued(ctx);
}

static void carrierPause(void *ctx, int on) {
    HttpConn *c = ctx;
    c->mqttPaused = on;
    if (!on) return httpReadResume(c);
    if (c->closing || c->readStopped) return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->readStopped = 1;
}

/* The close frame goes out now, not at the next loop turn: the MQTT side
 * may close from the node's tick (CONNECT deadline, keep-alive), after
 * which the loop can wait a second for I/O.  The connection itself ends at
 * a later turn (or when the client answers the close), then closed(). */
static void carrierClose(void *ctx) {
    wsClose(ctx, 1000, "");
    httpFlush(ctx);
}

/* ---- upgrade ------------------------------------------------------------------- */

/* Whether the comma-separated list names token (case-sensitive, RFC 6455
 * §4.1: subprotocol names are compared exactly). */
static int listHas(const char *list, const char *token) {
    size_t n = strlen(token);
    for (const char *p = list; *p;) {
        p += strspn(p, " \t,");
        size_t len = strcspn(p, " \t,");
        if (len == n && strncmp(p, token, n) == 0) return 1;
        p += len;
    }
    return 0;
}

/* The identity the upgrade carries into principal ("" for none).  Returns
 * 0 after refusing (401: a token or certificate that names no valid
 * principal). */
static int upgradeIdentity(HttpConn *c, char *principal, size_t cap) {
    principal[0] = '\0';
    const HttpRequest *r = &c->req;
    X509 *cert = c->ssl ? SSL_get1_peer_certificate(c->ssl) : NULL;
    int certOk = cert && (!r->origin[0] || httpSameOrigin(r->origin, r->host));
    X509_free(cert);
    if (!r->auth[0] && !certOk) {
        c->authed = 0; /* nothing from an earlier request stays with this connection */
        c->authKey[0] = '\0';
        return 1;
    }
    if (!httpAuthFor(c, certOk)) return 0;
    strCopy(principal, cap, c->principal);
    return 1;
}

void wsMqttOpen(HttpConn *c) {
    const StreamProtocol *p = nodeProtocolFind(c->srv->node, "mqtt");
    if (!p) return httpError(c, 404, "mqtt_off", "this node has no MQTT front-end");
    if (wsStart(c, "/mqtt", p->maxMessage) != 0) return;
    StreamCarrier k = {.ctx = c,
                       .write = carrierWrite,
                       .pending = carrierPending,
                       .pause = carrierPause,
                       .close = carrierClose,
                       .nc = &c->nc};
    if (!listHas(c->req.wsProtocol, "mqtt")) {
        wsFree(c);
        return httpError(c, 400, "bad_subprotocol",
                         "GET /mqtt carries MQTT only: offer Sec-WebSocket-Protocol: mqtt");
    }
    if (!upgradeIdentity(c, k.principal, sizeof(k.principal))) return wsFree(c);
    c->mqtt = p->open(p->ctx, &k);
    if (!c->mqtt) {
        wsFree(c);
        return httpError(c, 503, "unavailable", "the MQTT front-end takes no connection now");
    }
    c->proto = p;
    wsAccept(c, "mqtt");
}

/* ---- messages ---------------------------------------------------------------------- */

void wsMqttMessage(HttpConn *c, uint8_t opcode, const uint8_t *p, size_t n) {
    if (c->closeAfter || !c->mqtt) return;
    if (opcode == WSLAY_TEXT_FRAME)
        return wsClose(c, WS_CLOSE_UNSUPPORTED, "MQTT over WebSocket takes binary messages only");
    if (opcode == WSLAY_BINARY_FRAME) c->proto->input(c->mqtt, p, n);
}

void wsMqttDetach(HttpConn *c) {
    void *m = c->mqtt;
    if (!m) return;
    c->mqtt = NULL;
    c->proto->closed(m);
}
