/*
 * messages.c -- POST /v1/messages (publish through the exchange, answered
 * once durable) and GET /v1/messages (history from the log, decided per
 * message for the caller).
 *
 * A connection that publishes gets a non-persistent exchange session
 * "$http-N" for its principal; each POST is a QoS 1 publish whose
 * acknowledgement comes from the exchange at the next group commit,
 * after the fsync, and only then is 201 sent with the message id
 * "ORIGIN:SEQ".
 *
 * A JSON payload ("payload") is stored as its compact JSON text with the
 * MQTT 5 properties payload format 1 and content type application/json,
 * so MQTT subscribers see what it is; "payload_base64" is stored as the
 * decoded bytes.  History gives back "payload" for messages whose content
 * type is application/json and whose payload parses, else
 * "payload_base64" and, when the bytes are valid UTF-8, the same payload
 * as "payload_text" beside it (a reader need not decode base64 to read
 * a text message; the base64 stays for clients that expect it).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../exchange/topic.h"
#include "../mqtt/mqtt.h"
#include "../exchange/msgsign.h"
#include "../label/binding.h"
#include "conn.h"
#include "cursor.h"
#include "../core/jsoncheck.h"

#define HISTORY_LIMIT_DEFAULT 100
#define HISTORY_LIMIT_MAX 1000
#define HISTORY_SCAN_MAX 100000       /* records examined per request, allowed or not */
#define HISTORY_PAGE_BYTES (1u << 20) /* a page ends once its body passes this */

/* Payload format indicator 1 (UTF-8) and content type application/json. */
static const char jsonProps[] = "\x01\x01\x03\x00\x10"
                                "application/json";
#define JSON_PROPS_LEN (sizeof(jsonProps) - 1)

/* ---- the publishing session ------------------------------------------------ */

static int hookSend(void *conn, Session *s, Outgoing *o) {
    (void)conn, (void)s, (void)o;
    return 1; /* a publishing session subscribes to nothing */
}

static void hookRelease(void *conn, uint16_t packetId) {
    (void)conn, (void)packetId;
}

static void hookAck(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why) {
    HttpConn *c = conn;
    (void)qos;
    if (!c->waiting || packetId != c->packetId) return;
    c->waiting = 0;
    if (reason) {
        httpError(c, 503, "unavailable", "%s", why ? why : "the node cannot store the message");
        return;
    }
    char body[200];
    int n = snprintf(body, sizeof(body), "{\"id\": \"%s:%llu\"}\n", nodeName(c->srv->node),
                     (unsigned long long)c->pendingSeq);
    httpRespond(c, 201, NULL, "application/json", body, (size_t)n);
}

static void hookRevoke(void *conn) {
    HttpConn *c = conn;
    c->authed = 0; /* authenticated again by the next request */
}

static const ExchangeHooks publishHooks = {
    .send = hookSend, .release = hookRelease, .ack = hookAck, .revoke = hookRevoke};

void apiDetach(HttpConn *c) {
    if (!c->session) return;
    if (c->session->conn == c) exchangeDetach(c->srv->x, c->session);
    c->session = NULL;
}

/* The connection's session for its current principal, attached when needed. */
static Session *publishSession(HttpConn *c) {
    if (c->session && strcmp(c->session->principalName, c->principal) != 0) apiDetach(c);
    if (!c->session) {
        char id[64];
        int present;
        void *taken;
        snprintf(id, sizeof(id), "$http-%llu", (unsigned long long)c->id);
        c->session = exchangeAttach(c->srv->x, id, c->principal, &c->p, 1, 0, 0, &publishHooks, c,
                                    &present, &taken);
    }
    if (c->session) c->session->principal = c->p; /* compiled again after a reload */
    return c->session;
}

/* ---- POST /v1/messages --------------------------------------------------------- */

static int refusalStatus(int rc) {
    return rc == XR_NOT_AUTHORIZED ? 403 : rc == XR_SERVER_BUSY ? 503 : 400;
}

static const char *refusalCode(int rc, const char *why) {
    if (rc == XR_PAYLOAD_FORMAT_INVALID) return "invalid_label";
    if (rc == XR_TOPIC_NAME_INVALID) return "bad_topic";
    if (rc == XR_SERVER_BUSY) return "unavailable";
    return strncmp(why, "no label", 8) == 0 ? "no_label" : "forbidden";
}

