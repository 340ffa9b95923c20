/*
 * sign.c -- origin signatures (see sign.h and docs/signatures.md).
 *
 * Ed25519 through OpenSSL 3.  One signature covers a batch of messages
 * through a Merkle tree so that signing keeps up with the group commit: a
 * signature costs tens of microseconds, a leaf hash about one.
 */
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "str.h"

struct SignKey {
    EVP_PKEY *pkey;
    uint8_t pub[32];
    char id[17];
};

static const char MSG_TAG[8] = {'P', 'N', '-', 'M', 'S', 'G', '-', '1'};
static const char ROOT_TAG[9] = {'P', 'N', '-', 'R', 'O', 'O', 'T', '-', '1'};

/* ---- base64 ---- */

void signB64url(const uint8_t *in, size_t n, char *out) {
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        if (i + 1 < n) out[o++] = a[v >> 6 & 63];
        if (i + 2 < n) out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Decode base64 (either alphabet, padding optional) of exactly want bytes;
 * 0, or -1 when s is not that. */
static int b64decode(const char *s, size_t len, uint8_t *out, size_t want) {
    while (len && s[len - 1] == '=')
        len--;
    if (len != (want * 4 + 2) / 3) return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < want) out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == want && (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

int signB64decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outLen) {
    while (len && s[len - 1] == '=')
        len--;
    *outLen = len * 3 / 4;
    return *outLen > cap ? -1 : b64decode(s, len, out, *outLen);
}

static void hexOut(const uint8_t *in, size_t n, char *out) {
    static const char h[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = h[in[i] >> 4], out[2 * i + 1] = h[in[i] & 15];
    out[2 * n] = '\0';
}

static void sha256(const void *p, size_t n, uint8_t out[32]) {
    EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

static void keyIdOf(const uint8_t pub[32], char id[17]) {
    uint8_t h[32];
    sha256(pub, 32, h);
    hexOut(h, 8, id);
}

/* ---- the node's key ---- */

static int keyFinish(EVP_PKEY *pkey, SignKey **out, pnError *err) {
    size_t n = 32;
    SignKey *k = calloc(1, sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pkey);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    k->pkey = pkey;
    if (EVP_PKEY_get_raw_public_key(pkey, k->pub, &n) != 1 || n != 32) {
        signKeyFree(k);
        return pnErrorSet(err, PN_EINVAL, "not an Ed25519 key");
    }
    keyIdOf(k->pub, k->id);
    *out = k;
    return PN_OK;
}

static int keyCreate(const char *path, SignKey **out, pnError *err) {
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pkey) return pnErrorSet(err, PN_EIO, "%s: cannot generate an Ed25519 key", path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd);
        EVP_PKEY_free(pkey);
        return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(e));
    }
    int ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) == 1 && fflush(f) == 0 &&
             fsync(fileno(f)) == 0;
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        unlink(path);
        EVP_PKEY_free(pkey);
        return pnErrorSet(err, PN_EIO, "%s: cannot write the key", path);
    }
    return keyFinish(pkey, out, err);
}

int signKeyLoad(const char *path, int create, SignKey **out, int *created, pnError *err) {
    *out = NULL;
    if (created) *created = 0;
    FILE *f = fopen(path, "r");
    if (!f && errno == ENOENT && create) {
        int rc = keyCreate(path, out, err);
        if (rc == PN_OK && created) *created = 1;
        return rc;
    }
    if (!f)
        return pnErrorSet(err, errno == ENOENT ? PN_ENOENT : PN_EIO, "%s: %s", path,
                          strerror(errno));
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey || EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return pnErrorSet(err, PN_EINVAL, "%s: not an Ed25519 private key in PEM", path);
    }
    int rc = keyFinish(pkey, out, err);
    return rc == PN_OK ? rc : pnErrorPrefix(err, "%s: ", path);
}

