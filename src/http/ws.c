/*
 * ws.c -- GET /v1/stream: the live feed as a WebSocket (RFC 6455, framed
 * by wslay).
 *
 * The connection gets a non-persistent exchange session "$ws-N" for the
 * caller, subscribed at QoS 1 to the topic filter; the exchange decides
 * every delivery (live and retained) with decide() before it reaches the
 * send hook here, which writes it as one text frame holding the message's
 * JSON (as in GET /v1/messages).  WebSocket has no acknowledgements, so a
 * frame handed to wslay counts as delivered.
 *
 * Backpressure: while more than WS_OUTPUT_BOUND bytes wait for the client,
 * the send hook refuses, and the exchange keeps the messages queued (its
 * per-session bound, then the log).  A client whose output stays over the
 * bound for WS_SLOW_MS is closed with code 1008 ("client too slow");
 * messages it never read are not buffered without bound.  The same holds
 * for what the client makes us send (pongs to a ping flood): over the
 * bound its frames are not read (the socket's reading pauses), and it is
 * closed with 1008 after WS_SLOW_MS.  Other close
 * codes: 1001 when the node shuts down, 1008 when the principal is removed
 * or no longer valid after a reload.  Frames from the client other than
 * ping and close are ignored; the feed is read-only.
 *
 * The upgrade itself (wsStart, wsAccept) and the framing are shared with
 * MQTT over WebSocket (wsmqtt.c), whose messages go to the MQTT front-end.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../core/date.h"
#include "../exchange/topic.h"
#include "conn.h"

#define WS_OUTPUT_BOUND (1u << 20)
#define WS_SLOW_MS 5000
#define WS_MAX_RECV 65536
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_POLICY 1008

static const char wsGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

size_t wsQueued(const HttpConn *c) {
    return httpPending(c) + (c->ws ? wslay_event_get_queued_msg_length(c->ws) : 0);
}

/* ---- exchange hooks ---------------------------------------------------------- */

static int hookSend(void *conn, Session *s, Outgoing *o) {
    HttpConn *c = conn;
    (void)s;
    if (c->closing || c->closeAfter || c->revoked || !c->ws) return -1;
    if (wsQueued(c) > WS_OUTPUT_BOUND || c->nsent >= (int)(sizeof(c->sent) / sizeof(c->sent[0]))) {
        if (!c->slowSince) c->slowSince = uv_now(c->srv->loop);
        return -1;
    }
    const Message *m = o->m;
    MessageView v;
    messageViewOf(m, &v);
    pnBuf *b = &c->srv->frame;
    b->len = 0;
    (c->wsBinding ? messageBindingJson : messageJson)(b, &v);
    struct wslay_event_msg msg = {WSLAY_TEXT_FRAME, (const uint8_t *)bufStr(b), b->len};
    if (bufFailed(b) || wslay_event_queue_msg(c->ws, &msg) != 0) {
        if (bufFailed(b)) bufFree(b);
        return -1;
    }
    if (o->qos) c->sent[c->nsent++] = o->packetId;
    return 0;
}

static void hookRelease(void *conn, uint16_t packetId) {
    (void)conn, (void)packetId;
}

static void hookAck(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why) {
    (void)conn, (void)packetId, (void)qos, (void)reason, (void)why; /* a feed never publishes */
}

static void hookRevoke(void *conn) {
    ((HttpConn *)conn)->revoked = 1; /* closed by wsTurn, after the sessions were walked */
}

static const ExchangeHooks wsHooks = {
    .send = hookSend, .release = hookRelease, .ack = hookAck, .revoke = hookRevoke};

/* ---- wslay callbacks ------------------------------------------------------------ */

static ssize_t onRecv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                      void *user) {
    HttpConn *c = user;
    (void)flags;
    size_t have = c->in.len - c->inPos;
    if (!have) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > have) len = have;
    memcpy(buf, c->in.data + c->inPos, len);
    c->inPos += len;
    return (ssize_t)len;
}

static ssize_t onSend(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                      void *user) {
    (void)ctx, (void)flags;
    httpWriteRaw(user, data, len);
    return (ssize_t)len;
}

static void onMsg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg,
                  void *user) {
    HttpConn *c = user;
    (void)ctx; /* ping and close are answered by wslay; the feed ignores the rest */
    if (c->mqtt) wsMqttMessage(c, arg->opcode, arg->msg, arg->msg_length);
}

/* ---- opening ---------------------------------------------------------------------- */

static int upgradeValid(HttpConn *c, const char *path) {
    HttpRequest *r = &c->req;
    if (!r->upgradeWs || !c->parser.upgrade || !r->wsKey[0]) {
        httpError(c, 426, "upgrade_required", "GET %s is a WebSocket: send Upgrade: websocket",
                  path);
        return 0;
    }
    if (strcmp(r->wsVersion, "13") != 0) {
        httpError(c, 400, "bad_request", "Sec-WebSocket-Version must be 13");
        return 0;
    }
    return 1;
}

int wsStart(HttpConn *c, const char *path, size_t maxMessage) {
    if (!upgradeValid(c, path)) return -1;
    struct wslay_event_callbacks cb = {
        .recv_callback = onRecv, .send_callback = onSend, .on_msg_recv_callback = onMsg};
    if (wslay_event_context_server_init(&c->ws, &cb, c) != 0) {
        c->ws = NULL;
        httpError(c, 503, "unavailable", "out of memory");
        return -1;
    }
    wslay_event_config_set_max_recv_msg_length(c->ws, maxMessage);
    return 0;
}

