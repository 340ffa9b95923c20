/*
 * http.c -- the HTTP front-end's transport: listeners, connections, TLS
 * through OpenSSL memory BIOs, request parsing with http-parser, limits,
 * authentication and responses (see http.h).  The endpoints are in
 * routes.c, messages.c, ws.c and metrics.c.
 *
 * Requests on a connection are handled one at a time, in order: a POST
 * that waits for its group commit holds back the requests pipelined
 * behind it.  Output is queued in the connection and written once per
 * loop turn (NodeFrontend.turn), after the commit.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/diag.h"
#include "../core/str.h"
#include "../node/stream.h"
#include "../node/tls.h"
#include "conn.h"

#define HTTP_IDLE_MS 60000    /* a keep-alive connection with no request */
#define HTTP_REQUEST_MS 30000 /* a request must arrive whole within this (slow senders) */
#define HTTP_LINGER_MS 2000   /* reading what a client still sends after our last response */
/* Pipelined requests are answered only while less than this waits to be
 * written, and reading stops while that much input waits to be parsed: a
 * client that sends and never reads costs bounded memory. */
#define HTTP_OUTPUT_BOUND (4u << 20)
#define HTTP_INPUT_BOUND (1u << 20)
#define HTTP_MAX_CONNS 10000 /* beyond this, new connections are closed at once */

/* ---- output --------------------------------------------------------------- */

static void sockWrite(HttpConn *c, const void *p, size_t n) {
    if (!c->closing) streamWrite((uv_stream_t *)&c->tcp, &c->writing, p, n);
}

static void tlsPump(HttpConn *c) {
    streamTlsPump(c->wbio, (uv_stream_t *)&c->tcp, &c->writing);
}

void httpFlush(HttpConn *c) {
    if (!c->out.len || c->closing) return;
    if (c->ssl) {
        if (!SSL_is_init_finished(c->ssl)) return;
        SSL_write(c->ssl, c->out.data, (int)c->out.len);
        tlsPump(c);
    } else {
        sockWrite(c, c->out.data, c->out.len);
    }
    c->out.len = 0;
    if (c->out.cap > (256u << 10)) bufFree(&c->out); /* a history page's peak is not kept */
}

size_t httpPending(const HttpConn *c) {
    return c->out.len + c->writing;
}

void httpWriteRaw(HttpConn *c, const void *p, size_t n) {
    bufAppend(&c->out, p, n);
}

/* ---- closing ---------------------------------------------------------------- */

static void connFree(HttpConn *c) {
    bufFree(&c->in);
    bufFree(&c->out);
    bufFree(&c->req.url);
    bufFree(&c->req.body);
    wsFree(c);
    if (c->ssl) SSL_free(c->ssl); /* frees the BIOs too */
    free(c);
}

static void onClosed(uv_handle_t *h) {
    connFree((HttpConn *)h);
}

void httpClose(HttpConn *c) {
    if (c->closing) return;
    httpFlush(c);
    apiDetach(c);
    wsMqttDetach(c);
    c->closing = 1;
    admitRelease(nodeAdmit(c->srv->node), &c->nc);
    for (HttpConn **pp = &c->srv->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    c->srv->nconns--;
    uv_close((uv_handle_t *)&c->tcp, onClosed);
}

static void onShutdown(uv_shutdown_t *req, int status) {
    (void)status;
    free(req);
}

/* After the last response: send FIN, then read and drop what the client
 * still sends until it closes (or HTTP_LINGER_MS), so it reads our
 * answer instead of a reset. */
static void linger(HttpConn *c) {
    httpFlush(c);
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        tlsPump(c);
    }
    c->lingering = 1;
    c->lastSeen = uv_now(c->srv->loop);
    uv_shutdown_t *req = malloc(sizeof(*req));
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, onShutdown) != 0) {
        free(req);
        httpClose(c);
    }
}

/* ---- responses ---------------------------------------------------------------- */

static const char *reasonPhrase(int status) {
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Content Too Large";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void httpRespond(HttpConn *c, int status, const char *extra, const char *type, const char *body,
                 size_t len) {
    if (status >= 0 && status < HTTP_STATUS_MAX) c->srv->st.status[status]++;
    if (!c->req.keepAlive || c->srv->stopping || status >= 500 || status == 413 || status == 431)
        c->closeAfter = 1;
    bufPrintf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
              status, reasonPhrase(status), type, len, extra ? extra : "",
              c->closeAfter ? "Connection: close\r\n" : "");
    bufAppend(&c->out, body, len);
}

