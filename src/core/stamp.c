/*
 * stamp.c -- file stamps (see stamp.h).
 */
#include "stamp.h"

#include <string.h>
#include <sys/stat.h>

FileStamp fileStamp(const char *path) {
    FileStamp s;
    struct stat st;
    memset(&s, 0, sizeof(s));
    if (stat(path, &st) != 0) return s;
    s.exists = 1;
    s.mtimeNs = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    s.ino = (uint64_t)st.st_ino;
    s.size = (uint64_t)st.st_size;
    return s;
}

int fileStampSame(const FileStamp *a, const FileStamp *b) {
    return a->exists == b->exists && a->mtimeNs == b->mtimeNs && a->ino == b->ino &&
           a->size == b->size;
}
