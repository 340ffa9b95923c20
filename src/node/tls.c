/*
 * tls.c -- TLS server contexts and client-certificate identity (see tls.h).
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "../core/str.h"

int tlsServerContext(SSL_CTX **out, const char *certFile, const char *keyFile, const char *caFile,
                     int requireClientCert, pnError *err) {
    *out = NULL;
    if (!certFile || !keyFile)
        return pnErrorSet(err, PN_EINVAL,
                          "TLS listener needs tls_cert and tls_key (--cert, --key)");
    if (!caFile && requireClientCert)
        return pnErrorSet(err, PN_EINVAL,
                          "client certificates are required but no tls_ca was given");
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) return pnErrorSet(err, PN_ENOMEM, "cannot create a TLS context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    int rc = PN_OK;
    if (SSL_CTX_use_certificate_chain_file(ctx, certFile) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) != 1)
        rc = pnErrorSet(err, PN_EINVAL, "cannot load TLS certificate '%s' or key '%s'", certFile,
                        keyFile);
    else if (caFile && SSL_CTX_load_verify_locations(ctx, caFile, NULL) != 1)
        rc = pnErrorSet(err, PN_EINVAL, "cannot load CA file '%s'", caFile);
    if (rc != PN_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    if (caFile)
        SSL_CTX_set_verify(
            ctx, SSL_VERIFY_PEER | (requireClientCert ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
    /* With client certificates OpenSSL refuses to resume a TLS 1.2 session
     * unless sessions are tied to a context: without this, a client that
     * resumes cannot reconnect. */
    static const unsigned char sid[] = "partnernet";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    *out = ctx;
    return PN_OK;
}

/* How many entries of the subject name carry nid. */
static int subjectCount(X509_NAME *subj, int nid) {
    int n = 0;
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, nid, i)) >= 0;)
        n++;
    return n;
}

/* The subject's entry nid as text into out (absent: ""); 0 when it does
 * not fit or holds a NUL byte (it would be cut short and name something
 * else). */
static int subjectText(X509_NAME *subj, int nid, char *out, size_t cap) {
    out[0] = '\0';
    int i = X509_NAME_get_index_by_NID(subj, nid, -1);
    if (i < 0) return 1;
    ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
    int len = ASN1_STRING_length(d);
    const unsigned char *p = ASN1_STRING_get0_data(d);
    if (len < 0 || (size_t)len >= cap || memchr(p, '\0', (size_t)len)) return 0;
    memcpy(out, p, (size_t)len);
    out[len] = '\0';
    return 1;
}

const PrincipalEntry *tlsPeerPrincipal(SSL *ssl, const Principals *ps, char *why, size_t cap) {
    why[0] = '\0';
    X509 *cert = SSL_get1_peer_certificate(ssl);
    if (!cert) return NULL;
    char cn[128] = "", country[8] = "", fp[65];
    unsigned char md[32];
    unsigned mdLen = 0;
    if (X509_digest(cert, EVP_sha256(), md, &mdLen) != 1 || mdLen != sizeof(md)) mdLen = 0;
    for (unsigned i = 0; i < mdLen; i++)
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
    fp[2 * mdLen] = '\0';
    X509_NAME *subj = X509_get_subject_name(cert);
    int cns = subjectCount(subj, NID_commonName), countries = subjectCount(subj, NID_countryName);
    int okCn = subjectText(subj, NID_commonName, cn, sizeof(cn));
    int okCountry = subjectText(subj, NID_countryName, country, sizeof(country));
    X509_free(cert);
    /* One name, one principal: with two CNs (or countries) which one the
     * certificate means is a guess, so it means none. */
    if (cns > 1 || countries > 1) {
        snprintf(why, cap, "certificate has more than one %s: refused",
                 cns > 1 ? "common name (CN)" : "country (C)");
        return NULL;
    }
    if (!okCn || !okCountry) {
        snprintf(why, cap, "certificate %s is too long or holds a NUL byte: refused",
                 okCn ? "country" : "common name");
        return NULL;
    }
    const PrincipalEntry *e = principalsFindCert(ps, cn);
    if (!e) {
        snprintf(why, cap, "certificate CN '%s' maps to no principal", cn);
        return NULL;
    }
    /* A pinned principal accepts its one certificate, not any the CA
     * issued for the CN (e.g. to a removed principal of the same CN). */
    if (e->certSha256[0] && strcmp(e->certSha256, fp) != 0) {
        snprintf(why, cap,
                 "certificate CN '%s' is not the certificate pinned for principal '%s' "
                 "(cert_sha256)",
                 cn, e->name);
        return NULL;
    }
    /* ISO alpha-2 in certificates, alpha-3 in the registry: matching the
     * two through the first two letters would be a guess, so the
     * certificate must carry the alpha-3 code or the principal is refused. */
    if (!strEqualNoCase(country, e->nation)) {
        snprintf(why, cap, "certificate country '%s' is not the principal's nation %s", country,
                 e->nation);
        return NULL;
    }
    return e;
}

int tlsClientContext(SSL_CTX **out, const char *certFile, const char *keyFile, const char *caFile,
                     pnError *err) {
    *out = NULL;
    if (!caFile)
        return pnErrorSet(err, PN_EINVAL, "TLS needs ca (the CA of the server's certificate)");
    if (!certFile != !keyFile) return pnErrorSet(err, PN_EINVAL, "cert and key go together");
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    int rc = PN_OK;
    if (certFile && (SSL_CTX_use_certificate_chain_file(ctx, certFile) != 1 ||
                     SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) != 1))
        rc = pnErrorSet(err, PN_EINVAL, "cannot load certificate '%s' or key '%s'", certFile,
                        keyFile);
    else if (SSL_CTX_load_verify_locations(ctx, caFile, NULL) != 1)
        rc = pnErrorSet(err, PN_EINVAL, "cannot load ca '%s'", caFile);
    ERR_clear_error(); /* loading may leave notes in the thread's queue */
    if (rc != PN_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    *out = ctx;
    return PN_OK;
}

int tlsClientName(SSL *ssl, const char *serverName, const char *address) {
    if (serverName)
        return SSL_set_tlsext_host_name(ssl, serverName) == 1 && SSL_set1_host(ssl, serverName) == 1
                   ? 0
                   : -1;
    char host[128];
    const char *colon = strrchr(address, ':');
    size_t n = colon ? (size_t)(colon - address) : 0;
    if (n == 0 || n >= sizeof(host)) return -1;
    memcpy(host, address, n);
    host[n] = '\0';
    return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
}
