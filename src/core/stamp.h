/*
 * stamp.h -- a file's identity at one moment (modification time in
 * nanoseconds, inode, size), to notice that a file was replaced or
 * changed without reading it: the node polls its principals file with it,
 * and `principal add/remove` compares it with what the node says it
 * loaded (DATA/principals.loaded).
 */
#ifndef PN_STAMP_H
#define PN_STAMP_H

#include <stdint.h>

typedef struct FileStamp {
    int exists;
    int64_t mtimeNs;
    uint64_t ino, size;
} FileStamp;

/* The stamp of path now; exists 0 (the rest 0) when it cannot be stat'ed. */
FileStamp fileStamp(const char *path);

/* 1 when a and b describe the same file state. */
int fileStampSame(const FileStamp *a, const FileStamp *b);

#endif
