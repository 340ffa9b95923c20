/*
 * file.h -- writing small state files so a crash never leaves half of one.
 */
#ifndef PN_FILE_H
#define PN_FILE_H

#include <stddef.h>

#include "err.h"

/*
 * Replace path with len bytes of text, atomically and durably: a temporary
 * file beside it (created with mode) is written and fsynced, renamed over
 * path, and the directory is fsynced.  The directory must exist.
 * Afterwards path holds either the old or the new content, never a
 * mixture.  Returns PN_OK or PN_EIO ("PATH: what failed: reason"); the
 * temporary file is removed on error.
 */
int fileWriteAtomic(const char *path, const char *text, size_t len, unsigned mode, pnError *err);

#endif
