/*
 * exchange.h -- topics, sessions, fan-out and retained messages.
 *
 * The exchange is protocol-neutral: front-ends (mqtt/, later http/ and
 * cot/) turn packets into calls here and receive deliveries through a
 * callback.  Every delivery -- live, retained, or queued for an offline
 * session -- is decided by decide() at the moment it is handed out, and
 * nothing else decides access.
 *
 * Durability: exchangePublish() appends the message to the log; the
 * message is fanned out, and the publisher acknowledged, only by
 * exchangeCommit(), which the front-end calls once per event-loop turn and
 * which makes every pending message durable with one fsync first (group
 * commit).  A persistent session's queue holds at most maxQueued messages;
 * past that the log itself is the buffer: the session remembers the first
 * offset it has not queued and refills from the log as it drains, so an
 * acknowledged publish is never dropped for a slow or absent subscriber
 * (until log retention removes it, which is audited).  A live message keeps its place in
 * that stream whether or not it is retained (Retain As Published included).  Persistent sessions
 * are saved (subscriptions, the lowest log offset not yet acknowledged, the offsets of retained
 * messages sent on subscribe and not yet acknowledged, which are not in log order, and the
 * incoming QoS 2 ids awaiting PUBREL), one file per session under DIR/sessions/ (persist.h), and
 * only when that session changed; after a crash a session resumes by scanning the log from that
 * offset, so an acknowledged publish is never lost (it may be delivered twice at QoS 1).
 *
 * Shared subscriptions ("$share/NAME/FILTER", MQTT 5 §4.8.2; share.h):
 * each message matching FILTER goes to one member of the group, chosen
 * among those decide() and the topic rules allow (none allowed: refused
 * for the group, audited share_refused), connected members with room
 * first, then the one given a message least recently.  A member's shared
 * messages move to another member when its session ends, when it
 * disconnects (unsent and unacknowledged QoS 1 ones, to a connected
 * member with room), when it unsubscribes (unsent ones) and when it may no
 * longer see one at hand-out.  The groups' hand-outs are saved in
 * DIR/shares.json (persist.h), not in the members' resume offsets.
 *
 * Limits: a principal holds at most maxSessionsPerPrincipal persistent sessions
 * (exchangeSessionQuota) and a session at most maxSubscriptions subscriptions
 * (exchangeSubscribe), so one principal cannot make the node keep and write without bound.
 *
 * Single-threaded: all calls from the node's event loop.
 */
#ifndef PN_EXCHANGE_H
#define PN_EXCHANGE_H

#include <stdint.h>

#include "../core/err.h"
#include "../core/sign.h"
#include "../label/label.h"
#include "../policy/decide.h"
#include "../registry/registry.h"
#include "../store/audit.h"
#include "../store/log.h"
#include "acl.h"
#include "message.h"
#include "retained.h"

/* Defaults of ExchangeOptions.maxSubscriptions and .maxSessionsPerPrincipal. */
#define SUB_MAX_PER_SESSION 256
#define SESSIONS_MAX_PER_PRINCIPAL 32
/* Incoming QoS 2 publishes awaiting PUBREL per session: the MQTT
 * front-end's receive maximum, which counts them until PUBCOMP. */
#define QOS2_IN_MAX 1024

/* Refusal reasons.  The values are MQTT 5 reason codes (§2.4) so the MQTT
 * front-end passes them through; other front-ends map them (HTTP 403...). */
enum {
    XR_NOT_AUTHORIZED = 0x87,
    XR_SERVER_BUSY = 0x89,
    XR_TOPIC_FILTER_INVALID = 0x8F,
    XR_TOPIC_NAME_INVALID = 0x90,
    XR_QUOTA_EXCEEDED = 0x97,
    XR_PAYLOAD_FORMAT_INVALID = 0x99,
};

/* exchangeImport: the node already holds this message (not an error). */
#define XR_ALREADY_HELD 1

typedef struct Subscription {
    char *filter; /* as subscribed: "$share/NAME/FILTER" for a shared one */
    uint8_t qos, noLocal, retainAsPublished, retainHandling;
    uint32_t subId;           /* 0 when none */
    struct ShareGroup *group; /* a shared subscription's group (share.h), else NULL */
} Subscription;

