/*
 * tls.h -- what the node's TLS front-ends (MQTT over TLS, HTTPS) share:
 * the server context with client-certificate verification, and the
 * mapping of a verified client certificate to a principal.
 *
 * A certificate names a principal by its common name (the principal's
 * cert_cn), and its country must be the principal's nation (the alpha-3
 * code, as in the registry): a certificate is never mapped by guesswork.
 */
#ifndef PN_NODE_TLS_H
#define PN_NODE_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "../core/err.h"
#include "../exchange/principals.h"

/*
 * Make a TLS server context (TLS 1.2 or later) with the certificate chain
 * certFile and key keyFile.  With caFile, client certificates signed by it
 * are verified and, when requireClientCert, demanded; without caFile,
 * requireClientCert is an error.  Returns PN_OK with *out set (free it
 * with SSL_CTX_free), or PN_EINVAL/PN_ENOMEM with the reason and *out
 * NULL.
 */
int tlsServerContext(SSL_CTX **out, const char *certFile, const char *keyFile, const char *caFile,
                     int requireClientCert, pnError *err);

/*
 * The principal the verified peer certificate of ssl names, or NULL.
 * NULL with why[0] == '\0' when the peer sent no certificate; NULL with a
 * sentence in why when its CN maps to no principal or its country is not
 * the principal's nation.  The pointer is valid until ps changes.
 */
const PrincipalEntry *tlsPeerPrincipal(SSL *ssl, const Principals *ps, char *why, size_t cap);

/*
 * Make a TLS client context (TLS 1.2 or later) that verifies the server's
 * certificate against caFile and, when certFile and keyFile are given,
 * presents that client certificate.  Returns PN_OK with *out set (free it
 * with SSL_CTX_free), or PN_EINVAL/PN_ENOMEM with the reason and *out
 * NULL: no caFile, cert without key or key without cert, unreadable files.
 */
int tlsClientContext(SSL_CTX **out, const char *certFile, const char *keyFile, const char *caFile,
                     pnError *err);

/*
 * Make ssl verify that the server's certificate names serverName (also sent
 * as SNI) or, when serverName is NULL, the IP address of address
 * ("HOST:PORT"), the one connected to.  Returns 0, or -1 when the name
 * cannot be set.
 */
int tlsClientName(SSL *ssl, const char *serverName, const char *address);

#endif
