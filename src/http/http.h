/*
 * http.h -- the HTTP/1.1 front-end of a node: the JSON API, the WebSocket
 * live feed and the Prometheus metrics, on the node's libuv loop.
 *
 * Identity comes from the TLS client certificate (HTTPS; mapped like the
 * MQTT front-end's: CN to the principal's cert_cn, country to its nation)
 * or from an `Authorization: Bearer` token (token.h) -- never from
 * anything else the client says.  Everything handed out is decided by
 * decide() for that principal: history reads here, live deliveries in the
 * exchange.  Only GET /healthz and the static files of the web directory
 * are served without authentication.
 *
 * Limits: a request's line and headers at most HTTP_MAX_HEADER bytes
 * (else 431), its body at most HTTP_MAX_BODY bytes (else 413); errors are
 * JSON: {"error": {"code": "...", "message": "..."}}.
 */
#ifndef PN_HTTP_H
#define PN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"
#include "../node/node.h"

#define HTTP_MAX_HEADER (16u << 10)
#define HTTP_MAX_BODY (1u << 20)

typedef struct HttpOptions {
    const char *httpAddr;                    /* "127.0.0.1:8080"; NULL or "" = off */
    const char *httpsAddr;                   /* "127.0.0.1:8443"; NULL or "" = off */
    const char *certFile, *keyFile, *caFile; /* HTTPS */
    int requireClientCert; /* HTTPS without a client certificate refused (no tokens there) */
    const char *webDir;    /* static files; NULL or "" = none */
    const char *tokenFile; /* default DATA/tokens.json */
} HttpOptions;

typedef struct HttpServer HttpServer;

/*
 * Start the HTTP front-end on node: listen on the configured addresses and
 * attach to the node (nodeAdd).  opt is copied; its strings must outlive
 * the server.  *out is set even on error and must be freed with
 * httpServerFree after nodeClose.  Returns PN_OK or an error (bad address,
 * port in use, unreadable certificate, unreadable token file).
 */
int httpServerStart(HttpServer **out, Node *node, const HttpOptions *opt, pnError *err);

/* Free the server after the node has stopped (nodeClose).  NULL is ignored. */
void httpServerFree(HttpServer *s);

#endif