void apiPublish(HttpConn *c) {
    static const char *const fields[] = {"topic", "label", "payload", "payload_base64", NULL};
    json_t *doc = httpBodyObject(c, fields);
    if (!doc) return;
    json_t *topic = json_object_get(doc, "topic"), *label = json_object_get(doc, "label");
    json_t *payload = json_object_get(doc, "payload"),
           *b64 = json_object_get(doc, "payload_base64");
    char *text = NULL;
    uint8_t *bytes = NULL;
    size_t len = 0;
    const char *bad = NULL;
    if (!json_is_string(topic))
        bad = "'topic' (a string) is required";
    else if (!json_is_string(label))
        bad = "'label' (a display marking or STANAG 4774 XML) is required";
    else if (!payload == !b64)
        bad = "exactly one of 'payload' (any JSON) and 'payload_base64' is required";
    else if (b64 && !json_is_string(b64))
        bad = "'payload_base64' must be a string";
    if (!bad && payload) {
        text = json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
        len = text ? strlen(text) : 0;
        if (!text) bad = "payload cannot be encoded";
    } else if (!bad) {
        size_t n = json_string_length(b64);
        bytes = malloc(n / 4 * 3 + 3);
        int got =
            bytes && n % 4 == 0
                ? EVP_DecodeBlock(bytes, (const unsigned char *)json_string_value(b64), (int)n)
                : -1;
        const char *s = json_string_value(b64);
        if (got < 0) {
            bad = "'payload_base64' is not base64";
        } else {
            len = (size_t)got - (n && s[n - 1] == '=') - (n > 1 && s[n - 2] == '=');
        }
    }
    Session *s = bad ? NULL : publishSession(c);
    if (bad || !s) {
        httpError(c, bad ? 400 : 503, bad ? "bad_request" : "unavailable", "%s",
                  bad ? bad : "out of memory");
    } else {
        const char *why = "";
        if (++c->packetId == 0) c->packetId = 1;
        int rc = exchangePublish(
            c->srv->x, s, json_string_value(topic), json_string_length(topic),
            json_string_value(label), json_string_length(label),
            text ? (const uint8_t *)jsonProps : NULL, text ? (uint32_t)JSON_PROPS_LEN : 0,
            text ? (const uint8_t *)text : bytes, (uint32_t)len, 1, 0, c->packetId, &why);
        if (rc == 0) {
            c->waiting = 1; /* answered by hookAck at the commit */
            /* The offset the record got: accept() may rewind a broken log
             * (storeRetry) before appending, so the offset read before the
             * publish can be stale. */
            c->pendingSeq = exchangeNextOffset(c->srv->x) - 1;
        } else {
            httpError(c, refusalStatus(rc), refusalCode(rc, why), "%s", why);
        }
    }
    free(text);
    free(bytes);
    json_decref(doc);
}

/* ---- GET /v1/messages ------------------------------------------------------------ */

/* The key sealing history cursors (cursor.h); NULL after a 503. */
static const unsigned char *cursorKey(HttpConn *c) {
    HttpServer *srv = c->srv;
    if (!srv->cursorKeyLoaded) {
        char path[4200];
        pnError err = {0};
        snprintf(path, sizeof(path), "%s/cursor.key", nodeDataDir(srv->node));
        if (cursorKeyLoad(path, srv->cursorKey, &err) != PN_OK) {
            httpFailInternal(c, 503, "unavailable", "history cursors are unavailable", err.msg);
            return NULL;
        }
        srv->cursorKeyLoaded = 1;
    }
    return srv->cursorKey;
}

/* Where to start for since: a sealed cursor (its offset), an id
 * "ORIGIN:SEQ" of this node (after it) or a time (the first record at or
 * after it).  -1 after a 400 or 503.
 *
 * An id is accepted only when it names a message this node holds that the
 * caller may read now: otherwise a made-up "NODE:N" would start the scan at
 * an offset of the caller's choosing among records it may not see.  An id
 * of a message the caller may not read, of one no longer held (retention)
 * or of none at all gets the same 400. */

/* The topic rules (acl_file) let the caller read v's topic. */
static int topicReadable(HttpConn *c, Exchange *x, const MessageView *v) {
    static char topic[TOPIC_MAX_LEN + 1]; /* single-threaded */
    if (v->topicLen >= sizeof(topic)) return 0;
    memcpy(topic, v->topic, v->topicLen);
    topic[v->topicLen] = '\0';
    return exchangeMayRead(x, &c->p, c->principal, topic);
}

