/*
 * buf.c -- growable buffer (see buf.h).
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bufInit(pnBuf *b) {
    memset(b, 0, sizeof(*b));
}

void bufFree(pnBuf *b) {
    free(b->data);
    bufInit(b);
}

int bufGrow(pnBuf *b, size_t extra) {
    if (b->failed) return -1;
    if (b->len + extra + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void bufAppend(pnBuf *b, const void *p, size_t n) {
    if (bufGrow(b, n) != 0 || n == 0) return; /* memcpy from NULL is undefined even for 0 bytes */
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void bufPuts(pnBuf *b, const char *s) {
    bufAppend(b, s, strlen(s));
}

void bufPrintf(pnBuf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n >= 0 && bufGrow(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void bufXmlEscape(pnBuf *b, const char *s) {
    /* Raw line ends and tabs would be normalised by the reading parser;
     * character references survive, so the text round-trips exactly. */
    static const char *const esc[128] = {
        ['<'] = "&lt;",    ['>'] = "&gt;",   ['&'] = "&amp;",  ['"'] = "&quot;",
        ['\''] = "&apos;", ['\r'] = "&#xD;", ['\n'] = "&#xA;", ['\t'] = "&#x9;",
    };
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 128 && esc[c])
            bufPuts(b, esc[c]);
        else
            bufAppend(b, s, 1);
    }
}

/* Bytes of the character at s[i] that bufEscape must escape (0: none). */
static size_t escapeLen(const unsigned char *s, size_t i, size_t n, int mode) {
    unsigned char c = s[i];
    if (c < 0x20 || c == '\\' || (c == '"' && (mode & BUF_ESC_JSON))) return 1;
    if (!(mode & BUF_ESC_TERMINAL)) return 0;
    if (c == 0x7f) return 1;
    return c == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f ? 2 : 0;
}

void bufEscape(pnBuf *b, const char *s, size_t n, int mode) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0;
    bufGrow(b, n);
    for (size_t i = 0; i < n; i++) {
        size_t k = escapeLen(u, i, n, mode);
        if (!k) continue;
        bufAppend(b, s + run, i - run);
        unsigned cp = k == 2 ? u[i + 1] : u[i];
        char esc[7] = {'\\', (char)cp, 0};
        if (cp == '\n')
            esc[1] = 'n';
        else if (cp == '\r')
            esc[1] = 'r';
        else if (cp == '\t')
            esc[1] = 't';
        else if (cp < 0x20 || cp >= 0x7f)
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[cp >> 4], esc[5] = hex[cp & 15];
        bufPuts(b, esc);
        i += k - 1;
        run = i + 1;
    }
    bufAppend(b, s + run, n - run);
}

char *bufDetach(pnBuf *b) {
    char *p = b->failed ? NULL : b->data;
    if (b->failed) free(b->data);
    bufInit(b);
    return p;
}

int arrayGrow(void **p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    void *n = realloc(*p, c * size);
    if (!n) return -1;
    *p = n;
    *cap = c;
    return 0;
}