void jsonString(pnBuf *b, const char *s, size_t n) {
    bufGrow(b, n + 2);
    bufAppend(b, "\"", 1);
    bufEscape(b, s, n, BUF_ESC_JSON);
    bufAppend(b, "\"", 1);
}

void httpError(HttpConn *c, int status, const char *code, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pnBuf b;
    bufInit(&b);
    bufPuts(&b, "{\"error\": {\"code\": ");
    jsonString(&b, code, strlen(code));
    bufPuts(&b, ", \"message\": ");
    jsonString(&b, msg, strlen(msg));
    bufPuts(&b, "}}\n");
    const char *extra = status == 401 ? "WWW-Authenticate: Bearer realm=\"partnernet\"\r\n" : NULL;
    httpRespond(c, status, extra, "application/json", bufStr(&b), b.len);
    bufFree(&b);
}

void httpFailInternal(HttpConn *c, int status, const char *code, const char *what,
                      const char *detail) {
    assert(status >= 500);
    if (detail && detail[0])
        diagLog(DIAG_ERROR, "http %s %s: %s: %s", c->req.method, c->req.path ? c->req.path : "",
                what, detail);
    httpError(c, status, code, "%s (the node's log has the details)", what);
}

void httpJson(HttpConn *c, int status, json_t *doc) {
    char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text) return httpError(c, 500, "internal", "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* the terminator becomes the final newline */
    httpRespond(c, status, NULL, "application/json", text, n + 1);
    free(text);
}

/* ---- authentication ------------------------------------------------------------ */

int httpSameOrigin(const char *origin, const char *host) {
    const char *p = strstr(origin, "://");
    return p && host[0] && strcasecmp(p + 3, host) == 0;
}

int httpAuth(HttpConn *c) {
    return httpAuthFor(c, 1);
}

int httpAuthFor(HttpConn *c, int allowCert) {
    HttpServer *srv = c->srv;
    int changed = 0;
    tokenStoreRefresh(&srv->tokens, &changed, NULL); /* a bad file: the old tokens stay */
    if (changed) srv->authGen++;
    if (c->authed && c->authGen == srv->authGen && strcmp(c->authKey, c->req.auth) == 0 &&
        !c->req.origin[0])
        return 1;
    c->authed = 0;
    Principals *ps = nodePrincipals(srv->node);
    const PrincipalEntry *e = NULL;
    char why[300] = "", who[64] = "";
    if (c->ssl && allowCert) e = tlsPeerPrincipal(c->ssl, ps, why, sizeof(why));
    int byCert = e != NULL;
    if (!e && !why[0] && c->req.auth[0]) {
        const char *a = c->req.auth;
        if (strncasecmp(a, "Bearer ", 7) != 0) {
            snprintf(why, sizeof(why), "the Authorization header is not a Bearer token");
        } else {
            const TokenEntry *t = tokenLookup(&srv->tokens, a + 7, strlen(a + 7));
            if (!t)
                snprintf(why, sizeof(why), "unknown or revoked token");
            else if (!(e = principalsFind(ps, t->principal)))
                snprintf(why, sizeof(why), "token %s names principal '%s', which does not exist",
                         t->id, t->principal);
            else if (!principalInstanceIs(e, t->principalId)) {
                /* A name is not an identity: the token's principal was
                 * removed, and this one only has the same name. */
                snprintf(why, sizeof(why),
                         "token %s was issued to another principal named '%s' (removed since)",
                         t->id, t->principal);
                e = NULL;
            }
            if (t) strCopy(who, sizeof(who), t->principal);
        }
    }
    pnError err = {0};
    if (e && principalEntryCompile(e, &c->p, nodeRegistry(srv->node), nodeSpif(srv->node), &err) !=
                 PN_OK) {
        strCopy(who, sizeof(who), e->name);
        strFormat(why, sizeof(why), "principal '%s' is not valid: %s", e->name, err.msg);
        e = NULL;
    }
    if (!e) {
        srv->st.authFailed++;
        if (why[0]) {
            exchangeAudit(srv->x, "login_refused", who, "", "", "login", why);
            httpError(c, 401, "unauthorized", "%s", why);
        } else {
            httpError(c, 401, "unauthorized",
                      "authentication required: a client certificate or Authorization: Bearer "
                      "TOKEN");
        }
        return 0;
    }
    /* A browser presents its client certificate to any page that asks:
     * a request another site's page made (its Origin is not this host) is
     * refused, or that page could publish and read as the user.  Bearer
     * tokens are never sent by a browser on its own. */
    if (byCert && c->req.origin[0] && !httpSameOrigin(c->req.origin, c->req.host)) {
        srv->st.authFailed++;
        httpError(c, 403, "cross_origin",
                  "a request from another origin (%s) cannot use this client certificate",
                  c->req.origin);
        return 0;
    }
    strCopy(c->principal, sizeof(c->principal), e->name);
    c->roles = e->roles;
    c->authed = 1;
    admitAuthenticated(nodeAdmit(srv->node), &c->nc);
    c->authGen = srv->authGen;
    strCopy(c->authKey, sizeof(c->authKey), c->req.auth);
    return 1;
}

