/*
 * jsoncheck.c -- an allocation-free JSON validator (see jsoncheck.h).
 */
#include "jsoncheck.h"

#include "utf8.h"

#include <string.h>

typedef struct Scan {
    const unsigned char *p, *end;
} Scan;

static void ws(Scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int lit(Scan *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return 0;
    s->p += n;
    return 1;
}

static int digits(Scan *s) {
    const unsigned char *start = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    return s->p > start;
}

static int number(Scan *s) {
    if (s->p < s->end && *s->p == '-') s->p++;
    if (s->p < s->end && *s->p == '0')
        s->p++;
    else if (!digits(s))
        return 0;
    if (s->p < s->end && *s->p == '.' && (s->p++, !digits(s))) return 0;
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        if (!digits(s)) return 0;
    }
    return 1;
}

/* One non-ASCII character, through the shared validator. */
static int utf8(Scan *s) {
    uint32_t cp;
    size_t n = utf8Decode(s->p, (size_t)(s->end - s->p), &cp);
    s->p += n;
    return n > 0;
}

static int string(Scan *s) {
    s->p++; /* the opening quote */
    while (s->p < s->end) {
        unsigned char c = *s->p;
        if (c == '"') return s->p++, 1;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (s->end - s->p < 2) return 0;
            c = s->p[1];
            if (c == 'u') {
                if (s->end - s->p < 6) return 0;
                for (int i = 2; i < 6; i++) {
                    unsigned char h = s->p[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') ||
                          (h >= 'A' && h <= 'F')))
                        return 0;
                }
                s->p += 6;
            } else if (strchr("\"\\/bfnrt", c) && c) {
                s->p += 2;
            } else {
                return 0;
            }
        } else if (c < 0x80) {
            s->p++;
        } else if (!utf8(s)) {
            return 0;
        }
    }
    return 0;
}

static int value(Scan *s, int depth) {
    ws(s);
    if (s->p >= s->end || depth > JSONCHECK_MAX_DEPTH) return 0;
    unsigned char c = *s->p;
    if (c == '"') return string(s);
    if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        s->p++;
        ws(s);
        if (s->p < s->end && *s->p == close) return s->p++, 1;
        for (;;) {
            if (c == '{') {
                ws(s);
                if (s->p >= s->end || *s->p != '"' || !string(s)) return 0;
                ws(s);
                if (s->p >= s->end || *s->p++ != ':') return 0;
            }
            if (!value(s, depth + 1)) return 0;
            ws(s);
            if (s->p >= s->end) return 0;
            if (*s->p == close) return s->p++, 1;
            if (*s->p++ != ',') return 0;
        }
    }
    if (c == 't') return lit(s, "true");
    if (c == 'f') return lit(s, "false");
    if (c == 'n') return lit(s, "null");
    return number(s);
}

int jsonCheck(const char *p, size_t n) {
    Scan s = {(const unsigned char *)p, (const unsigned char *)p + n};
    if (!value(&s, 0)) return 0;
    ws(&s);
    return s.p == s.end;
}
