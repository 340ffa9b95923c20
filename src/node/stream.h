/*
 * stream.h -- the byte plumbing every connection of the node shares (MQTT
 * and HTTP clients, federation links): copying writes onto a libuv TCP
 * stream with a count of the bytes still in flight, read buffers, and TLS
 * through OpenSSL memory BIOs (records from the socket go into the read
 * BIO, plaintext comes out; records OpenSSL writes go to the socket).
 *
 * It is also the seam between a protocol and what carries its bytes: a
 * front-end that speaks a byte-stream protocol (the MQTT server) registers
 * it as a StreamProtocol on the node; another front-end that can carry
 * such a stream (the HTTP server's WebSocket, subprotocol "mqtt") finds it
 * by name and opens connections on it with a StreamCarrier of its own.
 * The protocol then runs exactly as over its own sockets -- the same
 * sessions, the same decide() -- and only the bytes travel differently.
 *
 * Single-threaded: every call from the loop's thread.
 */
#ifndef PN_NODE_STREAM_H
#define PN_NODE_STREAM_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../core/buf.h"
#include "../core/err.h"
#include "admit.h"

typedef struct Node Node;

/* uv_alloc_cb: a malloc'ed buffer of the suggested size (the read
 * callback frees it); len 0 when out of memory. */
void streamAlloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);

/*
 * Copy n bytes and hand them to uv_write on s.  *writing (when writing is
 * not NULL) counts them until the write completes, so a caller can bound
 * what waits for a slow reader; writing must stay valid until then (the
 * stream's uv_close completes pending writes first).  Out of memory or a
 * write that cannot start drops the bytes: the connection then fails on
 * its next read.
 */
void streamWrite(uv_stream_t *s, size_t *writing, const void *p, size_t n);

/* Write the TLS records OpenSSL has produced in wbio to s. */
void streamTlsPump(BIO *wbio, uv_stream_t *s, size_t *writing);

/*
 * n bytes from the socket into the TLS session ssl (reading from rbio,
 * writing to wbio): continue the handshake, append what decrypts to in,
 * and send what OpenSSL has to send.  Returns 1 when the handshake
 * completed in this call, 0 otherwise, or -1 when the session failed (the
 * caller closes the connection; ERR_get_error() says why).
 */
int streamTlsInput(SSL *ssl, BIO *rbio, BIO *wbio, uv_stream_t *s, size_t *writing, const char *p,
                   size_t n, pnBuf *in);

/* ---- protocols over other front-ends' connections ---------------------------- */

/*
 * How a protocol's bytes go out on a connection another front-end owns.
 * The protocol copies it at open; ctx is the carrier's connection.
 */
typedef struct StreamCarrier {
    void *ctx;
    /* Send n bytes of the protocol's output (the carrier frames them). */
    void (*write)(void *ctx, const void *p, size_t n);
    /* Bytes written and not yet gone to the network (NULL: none kept). */
    size_t (*pending)(void *ctx);
    /* 1: stop reading the client until called with 0 (the protocol's
     * output is over its bound); NULL when the carrier cannot pause. */
    void (*pause)(void *ctx, int on);
    /* The protocol is done: close the connection after what was written.
     * Must not call StreamProtocol.closed before returning (the protocol
     * may be in the middle of its input); it calls it later, as always. */
    void (*close)(void *ctx);
    /* The identity the carrier established (a bearer token, a client
     * certificate), as a principal name; "" when none: the protocol then
     * authenticates the client itself (MQTT username and password). */
    char principal[64];
    /* The carrier's connection as the node's caps count it (address,
     * authenticated); NULL when there is none (fuzzing). */
    NodeConn *nc;
} StreamCarrier;

/* A byte-stream protocol other front-ends can carry.  Callbacks from the
 * loop's thread only. */
typedef struct StreamProtocol {
    const char *name; /* "mqtt": the WebSocket subprotocol that selects it */
    void *ctx;
    /* The largest input the protocol takes as one carrier message (a
     * WebSocket message over it is refused with 1009). */
    uint32_t maxMessage;
    /* A client connected through carrier (copied): returns the protocol's
     * connection, or NULL when it takes none (shutting down, out of
     * memory); the carrier then closes. */
    void *(*open)(void *ctx, const StreamCarrier *carrier);
    /* n bytes from the client.  Returns 0, or -1 once the protocol has
     * closed the connection (carrier->close was called). */
    int (*input)(void *conn, const void *p, size_t n);
    /* The carrier's connection is gone (or closes after carrier->close):
     * the protocol drops the connection as a lost socket and frees it.
     * Called exactly once per opened connection; conn is invalid after. */
    void (*closed)(void *conn);
} StreamProtocol;

#define NODE_MAX_PROTOCOLS 4

/* Register protocol p (copied) on node n.  Returns PN_OK, or PN_ELIMIT
 * past NODE_MAX_PROTOCOLS. */
int nodeProtocolAdd(Node *n, const StreamProtocol *p, pnError *err);

/* The protocol registered under name, or NULL (not registered: e.g. the
 * MQTT front-end is off).  The pointer stays valid until nodeClose. */
const StreamProtocol *nodeProtocolFind(Node *n, const char *name);

#endif
