/*
 * node.h -- the running node: one libuv loop, the exchange, the principals,
 * the registry and policy in force, and the front-ends attached to them.
 *
 * A node hosts several front-ends (MQTT, HTTP, federation links ...).  Each
 * one registers a NodeFrontend: the node calls it once per loop turn after
 * the group commit (to drain session queues and flush output), once a
 * second, after a SIGHUP reload (to recompile or close what the reload
 * invalidated) and at shutdown (to close its handles).  The node owns the
 * signals, the commit and the one-second tick; a front-end never calls
 * exchangeCommit() itself.
 *
 * Single-threaded: every call from the loop's thread.
 */
#ifndef PN_NODE_H
#define PN_NODE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <uv.h>

#include "../core/err.h"
#include "../exchange/exchange.h"
#include "../exchange/principals.h"
#include "admit.h"

#define NODE_MAX_TOPIC_LABELS 64
#define NODE_MAX_FRONTENDS 16

typedef struct NodeOptions {
    const char *name;           /* node name: origin of message ids */
    const char *dataDir;        /* log, sessions, audit */
    const char *principalsFile; /* principals.json */
    const char *aclFile;        /* topic access rules (src/exchange/acl.h); NULL: none */
    /* Keys trusted to sign for origins (src/core/sign.h); NULL: DIR/trust.keys
     * when it exists.  No trusted keys: imports are stored unverified. */
    const char *trustFile;
    int unsignedOwn; /* measurements only: the node's own messages go out unsigned */
    uint32_t maxQueued;               /* per session, default 10,000 */
    uint32_t maxSubscriptions;        /* per session, default SUB_MAX_PER_SESSION */
    uint32_t maxSessionsPerPrincipal; /* persistent, default SESSIONS_MAX_PER_PRINCIPAL */
    RetainedLimits retained;          /* retained message caps (0: the exchange's defaults) */
    LogOptions log;
    AuditLimits audit;                              /* 0 fields: the exchange's defaults */
    const char *topicFilter[NODE_MAX_TOPIC_LABELS]; /* [topic FILTER] label = ... */
    const char *topicLabel[NODE_MAX_TOPIC_LABELS];
    int ntopics;
    AdmitLimits limits;      /* connection caps and descriptor reserve (admit.h) */
    uint64_t maxBufferBytes; /* all connections' pending input and output, default 256 MiB */
    /* SIGHUP: load the registry and policy again.  On success *reg and
     * *spif point to the new ones and the old ones must stay valid until
     * the next call (the node rebinds everything before returning). */
    int (*reload)(void *ctx, const Registry **reg, const Spif **spif, pnError *err);
    void *reloadCtx;
    /* Told once, when the node listens: "node NAME ready: <front-ends>,
     * data DIR, log N messages" (valid during the call).  NULL: the line
     * goes to the diagnostics (src/core/diag.h) at level info. */
    void (*ready)(void *ctx, const char *line);
    void *readyCtx;
} NodeOptions;

typedef struct NodeFrontend {
    const char *name; /* "mqtt", "http", "peer hq" ... */
    void *ctx;
    /* Once per loop turn, after exchangeCommit(): drain queues, flush. */
    void (*turn)(void *ctx);
    /* Once a second (timeouts, reconnects, keep-alives). */
    void (*tick)(void *ctx, int64_t now);
    /* The principals file, registry or policy were reloaded: recompile the
     * principals of connected clients, or close those no longer valid. */
    void (*reloaded)(void *ctx);
    /* Shutdown: close every handle so the loop can end.  Called once. */
    void (*stop)(void *ctx);
    /* Append a short description for the ready line ("mqtt 127.0.0.1:1883"). */
    void (*describe)(void *ctx, char *out, size_t cap);
    /* Bytes its connections hold in input and output buffers (optional);
     * *unauth gets the part held by connections not yet authenticated. */
    size_t (*buffered)(void *ctx, size_t *unauth);
    /* The node is over its buffer budget: close every connection holding
     * more than share bytes -- only unauthenticated ones when unauthOnly,
     * only authenticated ones otherwise; returns how many were closed
     * (optional). */
    int (*shed)(void *ctx, size_t share, int unauthOnly);
} NodeFrontend;

typedef struct Node Node;

/*
 * Open a node: load the principals file, open the exchange in
 * opt->dataDir (recovering the log, retained messages and sessions), apply
 * the topic default labels.  reg and spif must outlive the node (or be
 * replaced through opt->reload).  opt and the strings in it must outlive
 * the node.  Returns PN_OK with *out set, or an error with err filled and
 * *out NULL.
 */
