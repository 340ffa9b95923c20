/*
 * err.c -- filling in pnError values (see err.h).
 */
#include "err.h"

#include "str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pnErrorSet(pnError *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        strFormatV(err->msg, sizeof(err->msg), fmt, ap); /* a cut shows as "..." */
        va_end(ap);
        err->code = code;
    }
    return code;
}

int pnErrorPrefix(pnError *err, const char *fmt, ...) {
    if (!err) return PN_EINVAL;
    char prefix[256], old[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    strFormatV(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    strFormat(err->msg, sizeof(err->msg), "%s%s", prefix, old);
    return err->code;
}
