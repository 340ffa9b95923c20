/*
 * str.h -- small string helpers the codecs and the CLI share.
 */
#ifndef PN_STR_H
#define PN_STR_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

/* ASCII case-insensitive equality (identifiers here are ASCII). */
int strEqualNoCase(const char *a, const char *b);

/* Copy at most cap-1 bytes of src into dst and terminate it.  Returns 0,
 * or -1 when src did not fit (dst then holds the truncated prefix, and the
 * caller should refuse the input rather than use it). */
int strCopy(char *dst, size_t cap, const char *src);

/* Format into dst (cap >= 4) as snprintf does; text that does not fit is
 * cut at a UTF-8 character boundary and ends in "..." so the cut shows.
 * For text shown to people (messages, audit details, status); a value
 * used again (a name, a path, a key) that does not fit must be refused
 * instead (strCopy).  Returns 0, or 1 when the text was cut. */
int strFormat(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int strFormatV(char *dst, size_t cap, const char *fmt, va_list ap);

/* Format into dst as snprintf does, for a value used again (a path, a
 * name): returns 0, or -1 when it did not fit (dst is then "", never a
 * cut value that names something else). */
int strFormatFit(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* dst holds a text cut to cap-1 bytes: end it in "..." at a character
 * boundary (cap >= 4). */
void strMarkCut(char *dst, size_t cap);

/* Upper-case ASCII letters in place. */
void strUpper(char *s);

/* Read a whole file into a NUL-terminated heap buffer (free() it).
 * Refuses files larger than max bytes.  Returns 0, -1 (cannot read; errno
 * set) or -2 (too large). */
int fileRead(const char *path, size_t max, char **out, size_t *len);

/* Copy len bytes of src (need not be terminated) into dst, cutting at a
 * UTF-8 character boundary when they do not fit in cap-1 bytes; dst is
 * always terminated.  Used to copy database columns into fixed fields. */
void strCopyUtf8(char *dst, size_t cap, const char *src, size_t len);

/* mkdir -p dir, creating missing directories with mode 0750.  Returns
 * PN_OK when dir is (now) a directory, else PN_EIO (or PN_EINVAL for a
 * path over 4095 bytes) with "path: reason" in err. */
int dirMake(const char *dir, pnError *err);

#endif
