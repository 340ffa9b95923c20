/*
 * token.c -- bearer tokens: creation, hashed storage, lookup (see token.h).
 */
#include "token.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/date.h"
#include "../core/file.h"
#include "../core/str.h"
#include "../exchange/principals.h"

int tokenStoreInit(TokenStore *ts, const char *path, pnError *err) {
    memset(ts, 0, sizeof(*ts));
    if (strCopy(ts->path, sizeof(ts->path), path) != 0)
        return pnErrorSet(err, PN_ELIMIT, "token file path too long");
    return PN_OK;
}

void tokenStoreFree(TokenStore *ts) {
    free(ts->e);
    ts->e = NULL;
    ts->n = ts->cap = 0;
}

static int push(TokenStore *ts, const TokenEntry *e) {
    if (ts->n == ts->cap) {
        size_t cap = ts->cap ? ts->cap * 2 : 16;
        TokenEntry *p = realloc(ts->e, cap * sizeof(*p));
        if (!p) return -1;
        ts->e = p;
        ts->cap = cap;
    }
    ts->e[ts->n++] = *e;
    return 0;
}

static void hashText(const char *text, size_t len, uint8_t out[32]) {
    unsigned n = 32;
    EVP_Digest(text, len, out, &n, EVP_sha256(), NULL);
}

static void hexOf(const uint8_t *p, size_t n, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = digits[p[i] >> 4], out[2 * i + 1] = digits[p[i] & 15];
    out[2 * n] = '\0';
}

static int hexTo(const char *s, uint8_t *out, size_t n) {
    if (strlen(s) != 2 * n) return -1;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0) return -1;
        out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | v : v << 4);
    }
    return 0;
}

static int timeField(json_t *o, const char *key, int required, int64_t *t) {
    json_t *v = json_object_get(o, key);
    *t = 0;
    if (!v) return required ? -1 : 0;
    return json_is_string(v) && timeParse(json_string_value(v), t) == 0 ? 0 : -1;
}

/* 1 when id is "" or PRINCIPAL_ID_LEN lower-case hex digits. */
static int principalIdValid(const char *id) {
    size_t n = strlen(id);
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return 0;
    return n == 0 || n == PRINCIPAL_ID_LEN;
}

static int loadEntry(json_t *o, TokenEntry *e) {
    memset(e, 0, sizeof(*e));
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *hash = json_string_value(json_object_get(o, "sha256"));
    const char *who = json_string_value(json_object_get(o, "principal"));
    json_t *pid = json_object_get(o, "principal_id");
    if (pid && (!json_is_string(pid) || !principalIdValid(json_string_value(pid)))) return -1;
    if (pid) strCopy(e->principalId, sizeof(e->principalId), json_string_value(pid));
    if (!id || !hash || !who || hexTo(hash, e->hash, 32) != 0 ||
        strCopy(e->principal, sizeof(e->principal), who) != 0 || !principalNameValid(who) ||
        timeField(o, "created", 1, &e->created) != 0 || timeField(o, "revoked", 0, &e->revoked))
        return -1;
    hexOf(e->hash, TOKEN_ID_LEN / 2, e->id);
    return strcmp(e->id, id) == 0 ? 0 : -1;
}

int tokenStoreLoad(TokenStore *ts, pnError *err) {
    struct stat st;
    int exists = stat(ts->path, &st) == 0;
    char *text = NULL;
    size_t len = 0;
    TokenStore fresh = *ts;
    fresh.e = NULL;
    fresh.n = fresh.cap = 0;
    if (exists) {
        int fr = fileRead(ts->path, TOKENS_MAX_FILE, &text, &len);
        if (fr == -2)
            return pnErrorSet(err, PN_ELIMIT, "%s: larger than %u bytes", ts->path,
                              TOKENS_MAX_FILE);
        if (fr != 0) return pnErrorSet(err, PN_EIO, "%s: %s", ts->path, strerror(errno));
        json_error_t je;
        json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        free(text);
        if (!doc) return pnErrorSet(err, PN_EINVAL, "%s:%d: %s", ts->path, je.line, je.text);
        json_t *arr = json_object_get(doc, "tokens"), *o;
        size_t i;
        int rc = json_is_array(arr)
                     ? PN_OK
                     : pnErrorSet(err, PN_EINVAL, "%s: expected {\"tokens\": [...]}", ts->path);
        json_array_foreach(arr, i, o) {
            TokenEntry e;
            if (rc != PN_OK) break;
            if (loadEntry(o, &e) != 0)
                rc = pnErrorSet(err, PN_EINVAL, "%s: token %zu is malformed", ts->path, i + 1);
            else if (push(&fresh, &e) != 0)
                rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
        }
        json_decref(doc);
        if (rc != PN_OK) {
            tokenStoreFree(&fresh);
            return rc;
        }
    }
    tokenStoreFree(ts);
    *ts = fresh;
    ts->seen = exists;
    ts->mtimeNs = exists ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
    ts->ino = exists ? (uint64_t)st.st_ino : 0;
    ts->size = exists ? (uint64_t)st.st_size : 0;
    return PN_OK;
}

