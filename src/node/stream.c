/*
 * stream.c -- writes, read buffers and TLS memory BIOs for the node's
 * connections (see stream.h).
 */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

typedef struct WriteReq {
    uv_write_t req;
    size_t *writing;
    size_t len;
    char data[];
} WriteReq;

void streamAlloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void onWritten(uv_write_t *req, int status) {
    WriteReq *w = (WriteReq *)req;
    (void)status; /* a failed write shows up as a read error */
    if (w->writing) *w->writing -= w->len;
    free(w);
}

void streamWrite(uv_stream_t *s, size_t *writing, const void *p, size_t n) {
    if (!n) return;
    WriteReq *w = malloc(sizeof(*w) + n);
    if (!w) return;
    memcpy(w->data, p, n);
    w->writing = writing;
    w->len = n;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
    if (writing) *writing += n;
    if (uv_write(&w->req, s, &b, 1, onWritten) != 0) {
        if (writing) *writing -= n;
        free(w);
    }
}

void streamTlsPump(BIO *wbio, uv_stream_t *s, size_t *writing) {
    char buf[16384];
    int n;
    while ((n = BIO_read(wbio, buf, sizeof(buf))) > 0)
        streamWrite(s, writing, buf, (size_t)n);
}

int streamTlsInput(SSL *ssl, BIO *rbio, BIO *wbio, uv_stream_t *s, size_t *writing, const char *p,
                   size_t n, pnBuf *in) {
    int done = 0;
    BIO_write(rbio, p, (int)n);
    if (!SSL_is_init_finished(ssl)) {
        int r = SSL_do_handshake(ssl);
        streamTlsPump(wbio, s, writing);
        if (r <= 0) {
            int e = SSL_get_error(ssl, r);
            return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
        }
        done = 1;
    }
    char buf[16384];
    int got;
    while ((got = SSL_read(ssl, buf, sizeof(buf))) > 0)
        bufAppend(in, buf, (size_t)got);
    int e = SSL_get_error(ssl, got);
    streamTlsPump(wbio, s, writing);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_ZERO_RETURN ? done : -1;
}
