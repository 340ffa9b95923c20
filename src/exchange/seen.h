/*
 * seen.h -- which message ids (origin node, sequence) a node holds.
 *
 * Federation delivers a message to a node along every path its links
 * allow (A->B, A->C->B ...), and a link redelivers what it sent before a
 * drop.  The node stores a message only the first time it sees its id.
 * Per origin the set is a sorted array of disjoint intervals [lo, hi]:
 * messages from one origin mostly arrive in order, so it stays a handful
 * of intervals however many messages pass, while gaps (messages this node
 * may not hold, or not yet received) are kept exactly -- a high-water mark
 * would wrongly drop a message that arrives late by another path.
 *
 * The set is rebuilt from the log at start-up, and saved (seenSave) before
 * retention removes log segments: loaded again (seenLoad) before the log
 * is read, it keeps the ids retention removed, so a late copy of a message
 * once held is never stored a second time.
 */
#ifndef PN_SEEN_H
#define PN_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

typedef struct SeenRange {
    uint64_t lo, hi; /* inclusive */
} SeenRange;

typedef struct SeenOrigin {
    char name[64];
    SeenRange *r;
    size_t n, cap;
} SeenOrigin;

typedef struct SeenSet {
    SeenOrigin *o;
    size_t n, cap;
} SeenSet;

void seenInit(SeenSet *s);
void seenFree(SeenSet *s);

/* 1 when (origin, seq) is in the set, else 0. */
int seenHas(const SeenSet *s, const char *origin, uint64_t seq);

/* Add (origin, seq).  Returns 1 when added, 0 when it was already there,
 * -1 when out of memory (the set is unchanged). */
int seenAdd(SeenSet *s, const char *origin, uint64_t seq);

/* Add every id from lo to hi (inclusive, lo <= hi), merging with the
 * ranges it overlaps or touches.  Returns 0, or -1 when out of memory (the
 * set is unchanged). */
int seenAddRange(SeenSet *s, const char *origin, uint64_t lo, uint64_t hi);

/* Remove (origin, seq): a message whose commit failed is not held after
 * all, so a resend must be stored.  Returns 1 when removed, 0 when it was
 * not there, -1 when out of memory (splitting an interval; unchanged). */
int seenRemove(SeenSet *s, const char *origin, uint64_t seq);

/* Write the whole set to path (JSON {"version": 1, "origins": {NAME: ["LO-HI", ...]}},
 * decimal, inclusive)
 * atomically and durably (fileWriteAtomic).  Returns PN_OK, PN_ENOMEM or
 * PN_EIO (err names the file). */
int seenSave(const SeenSet *s, const char *path, pnError *err);

/* Add every id saved in path to s.  A missing file is no error (a node
 * that never retired a segment).  Returns PN_OK, PN_ENOMEM, or PN_EIO
 * when the file cannot be read or is not what seenSave writes (err says
 * which file and what is wrong; s may hold part of it). */
int seenLoad(SeenSet *s, const char *path, pnError *err);

/* Number of intervals held for origin (for tests and status). */
size_t seenRanges(const SeenSet *s, const char *origin);

#endif
