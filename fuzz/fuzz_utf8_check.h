/*
 * fuzz_utf8_check.h -- the property the UTF-8 validator must keep, shared
 * by fuzz/fuzz_utf8.c and the regression replay in tests/unit.
 *
 * utf8Valid() must agree with a second, differently written validator: the
 * byte-range table of well-formed sequences in the Unicode Standard (Table
 * 3-7), which needs no arithmetic on code points.  Every character
 * utf8Decode() reads must encode back to the same bytes.  And the three
 * users must agree with it: mqttUtf8Valid (no U+0000 on top), jsonCheck on
 * the bytes as a JSON string, and topicNameValid (which may only refuse
 * more).
 */
#ifndef PN_FUZZ_UTF8_CHECK_H
#define PN_FUZZ_UTF8_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/jsoncheck.h"
#include "../src/core/utf8.h"
#include "../src/exchange/topic.h"
#include "../src/mqtt/mqtt.h"

/* Table 3-7, "Well-Formed UTF-8 Byte Sequences". */
static inline int fuzzUtf8Reference(const uint8_t *s, size_t n) {
    static const struct {
        uint8_t lo[4], hi[4];
        int len;
    } rows[] = {
        {{0x00}, {0x7F}, 1},
        {{0xC2, 0x80}, {0xDF, 0xBF}, 2},
        {{0xE0, 0xA0, 0x80}, {0xE0, 0xBF, 0xBF}, 3},
        {{0xE1, 0x80, 0x80}, {0xEC, 0xBF, 0xBF}, 3},
        {{0xED, 0x80, 0x80}, {0xED, 0x9F, 0xBF}, 3},
        {{0xEE, 0x80, 0x80}, {0xEF, 0xBF, 0xBF}, 3},
        {{0xF0, 0x90, 0x80, 0x80}, {0xF0, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF1, 0x80, 0x80, 0x80}, {0xF3, 0xBF, 0xBF, 0xBF}, 4},
        {{0xF4, 0x80, 0x80, 0x80}, {0xF4, 0x8F, 0xBF, 0xBF}, 4},
    };
    size_t i = 0;
    while (i < n) {
        int ok = 0;
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]) && !ok; r++) {
            int len = rows[r].len;
            if ((size_t)len > n - i) continue;
            ok = 1;
            for (int k = 0; k < len && ok; k++)
                ok = s[i + k] >= rows[r].lo[k] && s[i + k] <= rows[r].hi[k];
            if (ok) i += (size_t)len;
        }
        if (!ok) return 0;
    }
    return 1;
}

/* Encode cp (a valid scalar value) into out; returns its length. */
static inline size_t fuzzUtf8Encode(uint32_t cp, uint8_t out[4]) {
    if (cp < 0x80) return out[0] = (uint8_t)cp, 1;
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6), out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12), out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18), out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F)), out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Walk the input with utf8Decode: every character it reads re-encodes to
 * the same bytes, and it reads to the end exactly when the input is valid. */
static inline int fuzzUtf8Walk(const uint8_t *s, size_t n, int valid, char *why, size_t cap) {
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        uint8_t again[4];
        size_t len = utf8Decode(s + i, n - i, &cp);
        if (len == 0) break;
        if (fuzzUtf8Encode(cp, again) != len || memcmp(again, s + i, len) != 0) {
            snprintf(why, cap, "utf8Decode read U+%04X from %zu bytes at %zu: not its encoding",
                     (unsigned)cp, len, i);
            return -1;
        }
        i += len;
    }
    if ((i == n) != valid) {
        snprintf(why, cap, "utf8Decode stops at %zu of %zu bytes but the table says %s", i, n,
                 valid ? "valid" : "invalid");
        return -1;
    }
    return 0;
}

/* The input as a JSON string: quotes, backslashes and raw controls are
 * JSON's business, not UTF-8's, so inputs with them are not asked. */
static inline int fuzzUtf8Json(const uint8_t *s, size_t n, int valid, char *why, size_t cap) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\') return 0;
    char *q = malloc(n + 2);
    if (!q) return 0;
    q[0] = '"';
    if (n) memcpy(q + 1, s, n);
    q[n + 1] = '"';
    int json = jsonCheck(q, n + 2);
    free(q);
    if (json != valid) {
        snprintf(why, cap, "jsonCheck says %d, the table says %d", json, valid);
        return -1;
    }
    return 0;
}

static inline int fuzzCheckUtf8(const uint8_t *s, size_t n, char *why, size_t cap) {
    int valid = fuzzUtf8Reference(s, n);
    int mine = utf8Valid(s, n);
    if (mine != valid) {
        snprintf(why, cap, "utf8Valid says %d, the table says %d for %zu bytes", mine, valid, n);
        return -1;
    }
    if (fuzzUtf8Walk(s, n, valid, why, cap) != 0) return -1;
    int mqtt = mqttUtf8Valid(s, n), nul = n > 0 && memchr(s, 0, n) != NULL;
    if (mqtt != (valid && !nul)) {
        snprintf(why, cap, "mqttUtf8Valid says %d, the table says %d (NUL: %d)", mqtt, valid, nul);
        return -1;
    }
    if (topicNameValid((const char *)s, n) && !valid) {
        snprintf(why, cap, "topicNameValid accepts %zu bytes that are not UTF-8", n);
        return -1;
    }
    return fuzzUtf8Json(s, n, valid, why, cap);
}

#endif