typedef struct Outgoing {
    Message *m;
    uint8_t qos;
    uint8_t retain; /* the RETAIN flag to send */
    uint16_t packetId;
    uint8_t state;   /* 0 queued, 1 PUBLISH sent, 2 PUBREC received */
    uint8_t offline; /* queued while the session was offline (its refusal is audited) */
    uint8_t dup;     /* sent before on an earlier connection: resend with DUP, same id */
    uint8_t release; /* PUBREC received on an earlier connection: resend PUBREL */
    uint8_t stored;  /* a retained message sent because of a new subscription: not in
                        log order, so not covered by the session's resume offset */
    uint32_t subIds[4];
    uint8_t nsub;
    uint32_t shareId; /* given through a shared subscription: its group's id (share.h), else 0;
                         not covered by the session's resume offset (DIR/shares.json is) */
} Outgoing;

typedef struct Session Session;

/* A will message (MQTT 5 §3.1.3.2): what a front-end asks the exchange to
 * publish for a session after its connection ended.  Pointers are borrowed
 * for the call; exchangeDelayWill copies them. */
typedef struct ExchangeWill {
    const char *topic;
    const char *label; /* NULL: the topic default */
    const uint8_t *props, *payload;
    uint32_t propsLen, payloadLen;
    uint8_t qos, retain;
    uint32_t delay; /* seconds */
} ExchangeWill;

/* What a front-end provides, per session (exchangeAttach): the exchange
 * calls these with the session's conn.  hooks must outlive the session's
 * attachment. */
typedef struct ExchangeHooks {
    /* Send o to the session's connection.  Returns 0 when sent, -1 when the
     * connection cannot take it now (the exchange keeps QoS>0 queued), 1
     * when it was discarded for good (larger than the client accepts:
     * MQTT 5 §3.1.2.11.4 says to act as if delivered). */
    int (*send)(void *conn, Session *s, Outgoing *o);
    /* Send PUBREL for an outgoing QoS 2 message whose PUBREC arrived on an
     * earlier connection (MQTT 5 §4.4). */
    void (*release)(void *conn, uint16_t packetId);
    /* Acknowledge a publish that is now durable (or refused: reason). */
    void (*ack)(void *conn, uint16_t packetId, uint8_t qos, uint8_t reason, const char *why);
    /* After a reload the session's principal is gone or no longer valid:
     * close conn soon (not from inside this call: sessions are being
     * walked). */
    void (*revoke)(void *conn);
} ExchangeHooks;

struct Session {
    char clientId[128];
    char principalName[64];
    char principalId[17]; /* the principal instance (Principal.instance) it belongs to */
    Principal principal;
    int persistent;             /* survives disconnection */
    uint32_t expiry;            /* seconds after disconnection; UINT32_MAX never */
    int64_t disconnectedAt;     /* seconds (saved in its session file) */
    int64_t disconnectedMs;     /* the same in milliseconds: expiry never comes early */
    const ExchangeHooks *hooks; /* of the front-end conn belongs to */
    void *conn;                 /* NULL when offline */
    Subscription *subs;         /* at most ExchangeOptions.maxSubscriptions */
    int nsubs, capsubs;
    Outgoing *q; /* ring buffer: delivered-but-unacked first, then waiting */
    uint32_t qhead, qlen, qcap;
    uint32_t inflight, window; /* PUBLISHes sent and not acknowledged; client receive maximum */
    uint16_t nextPacketId;
    uint64_t resumeFrom; /* after restart: log offset to rescan from */
    int restored;        /* resumeFrom is valid (until the rescan is done) */
    int overflow;        /* the queue filled: messages from overflowFrom on wait in the log */
    uint64_t overflowFrom;
    uint64_t dropped;         /* messages dropped because the queue was full */
    int auditAll;             /* a peer node: audit every release and refusal to it */
    uint64_t lostToRetention; /* at most this many removed by retention before delivery */
    struct PendingWill *will; /* a delayed will not yet published (exchangeDelayWill) */
    uint64_t *storedResume;   /* after restart: log offsets of retained messages sent on
                                 subscribe and not acknowledged (ascending, until the rescan) */
    uint32_t nstoredResume;
    uint16_t qos2In[QOS2_IN_MAX]; /* incoming QoS 2 ids stored and awaiting PUBREL */
    uint32_t nqos2In;
    uint64_t fileNo;         /* its file under DIR/sessions/ (persist.h); 0 none yet */
    int dirty;               /* changed since written: write at the next commit */
    uint64_t savedFloor;     /* the resume offset last written */
    uint64_t savedStoredSig; /* digest of the unacknowledged retained offsets last written */
    uint64_t saveSeq;        /* write number of its files (persist.h) */
    int64_t floorSavedAt;    /* when the resume offset was last written */
    int queueMoved;          /* a message entered or left its queue since written */
    struct Session *nextAll;
};