void wsAccept(HttpConn *c, const char *subprotocol) {
    HttpServer *srv = c->srv;
    /* Sec-WebSocket-Accept: base64(SHA-1(key + GUID)) */
    char keyGuid[128], accept[64];
    unsigned char sha[EVP_MAX_MD_SIZE];
    unsigned shaLen = 0;
    int n = snprintf(keyGuid, sizeof(keyGuid), "%s%s", c->req.wsKey, wsGuid);
    EVP_Digest(keyGuid, (size_t)n, sha, &shaLen, EVP_sha1(), NULL);
    EVP_EncodeBlock((unsigned char *)accept, sha, (int)shaLen);
    srv->st.status[101]++;
    srv->st.wsOpened++;
    bufPrintf(&c->out,
              "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: %s\r\n",
              accept);
    if (subprotocol) bufPrintf(&c->out, "Sec-WebSocket-Protocol: %s\r\n", subprotocol);
    bufPuts(&c->out, "\r\n");
    c->wsMode = 1;
}

void wsOpen(HttpConn *c) {
    HttpServer *srv = c->srv;
    HttpRequest *r = &c->req;
    static char filter[TOPIC_MAX_LEN + 1]; /* any filter MQTT can carry; single-threaded */
    int q = queryGet(r->query, "topic", filter, sizeof(filter));
    if (q == 0) strcpy(filter, "#");
    char binding[8];
    int qb = queryGet(r->query, "binding", binding, sizeof(binding));
    if (qb < 0 || (qb > 0 && strcmp(binding, "1") != 0 && strcmp(binding, "0") != 0))
        return httpError(c, 400, "bad_request", "'binding' must be 1 or 0");
    c->wsBinding = qb > 0 && binding[0] == '1';
    if (!upgradeValid(c, "/v1/stream")) return;
    if (!apiTopicFilter(c, q, filter)) return;
    char id[64];
    int present;
    void *taken;
    snprintf(id, sizeof(id), "$ws-%llu", (unsigned long long)c->id);
    apiDetach(c);
    c->session =
        exchangeAttach(srv->x, id, c->principal, &c->p, 1, 0, 0, &wsHooks, c, &present, &taken);
    if (!c->session) return httpError(c, 503, "unavailable", "out of memory");
    if (wsStart(c, "/v1/stream", WS_MAX_RECV) != 0) return;
    c->session->auditAll = (c->roles & PRINCIPAL_ROLE_NODE) != 0; /* as for MQTT peers */
    wsAccept(c, NULL);
    /* After the 101, so retained messages follow it. */
    int rc = exchangeSubscribe(srv->x, c->session, filter, 1, 0);
    if (rc >= 0x80) wsClose(c, WS_CLOSE_POLICY, "subscription refused"); /* frame sent now */
}

/* ---- running ------------------------------------------------------------------------ */

void wsClose(HttpConn *c, uint16_t code, const char *why) {
    if (c->ws && !wslay_event_get_close_sent(c->ws))
        wslay_event_queue_close(c->ws, code, (const uint8_t *)why, strlen(why));
    if (c->ws) wslay_event_send(c->ws);
    c->closeAfter = 1;
}

int wsOverBound(HttpConn *c) {
    if (wsQueued(c) <= WS_OUTPUT_BOUND) return 0;
    if (!c->slowSince) c->slowSince = uv_now(c->srv->loop);
    return 1;
}

void wsInput(HttpConn *c) {
    if (!c->ws || wsOverBound(c)) return;
    if (wslay_event_recv(c->ws) != 0) return httpClose(c);
    /* A close from the client, or one wslay queued for a bad frame
     * (unmasked: 1002; over the size: 1009): send it and end. */
    if (wslay_event_get_close_received(c->ws) || !wslay_event_get_read_enabled(c->ws))
        wsClose(c, 1000, "");
}

void wsTurn(HttpConn *c) {
    if (!c->ws || c->closing) return;
    if (c->revoked)
        return wsClose(c, WS_CLOSE_POLICY,
                       "credentials revoked: token or principal no longer valid");
    if (c->closeAfter) return;
    if (c->session && wsQueued(c) < WS_OUTPUT_BOUND) {
        /* What the send hook framed -- in this drain, or during the commit's
         * fan-out before it -- is acknowledged here: a WebSocket has no
         * acknowledgements, and an unacknowledged window would stall the
         * feed after 1,000 messages. */
        exchangeDrain(c->srv->x, c->session);
        for (int i = 0; i < c->nsent; i++)
            exchangeAcked(c->srv->x, c->session, c->sent[i], 4 /* PUBACK */);
        c->nsent = 0;
    }
    if (wsQueued(c) < WS_OUTPUT_BOUND / 2) c->slowSince = 0;
    wslay_event_send(c->ws);
    if (c->inPos < c->in.len) wsInput(c); /* frames left while over the bound */
}

void wsTick(HttpConn *c, uint64_t nowMs) {
    /* MQTT bounds its own output (and the frames it reads then wait). */
    if (c->mqtt) return;
    if (c->slowSince && nowMs - c->slowSince > WS_SLOW_MS) {
        c->srv->st.wsClosedSlow++;
        wsClose(c, WS_CLOSE_POLICY, "client too slow: output stayed over the bound");
        httpClose(c); /* its output is stuck: waiting for it to drain is what it cannot do */
    }
}

void wsGoingAway(HttpConn *c) {
    wsClose(c, WS_CLOSE_GOING_AWAY, "node shutting down");
    httpFlush(c);
}

void wsFree(HttpConn *c) {
    if (c->ws) wslay_event_context_free(c->ws);
    c->ws = NULL;
}