static int startOffset(HttpConn *c, const char *since, uint64_t *start) {
    Exchange *x = c->srv->x;
    uint64_t lo = exchangeFirstOffset(x), hi = exchangeVisibleOffset(x);
    int64_t t;
    *start = lo;
    if (!since[0]) return 0;
    if (cursorIs(since)) {
        const unsigned char *key = cursorKey(c);
        uint64_t off;
        if (!key) return -1;
        if (cursorOpen(key, since, &off) != 0) {
            httpError(c, 400, "bad_since", "'since' is not a cursor this node gave out");
            return -1;
        }
        if (off > *start) *start = off;
        return 0;
    }
    if (timeParse(since, &t) == 0) {
        while (lo < hi) { /* record times never go down */
            uint64_t mid = lo + (hi - lo) / 2;
            MessageView v;
            DecideLabel dl;
            if (exchangeRead(x, mid, &v, &dl, &c->srv->scratch) != PN_OK || v.time < t)
                lo = mid + 1;
            else
                hi = mid;
        }
        *start = lo;
        return 0;
    }
    const char *colon = strrchr(since, ':');
    const char *node = nodeName(c->srv->node);
    char *end = NULL;
    unsigned long long seq = colon ? strtoull(colon + 1, &end, 10) : 0;
    if (!colon || !end || *end || end == colon + 1) {
        httpError(c, 400, "bad_since", "'since' must be a message id (ORIGIN:SEQ) or a time");
        return -1;
    }
    if ((size_t)(colon - since) != strlen(node) || strncmp(since, node, strlen(node)) != 0) {
        httpError(c, 400, "unknown_origin", "'since' names messages of another node (%.*s)",
                  (int)(colon - since), since);
        return -1;
    }
    MessageView v;
    DecideLabel dl;
    size_t nl = strlen(node);
    if (seq < lo || seq >= hi || exchangeRead(x, seq, &v, &dl, &c->srv->scratch) != PN_OK ||
        v.originLen != nl || memcmp(v.origin, node, nl) != 0 || v.originSeq != seq ||
        !topicReadable(c, x, &v) || decide(&c->p, &dl, timeNow()).reason != DECIDE_ALLOW) {
        httpError(c, 400, "bad_since", "'since' is not the id of a message you may read here");
        return -1;
    }
    *start = seq + 1;
    return 0;
}

static int jsonPayload(const MessageView *v) {
    return v->propsLen && memmem(v->props, v->propsLen, jsonProps + 2, JSON_PROPS_LEN - 2) &&
           jsonCheck((const char *)v->payload, v->payloadLen);
}

/* ":N" for n into out (room for 22 bytes); returns the length. */
static int u64Text(uint64_t n, char *out) {
    char tmp[21];
    int k = 0;
    do
        tmp[k++] = (char)('0' + n % 10);
    while (n /= 10);
    out[0] = ':';
    for (int i = 0; i < k; i++)
        out[1 + i] = tmp[k - 1 - i];
    return k + 1;
}

static void base64Into(pnBuf *b, const uint8_t *p, size_t n);

void messageJson(pnBuf *b, const MessageView *v) {
    char when[21], seq[24];
    timeFormat(v->time, when);
    bufPuts(b, "{\"id\": ");
    jsonString(b, v->origin, v->originLen); /* "ORIGIN" then ":SEQ" inside the quotes */
    b->len--;
    bufAppend(b, seq, (size_t)u64Text(v->originSeq, seq));
    bufPuts(b, "\", \"topic\": ");
    jsonString(b, v->topic, v->topicLen);
    bufPuts(b, ", \"label\": ");
    jsonString(b, v->label, v->labelLen);
    bufPuts(b, ", \"time\": \"");
    bufPuts(b, when);
    bufPuts(b, "\", \"origin\": ");
    jsonString(b, v->origin, v->originLen);
    if (jsonPayload(v)) {
        bufPuts(b, ", \"payload\": ");
        bufAppend(b, v->payload, v->payloadLen);
    } else {
        bufPuts(b, ", \"payload_base64\": \"");
        base64Into(b, v->payload, v->payloadLen);
        bufPuts(b, "\"");
        if (mqttUtf8Valid(v->payload, v->payloadLen)) {
            bufPuts(b, ", \"payload_text\": ");
            jsonString(b, (const char *)v->payload, v->payloadLen);
        }
        const char *ct;
        size_t ctLen;
        if (msgContentType(v->props, v->propsLen, &ct, &ctLen)) { /* the signature covers it */
            bufPuts(b, ", \"content_type\": ");
            jsonString(b, ct, ctLen);
        }
    }
    if (v->sigLen) {
        bufPuts(b, ", \"sig\": ");
        jsonString(b, v->sig, v->sigLen);
    }
    bufPuts(b, "}");
}

int httpWantsBinding(const HttpConn *c) {
    return strcasestr(c->req.accept, BINDING_MEDIA_TYPE) != NULL;
}