int tokenStoreRefresh(TokenStore *ts, int *changed, pnError *err) {
    struct stat st;
    int exists = stat(ts->path, &st) == 0;
    if (changed) *changed = 0;
    if (exists == ts->seen &&
        (!exists || ((int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec == ts->mtimeNs &&
                     (uint64_t)st.st_ino == ts->ino && (uint64_t)st.st_size == ts->size)))
        return PN_OK;
    int rc = tokenStoreLoad(ts, err);
    if (rc == PN_OK && changed) *changed = 1;
    if (rc != PN_OK) { /* keep the tokens in force; parse this bad file once, not per request */
        ts->seen = exists;
        ts->mtimeNs = exists ? (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec : 0;
        ts->ino = exists ? (uint64_t)st.st_ino : 0;
        ts->size = exists ? (uint64_t)st.st_size : 0;
    }
    return rc;
}

int tokenStoreSave(TokenStore *ts, pnError *err) {
    json_t *arr = json_array(), *doc = json_object();
    int bad = !arr || !doc || json_object_set(doc, "tokens", arr) != 0;
    for (size_t i = 0; !bad && i < ts->n; i++) {
        const TokenEntry *e = &ts->e[i];
        char hex[65], created[21], revoked[21];
        hexOf(e->hash, 32, hex);
        timeFormat(e->created, created);
        timeFormat(e->revoked, revoked);
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "id", e->id, "sha256", hex, "principal",
                              e->principal, "created", created);
        bad = !o ||
              (e->principalId[0] &&
               json_object_set_new(o, "principal_id", json_string(e->principalId)) != 0) ||
              (e->revoked && json_object_set_new(o, "revoked", json_string(revoked)) != 0) ||
              json_array_append_new(arr, o) != 0;
    }
    char *text = bad ? NULL : json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(arr);
    json_decref(doc);
    if (!text) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    size_t n = strlen(text);
    text[n] = '\n'; /* the terminator becomes the final newline */
    int rc = fileWriteAtomic(ts->path, text, n + 1, 0600, err);
    free(text);
    if (rc == PN_OK) tokenStoreRefresh(ts, NULL, NULL); /* our own write is no change */
    return rc;
}

int tokenCreate(TokenStore *ts, const char *principal, int64_t now, char *text, size_t cap,
                const TokenEntry **out, pnError *err) {
    return tokenCreateFor(ts, principal, "", now, text, cap, out, err);
}

size_t tokenRevokePrincipal(TokenStore *ts, const char *principal, int64_t now) {
    size_t n = 0;
    for (size_t i = 0; i < ts->n; i++)
        if (!ts->e[i].revoked && strcmp(ts->e[i].principal, principal) == 0)
            ts->e[i].revoked = now, n++;
    return n;
}

size_t tokenBindPrincipal(TokenStore *ts, const char *principal, const char *principalId) {
    size_t n = 0;
    if (!principalIdValid(principalId) || !principalId[0]) return 0;
    for (size_t i = 0; i < ts->n; i++) {
        TokenEntry *e = &ts->e[i];
        if (!e->revoked && !e->principalId[0] && strcmp(e->principal, principal) == 0)
            strCopy(e->principalId, sizeof(e->principalId), principalId), n++;
    }
    return n;
}

int tokenCreateFor(TokenStore *ts, const char *principal, const char *principalId, int64_t now,
                   char *text, size_t cap, const TokenEntry **out, pnError *err) {
    if (!principalNameValid(principal))
        return pnErrorSet(err, PN_EINVAL, "invalid principal name '%s'", principal);
    if (!principalIdValid(principalId))
        return pnErrorSet(err, PN_EINVAL, "invalid principal instance id '%s'", principalId);
    if (cap < TOKEN_TEXT_LEN + 1) return pnErrorSet(err, PN_ELIMIT, "token buffer too small");
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return pnErrorSet(err, PN_EIO, "the random generator failed");
    char b64[48];
    EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw)); /* 44 chars, one '=' */
    OPENSSL_cleanse(raw, sizeof(raw));
    for (char *p = b64; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    b64[43] = '\0';
    snprintf(text, cap, "pn_%s", b64);
    OPENSSL_cleanse(b64, sizeof(b64));
    TokenEntry e;
    memset(&e, 0, sizeof(e));
    hashText(text, strlen(text), e.hash);
    hexOf(e.hash, TOKEN_ID_LEN / 2, e.id);
    strCopy(e.principal, sizeof(e.principal), principal);
    strCopy(e.principalId, sizeof(e.principalId), principalId);
    e.created = now;
    if (push(ts, &e) != 0) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (out) *out = &ts->e[ts->n - 1];
    return PN_OK;
}

int tokenRevoke(TokenStore *ts, const char *textOrId, int64_t now, const TokenEntry **out,
                pnError *err) {
    uint8_t h[32];
    size_t len = strlen(textOrId);
    hashText(textOrId, len, h);
    for (size_t i = 0; i < ts->n; i++) {
        TokenEntry *e = &ts->e[i];
        if (strcmp(e->id, textOrId) != 0 && CRYPTO_memcmp(e->hash, h, 32) != 0) continue;
        if (!e->revoked) e->revoked = now;
        if (out) *out = e;
        return PN_OK;
    }
    return pnErrorSet(err, PN_ENOENT, "no token with id or text '%.*s'", len > 16 ? 16 : (int)len,
                      textOrId);
}

const TokenEntry *tokenLookup(const TokenStore *ts, const char *text, size_t len) {
    uint8_t h[32];
    hashText(text, len, h);
    const TokenEntry *found = NULL;
    for (size_t i = 0; i < ts->n; i++) /* no early exit: the time says nothing */
        if (CRYPTO_memcmp(ts->e[i].hash, h, 32) == 0 && !ts->e[i].revoked) found = &ts->e[i];
    return found;
}