void signKeyFree(SignKey *k) {
    if (!k) return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

const char *signKeyId(const SignKey *k) {
    return k->id;
}

void signKeyPublic(const SignKey *k, char out[SIGN_PUB_B64]) {
    EVP_EncodeBlock((unsigned char *)out, k->pub, 32);
}

void signKeyFingerprint(const SignKey *k, char out[65]) {
    uint8_t h[32];
    sha256(k->pub, 32, h);
    hexOut(h, 32, out);
}

/* ---- trust ---- */

void signTrustInit(SignTrust *t) {
    memset(t, 0, sizeof(*t));
}

static void trustedFree(SignTrusted *k) {
    for (int i = 0; i < k->norigins; i++)
        free(k->origins[i]);
    free(k->origins);
    EVP_PKEY_free(k->pkey);
}

void signTrustFree(SignTrust *t) {
    for (int i = 0; i < t->nkeys; i++)
        trustedFree(&t->keys[i]);
    free(t->keys);
    signTrustInit(t);
}

/* Append k (taking its allocations). */
static int trustAdd(SignTrust *t, SignTrusted *k) {
    if (t->nkeys == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        SignTrusted *n = realloc(t->keys, (size_t)cap * sizeof(*n));
        if (!n) return PN_ENOMEM;
        t->keys = n, t->cap = cap;
    }
    t->keys[t->nkeys++] = *k;
    return PN_OK;
}

static int addOrigin(SignTrusted *k, const char *o, size_t n) {
    char **v = realloc(k->origins, (size_t)(k->norigins + 1) * sizeof(*v));
    if (!v) return -1;
    k->origins = v;
    if (!(v[k->norigins] = strndup(o, n))) return -1;
    k->norigins++;
    return 0;
}

static int trustedFromRaw(SignTrusted *k, const uint8_t pub[32]) {
    memcpy(k->pub, pub, 32);
    keyIdOf(pub, k->id);
    k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    return k->pkey ? 0 : -1;
}

int signTrustSelf(SignTrust *t, const SignKey *key, const char *origin) {
    SignTrusted k = {0};
    if (trustedFromRaw(&k, key->pub) != 0 || addOrigin(&k, origin, strlen(origin)) != 0 ||
        trustAdd(t, &k) != PN_OK) {
        trustedFree(&k);
        return PN_ENOMEM;
    }
    return PN_OK;
}

/* One line's options after the key; 0 or -1 with what in why. */
static int trustOption(SignTrusted *k, const char *w, const char **why) {
    int32_t day;
    if (strcmp(w, "revoked") == 0) {
        k->revoked = 1;
    } else if (strncmp(w, "from=", 5) == 0) {
        if (dateParse(w + 5, &day) != 0) return *why = "from= needs a date YYYY-MM-DD", -1;
        k->from = (int64_t)day * 86400;
    } else if (strncmp(w, "until=", 6) == 0) {
        if (dateParse(w + 6, &day) != 0) return *why = "until= needs a date YYYY-MM-DD", -1;
        k->until = ((int64_t)day + 1) * 86400 - 1;
    } else {
        return *why = "unknown word (expected from=DATE, until=DATE or revoked)", -1;
    }
    return 0;
}

static int trustLine(SignTrust *t, char *line, const char **why) {
    char *save = NULL, *origins = strtok_r(line, " \t", &save);
    char *key = strtok_r(NULL, " \t", &save);
    if (!key) return *why = "expected ORIGIN[,ORIGIN...] PUBLIC-KEY [from=DATE] [until=DATE]", -1;
    uint8_t pub[32];
    if (b64decode(key, strlen(key), pub, 32) != 0)
        return *why = "the key is not base64 of a 32-byte Ed25519 public key", -1;
    SignTrusted k = {0};
    if (trustedFromRaw(&k, pub) != 0) return *why = "not an Ed25519 public key", -1;
    int rc = 0;
    for (char *o = origins, *comma; o && !rc; o = comma ? comma + 1 : NULL) {
        comma = strchr(o, ',');
        size_t n = comma ? (size_t)(comma - o) : strlen(o);
        if (n == 0 || n > 63)
            rc = (*why = "an origin name is empty or too long", -1);
        else if (addOrigin(&k, o, n) != 0)
            rc = (*why = "out of memory", -1);
    }
    for (char *w; !rc && (w = strtok_r(NULL, " \t", &save));)
        rc = trustOption(&k, w, why);
    if (!rc && k.from && k.until && k.until < k.from) rc = (*why = "until= is before from=", -1);
    if (!rc && trustAdd(t, &k) != PN_OK) rc = (*why = "out of memory", -1);
    if (rc) trustedFree(&k);
    return rc;
}

int signTrustLoad(SignTrust *t, const char *path, pnError *err) {
    char *text;
    size_t len;
    int r = fileRead(path, 1 << 20, &text, &len);
    if (r == -2) return pnErrorSet(err, PN_ELIMIT, "%s: larger than 1 MiB", path);
    if (r != 0)
        return pnErrorSet(err, errno == ENOENT ? PN_ENOENT : PN_EIO, "%s: %s", path,
                          strerror(errno));
    int lineNo = 0, rc = PN_OK;
    for (char *line = text, *next; line && rc == PN_OK; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineNo++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        if (strspn(line, " \t\r") == strlen(line)) continue;
        line[strcspn(line, "\r")] = '\0';
        const char *why = NULL;
        if (trustLine(t, line, &why) != 0)
            rc = pnErrorSet(err, PN_EINVAL, "%s:%d: %s", path, lineNo, why);
    }
    free(text);
    return rc;
}

/* ---- canonical encoding ---- */

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v) {
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static void updStr(EVP_MD_CTX *c, const void *s, size_t n) {
    uint8_t l[4];
    put32(l, (uint32_t)n);
    EVP_DigestUpdate(c, l, 4);
    if (n) EVP_DigestUpdate(c, s, n);
}

void signLeaf(const SignFields *f, uint8_t leaf[32]) {
    uint8_t ph[32], num[16], zero = 0;
    sha256(f->payload, f->payloadLen, ph);
    put64(num, f->seq);
    put64(num + 8, (uint64_t)f->time);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) { /* cannot hash: a leaf no signature verifies */
        memset(leaf, 0, 32);
        return;
    }
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, &zero, 1);
    EVP_DigestUpdate(c, MSG_TAG, sizeof(MSG_TAG));
    updStr(c, f->origin, f->originLen);
    EVP_DigestUpdate(c, num, 16);
    updStr(c, f->topic, f->topicLen);
    updStr(c, f->label, f->labelLen);
    EVP_DigestUpdate(c, ph, 32);
    updStr(c, f->contentType, f->contentType ? f->contentTypeLen : 0);
    EVP_DigestFinal_ex(c, leaf, NULL);
    EVP_MD_CTX_free(c);
}

