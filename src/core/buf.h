/*
 * buf.h -- a growable byte buffer, always NUL-terminated.
 *
 * Used by the codecs to build output text.  An allocation failure is
 * sticky: later appends do nothing and bufFailed() reports it, so encoders
 * can append freely and check once at the end.
 */
#ifndef PN_BUF_H
#define PN_BUF_H

#include <stddef.h>

typedef struct pnBuf {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    int failed; /* an allocation failed; data holds what fit before */
} pnBuf;

/* Start empty.  No allocation happens until the first append. */
void bufInit(pnBuf *b);

/* Release the memory; b is empty again and may be reused. */
void bufFree(pnBuf *b);

/* Make room for extra more bytes (plus the terminator) without changing
 * the content.  Returns 0, or -1 (and marks b failed) when out of memory. */
int bufGrow(pnBuf *b, size_t extra);

/* Append n bytes / a C string / printf-formatted text. */
void bufAppend(pnBuf *b, const void *p, size_t n);
void bufPuts(pnBuf *b, const char *s);
void bufPrintf(pnBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append s with the five XML special characters and CR, LF, TAB escaped
 * (as character references, so parsing gives back exactly s). */
void bufXmlEscape(pnBuf *b, const char *s);

/* bufEscape modes. */
enum {
    BUF_ESC_JSON = 1,     /* '"' escaped too: the body of a JSON string */
    BUF_ESC_TERMINAL = 2, /* DEL and C1 controls (U+0080..U+009F) escaped too */
};

/*
 * Append the n bytes at s with '\\' and control characters escaped as
 * \\, \n, \r, \t or \u00XX, and more per mode (above), so that nothing
 * written can end a JSON string or steer a terminal.  s need not be
 * NUL-terminated; C1 controls are recognised in their UTF-8 form.
 */
void bufEscape(pnBuf *b, const char *s, size_t n, int mode);

/* Non-zero when an append failed for lack of memory. */
static inline int bufFailed(const pnBuf *b) {
    return b->failed;
}

/* The text so far ("" when nothing was appended); owned by b. */
static inline const char *bufStr(const pnBuf *b) {
    return b->data ? b->data : "";
}

/* Hand the text to the caller (free() it) and leave b empty. NULL when
 * nothing was appended or an allocation failed. */
char *bufDetach(pnBuf *b);

/* Make room for need elements of size bytes in the array *p of capacity
 * *cap (doubling, at least 16).  Returns 0, or -1 when out of memory (the
 * array is then unchanged). */
int arrayGrow(void **p, size_t *cap, size_t need, size_t size);

#endif