int nodeOpen(Node **out, const NodeOptions *opt, const Registry *reg, const Spif *spif,
             pnError *err);

/* Attach a front-end (copied).  Returns PN_OK, or PN_ELIMIT past
 * NODE_MAX_FRONTENDS. */
int nodeAdd(Node *n, const NodeFrontend *fe, pnError *err);

/*
 * Run until SIGTERM or SIGINT (or nodeStop): says it is ready (opt->ready),
 * then runs the loop.  What happens meanwhile (reloads, store failures,
 * connection caps) goes to the diagnostics sink (src/core/diag.h).  On the way out every
 * front-end's stop runs, the loop is drained and everything is written down
 * (exchangeFlushAll), and one line says so: "partnernet: node NAME stopped
 * cleanly on SIGTERM: log N messages synced, N sessions saved, audit N rows
 * committed".  Returns PN_OK, or PN_EIO when something could not be
 * written (err says what; no such line then).
 */
int nodeRun(Node *n, pnError *err);

/* What the node does once per loop turn, after I/O: the group commit, then
 * every front-end's turn.  nodeRun's loop calls it; fuzzing calls it
 * directly. */
void nodeTurn(Node *n);

/* Ask the node to stop at the end of this loop turn. */
void nodeStop(Node *n);

/* Close the exchange and free the node (after nodeRun returned, or
 * instead of it).  NULL is ignored. */
void nodeClose(Node *n);

uv_loop_t *nodeLoop(Node *n);
Exchange *nodeExchange(Node *n);
const char *nodeName(const Node *n);
const char *nodeDataDir(const Node *n);
/* How many keys the node trusts (0: imports are stored unverified). */
int nodeTrustedKeys(const Node *n);
/* The principals, registry and policy in force.  The pointers change at a
 * reload: read them again after NodeFrontend.reloaded, never keep them. */
Principals *nodePrincipals(Node *n);
const Registry *nodeRegistry(const Node *n);
const Spif *nodeSpif(const Node *n);
/* Whether the node is shutting down (front-ends refuse new work). */
int nodeStopping(const Node *n);
/* The connection caps every front-end's accepted sockets go through. */
Admit *nodeAdmit(Node *n);
/* Bytes left in the node's budget for connection buffers (0 when over):
 * a front-end produces no new answer while it is 0.  What it queued since
 * the last check it reports with nodeBufferUse; the node recounts every
 * 100 ms (NodeFrontend.buffered) and closes the connections holding more
 * than their share while over the budget. */
size_t nodeBufferRoom(const Node *n);
void nodeBufferUse(Node *n, size_t bytes);

/* "HOST:PORT" to a socket address.  Returns PN_OK or PN_EINVAL. */
int nodeParseAddr(const char *addr, struct sockaddr_storage *sa, pnError *err);

/* Bind and listen a TCP handle on addr with cb for new connections;
 * t->data = data.  Returns PN_OK, or PN_EIO/PN_EINVAL with the reason (then
 * t, if it was initialised, is being closed: keep its memory until the
 * loop has run once more, e.g. until nodeClose). */
int nodeListen(Node *n, uv_tcp_t *t, const char *addr, uv_connection_cb cb, void *data,
               pnError *err);

/* A front-end's listeners: plain TCP and TLS, with the TLS context. */
typedef struct NodeListeners {
    uv_tcp_t plain, tls;
    int plainOn, tlsOn;
    SSL_CTX *ctx; /* for connections accepted on tls */
} NodeListeners;

/*
 * Listen on plainAddr and, with a server context made from cert/key/ca
 * (tlsServerContext), on tlsAddr; NULL or "" leaves one off.  cb gets new
 * connections, with data as the listener's data; nodeListenerTls tells
 * which one accepted.  On error the listeners already open are closed
 * again.  Returns PN_OK or the error (address, port in use, certificate).
 */
int nodeListenersStart(Node *n, NodeListeners *l, const char *plainAddr, const char *tlsAddr,
                       const char *certFile, const char *keyFile, const char *caFile,
                       int requireClientCert, uv_connection_cb cb, void *data, pnError *err);

/* 1 when listener is l's TLS listener. */
int nodeListenerTls(const NodeListeners *l, const uv_stream_t *listener);

/* Stop accepting (closes the handles; idempotent). */
void nodeListenersClose(NodeListeners *l);

/* Free the TLS context, after the loop has ended. */
void nodeListenersFree(NodeListeners *l);

#endif
