/*
 * share.h -- shared subscription groups (MQTT 5 §4.8.2).
 *
 * A subscription to "$share/NAME/FILTER" makes its session a member of the
 * group (NAME, FILTER); each message matching FILTER goes to one member of
 * each group rather than to all of them.  This module keeps the groups,
 * their members and the index that finds the groups of a topic, and picks
 * the member: the caller ranks every member for the message at hand
 * (ShareRankFn: whether decide() and the topic rules let it see the
 * message, whether it can take it now), and the best-ranked member that
 * was given a message least recently gets it.  What happens to the
 * message (queues, hand-off, the log) is the exchange's business
 * (exchange.c); members are opaque pointers here.
 *
 * Single-threaded, like the exchange.
 */
#ifndef PN_SHARE_H
#define PN_SHARE_H

#include <stddef.h>
#include <stdint.h>

/* A share name's parts: filter + nameOff is NAME (nameLen bytes), filter +
 * innerOff is FILTER (to the end). */
typedef struct ShareName {
    size_t nameOff, nameLen, innerOff;
} ShareName;

/*
 * Is the len bytes at filter a shared subscription?  0: its first level is
 * not "$share" (an ordinary filter: the caller checks it); 1: a valid
 * "$share/NAME/FILTER" with *out set; -1: it starts with "$share" but is
 * not a valid one (no NAME, a NAME holding '+' or '#', no FILTER, or a
 * FILTER topicFilterValid() refuses) -- a Topic Filter invalid (0x8F).
 */
int shareParse(const char *filter, size_t len, ShareName *out);

/* The rank of a member for one message (ShareRankFn).  A member ranked
 * below SHARE_FULL never gets it; the best rank wins. */
enum {
    SHARE_REFUSED = -2, /* decide() or the topic rules refuse it the message */
    SHARE_CANNOT = -1,  /* cannot hold it at all (offline, and QoS 0) */
    SHARE_FULL = 0,     /* may see it but its queue is full: only for hand-off */
    SHARE_OFFLINE = 1,  /* a persistent member offline, with room in its queue */
    SHARE_BUSY = 2,     /* connected, its receive window full, room in its queue */
    SHARE_READY = 3,    /* connected with room in its receive window */
};

typedef struct ShareMember {
    void *session;
    uint64_t lastGiven; /* the group's count when it was last given a message; 0 never */
} ShareMember;

typedef struct ShareGroup {
    uint32_t id;       /* unique while the node runs (never reused): queued messages name it */
    char *share;       /* "$share/NAME/FILTER" as subscribed (owned) */
    const char *inner; /* FILTER, inside share */
    ShareMember *members;
    size_t nmembers, cap;
    uint64_t given;        /* messages given so far (the members' lastGiven clock) */
    int overflow;          /* every member's queue was full: messages from overflowFrom */
    uint64_t overflowFrom; /* ... on wait in the log (exchange.c refills) */
    int restored;          /* after a restart, until the exchange rescanned the log: */
    uint64_t resumeFrom;   /* ... messages from here on were given to no member */
    struct ShareGroup *next;
} ShareGroup;

typedef struct ShareSet ShareSet;

/* A new empty set, or NULL out of memory.  Free with shareSetFree. */
ShareSet *shareSetNew(void);
void shareSetFree(ShareSet *ss);

/* Add session to the group named by share (a valid shared filter,
 * shareParse() == 1), creating the group; already a member: nothing
 * changes.  Returns the group, or NULL out of memory. */
ShareGroup *shareJoin(ShareSet *ss, const char *share, void *session);

/* Remove session from g; the group is freed with its last member (a
 * shared subscription ends with its last subscriber, §4.8.2).  Returns 1
 * when g was freed, else 0. */
int shareLeave(ShareSet *ss, ShareGroup *g, void *session);

/* The group subscribed as share, or with that id, or NULL. */
ShareGroup *shareFind(const ShareSet *ss, const char *share);
ShareGroup *shareById(const ShareSet *ss, uint32_t id);

/* The first group, for walking every group through ->next. */
ShareGroup *shareFirst(const ShareSet *ss);

/* Call fn for every group whose FILTER matches topic (§4.7).  fn must not
 * join or leave groups. */
void shareMatch(ShareSet *ss, const char *topic, void (*fn)(ShareGroup *g, void *ctx), void *ctx);

/* Ranks a member (SHARE_*) for the message the caller is placing. */
typedef int ShareRankFn(void *session, void *ctx);

/*
 * Pick the member of g that gets the next message: the best rank at or
 * above min (SHARE_OFFLINE for a new message, SHARE_FULL for a hand-off),
 * and among equals the one given a message least recently; it is marked
 * as given now.  Returns its session, or NULL with *best set to the best
 * rank seen (SHARE_REFUSED: no member may see the message).
 */
void *shareChoose(ShareGroup *g, ShareRankFn *rank, void *ctx, int min, int *best);

#endif