/* ---- parsing ---------------------------------------------------------------------- */

static int countHeader(HttpConn *c, size_t n) {
    c->req.headerBytes += n;
    if (c->req.headerBytes <= HTTP_MAX_HEADER) return 0;
    c->req.fail = 431;
    return -1;
}

static int onMessageBegin(http_parser *p) {
    HttpConn *c = p->data;
    HttpRequest *r = &c->req;
    r->url.len = r->body.len = 0;
    r->field[0] = r->auth[0] = r->wsKey[0] = r->wsVersion[0] = r->origin[0] = r->host[0] =
        r->wsProtocol[0] = '\0';
        r->accept[0] = '\0';
    r->fieldDone = r->upgradeWs = r->fail = r->complete = r->keepAlive = r->expectContinue = 0;
    r->headerBytes = 0;
    c->reqStart = uv_now(c->srv->loop);
    r->path = r->query = NULL;
    return 0;
}

static int onUrl(http_parser *p, const char *at, size_t n) {
    HttpConn *c = p->data;
    if (countHeader(c, n)) return -1;
    bufAppend(&c->req.url, at, n);
    return 0;
}

static int onHeaderField(http_parser *p, const char *at, size_t n) {
    HttpConn *c = p->data;
    HttpRequest *r = &c->req;
    if (countHeader(c, n)) return -1;
    if (r->fieldDone) r->field[0] = '\0', r->fieldDone = 0;
    size_t have = strlen(r->field);
    for (size_t i = 0; i < n && have + 1 < sizeof(r->field); i++)
        r->field[have++] = (char)tolower((unsigned char)at[i]);
    r->field[have] = '\0';
    return 0;
}

static void appendValue(char *dst, size_t cap, const char *at, size_t n) {
    size_t have = strlen(dst);
    if (have + n >= cap) n = cap - 1 - have; /* too long to be valid: cut, it will not match */
    memcpy(dst + have, at, n);
    dst[have + n] = '\0';
}

static int onHeaderValue(http_parser *p, const char *at, size_t n) {
    HttpConn *c = p->data;
    HttpRequest *r = &c->req;
    if (countHeader(c, n)) return -1;
    r->fieldDone = 1;
    if (strcmp(r->field, "authorization") == 0)
        appendValue(r->auth, sizeof(r->auth), at, n);
    else if (strcmp(r->field, "origin") == 0)
        appendValue(r->origin, sizeof(r->origin), at, n);
    else if (strcmp(r->field, "host") == 0)
        appendValue(r->host, sizeof(r->host), at, n);
    else if (strcmp(r->field, "accept") == 0)
        appendValue(r->accept, sizeof(r->accept), at, n);
    else if (strcmp(r->field, "sec-websocket-key") == 0)
        appendValue(r->wsKey, sizeof(r->wsKey), at, n);
    else if (strcmp(r->field, "sec-websocket-version") == 0)
        appendValue(r->wsVersion, sizeof(r->wsVersion), at, n);
    else if (strcmp(r->field, "sec-websocket-protocol") == 0)
        appendValue(r->wsProtocol, sizeof(r->wsProtocol), at, n);
    else if (strcmp(r->field, "upgrade") == 0 && n >= 9 && strncasecmp(at, "websocket", 9) == 0)
        r->upgradeWs = 1;
    else if (strcmp(r->field, "expect") == 0 && n >= 12 && strncasecmp(at, "100-continue", 12) == 0)
        r->expectContinue = 1; /* answered in onHeadersComplete */
    return 0;
}

