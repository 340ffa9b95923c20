/*
 * conn.h -- inside the HTTP front-end: the server and connection state
 * shared by http.c (transport, parsing, authentication, responses),
 * routes.c (the JSON endpoints), planapi.c (/v1/plan/...), messages.c (publish and history), ws.c
 * (the WebSocket feed) and metrics.c.  Not a public header.
 */
#ifndef PN_HTTP_CONN_H
#define PN_HTTP_CONN_H

#include <http_parser.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <uv.h>
#include <wslay/wslay.h>

#include "../core/buf.h"
#include "../exchange/exchange.h"
#include "../node/node.h"
#include "../plan/plan.h"
#include "http.h"
#include "route.h"
#include "token.h"

#define HTTP_STATUS_MAX 600

typedef struct HttpConn HttpConn;

typedef struct HttpStats {
    uint64_t accepted, requests, wsOpened, wsClosedSlow, authFailed;
    uint64_t status[HTTP_STATUS_MAX]; /* responses by status code */
} HttpStats;

struct HttpServer {
    Node *node;
    uv_loop_t *loop;
    Exchange *x;
    HttpOptions opt;
    char tokenPath[4200];
    NodeListeners lis;
    int stopping;
    HttpConn *conns;
    uint64_t nconns, nextId;
    uint64_t authGen; /* bumped when tokens or principals change: cached identities expire */
    TokenStore tokens;
    http_parser_settings settings;
    pnBuf scratch; /* log records read for history */
    pnBuf frame;   /* one WebSocket message being built */
    HttpStats st;
    Plan *plan; /* DIR/plan.db, opened by the first planning request; closed at a reload */
    unsigned char cursorKey[32]; /* DATA/cursor.key, read by the first history request */
    int cursorKeyLoaded;
};

/* The request being read.  Header values we act on are kept; the rest
 * are only counted against HTTP_MAX_HEADER. */
typedef struct HttpRequest {
    pnBuf url, body;
    char method[8];
    char field[32];   /* the header name being read (lower case), truncated */
    int fieldDone;    /* the name is complete: bytes now belong to the value */
    char auth[256];   /* Authorization */
    char origin[128]; /* Origin (browsers): checked for certificate callers */
    char host[128];   /* Host */
    char wsKey[64];   /* Sec-WebSocket-Key */
    char wsVersion[8];
    int upgradeWs;      /* Upgrade: websocket */
    int expectContinue; /* Expect: 100-continue */
    size_t headerBytes;
    int fail; /* 413 or 431 found while parsing */
    int complete;
    int keepAlive;
    const char *path, *query; /* into url, after the request is complete */
} HttpRequest;

struct HttpConn {
    uv_tcp_t tcp; /* first: the handle's address is the connection's */
    HttpServer *srv;
    HttpConn *next;
    uint64_t id;
    SSL *ssl;
    BIO *rbio, *wbio;
    pnBuf in, out;
    size_t inPos;   /* bytes of in already parsed */
    size_t writing; /* handed to uv_write, not yet written */
    http_parser parser;
    HttpRequest req;
    int closing, lingering, closeAfter;
    uint64_t lastSeen;  /* uv_now, ms: last bytes read */
    uint64_t idleSince; /* accept or the last request: the idle timeout counts from here */
    int readStopped;    /* input piled up behind unread answers: reading paused */
    uint64_t reqStart;  /* uv_now when the request being read began; 0 between requests */
    /* the identity of the last authenticated request, reused while the
     * same Authorization header comes and authGen is unchanged */
    int authed;
    uint64_t authGen;
    char authKey[256];
    char principal[64];
    Principal p;
    unsigned roles;
    /* publishing: one POST at a time waits for its commit */
    Session *session;
    int waiting;
    uint16_t packetId;
    uint64_t pendingSeq;
    /* WebSocket */
    wslay_event_context_ptr ws;
    int wsMode;
    int revoked;         /* the principal went away at a reload: close with 1008 */
    uint64_t slowSince;  /* ms when output first stayed over the bound; 0 when not */
    uint16_t sent[1024]; /* packet ids handed to wslay this turn: acknowledged after the drain */
    int nsent;
    NodeConn nc; /* counted by the node's connection caps (admit.h) */
};

