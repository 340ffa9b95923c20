/*
 * err.h -- error values shared by every module.
 *
 * Library functions never print and never exit: they return one of the
 * PN_E* codes and, when the caller passes a pnError, a sentence saying what
 * was wrong and where.  The CLI is the only place that turns an error into
 * stderr text and an exit status.
 */
#ifndef PN_ERR_H
#define PN_ERR_H

#include <stddef.h>

enum {
    PN_OK = 0,
    PN_EINVAL = -1, /* input does not parse or names something unknown */
    PN_ENOENT = -2, /* a file or entry does not exist */
    PN_ENOMEM = -3, /* allocation failed */
    PN_EIO = -4,    /* reading or writing failed */
    PN_ELIMIT = -5, /* input exceeds a documented size limit */
};

typedef struct pnError {
    int code;
    char msg[512];
} pnError;

/* Record code and a printf-style message in err (which may be NULL) and
 * return code, so a failing function can `return pnErrorSet(err, ...)`. */
int pnErrorSet(pnError *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the message already in err with a printf-style context
 * ("file.json: ").  Returns err->code; harmless when err is NULL. */
int pnErrorPrefix(pnError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