typedef struct ExchangeOptions {
    const char *node;                 /* node name: origin of message ids */
    uint32_t maxQueued;               /* per-session queue limit (default 10,000) */
    uint32_t maxSubscriptions;        /* per session (default SUB_MAX_PER_SESSION) */
    uint32_t maxSessionsPerPrincipal; /* persistent ones (default SESSIONS_MAX_PER_PRINCIPAL) */
    /* Retained messages: defaults 100,000 and 256 MiB for the node, 10,000
     * and 64 MiB per publishing principal (a 0 takes the default).  A publish
     * past a cap is refused with XR_QUOTA_EXCEEDED and audited. */
    RetainedLimits retained;
    LogOptions log;
    /* The audit store's bounds (audit.h); a 0 field takes its default:
     * 100 refusals per principal and minute one by one, 512 MB, 365 days. */
    AuditLimits audit;
} ExchangeOptions;

typedef struct Exchange Exchange;

/* Open the exchange on data dir (log in DIR/log, sessions in DIR/sessions/,
 * audit in DIR/audit.db).  Recovers retained messages and persistent
 * sessions (a DIR/sessions.json of an older node is read and converted).
 * reg/spif must outlive it.  rep (optional) reports log recovery. */
int exchangeOpen(Exchange **out, const char *dir, const ExchangeOptions *opt, const Registry *reg,
                 const Spif *spif, LogRecovery *rep, pnError *err);
void exchangeClose(Exchange *x);

/*
 * Origin signatures (src/core/sign.h, docs/signatures.md).  key: sign the
 * node's own messages at their commit, up to SIGN_BATCH_MAX a signature
 * (NULL: they go out unsigned).  trust: verify every import against it
 * before storing (NULL or no keys: imports are stored unverified, with the
 * signature they came with).  Both are borrowed and must outlive x (or be
 * replaced by another call).
 */
void exchangeSetSigning(Exchange *x, const SignKey *key, const SignTrust *trust);

/* Set the default label for topics matching filter (publishers without a
 * label user property).  Later calls take precedence over earlier. */
int exchangeTopicLabel(Exchange *x, const char *filter, const char *label, pnError *err);

/* The default label text for topic, or NULL. */
const char *exchangeDefaultLabel(Exchange *x, const char *topic);

/* The connection attached to session clientId, or NULL.  A front-end
 * closes it (session taken over) before attaching the new one. */
void *exchangeSessionConn(Exchange *x, const char *clientId);

/* The principal whose session clientId is (connected or not), or NULL.
 * A front-end refuses another principal that names the same client id:
 * it could otherwise end that session and what is queued in it. */
const char *exchangeSessionPrincipal(Exchange *x, const char *clientId);

/* May principalName (compiled: p) have the session clientId, persistent or
 * not?  A persistent session that does not exist yet is refused when the
 * principal already holds maxSessionsPerPrincipal of them: returns
 * XR_QUOTA_EXCEEDED with a sentence in why (cap bytes), else 0.
 * Non-persistent sessions end with their connection and are not counted.
 * Only sessions of p's instance count: a disconnected session left by an
 * earlier principal of the same name (removed, added again) is discarded
 * here (audited session_discarded), a connected one is skipped. */
int exchangeSessionQuota(Exchange *x, const char *clientId, const char *principalName,
                         const Principal *p, int persistent, char *why, size_t cap);

/* The session's settings changed (e.g. its expiry at DISCONNECT): write it
 * again at the next commit. */
void exchangeSessionChanged(Exchange *x, Session *s);

/* ExchangeOptions.maxSubscriptions in force. */
uint32_t exchangeMaxSubscriptions(const Exchange *x);

/* Attach a connection to the session clientId (creating it).  clean: start
 * afresh.  *present: an existing session was resumed.  A session that was
 * attached elsewhere is first detached (the caller closes that connection
 * via the returned *taken, if non-NULL -- it may belong to another
 * front-end: close it through its own hooks, which the caller reads from
 * the session before attaching).  hooks/conn: the front-end's.
 * A session of another principal, or of another instance of the same name
 * (p->instance; one saved without an instance belongs to the version 0
 * instance, p->instanceV0), is discarded, not resumed, and the discard
 * audited (session_discarded). */
