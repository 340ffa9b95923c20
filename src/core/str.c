/*
 * str.c -- string helpers (see str.h).
 */
#include "str.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int strEqualNoCase(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (toupper((unsigned char)*a) != toupper((unsigned char)*b)) return 0;
    return *a == *b;
}

int strCopy(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) {
        memcpy(dst, src, cap - 1);
        dst[cap - 1] = '\0';
        return -1;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

void strUpper(char *s) {
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

int fileRead(const char *path, size_t max, char **out, size_t *len) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    int rc = 0;
    while (buf) {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                rc = -1;
                errno = ENOMEM;
                break;
            }
            buf = p;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max) {
            rc = -2;
            break;
        }
        if (got == 0) {
            if (ferror(f)) rc = -1;
            break;
        }
    }
    if (!buf) rc = -1, errno = ENOMEM;
    if (f != stdin) fclose(f);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *out = buf;
    if (len) *len = n;
    return 0;
}

void strMarkCut(char *dst, size_t cap) {
    static const char dots[] = "...";
    size_t keep = cap - sizeof(dots);
    while (keep > 0 && ((unsigned char)dst[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(dst + keep, dots, sizeof(dots));
}

int strFormatV(char *dst, size_t cap, const char *fmt, va_list ap) {
    int n = vsnprintf(dst, cap, fmt, ap);
    if (n < 0) {
        dst[0] = '\0';
        return 0;
    }
    if ((size_t)n < cap) return 0;
    strMarkCut(dst, cap);
    return 1;
}

int strFormatFit(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < cap) return 0;
    if (cap) dst[0] = '\0';
    return -1;
}

int strFormat(char *dst, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int cut = strFormatV(dst, cap, fmt, ap);
    va_end(ap);
    return cut;
}

void strCopyUtf8(char *dst, size_t cap, const char *src, size_t len) {
    if (len >= cap) {
        len = cap - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    if (len) memcpy(dst, src, len);
    dst[len] = '\0';
}

int dirMake(const char *dir, pnError *err) {
    char p[4096];
    if (strCopy(p, sizeof(p), dir) != 0)
        return pnErrorSet(err, PN_EINVAL, "directory path too long");
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            return pnErrorSet(err, PN_EIO, "%s: %s", p, strerror(errno));
        *s = c;
        if (c == '\0') break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return pnErrorSet(err, PN_EIO, "%s: not a directory", dir);
    return PN_OK;
}
