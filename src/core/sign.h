/*
 * sign.h -- origin signatures: the node's Ed25519 key, the keys it trusts,
 * the canonical encoding of a message and batch signatures over it.
 *
 * A node signs what it accepts in batches (one group commit, at most
 * SIGN_BATCH_MAX messages): each message's canonical encoding is hashed
 * into a leaf, the leaves into a Merkle tree (RFC 9162 section 2.1), and
 * the root is signed once.  Every message then carries a token with the
 * signature, its leaf index, the tree size and its inclusion path, so it
 * verifies on its own, wherever it travels.  docs/signatures.md gives the
 * exact bytes so that another implementation can verify.
 *
 * Token (ASCII, one line):
 *   1.KEYID.INDEX.SIZE.SIG.PATH
 * KEYID: 16 lower-case hex digits (the first 8 bytes of SHA-256 of the
 * raw 32-byte public key); INDEX, SIZE: decimal; SIG: the 64-byte
 * signature, base64url without padding; PATH: the sibling hashes (32 bytes
 * each, leaf to root) concatenated, base64url without padding (empty for
 * a tree of one).
 */
#ifndef PN_SIGN_H
#define PN_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define SIGN_BATCH_MAX 64
#define SIGN_TOKEN_MAX 512 /* a token is shorter than this */
#define SIGN_PUB_B64 45    /* base64 of 32 bytes, NUL included */

/* ---- the node's own key ---- */

typedef struct SignKey SignKey;

/*
 * Load the PEM private key at path; when it does not exist and create is
 * set, make a new Ed25519 key and write it there (mode 0600, created
 * exclusively; *created = 1).  *out is the caller's (signKeyFree).
 * PN_ENOENT (no file, create not set), PN_EINVAL (not an Ed25519 key),
 * PN_EIO.
 */
int signKeyLoad(const char *path, int create, SignKey **out, int *created, pnError *err);
void signKeyFree(SignKey *k); /* NULL is ignored */

/* The key's id (16 hex digits), its raw public key as base64 and its
 * fingerprint (64 hex digits, SHA-256 of the raw public key). */
const char *signKeyId(const SignKey *k);
void signKeyPublic(const SignKey *k, char out[SIGN_PUB_B64]);
void signKeyFingerprint(const SignKey *k, char out[65]);

/* ---- trusted keys ---- */

typedef struct SignTrusted {
    uint8_t pub[32];
    char id[17];
    char **origins; /* the origins it may sign for */
    int norigins;
    int64_t from, until; /* validity for a message's origin time, seconds; 0: open */
    int revoked;
    void *pkey; /* EVP_PKEY */
} SignTrusted;

typedef struct SignTrust {
    SignTrusted *keys;
    int nkeys, cap;
} SignTrust;

void signTrustInit(SignTrust *t);
void signTrustFree(SignTrust *t);

/*
 * Add the keys of a trust file: one key a line, '#' comments,
 *   ORIGIN[,ORIGIN...] PUBLIC-KEY-BASE64 [from=YYYY-MM-DD] [until=YYYY-MM-DD] [revoked]
 * from is the first day, until the last day (UTC) of origin times the key
 * may sign for.  PN_EINVAL ("FILE:LINE: what"), PN_ENOENT, PN_EIO.
 */
int signTrustLoad(SignTrust *t, const char *path, pnError *err);

/* Trust k for origin (a node trusts its own key for its own name).
 * PN_ENOMEM. */
int signTrustSelf(SignTrust *t, const SignKey *k, const char *origin);

/* ---- canonical encoding and leaves ---- */

typedef struct SignFields {
    const char *origin;
    size_t originLen;
    uint64_t seq;
    int64_t time;
    const char *topic;
    size_t topicLen;
    const char *label; /* canonical display marking */
    size_t labelLen;
    const uint8_t *payload;
    size_t payloadLen;
    const char *contentType; /* NULL or empty: none */
    size_t contentTypeLen;
} SignFields;

/* The leaf hash of a message: SHA-256(0x00 || canonical encoding). */
void signLeaf(const SignFields *f, uint8_t leaf[32]);

/*
 * Sign n (1..SIGN_BATCH_MAX) leaves with k: tokens[i] receives a malloc'd
 * token for leaf i (free() each).  PN_ENOMEM or PN_EIO (OpenSSL failed);
 * then no token is left allocated.
 */
int signBatch(const SignKey *k, const uint8_t (*leaves)[32], size_t n, char **tokens, pnError *err);

/* ---- verification ---- */

#define SIGN_CACHE 16

/* Roots already verified (a batch's messages share one signature check). */
typedef struct SignCache {
    struct {
        uint8_t root[32], sig[64];
        int key; /* index in the trust, -1: empty */
    } e[SIGN_CACHE];
    int next;
} SignCache;

void signCacheInit(SignCache *c);

/*
 * Verify token for f against t: well-formed, a trusted key not revoked,
 * allowed for f's origin, valid at f's time, inclusion path and signature.
 * c may be NULL.  Returns 0, or -1 with a sentence in why ("unknown key
 * 0123...", "signature does not match: message altered or not signed by
 * key ...").
 */
int signVerify(const SignTrust *t, SignCache *c, const SignFields *f, const char *token,
               size_t tokenLen, char *why, size_t cap);

/* Sign len bytes of msg with k (Ed25519, for JWS).  PN_OK or PN_EIO. */
int signRaw(const SignKey *k, const void *msg, size_t len, uint8_t sig[64]);

/* Verify sig over msg with the trusted key keyId, which must be allowed
 * for origin at time (as signVerify).  0, or -1 with the reason in why. */
int signVerifyRaw(const SignTrust *t, const char *keyId, const char *origin, int64_t time,
                  const void *msg, size_t len, const uint8_t sig[64], char *why, size_t cap);

/* Decode base64 or base64url (padding optional) into out (room for cap
 * bytes), *outLen bytes: 0, or -1 when s is not base64 or decodes to more
 * than cap bytes. */
int signB64decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outLen);

/* Base64url without padding of n bytes into out (room for 4*n/3+3). */
void signB64url(const uint8_t *in, size_t n, char *out);

#endif