Session *exchangeAttach(Exchange *x, const char *clientId, const char *principalName,
                        const Principal *p, int clean, uint32_t expiry, uint16_t receiveMax,
                        const ExchangeHooks *hooks, void *conn, int *present, void **taken);

/* The connection went away.  Non-persistent sessions are dropped; a
 * persistent one keeps queuing. */
void exchangeDetach(Exchange *x, Session *s);

/*
 * Publish w for the offline session s after w->delay seconds, or when the
 * session ends if that comes first (it expires, or a clean start replaces
 * it); a connection that resumes the session first cancels it (§3.1.3.2.2).
 * The will is published as s's principal would publish it (label and
 * clearance checked then, refusals audited).  A second call replaces the
 * first.  The pending will is saved with the session (persist.h), so a
 * node that stops or crashes in the meantime publishes it after its
 * restart, when due.  The caller keeps s's principal current: after a
 * reload (or at start, for restored sessions) it recompiles it, or drops
 * the will (exchangeDropWill).  Returns 0, or -1 out of memory (the caller
 * then publishes the will at once).
 */
int exchangeDelayWill(Exchange *x, Session *s, const ExchangeWill *w);

/* Discard s's pending delayed will, if any, unpublished: its principal was
 * removed, replaced or can no longer be compiled.  Audited as
 * "will_dropped" with why. */
void exchangeDropWill(Exchange *x, Session *s, const char *why);

/* Use acl (borrowed; NULL: none) for every later publish, subscription and
 * delivery: a topic it closes is refused (XR_NOT_AUTHORIZED, audited as
 * reason "acl") or not delivered.  Relayed imports are not subject to it. */
void exchangeSetAcl(Exchange *x, const Acl *acl);

/* 1 when the topic rules (exchangeSetAcl) let principal p, named name, read
 * topic (always, without rules).  For reads that do not go through a
 * session -- HTTP history: decide() still decides the label after it. */
int exchangeMayRead(const Exchange *x, const Principal *p, const char *name, const char *topic);

/* Subscribe; sends retained messages as retainHandling says (the filter
 * is matched against every held retained message: a scan, once per
 * subscription).  Returns the granted QoS or an MQTT reason code >= 0x80:
 * XR_TOPIC_FILTER_INVALID (also for a "$share/..." shareParse() refuses),
 * XR_NOT_AUTHORIZED when the topic rules do not cover the filter (a share's
 * FILTER), XR_QUOTA_EXCEEDED for a new filter when the session has
 * maxSubscriptions already (changing the options of an existing filter is
 * always allowed).  A shared subscription makes s a member of its group
 * and gets no retained messages; the caller refuses No Local on one. */
int exchangeSubscribe(Exchange *x, Session *s, const char *filter, uint8_t options, uint32_t subId);
/* Remove s's subscription to filter: 1 removed, 0 none.  Leaving a
 * shared subscription hands what s was given and not yet sent to another
 * member. */
int exchangeUnsubscribe(Exchange *x, Session *s, const char *filter);

/*
 * Accept a publish: validate, log, queue for fan-out at the next commit.
 * label: the label text the publisher attached (NULL: the topic default).
 * Returns 0 (accepted; the ack hook runs at commit for qos > 0), or an MQTT
 * reason code >= 0x80 with *why set (refused; audited).
 */
int exchangePublish(Exchange *x, Session *from, const char *topic, size_t topicLen,
                    const char *label, size_t labelLen, const uint8_t *props, uint32_t propsLen,
                    const uint8_t *payload, uint32_t payloadLen, uint8_t qos, uint8_t retain,
                    uint16_t packetId, const char **why);

/* Told by the commit after exchangePublishOwn whether the message was
 * stored (1: durable, fanned out) or not (0: the log failed; not held). */
typedef void (*ExchangeDone)(void *ctx, int64_t tag, int stored);

/*
 * Publish one of the node's own messages (no session; QoS 1; label NULL:
 * the topic default): as exchangePublish, and done(ctx, tag, stored) is
 * called by the commit that stores it or fails to -- so a caller marks its
 * source done only once the message is really held.  Returns as
 * exchangePublish (done is then not called for a refusal).
 */