static int onHeadersComplete(http_parser *p) {
    HttpConn *c = p->data;
    HttpRequest *r = &c->req;
    strCopy(r->method, sizeof(r->method), http_method_str((enum http_method)p->method));
    if (p->content_length != ULLONG_MAX && p->content_length > HTTP_MAX_BODY) {
        r->fail = 413;
        return -1;
    }
    if (r->expectContinue && (p->content_length != ULLONG_MAX || (p->flags & F_CHUNKED))) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        httpWriteRaw(c, cont, sizeof(cont) - 1);
        httpFlush(c);
    }
    return 0;
}

static int onBody(http_parser *p, const char *at, size_t n) {
    HttpConn *c = p->data;
    if (c->req.body.len + n > HTTP_MAX_BODY) {
        c->req.fail = 413;
        return -1;
    }
    bufAppend(&c->req.body, at, n);
    return 0;
}

static int onMessageComplete(http_parser *p) {
    HttpConn *c = p->data;
    c->req.complete = 1;
    c->reqStart = 0;
    c->req.keepAlive = http_should_keep_alive(p);
    http_parser_pause(p, 1); /* one request at a time */
    return 0;
}

static void badRequest(HttpConn *c, enum http_errno e) {
    c->req.keepAlive = 0;
    if (c->req.fail == 431 || e == HPE_HEADER_OVERFLOW)
        httpError(c, 431, "header_too_large", "request line and headers exceed %u bytes",
                  HTTP_MAX_HEADER);
    else if (c->req.fail == 413)
        httpError(c, 413, "body_too_large", "request body exceeds %u bytes", HTTP_MAX_BODY);
    else
        httpError(c, 400, "bad_request", "malformed HTTP request: %s", http_errno_description(e));
}

static void requestComplete(HttpConn *c) {
    HttpRequest *r = &c->req;
    static char none[1]; /* http-parser always reports a URL; this is never written */
    char *url = r->url.data ? r->url.data : none;
    char *q = strchr(url, '?');
    if (q) *q++ = '\0';
    r->path = url;
    r->query = q ? q : "";
    c->srv->st.requests++;
    c->idleSince = uv_now(c->srv->loop); /* the idle clock runs from the last request */
    /* After an Upgrade request http-parser reads nothing more: unless it
     * becomes a WebSocket, the connection ends with this answer. */
    if (c->parser.upgrade) r->keepAlive = 0;
    if (url[0] != '/') return httpError(c, 400, "bad_request", "the request target must be a path");
    httpDispatch(c);
}

/* Parse and handle the requests in c->in, one at a time. */
static void process(HttpConn *c) {
    Node *node = c->srv->node;
    while (!c->closing && !c->closeAfter && !c->waiting && !c->wsMode && c->inPos < c->in.len &&
           httpPending(c) < HTTP_OUTPUT_BOUND && nodeBufferRoom(node) > 0) {
        size_t n = http_parser_execute(&c->parser, &c->srv->settings, c->in.data + c->inPos,
                                       c->in.len - c->inPos);
        c->inPos += n;
        enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (c->req.complete) {
            if (e == HPE_PAUSED) http_parser_pause(&c->parser, 0);
            c->req.complete = 0;
            size_t before = c->out.len;
            requestComplete(c);
            if (c->out.len > before) nodeBufferUse(node, c->out.len - before);
            continue;
        }
        if (e != HPE_OK) {
            badRequest(c, e);
            break;
        }
        if (n == 0) break;
    }
    if (c->wsMode && c->inPos < c->in.len) wsInput(c);
    if (c->inPos == c->in.len) {
        c->in.len = c->inPos = 0;
    } else if (c->inPos > 65536) {
        memmove(c->in.data, c->in.data + c->inPos, c->in.len - c->inPos);
        c->in.len -= c->inPos;
        c->inPos = 0;
    }
}

/* ---- libuv callbacks -------------------------------------------------------------- */

static void onRead(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
    HttpConn *c = (HttpConn *)s;
    if (n > 0 && !c->closing && !c->lingering) {
        c->lastSeen = uv_now(c->srv->loop);
        if (c->ssl) {
            if (streamTlsInput(c->ssl, c->rbio, c->wbio, (uv_stream_t *)&c->tcp, &c->writing,
                               buf->base, (size_t)n, &c->in) < 0)
                httpClose(c);
        } else {
            bufAppend(&c->in, buf->base, (size_t)n);
        }
        if (!c->closing) process(c);
        if (!c->closing && !c->readStopped &&
            (c->in.len - c->inPos > HTTP_INPUT_BOUND || (c->wsMode && wsOverBound(c)))) {
            uv_read_stop((uv_stream_t *)&c->tcp); /* resumed by feTurn once answers drain */
            c->readStopped = 1;
        }
    } else if (n < 0) {
        httpClose(c);
    }
    free(buf->base);
}