static void base64Into(pnBuf *b, const uint8_t *p, size_t n) {
    size_t at = b->len, need = (n + 2) / 3 * 4;
    if (bufGrow(b, need + 1) == 0) {
        EVP_EncodeBlock((unsigned char *)b->data + at, p, (int)n);
        b->len += need;
    }
}

static void bindingJson(pnBuf *b, const MessageView *v, int withPayload) {
    static const char urn[] = "urn:partnernet:message:";
    char when[21], id[160];
    uint8_t digest[32];
    EVP_Digest(v->payload, v->payloadLen, digest, NULL, EVP_sha256(), NULL);
    timeFormat(v->time, when);
    int n = snprintf(id, sizeof(id), "%s%.*s:%llu", urn, (int)v->originLen, v->origin,
                     (unsigned long long)v->originSeq);
    bufPuts(b, "{\"metadataBindingContainer\": {\"metadataBinding\": [{\"metadata\": "
               "[{\"displayMarking\": ");
    jsonString(b, v->label, v->labelLen);
    bufPuts(b, "}], \"dataReference\": [{\"uri\": ");
    jsonString(b, id, (size_t)n);
    bufPuts(b, ", \"digestMethod\": \"SHA-256\", \"digestValue\": \"");
    base64Into(b, digest, 32);
    bufPuts(b, "\"}]}]}, \"originator\": ");
    jsonString(b, v->origin, v->originLen);
    bufPuts(b, ", \"id\": ");
    jsonString(b, id + sizeof(urn) - 1, (size_t)n - (sizeof(urn) - 1));
    bufPuts(b, ", \"time\": \"");
    bufPuts(b, when);
    bufPuts(b, "\", \"topic\": ");
    jsonString(b, v->topic, v->topicLen);
    const char *ct;
    size_t ctLen;
    if (msgContentType(v->props, v->propsLen, &ct, &ctLen)) {
        bufPuts(b, ", \"contentType\": ");
        jsonString(b, ct, ctLen);
    }
    if (v->sigLen) {
        bufPuts(b, ", \"originSignature\": ");
        jsonString(b, v->sig, v->sigLen);
    }
    if (withPayload) {
        bufPuts(b, ", \"payload_base64\": \"");
        base64Into(b, v->payload, v->payloadLen);
        bufPuts(b, "\"");
    }
    bufPuts(b, "}");
}

void messageBindingJson(pnBuf *b, const MessageView *v) {
    bindingJson(b, v, 1);
}

void messageBindingSidecar(pnBuf *b, const MessageView *v) {
    bindingJson(b, v, 0);
}

/* A peer node's reads are audited like its MQTT deliveries (auditAll):
 * every release and every refusal. */
static void auditNode(HttpConn *c, const MessageView *v, const char *topic, const Decision *d) {
    char label[600], detail[300];
    snprintf(label, sizeof(label), "%.*s", (int)v->labelLen, v->label);
    if (d->reason == DECIDE_ALLOW) {
        snprintf(detail, sizeof(detail), "id %.*s:%llu (HTTP history)", (int)v->originLen,
                 v->origin, (unsigned long long)v->originSeq);
        exchangeAudit(c->srv->x, "released", c->principal, topic, label, "", detail);
    } else {
        decideExplain(d, &c->p, nodeSpif(c->srv->node), detail, sizeof(detail));
        exchangeAudit(c->srv->x, "delivery_refused", c->principal, topic, label,
                      decideReasonCode(d->reason), detail);
    }
}

/*
 * End the page with "next" and "more", revealing nothing about records the
 * caller was not given: no offset of a record it may not see, and no sign
 * of whether such records exist (issue 10, item 5; review r1).  Whether
 * the scan stopped at its bound (HISTORY_SCAN_MAX records examined) or at
 * the end of the log depends on how many records follow -- visible or not
 * -- so nothing in the answer depends on it:
 *   - messages returned: the last one's id when it is this node's (the
 *     caller saw it), else a sealed cursor just past it;
 *   - none: a sealed cursor for where the scan stopped (a fresh one each
 *     time, so two say nothing about each other);
 *   - "more": true only when the page is full (limit or size reached).  A
 *     page that is not full says nothing about what follows: the client
 *     asks again from "next" (now or later) to go on.
 */