int exchangePublishOwn(Exchange *x, const char *topic, const char *label, const uint8_t *payload,
                       uint32_t payloadLen, ExchangeDone done, void *ctx, int64_t tag,
                       const char **why);

/*
 * Accept a message relayed by a federation link: as exchangePublish, but
 * the message keeps the id it was given where it was first published
 * (origin node, originSeq), its time, its label (which must be
 * present) and its origin signature token sig (sigLen 0: none).  With
 * trusted keys set (exchangeSetSigning) the signature must verify for
 * the message's origin, else XR_NOT_AUTHORIZED, audited as import_refused
 * with reason "signature".  The label must be one decide() allows to from's principal
 * (the peer's principal at this node): a peer may relay only what it may
 * hold itself, else XR_NOT_AUTHORIZED, audited as import_refused (as is
 * every refusal of an import here).  A message this node already holds
 * -- originated here, or imported before, by any link -- is not stored
 * again: returns XR_ALREADY_HELD.  Either way (0 or XR_ALREADY_HELD) a QoS 1
 * message is acknowledged through from's ack hook at the next commit, once
 * everything that holds it is durable (reason 0x89 there: the commit
 * failed, nothing is held -- the caller must not let the sender forget
 * it).  Otherwise a reason code >= 0x80 with *why: XR_SERVER_BUSY when the
 * node cannot store (retry later), others when the message is refused.
 */
int exchangeImport(Exchange *x, Session *from, const char *origin, uint64_t originSeq, int64_t time,
                   const char *topic, size_t topicLen, const char *label, size_t labelLen,
                   const uint8_t *props, uint32_t propsLen, const uint8_t *payload,
                   uint32_t payloadLen, uint8_t qos, uint8_t retain, uint16_t packetId,
                   const char *sig, size_t sigLen, const char **why);

/* Sign the node's own pending messages, write every pending one to the
 * log and make them durable (one fsync), acknowledge them, fan them
 * out, save dirty sessions, flush the audit.  Call once per loop turn.
 * When the log cannot store them (disk full, I/O error) every pending
 * publish is refused (0x89), the log is cut back to what was visible, and
 * the store counts as failed -- publishes are tried again, and refused
 * while it lasts, until one is stored or (disk full) free space returns
 * (exchangeExpire checks); see exchangeStoreError/exchangeStoreNews. */
int exchangeCommit(Exchange *x, pnError *err);

/* What exchangeFlushAll wrote: the state a stopped node leaves on disk. */
typedef struct ExchangeFlushed {
    uint64_t messages; /* messages the log holds, all synced */
    size_t sessions;   /* persistent sessions, all saved */
    int64_t auditRows; /* rows the audit store holds, all committed */
} ExchangeFlushed;

/*
 * Before a clean stop: commit pending publishes, sync the log, save every
 * persistent session whatever changed, flush the audit (aggregated counts
 * included), and count what is on disk into *out (NULL: no counts, which
 * spares a count of the audit table).  Returns PN_OK, or
 * PN_EIO with what could not be written in err (the counts are then still
 * filled as far as known).  exchangeClose does the same work silently.
 */
int exchangeFlushAll(Exchange *x, ExchangeFlushed *out, pnError *err);

/* NULL while the log stores; else why its last failure happened, in words
 * that name no file (for /healthz, which anyone may read; the node's log
 * has the full message). */
const char *exchangeStoreError(const Exchange *x);

/* The store failed, or recovered, since the last call: msg gets one
 * sentence for the node's log (the failure with what it refused; the
 * recovery with how many were refused meanwhile) and 1 is returned; else
 * 0.  Call until 0 (a failure and its end may both be waiting). */
int exchangeStoreNews(Exchange *x, char *msg, size_t cap);

/* The client acknowledged packetId (PUBACK, or PUBREC then PUBCOMP). */
void exchangeAcked(Exchange *x, Session *s, uint16_t packetId, int type);

/*
 * Incoming QoS 2 (MQTT 5 §4.3.3): the packet ids of publishes accepted and
 * not yet released by PUBREL belong to the session, not to the
 * connection, and are saved with a persistent session, so a publisher
 * that resends with DUP after a reconnect or a restart of the node gets
 * PUBREC again and the message is not stored twice.
 */
