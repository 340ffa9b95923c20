/*
 * persist.h -- persistent sessions on disk, one file per session.
 *
 * Each persistent session is DIR/sessions/NUMBER.json: its client id,
 * principal and principal instance id, expiry, the lowest log offset it has
 * not acknowledged, the log offsets of retained messages sent on subscribe
 * and not acknowledged (not in log order, so not covered by that offset),
 * the incoming QoS 2 packet ids awaiting PUBREL, its subscriptions, and
 * its pending delayed will.
 * NUMBER is given once, when the session is first written, and never
 * reused while the node runs (the next one is above every number found at
 * start).  A change to one session rewrites that session's file
 * only (temporary file, fsync, rename, directory fsync), so the cost of a
 * subscription change does not grow with the number of sessions, and an
 * idle node writes nothing.  When only the offsets moved, they alone go to
 * DIR/sessions/NUMBER.resume (persistWriteResume), a few dozen bytes
 * instead of the session's filters.
 *
 * Nodes before this wrote every session into DIR/sessions.json; that file
 * is read too (persistLoad), and the exchange removes it once its sessions
 * are written in the new form.
 *
 * Library code: errors are returned, nothing is printed.
 */
#ifndef PN_PERSIST_H
#define PN_PERSIST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/err.h"

/* One subscription as stored. */
typedef struct PersistSub {
    const char *filter;
    uint8_t options; /* MQTT 5 subscription options byte: QoS, NL, RAP, RH */
    uint32_t subId;
} PersistSub;

/* A delayed will not yet published (MQTT 5 §3.1.3.2.2), stored with its
 * session so that a restart does not lose it.  props and payload are
 * stored in hex. */
typedef struct PersistWill {
    const char *topic;
    const char *label; /* NULL: the topic default */
    const uint8_t *props, *payload;
    uint32_t propsLen, payloadLen;
    uint8_t qos, retain;
    int64_t dueMs; /* when it is due, milliseconds since 1970 */
} PersistWill;

/* A session as stored.  Strings point into storage owned by the caller
 * (persistWrite) or by persistLoad (valid during the callback only). */
typedef struct PersistSession {
    uint64_t fileNo; /* 0: from the old sessions.json, not yet in a file */
    const char *clientId, *principal;
    const char *principalId; /* the principal instance; "" (NULL when writing): saved without */
    uint32_t expiry;
    int64_t disconnectedAt; /* 0: connected when written */
    uint64_t resumeFrom;    /* lowest log offset not acknowledged */
    uint64_t seq;           /* write number: the newer of NUMBER.json and NUMBER.resume wins */
    int node;               /* a peer node's session (audit every release) */
    uint64_t lost;          /* messages lost to log retention so far */
    const uint64_t *stored; /* log offsets of retained messages sent on subscribe, not acked */
    size_t nstored;
    const uint16_t *qos2; /* incoming QoS 2 packet ids awaiting PUBREL (1..65535) */
    size_t nqos2;
    const PersistSub *subs;
    size_t nsubs;
    const PersistWill *will; /* NULL: none pending */
} PersistSession;

/* Write the JSON document js (taken: freed here; NULL stands for an
 * allocation that failed: PN_ENOMEM) to path atomically and durably
 * (fileWriteAtomic, mode 0640).  Returns PN_OK, PN_ENOMEM or PN_EIO. */
int persistWriteJson(const char *path, json_t *js, pnError *err);

/* Write s to DIR/sessions/FILENO.json atomically and durably (the
 * directory is created when missing).  Returns PN_OK or PN_EIO/PN_ENOMEM
 * with err set. */
int persistWrite(const char *dir, const PersistSession *s, pnError *err);

/* Write only s's seq, resume offset and unacknowledged retained offsets
 * (stored) to DIR/sessions/FILENO.resume, atomically and durably, for a
 * session whose FILENO.json exists.  persistLoad takes them instead of
 * those in FILENO.json when this seq is the higher, so s->seq must grow
 * with every write of either file.  Returns PN_OK or PN_EIO/PN_ENOMEM. */
int persistWriteResume(const char *dir, const PersistSession *s, pnError *err);

/* Remove DIR/sessions/FILENO.resume and FILENO.json (and fsync the
 * directory).  A file already gone is not an error. */
int persistRemove(const char *dir, uint64_t fileNo, pnError *err);

/*
 * Read every stored session: DIR/sessions.json (old form, fileNo 0) first,
 * then DIR/sessions/ (files not named NUMBER.json, and leftover temporary
 * files, are ignored; a NUMBER.resume written after its NUMBER.json gives
 * the offsets).  fn is called once per session; an entry without
 * client id or principal is skipped.  *maxFileNo is set to the largest
 * number found (0 when none).  Returns PN_OK, or an error naming the file
 * that cannot be read or parsed (fn may have been called for others).
 */
int persistLoad(const char *dir, void (*fn)(void *ctx, const PersistSession *s), void *ctx,
                uint64_t *maxFileNo, pnError *err);

/*
 * Shared subscription groups (share.h) as stored, all in DIR/shares.json:
 * for each group with a persistent member, the log offset from which its
 * messages were given to no member yet, and the messages given to a member
 * and not acknowledged (offset and the member's client id).  Written
 * whole, atomically; one snapshot is consistent by itself: a message below
 * resumeFrom not listed was acknowledged before it was written.
 */
typedef struct PersistGiven {
    uint64_t offset;
    const char *clientId;
} PersistGiven;

typedef struct PersistShare {
    const char *share; /* "$share/NAME/FILTER" */
    uint64_t resumeFrom;
    const PersistGiven *given;
    size_t ngiven;
} PersistShare;

/* Write groups g[0..n) to DIR/shares.json (atomically, durably).  Returns
 * PN_OK or PN_EIO/PN_ENOMEM with err set. */
int persistSharesWrite(const char *dir, const PersistShare *g, size_t n, pnError *err);

/* Call fn for every group in DIR/shares.json (absent: none; strings valid
 * during the call).  Returns PN_OK, or PN_EINVAL naming a file that cannot
 * be parsed, or PN_ENOMEM. */
int persistSharesLoad(const char *dir, void (*fn)(void *ctx, const PersistShare *g), void *ctx,
                      pnError *err);

/* 1 when the old DIR/sessions.json exists. */
int persistHasLegacy(const char *dir);

/* Remove the old DIR/sessions.json (after its sessions were written in
 * the new form) and fsync DIR. */
int persistRemoveLegacy(const char *dir, pnError *err);

#endif