/* ---- http.c ---- */

/* Queue a complete response.  extra: more header lines, each ending in
 * "\r\n" (or NULL).  Counts the status; closes after it when the request
 * asked to (or closeAfter is set). */
void httpRespond(HttpConn *c, int status, const char *extra, const char *type, const char *body,
                 size_t len);

/* A JSON error body {"error": {"code": code, "message": ...}}. */
void httpError(HttpConn *c, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A failure of the node itself (a 5xx): the caller is told `what` failed
 * (a fixed sentence, e.g. "the planning store cannot be opened") and that
 * the node's log has the details; `detail` -- which may name files of the
 * data directory, never shown to a client -- goes to the node's log (stderr)
 * with the request's method and path.  detail may be NULL. */
void httpFailInternal(HttpConn *c, int status, const char *code, const char *what,
                      const char *detail);

/* Respond status with the JSON document doc (reference stolen). */
void httpJson(HttpConn *c, int status, json_t *doc);

/* Authenticate the request: on success c->p, c->principal and c->roles
 * hold the caller and 1 is returned; otherwise a 401 was sent and 0 is
 * returned. */
int httpAuth(HttpConn *c);

/* Send what c->out holds (TLS-wrapped when needed). */
void httpFlush(HttpConn *c);

/* Bytes queued for c and not yet written to the socket. */
size_t httpPending(const HttpConn *c);

/* Close c now (after flushing what is queued). */
void httpClose(HttpConn *c);

/* Write raw bytes (already framed) to c's transport buffer. */
void httpWriteRaw(HttpConn *c, const void *p, size_t n);

/* JSON string literal of n bytes of s (escaped, quoted) appended to b. */
void jsonString(pnBuf *b, const char *s, size_t n);

/* ---- routes.c ---- */

/* Handle the complete request c->req (authentication included). */
void httpDispatch(HttpConn *c);

/* The request body as a JSON object (new reference), or NULL after a 400. */
json_t *httpBodyObject(HttpConn *c);

/* 1 when the caller has the operator role; otherwise a 403 was sent and 0
 * is returned. */
int httpRequireOperator(HttpConn *c);

/* ---- planapi.c ---- */

/* The /v1/plan/... endpoints (id one of ROUTE_PLAN_*, param the path's
 * {nation}); the caller is authenticated already. */
void apiPlan(HttpConn *c, RouteId id, const char *param);

/* Close the planning store (reload, shutdown); the next request opens it
 * again. */
void apiPlanClose(HttpServer *srv);

/* ---- messages.c ---- */

void apiPublish(HttpConn *c);
void apiHistory(HttpConn *c);
/* Append the JSON object of one message (id, topic, label, time, origin,
 * payload or payload_base64) to b. */
void messageJson(pnBuf *b, const MessageView *v);
/* The session is going away with c. */
void apiDetach(HttpConn *c);

/* ---- ws.c ---- */

/* GET /v1/stream: upgrade (authenticated already) and subscribe. */
void wsOpen(HttpConn *c);
/* Bytes arrived on a WebSocket connection (in c->in from inPos). */
void wsInput(HttpConn *c);
/* Once per loop turn: drain the session into frames, acknowledge, flush. */
void wsTurn(HttpConn *c);
/* Once a second: close a client whose output stayed over the bound. */
void wsTick(HttpConn *c, uint64_t nowMs);
/* Bytes the feed holds for the client (transport and wslay queues); when
 * over the bound, the slow-client clock starts and 1 is returned, and the
 * caller stops reading the client's frames. */
int wsOverBound(HttpConn *c);
/* Node shutdown: queue close 1001 and write it. */
void wsGoingAway(HttpConn *c);
/* Free the wslay context. */
void wsFree(HttpConn *c);

/* ---- metrics.c ---- */

void apiMetrics(HttpConn *c);

#endif