/* 1 when packetId awaits PUBREL in s. */
int exchangeQos2Held(const Session *s, uint16_t packetId);
/* Remember packetId (once accepted).  0, or -1 when QOS2_IN_MAX ids are
 * already held (the front-end refuses the publish first). */
int exchangeQos2Hold(Exchange *x, Session *s, uint16_t packetId);
/* PUBREL (or a refusal at commit): forget packetId.  1 removed, 0 unknown. */
int exchangeQos2Release(Exchange *x, Session *s, uint16_t packetId);

/* Try to send queued messages to an online session (window/backpressure). */
void exchangeDrain(Exchange *x, Session *s);

/* Drop persistent sessions offline past their expiry (audited as
 * session_expired), and old log segments past the retention limits. */
void exchangeExpire(Exchange *x, int64_t now);

/* Switch to a reloaded registry and policy: every held message's label is
 * compiled again under the new policy (a label the new policy refuses is
 * delivered to no one), and the label cache is emptied.  The caller
 * recompiles the principals of every session (offline ones too: their
 * pending wills are published with them). */
void exchangeRebind(Exchange *x, const Registry *reg, const Spif *spif);

/* Messages waiting for s: queued (sent or not) plus those still in the log
 * past a full queue. */
uint64_t exchangeBacklog(const Exchange *x, const Session *s);

/* Call fn for every session (connected or not). */
void exchangeForEachSession(Exchange *x, void (*fn)(Session *s, void *ctx), void *ctx);

/* Audit an event (refusals at the front-end, e.g. failed logins). */
void exchangeAudit(Exchange *x, const char *kind, const char *principal, const char *topic,
                   const char *label, const char *reason, const char *detail);

/* Publish refusals by reason (ExchangeStats.refusedPublishBy). */
enum { XP_NO_LABEL, XP_INVALID_LABEL, XP_CLEARANCE, XP_OTHER, XP_NREASONS };

#define XSTAT_FSYNC_BUCKETS 12

typedef struct ExchangeStats {
    uint64_t published, delivered, refusedPublish, refusedDelivery, dropped, sessions, retained;
    uint64_t refusedPublishBy[XP_NREASONS];        /* XP_* */
    uint64_t refusedDeliveryBy[DECIDE_NREASONS];   /* DecideReason (DECIDE_ALLOW unused) */
    uint64_t fsyncs, fsyncMicros;                  /* group commits and their total time */
    uint64_t fsyncBucket[XSTAT_FSYNC_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    uint64_t logBytes, logFirst, logNext;          /* the log now */
    uint64_t imported, duplicates; /* relayed by federation links: stored, already held */
    uint64_t storeRefused;         /* publishes refused because the log could not store */
    uint64_t shareGroups;          /* shared subscription groups held now */
    uint64_t shareRefused;         /* messages no member of a group might receive */
    uint64_t shareHandedOff;       /* shared messages moved from one member to another */
    int storeFailed;               /* the log cannot store now (exchangeStoreError) */
} ExchangeStats;
void exchangeStats(const Exchange *x, ExchangeStats *st);

/* Upper bound in microseconds of fsync latency bucket i (< XSTAT_FSYNC_BUCKETS). */
uint32_t exchangeFsyncBound(int i);

/* A short stable code for a publish refusal reason XP_* ("no_label"). */
const char *exchangePublishReasonCode(int reason);

/* ---- read access for other front-ends (HTTP history, audit queries) ---- */

/* The offset the next publish gets: after exchangePublish() returned 0,
 * the message's originSeq (and log offset) is exchangeNextOffset() - 1. */
uint64_t exchangeNextOffset(const Exchange *x);

/* Offsets in [exchangeFirstOffset, exchangeVisibleOffset) are held and
 * committed (durable or, for QoS 0, written), so they may be handed out. */
uint64_t exchangeFirstOffset(const Exchange *x);
uint64_t exchangeVisibleOffset(const Exchange *x);

/*
 * Read the message at offset: *v points into scratch (valid until its next
 * use) and *dl is its label compiled through the exchange's label cache,
 * for decide().  The caller decides before handing anything out.  Returns
 * PN_OK, or PN_ENOENT when offset is outside the visible range, was
 * removed or is not a readable message.
 */
int exchangeRead(Exchange *x, uint64_t offset, MessageView *v, DecideLabel *dl, pnBuf *scratch);

/* The audit store (for queries; the exchange keeps writing to it). */
pnAudit *exchangeAuditStore(Exchange *x);

#endif
