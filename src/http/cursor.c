/*
 * cursor.c -- opaque history cursors (see cursor.h): AES-256-GCM over the
 * 8-byte big-endian offset, text = "c_" base64url(nonce 12 | sealed 8 |
 * tag 16) without padding.
 */
#include "cursor.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/file.h"
#include "../core/str.h"

#define NONCE 12
#define TAG 16
#define RAW (NONCE + 8 + TAG) /* 36 bytes: 48 base64url characters */

int cursorKeyLoad(const char *path, unsigned char key[CURSOR_KEY_BYTES], pnError *err) {
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (fileRead(path, 4096, &text, &len) != 0 || len != CURSOR_KEY_BYTES) {
            free(text);
            return pnErrorSet(err, PN_EIO, "%s: not a %d-byte cursor key", path, CURSOR_KEY_BYTES);
        }
        memcpy(key, text, CURSOR_KEY_BYTES);
        OPENSSL_cleanse(text, len);
        free(text);
        return PN_OK;
    }
    if (errno != ENOENT) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    if (RAND_bytes(key, CURSOR_KEY_BYTES) != 1)
        return pnErrorSet(err, PN_EIO, "no random bytes for the cursor key");
    return fileWriteAtomic(path, (const char *)key, CURSOR_KEY_BYTES, 0600, err);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64Value(char c) {
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

/* GCM one way or the other over 8 bytes; 0 on success (and tag match). */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce,
               const unsigned char *in, unsigned char *out, unsigned char *tag) {
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int len = 0, ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
                      EVP_CipherUpdate(c, out, &len, in, 8) == 1 && len == 8;
    if (ok && !enc) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1;
    if (ok) ok = EVP_CipherFinal_ex(c, out + 8, &len) == 1;
    if (ok && enc) ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? 0 : -1;
}

int cursorSeal(const unsigned char key[CURSOR_KEY_BYTES], uint64_t off, char *out) {
    unsigned char raw[RAW], plain[8], sealed[16];
    for (int i = 0; i < 8; i++)
        plain[i] = (unsigned char)(off >> (56 - 8 * i));
    if (RAND_bytes(raw, NONCE) != 1 || gcm(1, key, raw, plain, sealed, raw + NONCE + 8) != 0)
        return -1;
    memcpy(raw + NONCE, sealed, 8);
    char *o = out;
    *o++ = 'c', *o++ = '_';
    for (int i = 0; i < RAW; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int k = 3; k >= 0; k--)
            *o++ = b64[(v >> (6 * k)) & 63];
    }
    *o = '\0';
    return 0;
}

int cursorIs(const char *text) {
    return text[0] == 'c' && text[1] == '_';
}

int cursorOpen(const unsigned char key[CURSOR_KEY_BYTES], const char *text, uint64_t *off) {
    if (!cursorIs(text) || strlen(text) != 2 + RAW / 3 * 4) return -1;
    unsigned char raw[RAW], plain[16];
    for (int i = 0; i < RAW / 3; i++) {
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            int d = b64Value(text[2 + 4 * i + k]);
            if (d < 0) return -1;
            v = v << 6 | (uint32_t)d;
        }
        raw[3 * i] = (unsigned char)(v >> 16);
        raw[3 * i + 1] = (unsigned char)(v >> 8);
        raw[3 * i + 2] = (unsigned char)v;
    }
    if (gcm(0, key, raw, raw + NONCE, plain, raw + NONCE + 8) != 0) return -1;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | plain[i];
    *off = v;
    return 0;
}