void httpReadResume(HttpConn *c) {
    if (c->closing || !c->readStopped || c->mqttPaused || c->in.len - c->inPos > HTTP_INPUT_BOUND ||
        httpPending(c) >= HTTP_OUTPUT_BOUND / 2 || (c->wsMode && wsOverBound(c)))
        return;
    c->readStopped = 0;
    uv_read_start((uv_stream_t *)&c->tcp, streamAlloc, onRead);
}

static void evictConn(NodeConn *nc) {
    httpClose((HttpConn *)((char *)nc - offsetof(HttpConn, nc)));
}

static int admitConn(Node *node, HttpConn *c) {
    char addr[sizeof(c->nc.addr)];
    admitPeerAddr(&c->tcp, addr, sizeof(addr));
    return admitAccept(nodeAdmit(node), &c->nc, addr, evictConn);
}

static void onConnection(uv_stream_t *listener, int status) {
    HttpServer *srv = listener->data;
    if (status < 0) return admitAcceptFailed(nodeAdmit(srv->node), status);
    HttpConn *c = calloc(1, sizeof(*c));
    if (!c) return;
    c->srv = srv;
    c->id = ++srv->nextId;
    uv_tcp_init(srv->loop, &c->tcp);
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0 || srv->stopping ||
        srv->nconns >= HTTP_MAX_CONNS || !admitConn(srv->node, c)) {
        c->closing = 1;
        uv_close((uv_handle_t *)&c->tcp, onClosed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->lastSeen = c->idleSince = uv_now(srv->loop);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (nodeListenerTls(&srv->lis, listener)) {
        c->ssl = SSL_new(srv->lis.ctx);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        SSL_set_bio(c->ssl, c->rbio, c->wbio);
        SSL_set_accept_state(c->ssl);
    }
    c->next = srv->conns;
    srv->conns = c;
    srv->nconns++;
    srv->st.accepted++;
    uv_read_start((uv_stream_t *)&c->tcp, streamAlloc, onRead);
}

/* ---- the node's front-end callbacks ------------------------------------------------- */

static void feTurn(void *ctx) {
    HttpServer *srv = ctx;
    for (HttpConn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->wsMode)
            wsTurn(c);
        else if (!c->waiting && c->inPos < c->in.len)
            process(c); /* pipelined behind a POST that was answered, or a full output */
        if (c->closing) continue;
        httpFlush(c);
        httpReadResume(c);
        if (c->closeAfter && !c->waiting && !c->lingering) linger(c);
    }
}

/* A feed authenticated by a bearer token ends when the token is revoked:
 * the token file is checked once a second, not only on requests (a
 * WebSocket sends none). */
static void revokeFeeds(HttpServer *srv) {
    int changed = 0;
    tokenStoreRefresh(&srv->tokens, &changed, NULL);
    if (!changed) return;
    srv->authGen++;
    for (HttpConn *c = srv->conns; c; c = c->next)
        if (c->wsMode && strncasecmp(c->authKey, "Bearer ", 7) == 0 &&
            !tokenLookup(&srv->tokens, c->authKey + 7, strlen(c->authKey + 7)))
            c->revoked = 1; /* wsTurn closes it with 1008 */
}

static void feTick(void *ctx, int64_t now) {
    HttpServer *srv = ctx;
    (void)now;
    revokeFeeds(srv);
    uint64_t ms = uv_now(srv->loop);
    for (HttpConn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        /* Idle time counts from accept or the last request, not the last
         * byte: blank lines between requests or a TLS handshake dragged out
         * do not keep a connection. */
        if (c->lingering
                ? ms - c->lastSeen > HTTP_LINGER_MS
                : !c->wsMode && !c->waiting && !c->reqStart && ms - c->idleSince > HTTP_IDLE_MS) {
            httpClose(c);
        } else if (!c->wsMode && !c->lingering && c->reqStart &&
                   ms - c->reqStart > HTTP_REQUEST_MS) {
            c->req.keepAlive = 0;
            httpError(c, 408, "request_timeout", "the request did not arrive within %d s",
                      HTTP_REQUEST_MS / 1000);
            c->reqStart = 0;
        } else if (c->wsMode && !c->lingering)
            wsTick(c, ms);
    }
}

