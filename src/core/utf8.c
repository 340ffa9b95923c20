/*
 * utf8.c -- UTF-8 decoding and validation (see utf8.h).
 */
#include "utf8.h"

size_t utf8Decode(const unsigned char *p, size_t n, uint32_t *cp) {
    size_t need;
    uint32_t c, min;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    } else if ((p[0] & 0xE0) == 0xC0) {
        need = 2, c = p[0] & 0x1F, min = 0x80;
    } else if ((p[0] & 0xF0) == 0xE0) {
        need = 3, c = p[0] & 0x0F, min = 0x800;
    } else if ((p[0] & 0xF8) == 0xF0) {
        need = 4, c = p[0] & 0x07, min = 0x10000;
    } else {
        return 0; /* a continuation byte, or 0xF8..0xFF */
    }
    if (need > n) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return need;
}

int utf8Valid(const void *s, size_t len) {
    const unsigned char *p = s;
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        /* ASCII runs are the common case: skip them without decoding. */
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8Decode(p + i, len - i, &cp);
        if (n == 0) return 0;
        i += n;
    }
    return 1;
}
