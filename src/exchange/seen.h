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
 */
#ifndef PN_SEEN_H
#define PN_SEEN_H

#include <stddef.h>
#include <stdint.h>

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

/* Remove (origin, seq): a message whose commit failed is not held after
 * all, so a resend must be stored.  Returns 1 when removed, 0 when it was
 * not there, -1 when out of memory (splitting an interval; unchanged). */
int seenRemove(SeenSet *s, const char *origin, uint64_t seq);

/* Number of intervals held for origin (for tests and status). */
size_t seenRanges(const SeenSet *s, const char *origin);

#endif
