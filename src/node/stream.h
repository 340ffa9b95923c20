/*
 * stream.h -- the byte plumbing every connection of the node shares (MQTT
 * and HTTP clients, federation links): copying writes onto a libuv TCP
 * stream with a count of the bytes still in flight, read buffers, and TLS
 * through OpenSSL memory BIOs (records from the socket go into the read
 * BIO, plaintext comes out; records OpenSSL writes go to the socket).
 *
 * Single-threaded: every call from the loop's thread.
 */
#ifndef PN_NODE_STREAM_H
#define PN_NODE_STREAM_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <uv.h>

#include "../core/buf.h"

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

#endif
