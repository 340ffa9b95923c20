/*
 * retained.h -- the node's retained messages: at most one per topic.
 *
 * A retained publish replaces (or, with an empty payload, deletes) the
 * message its topic holds, found through a hash table keyed by the topic
 * (SipHash with a random key: topics are chosen by clients), so a retained
 * publish costs the same with 10 or 100,000 topics held.  A new
 * subscription's filter is matched against every held message (a scan
 * with retainedForEach: wildcards need it, and it is paid once per
 * SUBSCRIBE, not per publish).
 *
 * The store counts messages and bytes per principal (the publisher of the
 * message a topic holds) and for the node, so the exchange can refuse a
 * publish that would pass a cap (retainedCheck) before it is logged.
 * Bytes of a message: topic + payload + forwarded properties + label.
 *
 * Single-threaded, like the exchange.
 */
#ifndef PN_RETAINED_H
#define PN_RETAINED_H

#include <stddef.h>
#include <stdint.h>

#include "message.h"

typedef struct RetainedLimits {
    uint64_t maxCount;             /* messages held by the node (0: no limit) */
    uint64_t maxBytes;             /* their bytes (0: no limit) */
    uint64_t maxCountPerPrincipal; /* messages whose publisher is one principal */
    uint64_t maxBytesPerPrincipal;
} RetainedLimits;

typedef struct RetainedStore RetainedStore;

/* A new, empty store, or NULL when out of memory. */
RetainedStore *retainedNew(void);
/* Release every held message and the store (NULL is ignored). */
void retainedFree(RetainedStore *r);

/* The message topic holds, or NULL.  Borrowed: valid until the topic is
 * replaced or deleted. */
Message *retainedGet(const RetainedStore *r, const char *topic);

/* Retained publishes accepted but not stored yet (they wait for the group
 * commit), each counted as a new topic: for the node, and those of the
 * principal being checked. */
typedef struct RetainedPending {
    uint64_t nodeCount, nodeBytes, count, bytes;
} RetainedPending;

/* Would storing m (a retained message with a payload, published by
 * m->publisher) keep the node and that principal within lim, counting
 * what m replaces and what pend (optional) will add?  Deleting (empty
 * payload) always fits, and so does a replacement that does not grow.
 * Returns 0, or -1 with *why set to a sentence naming the cap. */
int retainedCheck(const RetainedStore *r, const RetainedLimits *lim, const Message *m,
                  const RetainedPending *pend, const char **why);

/* What m counts against the byte caps. */
uint64_t retainedMessageBytes(const Message *m);

/* Store m for its topic (the store takes a reference), replacing what the
 * topic held; an empty payload deletes the topic's message instead.  No
 * cap is checked here: recovery restores what the log holds.  Returns 0,
 * or -1 when out of memory (nothing changed). */
int retainedPut(RetainedStore *r, Message *m);

/* Messages held, and their bytes. */
size_t retainedCount(const RetainedStore *r);
uint64_t retainedBytes(const RetainedStore *r);
/* Messages and bytes held whose publisher is principal. */
void retainedUsage(const RetainedStore *r, const char *principal, uint64_t *count, uint64_t *bytes);

/* Call fn for every held message, in no particular order.  fn must not
 * change the store. */
void retainedForEach(const RetainedStore *r, void (*fn)(Message *m, void *ctx), void *ctx);

#endif