static void feReloaded(void *ctx) {
    HttpServer *srv = ctx;
    srv->authGen++;    /* principals, registry or policy changed: authenticate again */
    apiPlanClose(srv); /* it borrows the registry the reload replaced */
    for (HttpConn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->wsMode) wsTurn(c); /* a revoked principal's feed closes with 1008 */
    }
}

static void feStop(void *ctx) {
    HttpServer *srv = ctx;
    if (srv->stopping) return;
    srv->stopping = 1;
    while (srv->conns) {
        if (srv->conns->wsMode) wsGoingAway(srv->conns);
        httpClose(srv->conns);
    }
    nodeListenersClose(&srv->lis);
}

/* Input, the request being read, and output not yet written (a feed's
 * wslay queue included). */
static size_t connBuffered(HttpConn *c) {
    size_t n = c->in.len + c->req.body.len + c->req.url.len + httpPending(c);
    if (c->ws) n += wslay_event_get_queued_msg_length(c->ws);
    return n;
}

static size_t feBuffered(void *ctx, size_t *unauth) {
    HttpServer *srv = ctx;
    size_t n = 0;
    *unauth = 0;
    for (HttpConn *c = srv->conns; c; c = c->next) {
        size_t b = connBuffered(c);
        n += b;
        if (!c->nc.authed) *unauth += b;
    }
    return n;
}

/* Over the node's buffer budget: a client holding more than its share is
 * closed (its queued answers dropped); unauthenticated ones first (see
 * NodeFrontend.shed). */
static int feShed(void *ctx, size_t share, int unauthOnly) {
    HttpServer *srv = ctx;
    int closed = 0;
    for (HttpConn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (!c->nc.authed != !!unauthOnly || connBuffered(c) <= share) continue;
        if (c->wsMode) srv->st.wsClosedSlow++;
        httpClose(c);
        closed++;
    }
    return closed;
}

static void feDescribe(void *ctx, char *out, size_t cap) {
    HttpServer *srv = ctx;
    strFormat(out, cap, "http %s, https %s", srv->lis.plainOn ? srv->opt.httpAddr : "off",
              srv->lis.tlsOn ? srv->opt.httpsAddr : "off");
}

int httpServerStart(HttpServer **out, Node *node, const HttpOptions *opt, pnError *err) {
    *out = NULL;
    HttpServer *srv = calloc(1, sizeof(*srv));
    if (!srv) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    srv->node = node;
    srv->loop = nodeLoop(node);
    srv->x = nodeExchange(node);
    srv->opt = *opt;
    *out = srv; /* from here on freed by httpServerFree, also on error */
    srv->settings.on_message_begin = onMessageBegin;
    srv->settings.on_url = onUrl;
    srv->settings.on_header_field = onHeaderField;
    srv->settings.on_header_value = onHeaderValue;
    srv->settings.on_headers_complete = onHeadersComplete;
    srv->settings.on_body = onBody;
    srv->settings.on_message_complete = onMessageComplete;
    if (opt->tokenFile && opt->tokenFile[0])
        snprintf(srv->tokenPath, sizeof(srv->tokenPath), "%s", opt->tokenFile);
    else
        snprintf(srv->tokenPath, sizeof(srv->tokenPath), "%s/tokens.json", nodeDataDir(node));
    int rc = tokenStoreInit(&srv->tokens, srv->tokenPath, err);
    if (rc == PN_OK) rc = tokenStoreLoad(&srv->tokens, err);
    if (rc == PN_OK)
        rc = nodeListenersStart(node, &srv->lis, opt->httpAddr, opt->httpsAddr, opt->certFile,
                                opt->keyFile, opt->caFile, opt->requireClientCert, onConnection,
                                srv, err);
    NodeFrontend fe = {.name = "http",
                       .ctx = srv,
                       .turn = feTurn,
                       .tick = feTick,
                       .reloaded = feReloaded,
                       .stop = feStop,
                       .describe = feDescribe,
                       .buffered = feBuffered,
                       .shed = feShed};
    if (rc == PN_OK) rc = nodeAdd(node, &fe, err);
    if (rc != PN_OK) feStop(srv);
    return rc;
}

void httpServerFree(HttpServer *srv) {
    if (!srv) return;
    tokenStoreFree(&srv->tokens);
    apiPlanClose(srv);
    bufFree(&srv->scratch);
    bufFree(&srv->frame);
    nodeListenersFree(&srv->lis);
    free(srv);
}