static void nodeHash(const uint8_t l[32], const uint8_t r[32], uint8_t out[32]) {
    uint8_t b[65];
    b[0] = 1;
    memcpy(b + 1, l, 32);
    memcpy(b + 33, r, 32);
    sha256(b, sizeof(b), out);
}

/* RFC 9162 2.1.1: the tree over leaves [lo, hi) into out; every leaf's
 * path gets its sibling appended, bottom-up. */
static void tree(const uint8_t (*leaves)[32], size_t lo, size_t hi, uint8_t (*path)[6][32],
                 int *depth, uint8_t out[32]) {
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < hi - lo)
        k *= 2;
    uint8_t l[32], r[32];
    tree(leaves, lo, lo + k, path, depth, l);
    tree(leaves, lo + k, hi, path, depth, r);
    for (size_t i = lo; i < hi; i++)
        memcpy(path[i][depth[i]++], i < lo + k ? r : l, 32);
    nodeHash(l, r, out);
}

static int edSignRaw(EVP_PKEY *pkey, const void *msg, size_t len, uint8_t sig[64]) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    size_t n = 64;
    int ok = c && EVP_DigestSignInit(c, NULL, NULL, NULL, pkey) == 1 &&
             EVP_DigestSign(c, sig, &n, msg, len) == 1 && n == 64;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

