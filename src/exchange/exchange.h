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
 * (until log retention removes it, which is audited).  Persistent sessions are saved (subscriptions
 * and the lowest log offset not yet acknowledged), one file per session under DIR/sessions/
 * (persist.h), and only when that session changed; after a crash a session resumes by scanning the
 * log from that offset, so an acknowledged publish is never lost (it may be delivered twice at
 * QoS 1).
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
#include "../label/label.h"
#include "../policy/decide.h"
#include "../registry/registry.h"
#include "../store/audit.h"
#include "../store/log.h"
#include "message.h"

/* Defaults of ExchangeOptions.maxSubscriptions and .maxSessionsPerPrincipal. */
#define SUB_MAX_PER_SESSION 256
#define SESSIONS_MAX_PER_PRINCIPAL 32

/* Refusal reasons.  The values are MQTT 5 reason codes (§2.4) so the MQTT
 * front-end passes them through; other front-ends map them (HTTP 403...). */
enum {
    XR_NOT_AUTHORIZED = 0x87,
    XR_SERVER_BUSY = 0x89,
    XR_TOPIC_FILTER_INVALID = 0x8F,
    XR_TOPIC_NAME_INVALID = 0x90,
    XR_QUOTA_EXCEEDED = 0x97,
    XR_PAYLOAD_FORMAT_INVALID = 0x99,
    XR_SHARED_NOT_SUPPORTED = 0x9E,
};

/* exchangeImport: the node already holds this message (not an error). */
#define XR_ALREADY_HELD 1

typedef struct Subscription {
    char *filter;
    uint8_t qos, noLocal, retainAsPublished, retainHandling;
    uint32_t subId; /* 0 when none */
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
    uint32_t subIds[4];
    uint8_t nsub;
} Outgoing;

typedef struct Session Session;

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
    Principal principal;
    int persistent;  /* survives disconnection */
    uint32_t expiry; /* seconds after disconnection; UINT32_MAX never */
    int64_t disconnectedAt;
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
    uint64_t fileNo;          /* its file under DIR/sessions/ (persist.h); 0 none yet */
    int dirty;                /* changed since written: write at the next commit */
    uint64_t savedFloor;      /* the resume offset last written */
    struct Session *nextAll;
};

typedef struct ExchangeOptions {
    const char *node;                 /* node name: origin of message ids */
    uint32_t maxQueued;               /* per-session queue limit (default 10,000) */
    uint32_t maxSubscriptions;        /* per session (default SUB_MAX_PER_SESSION) */
    uint32_t maxSessionsPerPrincipal; /* persistent ones (default SESSIONS_MAX_PER_PRINCIPAL) */
    LogOptions log;
} ExchangeOptions;

typedef struct Exchange Exchange;

/* Open the exchange on data dir (log in DIR/log, sessions in DIR/sessions/,
 * audit in DIR/audit.db).  Recovers retained messages and persistent
 * sessions (a DIR/sessions.json of an older node is read and converted).
 * reg/spif must outlive it.  rep (optional) reports log recovery. */
int exchangeOpen(Exchange **out, const char *dir, const ExchangeOptions *opt, const Registry *reg,
                 const Spif *spif, LogRecovery *rep, pnError *err);
void exchangeClose(Exchange *x);

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

/* May principalName have the session clientId, persistent or not?  A
 * persistent session that does not exist yet is refused when the principal
 * already holds maxSessionsPerPrincipal of them: returns XR_QUOTA_EXCEEDED
 * with a sentence in why (cap bytes), else 0.  Non-persistent sessions end
 * with their connection and are not counted. */
int exchangeSessionQuota(Exchange *x, const char *clientId, const char *principalName,
                         int persistent, char *why, size_t cap);

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
 * the session before attaching).  hooks/conn: the front-end's. */
Session *exchangeAttach(Exchange *x, const char *clientId, const char *principalName,
                        const Principal *p, int clean, uint32_t expiry, uint16_t receiveMax,
                        const ExchangeHooks *hooks, void *conn, int *present, void **taken);

/* The connection went away.  Non-persistent sessions are dropped; a
 * persistent one keeps queuing. */
void exchangeDetach(Exchange *x, Session *s);

/* Subscribe; sends retained messages as retainHandling says.  Returns the
 * granted QoS or an MQTT reason code >= 0x80: XR_QUOTA_EXCEEDED for a new
 * filter when the session has maxSubscriptions already (changing the
 * options of an existing filter is always allowed). */
int exchangeSubscribe(Exchange *x, Session *s, const char *filter, uint8_t options, uint32_t subId);
int exchangeUnsubscribe(Exchange *x, Session *s, const char *filter); /* 1 removed, 0 none */

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

/*
 * Accept a message relayed by a federation link: as exchangePublish, but
 * the message keeps the id it was given where it was first published
 * (origin node, originSeq), its time and its label (which must be
 * present; the publisher's clearance is not checked -- the sending node's
 * decide() released it to this node).  A message this node already holds
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
                   const char **why);

/* Make pending publishes durable (one fsync), acknowledge them, fan them
 * out, save dirty sessions, flush the audit.  Call once per loop turn. */
int exchangeCommit(Exchange *x, pnError *err);

/* The client acknowledged packetId (PUBACK, or PUBREC then PUBCOMP). */
void exchangeAcked(Exchange *x, Session *s, uint16_t packetId, int type);

/* Try to send queued messages to an online session (window/backpressure). */
void exchangeDrain(Exchange *x, Session *s);

/* Drop persistent sessions offline past their expiry (audited as
 * session_expired), and old log segments past the retention limits. */
void exchangeExpire(Exchange *x, int64_t now);

/* Switch to a reloaded registry and policy: every held message's label is
 * compiled again under the new policy (a label the new policy refuses is
 * delivered to no one), and the label cache is emptied.  The caller
 * recompiles the principals of connected sessions. */
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