static void historyNext(HttpConn *c, pnBuf *b, long n, uint64_t last, int lastLocal, uint64_t off,
                        int full, const char *type) {
    char sealed[CURSOR_TEXT_MAX];
    const unsigned char *key = NULL;
    int seal = n == 0 || !lastLocal;
    if (seal && (!(key = cursorKey(c)) || cursorSeal(key, n ? last + 1 : off, sealed) != 0)) {
        bufFree(b);
        if (key) httpError(c, 503, "unavailable", "cannot seal a history cursor");
        return;
    }
    bufPuts(b, "], \"next\": ");
    if (seal)
        bufPrintf(b, "\"%s\"", sealed);
    else
        bufPrintf(b, "\"%s:%llu\"", nodeName(c->srv->node), (unsigned long long)last);
    bufPrintf(b, ", \"more\": %s}\n", full ? "true" : "false");
    if (bufFailed(b))
        httpError(c, 503, "unavailable", "out of memory");
    else
        httpRespond(c, 200, NULL, type, bufStr(b), b->len);
    bufFree(b);
}

int apiTopicFilter(HttpConn *c, int q, const char *filter) {
    size_t n = strlen(filter);
    if (q >= 0 && topicFilterIsShared(filter, n))
        httpError(c, 400, "bad_topic",
                  "'topic' names a shared subscription ($share/...): those are for MQTT clients");
    else if (q < 0 || !topicFilterValid(filter, n))
        httpError(c, 400, "bad_topic", "'topic' must be a valid topic filter");
    else
        return 1;
    return 0;
}

void apiHistory(HttpConn *c) {
    static char filter[TOPIC_MAX_LEN + 1]; /* any filter MQTT can carry; single-threaded */
    char since[160], limitText[16];
    const char *q = c->req.query;
    int hasTopic = queryGet(q, "topic", filter, sizeof(filter));
    int hasLimit = queryGet(q, "limit", limitText, sizeof(limitText));
    if (hasTopic == 0) strcpy(filter, "#");
    if (!apiTopicFilter(c, hasTopic, filter)) return;
    char *end = NULL;
    long limit = hasLimit > 0 ? strtol(limitText, &end, 10) : HISTORY_LIMIT_DEFAULT;
    if (hasLimit < 0 || (end && *end) || limit < 1 || limit > HISTORY_LIMIT_MAX)
        return httpError(c, 400, "bad_limit", "'limit' must be 1 to %d", HISTORY_LIMIT_MAX);
    if (queryGet(q, "since", since, sizeof(since)) < 0)
        return httpError(c, 400, "bad_since", "'since' is malformed");
    uint64_t off;
    if (startOffset(c, since, &off) != 0) return;
    Exchange *x = c->srv->x;
    uint64_t visible = exchangeVisibleOffset(x);
    const char *node = nodeName(c->srv->node);
    int64_t now = timeNow();
    int binding = httpWantsBinding(c);
    pnBuf b;
    bufInit(&b);
    bufPuts(&b, "{\"messages\": [");
    long n = 0;
    static char topic[TOPIC_MAX_LEN + 1]; /* any topic MQTT can carry; single-threaded */
    /* A page also ends past HISTORY_PAGE_BYTES (then "more": true), so one
     * request cannot make the node build a response of a gigabyte. */
    uint64_t scanned = 0, last = 0; /* last: the offset of the last message returned */
    int lastLocal = 0;              /* ... and whether its id is this node's "NODE:offset" */
    for (; off < visible && n < limit && scanned < HISTORY_SCAN_MAX && b.len < HISTORY_PAGE_BYTES;
         off++, scanned++) {
        MessageView v;
        DecideLabel dl;
        if (exchangeRead(x, off, &v, &dl, &c->srv->scratch) != PN_OK || v.topicLen >= sizeof(topic))
            continue;
        memcpy(topic, v.topic, v.topicLen);
        topic[v.topicLen] = '\0';
        if (!topicMatch(filter, topic)) continue;
        if (!exchangeMayRead(x, &c->p, c->principal, topic)) continue; /* topic rules narrow */
        Decision d = decide(&c->p, &dl, now);                          /* the one decision */
        if (c->roles & PRINCIPAL_ROLE_NODE) auditNode(c, &v, topic, &d);
        if (d.reason != DECIDE_ALLOW) continue;
        if (n++) bufPuts(&b, ", ");
        (binding ? messageBindingJson : messageJson)(&b, &v);
        last = off;
        lastLocal = v.originLen == strlen(node) && memcmp(v.origin, node, v.originLen) == 0 &&
                    v.originSeq == off;
    }
    int full = n >= limit || b.len >= HISTORY_PAGE_BYTES;
    historyNext(c, &b, n, last, lastLocal, off, full,
                binding ? BINDING_MEDIA_TYPE : "application/json");
}