static int edVerifyRaw(EVP_PKEY *pkey, const void *msg, size_t len, const uint8_t sig[64]) {
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestVerifyInit(c, NULL, NULL, NULL, pkey) == 1 &&
             EVP_DigestVerify(c, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

static void rootMessage(const uint8_t root[32], uint8_t msg[sizeof(ROOT_TAG) + 32]) {
    memcpy(msg, ROOT_TAG, sizeof(ROOT_TAG));
    memcpy(msg + sizeof(ROOT_TAG), root, 32);
}

static int edSign(EVP_PKEY *pkey, const uint8_t root[32], uint8_t sig[64]) {
    uint8_t msg[sizeof(ROOT_TAG) + 32];
    rootMessage(root, msg);
    return edSignRaw(pkey, msg, sizeof(msg), sig);
}

static int edVerify(EVP_PKEY *pkey, const uint8_t root[32], const uint8_t sig[64]) {
    uint8_t msg[sizeof(ROOT_TAG) + 32];
    rootMessage(root, msg);
    return edVerifyRaw(pkey, msg, sizeof(msg), sig);
}

int signRaw(const SignKey *k, const void *msg, size_t len, uint8_t sig[64]) {
    return edSignRaw(k->pkey, msg, len, sig) == 0 ? PN_OK : PN_EIO;
}

int signBatch(const SignKey *k, const uint8_t (*leaves)[32], size_t n, char **tokens,
              pnError *err) {
    if (n == 0 || n > SIGN_BATCH_MAX) return pnErrorSet(err, PN_EINVAL, "batch of %zu", n);
    uint8_t path[SIGN_BATCH_MAX][6][32], root[32], sig[64];
    int depth[SIGN_BATCH_MAX] = {0};
    tree(leaves, 0, n, path, depth, root);
    if (edSign(k->pkey, root, sig) != 0) return pnErrorSet(err, PN_EIO, "Ed25519 signing failed");
    char sigText[90];
    signB64url(sig, 64, sigText);
    for (size_t i = 0; i < n; i++) {
        char pathText[6 * 44];
        signB64url(&path[i][0][0], (size_t)depth[i] * 32, pathText);
        char buf[SIGN_TOKEN_MAX];
        snprintf(buf, sizeof(buf), "1.%s.%zu.%zu.%s.%s", k->id, i, n, sigText, pathText);
        if (!(tokens[i] = strdup(buf))) {
            while (i > 0)
                free(tokens[--i]);
            return pnErrorSet(err, PN_ENOMEM, "out of memory");
        }
    }
    return PN_OK;
}

/* ---- verification ---- */

void signCacheInit(SignCache *c) {
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < SIGN_CACHE; i++)
        c->e[i].key = -1;
}

typedef struct Token {
    char id[17];
    uint64_t index, size;
    uint8_t sig[64];
    uint8_t path[6][32];
    int depth;
} Token;

/* The next '.'-separated field of [*p, end); -1 when there is none. */
static int field(const char **p, const char *end, const char **f, size_t *n) {
    if (*p > end) return -1;
    const char *dot = memchr(*p, '.', (size_t)(end - *p));
    *f = *p;
    *n = dot ? (size_t)(dot - *p) : (size_t)(end - *p);
    *p = dot ? dot + 1 : end + 1;
    return 0;
}

static int number(const char *s, size_t n, uint64_t *v) {
    if (n == 0 || n > 3) return -1;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return 0;
}

static int tokenParse(const char *s, size_t len, Token *t) {
    const char *p = s, *end = s + len, *f[6];
    size_t n[6];
    for (int i = 0; i < 6; i++)
        if (field(&p, end, &f[i], &n[i]) != 0) return -1;
    if (p <= end || n[0] != 1 || f[0][0] != '1' || n[1] != 16) return -1;
    memcpy(t->id, f[1], 16);
    t->id[16] = '\0';
    if (number(f[2], n[2], &t->index) || number(f[3], n[3], &t->size) || t->size == 0 ||
        t->size > SIGN_BATCH_MAX || t->index >= t->size)
        return -1;
    if (b64decode(f[4], n[4], t->sig, 64) != 0) return -1;
    size_t plen = n[5] * 3 / 4;
    if (plen % 32 || plen > sizeof(t->path)) return -1;
    t->depth = (int)(plen / 32);
    return plen && b64decode(f[5], n[5], &t->path[0][0], plen) != 0 ? -1 : 0;
}

/* RFC 9162 2.1.3.2: the root the path leads to from leaf; -1 when the path
 * does not fit the index and size. */
static int rootOf(const Token *t, const uint8_t leaf[32], uint8_t root[32]) {
    uint64_t fn = t->index, sn = t->size - 1;
    uint8_t r[32];
    memcpy(r, leaf, 32);
    for (int i = 0; i < t->depth; i++) {
        if (sn == 0) return -1;
        if ((fn & 1) || fn == sn) {
            nodeHash(t->path[i], r, r);
            while (!(fn & 1) && fn != 0)
                fn >>= 1, sn >>= 1;
        } else {
            nodeHash(r, t->path[i], r);
        }
        fn >>= 1, sn >>= 1;
    }
    if (sn != 0) return -1;
    memcpy(root, r, 32);
    return 0;
}

static int keyAllows(const SignTrusted *k, const char *origin, size_t len) {
    for (int i = 0; i < k->norigins; i++)
        if (strlen(k->origins[i]) == len && memcmp(k->origins[i], origin, len) == 0) return 1;
    return 0;
}

/* The trusted key id may sign for origin at time: its index, or -1 with
 * the reason. */
static int keyFor(const SignTrust *t, const char *id, const char *origin, size_t originLen,
                  int64_t time, char *why, size_t cap) {
    int ki = -1;
    for (int i = 0; i < t->nkeys && ki < 0; i++)
        if (strcmp(t->keys[i].id, id) == 0) ki = i;
    if (ki < 0) return snprintf(why, cap, "unknown key %s", id), -1;
    const SignTrusted *k = &t->keys[ki];
    if (k->revoked) return snprintf(why, cap, "key %s is revoked", id), -1;
    if (!keyAllows(k, origin, originLen))
        return snprintf(why, cap, "key %s may not sign for origin %.*s", id, (int)originLen,
                        origin),
               -1;
    if ((k->from && time < k->from) || (k->until && time > k->until))
        return snprintf(why, cap, "key %s is not valid at the message's origin time", id), -1;
    return ki;
}

int signVerifyRaw(const SignTrust *t, const char *keyId, const char *origin, int64_t time,
                  const void *msg, size_t len, const uint8_t sig[64], char *why, size_t cap) {
    int ki = keyFor(t, keyId, origin, strlen(origin), time, why, cap);
    if (ki < 0) return -1;
    if (edVerifyRaw(t->keys[ki].pkey, msg, len, sig) != 0)
        return snprintf(why, cap, "signature does not match: altered, or not signed by key %s",
                        keyId),
               -1;
    return 0;
}

int signVerify(const SignTrust *t, SignCache *c, const SignFields *f, const char *token,
               size_t tokenLen, char *why, size_t cap) {
    Token tk;
    if (!token || tokenLen == 0) return snprintf(why, cap, "no signature"), -1;
    if (tokenLen >= SIGN_TOKEN_MAX || tokenParse(token, tokenLen, &tk) != 0)
        return snprintf(why, cap, "signature token is malformed"), -1;
    int ki = keyFor(t, tk.id, f->origin, f->originLen, f->time, why, cap);
    if (ki < 0) return -1;
    const SignTrusted *k = &t->keys[ki];
    uint8_t leaf[32], root[32];
    signLeaf(f, leaf);
    if (rootOf(&tk, leaf, root) != 0)
        return snprintf(why, cap, "signature path does not fit its index and size"), -1;
    for (int i = 0; c && i < SIGN_CACHE; i++)
        if (c->e[i].key == ki && memcmp(c->e[i].root, root, 32) == 0 &&
            memcmp(c->e[i].sig, tk.sig, 64) == 0)
            return 0;
    if (edVerify(k->pkey, root, tk.sig) != 0)
        return snprintf(why, cap,
                        "signature does not match: origin, topic, label, payload or content type "
                        "altered, or not signed by key %s",
                        tk.id),
               -1;
    if (c) {
        memcpy(c->e[c->next].root, root, 32);
        memcpy(c->e[c->next].sig, tk.sig, 64);
        c->e[c->next].key = ki;
        c->next = (c->next + 1) % SIGN_CACHE;
    }
    return 0;
}
