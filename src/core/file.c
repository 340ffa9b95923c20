/*
 * file.c -- atomic replacement of small state files (see file.h).
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "str.h"

static int writeAll(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* fsync the directory holding path, so a rename into it stays done. */
static int syncParent(const char *path) {
    char copy[PATH_MAX];
    if (strCopy(copy, sizeof(copy), path) != 0) return -1;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

int fileWriteAtomic(const char *path, const char *text, size_t len, unsigned mode, pnError *err) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return pnErrorSet(err, PN_EIO, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return pnErrorSet(err, PN_EIO, "%s: cannot create a temporary file: %s", path,
                          strerror(errno));
    const char *what = NULL;
    if (fchmod(fd, (mode_t)mode) != 0)
        what = "chmod";
    else if (writeAll(fd, text, len) != 0)
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    int e = errno;
    if (close(fd) != 0 && !what) what = "close", e = errno;
    if (!what && rename(tmp, path) != 0) what = "rename", e = errno;
    if (what) {
        unlink(tmp);
        return pnErrorSet(err, PN_EIO, "%s: %s failed: %s", path, what, strerror(e));
    }
    if (syncParent(path) != 0)
        return pnErrorSet(err, PN_EIO, "%s: cannot fsync its directory: %s", path, strerror(errno));
    return PN_OK;
}
