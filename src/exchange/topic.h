/*
 * topic.h -- MQTT topic names, topic filters, and the subscription index.
 *
 * A topic name ("sport/tennis/player1") is what a PUBLISH is sent to; a
 * topic filter ("sport/+/player1", "sport/#") is what a SUBSCRIBE asks for.
 * Both are split into levels by '/', and a level may be empty ("/finance"
 * has two levels, "" and "finance").  The rules are those of MQTT 5.0
 * section 4.7.
 *
 * Text rules shared by names and filters (MQTT 5.0 section 1.5.4):
 *
 *   - 1 to TOPIC_MAX_LEN (65535) bytes;
 *   - well-formed UTF-8 as RFC 3629 defines it: no truncated sequences, no
 *     overlong encodings, no surrogates (U+D800..U+DFFF), nothing above
 *     U+10FFFF [MQTT-1.5.4-1];
 *   - no U+0000 [MQTT-1.5.4-2];
 *   - this server's policy: no control characters U+0001..U+001F and
 *     U+007F..U+009F either.  The specification says they SHOULD NOT appear
 *     and lets a receiver treat them as a Malformed Packet.  We do, because
 *     a topic is echoed to every subscriber, to logs and to terminals, and
 *     an MQTT client that refuses them would otherwise be disconnected by a
 *     message some other client published (the exposure described in the
 *     OASIS note "MQTT Handling of Disallowed Unicode Code Points").
 *     Unicode non-characters (U+FFFE, U+FDD0 ...), which the specification
 *     also discourages, are accepted.
 *
 * Topics beginning with '$' are syntactically ordinary; whether a client
 * may publish to one is the caller's decision.
 *
 * The subscription index maps filters to their subscribers for fan-out: a
 * trie over topic levels, so finding the subscribers of a name costs time
 * proportional to its depth and to the number of matches, not to the
 * number of subscriptions.  A TopicIndex is used from one thread, or from
 * several that only call topicIndexMatch() while nobody modifies it.
 */
#ifndef PN_TOPIC_H
#define PN_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#define TOPIC_MAX_LEN 65535

/* The topicIndexAdd() result for a filter that topicFilterValid() refuses
 * (out of memory is -1). */
#define TOPIC_EINVAL (-2)

/*
 * 1 when the len bytes at name form a valid topic name, else 0: the text
 * rules above, and no wildcard character ('+' or '#') anywhere
 * [MQTT-4.7.0-1].  name need not be NUL-terminated; an embedded NUL makes
 * it invalid.
 */
int topicNameValid(const char *name, size_t len);

/*
 * 1 when the len bytes at filter form a topic filter this server accepts,
 * else 0: the text rules above, '+' only as a whole level [MQTT-4.7.1-2],
 * '#' only as the whole of the last level [MQTT-4.7.1-1].
 *
 * Shared subscriptions ("$share/{ShareName}/{filter}", section 4.8.2) are
 * not ordinary filters: any filter whose first level is exactly "$share"
 * is refused here (accepted as one, it would deliver every message to
 * every member of the share); shareParse() (share.h) checks those, and
 * the subscription index never holds them.  See topicFilterIsShared().
 */
int topicFilterValid(const char *filter, size_t len);

/* 1 when the first level of the len bytes at filter is exactly "$share"
 * (a shared subscription, which topicFilterValid() refuses and
 * shareParse() checks), else 0. */
int topicFilterIsShared(const char *filter, size_t len);

/*
 * 1 when the topic filter matches the topic name, else 0 (both
 * NUL-terminated).  Sections 4.7.1 and 4.7.2: '+' matches exactly one level,
 * which may be empty ("+/+" matches "/finance"); '#' matches the parent
 * level and any number of levels below it ("sport/#" matches "sport"); a
 * filter starting with a wildcard does not match a name starting with '$'
 * ("#" does not match "$SYS/uptime", "$SYS/#" does).
 *
 * Both arguments are expected to be valid (topicFilterValid(),
 * topicNameValid()); otherwise a misplaced wildcard character is compared
 * as ordinary text.  This is the reference the index is tested against.
 */
int topicMatch(const char *filter, const char *name);

/* ---- subscription index ---------------------------------------------- */

typedef struct TopicIndex TopicIndex;

/* Called by topicIndexMatch() once per matching (filter, owner) pair.
 * filter is the subscription's filter text, owned by the index and valid
 * until that subscription is removed. */
typedef void TopicMatchFn(void *owner, uint32_t data, const char *filter, void *ctx);

/* A new empty index, or NULL when out of memory.  Free it with
 * topicIndexFree(). */
TopicIndex *topicIndexNew(void);

/* Free the index and every subscription in it (the owners themselves are
 * the caller's).  NULL is ignored. */
void topicIndexFree(TopicIndex *ix);

/*
 * Subscribe owner (any pointer the caller chooses to identify a session;
 * the index never dereferences it) to the NUL-terminated filter, with data
 * (for instance packed subscription options and identifier) handed back on
 * every match.  There is one subscription per (filter, owner): adding the
 * same pair again replaces its data.  The index copies filter.
 *
 * Returns 1 when the subscription is new, 0 when it replaced one, -1 when
 * out of memory (the index is unchanged), or TOPIC_EINVAL when
 * topicFilterValid() refuses filter (unchanged).
 */
int topicIndexAdd(TopicIndex *ix, const char *filter, void *owner, uint32_t data);

/* Remove owner's subscription to filter.  Returns 1 when removed, 0 when
 * there was none.  Trie nodes left empty are freed.  Never fails. */
int topicIndexRemove(TopicIndex *ix, const char *filter, void *owner);

/* Remove every subscription of owner (on session end), in time
 * proportional to their number.  Returns how many were removed. */
size_t topicIndexRemoveOwner(TopicIndex *ix, void *owner);

/*
 * Call cb (which may be NULL, to count only) once for each subscription
 * whose filter matches the NUL-terminated topic name, in no particular
 * order, and return how many there were.  An owner with two overlapping
 * filters ("a/+" and "a/#") gets two calls; merging them into one delivery
 * is the caller's job (MQTT 5.0 section 3.3.4 allows either).
 *
 * Matching does not allocate and does not modify the index.  cb must not
 * add or remove subscriptions of ix; it may call topicIndexMatch() again.
 */
size_t topicIndexMatch(TopicIndex *ix, const char *name, TopicMatchFn *cb, void *ctx);

/* Number of subscriptions ((filter, owner) pairs) in the index. */
size_t topicIndexCount(const TopicIndex *ix);

/* SipHash-1-3 of n bytes under key k, for other tables keyed by text
 * that clients choose (a fixed hash would let them pick colliding keys);
 * topicHashSeed fills k with a random key. */
uint64_t topicHash(const uint64_t k[2], const void *data, size_t n);
void topicHashSeed(uint64_t k[2]);

/* Number of trie nodes, the root excluded: 0 for an index with no
 * subscriptions.  For statistics and for tests that check pruning. */
size_t topicIndexNodes(const TopicIndex *ix);

#endif
