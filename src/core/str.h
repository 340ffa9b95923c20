/*
 * str.h -- small string helpers the codecs and the CLI share.
 */
#ifndef PN_STR_H
#define PN_STR_H

#include <stddef.h>

#include "err.h"

/* ASCII case-insensitive equality (identifiers here are ASCII). */
int strEqualNoCase(const char *a, const char *b);

/* Copy at most cap-1 bytes of src into dst and terminate it.  Returns 0,
 * or -1 when src did not fit (dst then holds the truncated prefix, and the
 * caller should refuse the input rather than use it). */
int strCopy(char *dst, size_t cap, const char *src);

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
