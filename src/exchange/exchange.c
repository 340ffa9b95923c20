/*
 * exchange.c -- sessions, fan-out, retained messages, group commit
 * (see exchange.h for the model).
 */
#include "exchange.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/date.h"
#include "../core/str.h"
#include "msgsign.h"
#include "persist.h"
#include "seen.h"
#include "share.h"
#include "topic.h"

#define STATE_QUEUED 0
#define STATE_SENT 1
#define STATE_PUBREC 2
#define STATE_DONE 3

typedef struct Pending {
    Message *m;    /* NULL: a relayed message already held, acknowledged only */
    Session *from; /* NULL once the publisher's session is gone */
    uint16_t packetId;
    uint8_t qos;       /* of the acknowledgement */
    ExchangeDone done; /* exchangePublishOwn: told whether the commit stored it */
    void *doneCtx;
    int64_t doneTag;
} Pending;

/* The log failed to store a commit (disk full, I/O error): publishes are
 * refused until it can write again.  The node is told of each change once
 * (exchangeStoreNews), not of every refusal. */
typedef struct StoreState {
    int failed;       /* publishes are being refused */
    int noSpace;      /* ... because the disk is full: free space ends it */
    int newsFail;     /* a failure began and the node was not told yet */
    int newsOk;       /* it ended and the node was not told yet */
    uint64_t refused; /* publishes refused in this failure */
    char error[200];  /* what the log said (may name files: for the node's log) */
    char reason[96];  /* the same without file names (for anyone: /healthz) */
    char first[200];  /* topic of the first publish refused */
} StoreState;

/* Free space that ends a disk-full failure without waiting for a publish. */
#define STORE_SPACE_MIN (1u << 20)

/* Publishers send the same few labels over and over: remember the last
 * ones parsed, keyed by their exact text. */
#define LABEL_CACHE 16

/* A persistent session whose resume offset moved only because the log
 * grew -- no message entered or left its queue, so nothing of it passed --
 * writes that offset at most this often (seconds).  Until then a crash
 * makes it rescan a little more of the log, matching nothing it has not
 * had; without this any publish on any topic would rewrite every
 * persistent session once a second. */
#define FLOOR_LAZY_SECONDS 60
typedef struct LabelCacheEntry {
    char *text;
    size_t len;
    char *marking;
    DecideLabel dl;
    int cls;
} LabelCacheEntry;

typedef struct TopicLabel {
    char *filter, *label;
} TopicLabel;

struct Exchange {
    char dir[4096];
    ExchangeOptions opt;
    char node[64];
    const Registry *reg;
    const Spif *spif;
    const Acl *acl; /* topic access rules, NULL: none (exchangeSetAcl) */
    pnLog *log;
    pnAudit *audit;
    TopicIndex *index;
    Session *sessions;
    RetainedStore *retained;
    RetainedPending pendRetained; /* retained publishes waiting for the commit (node totals) */
    Pending *pending;
    size_t npending, cappending;
    TopicLabel *labels;
    size_t nlabels;
    int64_t lastSave;                /* when resume offsets were last looked at (once a second) */
    uint64_t nextFileNo;             /* the next session file number (persist.h) */
    int64_t saveFailedAt;            /* a session write failed then: retry a second later */
    int anyDirty;                    /* some session is marked dirty (saves a walk per loop turn) */
    int64_t lastAuditCheck;          /* retention and size of the audit store, every 10 s */
    uint64_t fanned;                 /* log offsets below this have been fanned out */
    pnBuf rec;                       /* scratch for encoding log records */
    SeenSet seen;                    /* ids of messages from other nodes held (DIR/seen.json) */
    int seenSaveFailed;              /* DIR/seen.json could not be written: retention waits */
    ShareSet *shares;                /* shared subscription groups */
    int sharesDirty;                 /* a shared message was given, acknowledged or handed off */
    size_t sharesOnDisk;             /* groups DIR/shares.json holds */
    int sharesFailed;                /* writing it failed (audited once per failing streak) */
    struct ShareResume *shareResume; /* after restart, until the log rescan: given messages */
    size_t nshareResume;
    LabelCacheEntry cache[LABEL_CACHE];
    unsigned cacheNext;
    ExchangeStats st;
    StoreState store;
    const SignKey *key;     /* signs own messages at commit (NULL: unsigned) */
    const SignTrust *trust; /* imports verified against it when it has keys */
    SignCache verified;     /* roots whose signature was checked already */
    uint64_t unlogged;      /* pending messages not yet appended to the log */
    Message **toSign;       /* scratch for the commit */
    size_t capSign;
};

/* ---- small helpers ------------------------------------------------------ */

static void auditEvent(Exchange *x, const char *kind, const char *principal, const char *nation,
                       const char *topic, const char *label, const char *reason,
                       const char *detail) {
    if (!x->audit) return;
    AuditEvent ev;
    memset(&ev, 0, sizeof(ev));
    strCopy(ev.nation, sizeof(ev.nation), nation ? nation : "");
    ev.time = timeNow();
    strCopy(ev.kind, sizeof(ev.kind), kind);
    strCopy(ev.principal, sizeof(ev.principal), principal ? principal : "");
    strCopy(ev.topic, sizeof(ev.topic), topic ? topic : "");
    strCopy(ev.label, sizeof(ev.label), label ? label : "");
    strCopy(ev.reason, sizeof(ev.reason), reason ? reason : "");
    strCopy(ev.detail, sizeof(ev.detail), detail ? detail : "");
    auditRecord(x->audit, &ev, NULL);
}

void exchangeAudit(Exchange *x, const char *kind, const char *principal, const char *topic,
                   const char *label, const char *reason, const char *detail) {
    auditEvent(x, kind, principal, NULL, topic, label, reason, detail);
}

/* An event about what a session's principal did or was refused. */
static void auditSession(Exchange *x, const char *kind, const Session *s, const char *topic,
                         const char *label, const char *reason, const char *detail) {
    const char *nation =
        s && s->principal.reg ? s->principal.reg->nations[s->principal.nation].code : NULL;
    auditEvent(x, kind, s ? s->principalName : "", nation, topic, label, reason, detail);
}

/* A release across a federation link: what left for which nation, when. */
static void auditRelease(Exchange *x, const Session *s, const Message *m) {
    char id[96];
    snprintf(id, sizeof(id), "id %s:%llu", m->origin, (unsigned long long)m->originSeq);
    auditSession(x, "released", s, m->topic, m->label, "", id);
}

static Session *findSession(Exchange *x, const char *clientId) {
    for (Session *s = x->sessions; s; s = s->nextAll)
        if (strcmp(s->clientId, clientId) == 0) return s;
    return NULL;
}

/* ---- the per-session queue ---------------------------------------------- */

/* The queue is a ring: qlen entries from qhead, within qcap slots. */
static Outgoing *qAt(Session *s, uint32_t i) {
    assert(s->qcap > 0 && s->qhead < s->qcap && s->qlen <= s->qcap && i < s->qcap);
    return &s->q[(s->qhead + i) % s->qcap];
}

/* Put m at the tail of s's queue, whatever its length (the callers
 * decide that).  NULL out of memory. */
static Outgoing *qAppend(Session *s, Message *m, uint8_t qos, uint8_t retain,
                         const uint32_t *subIds, uint8_t nsub) {
    if (s->qlen == s->qcap) {
        uint32_t cap = s->qcap ? s->qcap * 2 : 64;
        Outgoing *n = malloc(cap * sizeof(*n));
        if (!n) return NULL;
        for (uint32_t i = 0; i < s->qlen; i++)
            n[i] = *qAt(s, i);
        free(s->q);
        s->q = n;
        s->qcap = cap;
        s->qhead = 0;
    }
    Outgoing *o = qAt(s, s->qlen++);
    s->queueMoved = 1;
    memset(o, 0, sizeof(*o));
    o->m = m;
    messageRef(m);
    o->qos = qos;
    o->retain = retain;
    o->nsub = nsub > 4 ? 4 : nsub;
    o->offline = s->conn == NULL;
    if (o->nsub) memcpy(o->subIds, subIds, o->nsub * sizeof(uint32_t));
    return o;
}

/* Queue m for s.  stored: a retained message sent because of a new
 * subscription; it is not in log order, so it never waits in the log: it
 * may go past maxQueued by up to the node's retained-message cap (one
 * subscription cannot match more). */
static int qPush(Exchange *x, Session *s, Message *m, uint8_t qos, uint8_t retain,
                 const uint32_t *subIds, uint8_t nsub, int stored) {
    if (!stored && s->overflow) return -1; /* later messages wait in the log, in order */
    if (s->qlen >= x->opt.maxQueued + (stored ? x->opt.retained.maxCount : 0)) {
        if (!stored && s->persistent && qos > 0) {
            /* The log keeps it (retained or not, its place in the log is
             * its place in the stream): refill from here once the queue
             * drains. */
            s->overflow = 1;
            s->overflowFrom = m->offset;
            s->queueMoved = 1;
            return -1;
        }
        s->dropped++;
        x->st.dropped++;
        return -1;
    }
    Outgoing *o = qAppend(s, m, qos, retain, subIds, nsub);
    if (!o) return -1;
    o->stored = (uint8_t)stored;
    return 0;
}

/* Pop finished entries off the head. */
static void qTrim(Session *s) {
    while (s->qlen && qAt(s, 0)->state == STATE_DONE) {
        Outgoing *o = qAt(s, 0);
        messageUnref(o->m);
        o->m = NULL;
        s->qhead = (s->qhead + 1) % s->qcap;
        s->qlen--;
        s->queueMoved = 1;
    }
}

static void qClear(Session *s) {
    for (uint32_t i = 0; i < s->qlen; i++)
        messageUnref(qAt(s, i)->m);
    s->qlen = s->qhead = 0;
    s->inflight = 0;
}

/* A delayed will, in one allocation: the strings and bytes follow it. */
typedef struct PendingWill {
    int64_t dueMs; /* milliseconds since 1970 */
    char *topic, *label;
    uint8_t *props, *payload;
    uint32_t propsLen, payloadLen;
    uint8_t qos, retain;
} PendingWill;

/* A copy of w in one allocation. */
static PendingWill *willNew(const PersistWill *w) {
    size_t tl = strlen(w->topic) + 1, ll = w->label ? strlen(w->label) + 1 : 0;
    PendingWill *pw = malloc(sizeof(*pw) + tl + ll + w->propsLen + w->payloadLen);
    if (!pw) return NULL;
    char *p = (char *)(pw + 1);
    pw->topic = memcpy(p, w->topic, tl);
    p += tl;
    pw->label = ll ? memcpy(p, w->label, ll) : NULL;
    p += ll;
    pw->props = (uint8_t *)p;
    if (w->propsLen) memcpy(p, w->props, w->propsLen);
    p += w->propsLen;
    pw->payload = (uint8_t *)p;
    if (w->payloadLen) memcpy(p, w->payload, w->payloadLen);
    pw->propsLen = w->propsLen;
    pw->payloadLen = w->payloadLen;
    pw->qos = w->qos;
    pw->retain = w->retain;
    pw->dueMs = w->dueMs;
    return pw;
}

static void sessionFree(Session *s) {
    free(s->will);
    qClear(s);
    free(s->q);
    free(s->storedResume);
    for (int i = 0; i < s->nsubs; i++)
        free(s->subs[i].filter);
    free(s->subs);
    free(s);
}

/* ---- delivery -------------------------------------------------------------- */

/* Who s is, for the topic access rules. */
static AclWho aclWho(const Exchange *x, const Session *s) {
    const Registry *reg = s->principal.reg ? s->principal.reg : x->reg;
    AclWho w = {s->principalName,
                s->principal.nation < reg->nnations ? reg->nations[s->principal.nation].code : ""};
    return w;
}

/* The topic rules let s read topic (always, without rules). */
static int aclReads(const Exchange *x, const Session *s, const char *topic) {
    if (!x->acl) return 1;
    AclWho w = aclWho(x, s);
    return aclAllowsTopic(x->acl, &w, ACL_READ, topic);
}

/* s may be handed m now: the topic rules and decide() allow it.  Neither
 * counted nor audited: for choosing among the members of a share. */
static int mayReceive(const Exchange *x, const Session *s, const Message *m) {
    return aclReads(x, s, m->topic) &&
           decide(&s->principal, &m->dl, timeNow()).reason == DECIDE_ALLOW;
}

static int allowed(Exchange *x, Session *s, Outgoing *o) {
    /* Topic rules only narrow (a reload may have closed a topic since the
     * subscription was made); the label decides below. */
    if (!aclReads(x, s, o->m->topic)) return 0;
    Decision d = decide(&s->principal, &o->m->dl, timeNow());
    if (d.reason == DECIDE_ALLOW) return 1;
    x->st.refusedDelivery++;
    x->st.refusedDeliveryBy[d.reason]++;
    /* Live deliveries are filtered by design; retained and queued ones were
     * promised to a subscriber, so their refusal is worth a record. */
    if (o->retain || o->offline || s->auditAll) {
        char why[256];
        decideExplain(&d, &s->principal, x->spif, why, sizeof(why));
        auditSession(x, "delivery_refused", s, o->m->topic, o->m->label, decideReasonCode(d.reason),
                     why);
    }
    return 0;
}

/* s's subscriptions matching a topic, merged as fan-out merges them. */
typedef struct SubMatch {
    int any;     /* some subscription matches */
    uint8_t qos; /* the best QoS among them */
    uint8_t rap; /* one of them is Retain As Published */
    uint32_t ids[4];
    uint8_t nids;
} SubMatch;

static void subMatch(const Session *s, const char *topic, SubMatch *sm) {
    memset(sm, 0, sizeof(*sm));
    for (int k = 0; k < s->nsubs; k++) {
        const Subscription *b = &s->subs[k];
        if (b->group || !topicMatch(b->filter, topic)) continue; /* shares: share.c */
        sm->any = 1;
        if (b->qos > sm->qos) sm->qos = b->qos;
        sm->rap |= b->retainAsPublished;
        if (b->subId && sm->nids < 4) sm->ids[sm->nids++] = b->subId;
    }
}

/* Queue m, read back from the log, as fan-out would have queued it: the
 * RETAIN flag kept for Retain-As-Published subscriptions.  Returns
 * qPush's answer, or 1 when no QoS>0 subscription matches. */
static int queueFromLog(Exchange *x, Session *s, Message *m) {
    SubMatch sm;
    subMatch(s, m->topic, &sm);
    if (!sm.any || !sm.qos || !m->qos) return 1;
    return qPush(x, s, m, m->qos < sm.qos ? m->qos : sm.qos, sm.rap ? m->retain : 0, sm.ids,
                 sm.nids, 0);
}

/* Queue, from the log, what an overflowing session has not queued yet. */
static void refill(Exchange *x, Session *s) {
    pnBuf scratch;
    bufInit(&scratch);
    uint64_t off = s->overflowFrom;
    if (off < logFirst(x->log)) {
        char d[128];
        snprintf(d, sizeof(d), "records %llu..%llu removed by retention before delivery",
                 (unsigned long long)off, (unsigned long long)logFirst(x->log) - 1);
        auditSession(x, "retention", s, "", "", "retention", d);
        off = logFirst(x->log);
    }
    s->overflow = 0;
    for (; off < x->fanned; off++) {
        LogRecord rec;
        if (logRead(x->log, off, &rec, &scratch, NULL) != PN_OK) continue;
        Message *m = messageDecode(rec.data, rec.len, off, x->spif, NULL);
        if (!m) continue;
        int full = queueFromLog(x, s, m) < 0;
        messageUnref(m);
        if (full) break; /* qPush set overflow again at this offset */
    }
    bufFree(&scratch);
}

static int handOne(Exchange *x, Session *s, Outgoing *o, int min);
static void shareRefillFor(Exchange *x, Session *s);

void exchangeDrain(Exchange *x, Session *s) {
    if (!s->conn) return;
    if (s->overflow && s->qlen < x->opt.maxQueued / 2) refill(x, s);
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        if (o->state == STATE_PUBREC && o->release) {
            o->release = 0;
            s->inflight++;
            s->hooks->release(s->conn, o->packetId);
            continue;
        }
        if (o->state != STATE_QUEUED) continue;
        /* A member no longer allowed it (a reload lowered its clearance):
         * another member may be; the group is served, s is not. */
        if (o->shareId) {
            if (!mayReceive(x, s, o->m)) {
                handOne(x, s, o, SHARE_FULL);
                o->state = STATE_DONE;
                continue;
            }
        } else if (!allowed(x, s, o)) {
            o->state = STATE_DONE;
            continue;
        }
        if (o->qos && s->inflight >= s->window) break;
        if (o->qos && !o->dup) { /* a resend keeps its packet id (§4.4) */
            if (++s->nextPacketId == 0) s->nextPacketId = 1;
            o->packetId = s->nextPacketId;
        }
        int sent = s->hooks->send(s->conn, s, o);
        if (sent > 0) { /* discarded for good: too large for this client */
            o->state = STATE_DONE;
            x->st.dropped++;
            continue;
        }
        if (sent < 0) {
            if (o->qos == 0)
                o->state = STATE_DONE, x->st.dropped++; /* QoS 0 is not kept for slow readers */
            break;
        }
        x->st.delivered++;
        if (s->auditAll) auditRelease(x, s, o->m);
        if (o->qos)
            s->inflight++, o->state = STATE_SENT;
        else
            o->state = STATE_DONE;
    }
    qTrim(s);
    shareRefillFor(x, s);
}

void exchangeAcked(Exchange *x, Session *s, uint16_t packetId, int type) {
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        if (o->state == STATE_QUEUED) break; /* only sent entries precede */
        if (o->packetId != packetId || o->state == STATE_DONE) continue;
        if (type == 5 /* PUBREC */ && o->qos == 2) {
            o->state = STATE_PUBREC;
            return;
        }
        o->state = STATE_DONE;
        if (o->shareId) x->sharesDirty = 1;
        if (s->inflight) s->inflight--;
        break;
    }
    qTrim(s);
    exchangeDrain(x, s);
}

/* s changed in what is stored: write it at the next commit. */
static void markDirty(Exchange *x, Session *s) {
    s->dirty = 1;
    x->anyDirty = 1;
}

int exchangeQos2Held(const Session *s, uint16_t packetId) {
    for (uint32_t i = 0; i < s->nqos2In; i++)
        if (s->qos2In[i] == packetId) return 1;
    return 0;
}

int exchangeQos2Hold(Exchange *x, Session *s, uint16_t packetId) {
    if (exchangeQos2Held(s, packetId)) return 0;
    if (s->nqos2In >= QOS2_IN_MAX) return -1;
    s->qos2In[s->nqos2In++] = packetId;
    if (s->persistent) markDirty(x, s);
    return 0;
}

int exchangeQos2Release(Exchange *x, Session *s, uint16_t packetId) {
    for (uint32_t i = 0; i < s->nqos2In; i++)
        if (s->qos2In[i] == packetId) {
            s->qos2In[i] = s->qos2In[--s->nqos2In];
            if (s->persistent) markDirty(x, s);
            return 1;
        }
    return 0;
}

/* ---- shared subscriptions (share.h) ---------------------------------------- */

/* Retention removed the log records of g from *from up to first before
 * they were given to a member: on record (retention_loss, naming the
 * share), *from moved to first. */
static void shareRetentionLoss(Exchange *x, ShareGroup *g, uint64_t *from, uint64_t first) {
    char d[300];
    snprintf(d, sizeof(d),
             "up to %llu messages removed by log retention before they were given to a member "
             "of %s",
             (unsigned long long)(first - *from), g->share);
    auditEvent(x, "retention_loss", "", NULL, "", "", "retention", d);
    *from = first;
    x->sharesDirty = 1;
}

/* s's subscription through which it is a member of g. */
static Subscription *shareSub(Session *s, const ShareGroup *g) {
    for (int i = 0; i < s->nsubs; i++)
        if (s->subs[i].group == g) return &s->subs[i];
    return NULL;
}

/* A message being placed with one member of a group. */
typedef struct Place {
    Exchange *x;
    ShareGroup *g;
    Message *m;
    Session *skip;  /* the member handing it off: not again */
    int recovering; /* start-up: principals not compiled yet, decided at hand-out */
} Place;

static uint8_t shareQos(const Message *m, const Subscription *b) {
    return m->qos < b->qos ? m->qos : b->qos;
}

/* ShareRankFn: may the member see the message, and can it take it now? */
static int shareRank(void *session, void *ctx) {
    Place *pl = ctx;
    Session *s = session;
    Subscription *b = shareSub(s, pl->g);
    if (s == pl->skip || !b) return SHARE_CANNOT;
    if (!pl->recovering && !mayReceive(pl->x, s, pl->m)) return SHARE_REFUSED;
    uint8_t qos = shareQos(pl->m, b);
    int room = s->qlen < pl->x->opt.maxQueued;
    if (!s->conn) return !qos || !s->persistent ? SHARE_CANNOT : room ? SHARE_OFFLINE : SHARE_FULL;
    if (!room) return SHARE_FULL;
    /* what waits unsent counts in qlen too: a member whose connection does
     * not keep up (QoS 0 included) falls behind the others */
    return s->qlen < s->window ? SHARE_READY : SHARE_BUSY;
}

/* No member of g may see m: the group is refused it, on record. */
static void shareRefused(Exchange *x, const ShareGroup *g, const Message *m) {
    char d[300];
    snprintf(d, sizeof(d), "no member of %s may receive it (%zu members)", g->share, g->nmembers);
    x->st.refusedDelivery++;
    x->st.shareRefused++;
    auditEvent(x, "share_refused", "", NULL, m->topic, m->label, "no_member", d);
}

/* Give m to one member of g ranked min or better (shareChoose), skipping
 * skip: queued only -- the front-ends drain every connection once per
 * loop turn, after the commit.  Not drained here: this runs while other
 * queues are being walked (hand-offs from inside exchangeDrain, refills),
 * and a nested drain could refill into, and reallocate, the very queue
 * being walked.  Returns 1 when given; else 0 with *best the best rank
 * seen (refusals audited). */
static int shareGive(Exchange *x, ShareGroup *g, Message *m, Session *skip, int min, int recovering,
                     int *best) {
    Place pl = {x, g, m, skip, recovering};
    Session *s = shareChoose(g, shareRank, &pl, min, best);
    if (!s) {
        if (*best == SHARE_REFUSED) shareRefused(x, g, m);
        return 0;
    }
    Subscription *b = shareSub(s, g);
    Outgoing *o = qAppend(s, m, shareQos(m, b), b->retainAsPublished ? m->retain : 0, &b->subId,
                          b->subId ? 1 : 0);
    if (!o) {
        *best = SHARE_CANNOT;
        return 0;
    }
    o->shareId = g->id;
    x->sharesDirty = 1;
    return 1;
}

/* s gives o (one of its shared messages) to another member: min
 * SHARE_BUSY, only to a connected one; SHARE_FULL, to anyone who can hold
 * it.  Returns 1 when given (o is then done for s). */
static int handOne(Exchange *x, Session *s, Outgoing *o, int min) {
    ShareGroup *g = shareById(x->shares, o->shareId);
    int best;
    if (!g || !shareGive(x, g, o->m, s, min, 0, &best)) return 0;
    if (o->state == STATE_SENT && s->inflight) s->inflight--;
    o->state = STATE_DONE;
    x->st.shareHandedOff++;
    return 1;
}

/* Hand s's shared messages (of group only, or of every group: NULL) to
 * other members.  sent: those sent and not acknowledged go too (QoS 1;
 * QoS 2 ones too when ending) -- the client may have them, so they may
 * arrive twice, as QoS 1 allows; a QoS 2 message whose PUBREC came stays.
 * ending: s ends, what no one takes is lost with it. */
static void handOff(Exchange *x, Session *s, const ShareGroup *only, int sent, int ending) {
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        if (!o->shareId || o->state == STATE_DONE || o->state == STATE_PUBREC) continue;
        if (only && o->shareId != only->id) continue;
        if (o->state == STATE_SENT && !(sent && (o->qos == 1 || ending))) continue;
        if (!handOne(x, s, o, ending ? SHARE_FULL : SHARE_BUSY) && ending) x->st.dropped++;
    }
    qTrim(s);
}

/* A message and its exchange, for the callbacks of shareMatch (giving
 * changes queues, never groups, as shareMatch requires). */
typedef struct ShareVisit {
    Exchange *x;
    Message *m;
} ShareVisit;

/* m is in the group's stream: give it to a member, or (every member's
 * queue full) let it and what follows wait in the log. */
static void shareOffer(Exchange *x, ShareGroup *g, Message *m, int recovering) {
    int best;
    if (m->qos && g->overflow) return; /* those before it wait in the log: in order */
    if (shareGive(x, g, m, NULL, SHARE_OFFLINE, recovering, &best)) return;
    if (m->qos && best == SHARE_FULL) {
        g->overflow = 1;
        g->overflowFrom = m->offset;
        x->sharesDirty = 1;
    } else if (best != SHARE_REFUSED) {
        x->st.dropped++; /* QoS 0 and no member connected */
    }
}

static void offerVisit(ShareGroup *g, void *ctx) {
    ShareVisit *v = ctx;
    shareOffer(v->x, g, v->m, 0);
}

static void shareFanOut(Exchange *x, Message *m) {
    if (!shareFirst(x->shares)) return; /* no group: not even the topic's hash */
    ShareVisit v = {x, m};
    shareMatch(x->shares, m->topic, offerVisit, &v);
}

/* Give out what waits in the log for g since every member was full, until
 * they are full again. */
static void shareRefill(Exchange *x, ShareGroup *g) {
    pnBuf scratch;
    bufInit(&scratch);
    g->overflow = 0;
    x->sharesDirty = 1;
    uint64_t off = g->overflowFrom < logFirst(x->log) ? logFirst(x->log) : g->overflowFrom;
    for (; off < x->fanned && !g->overflow; off++) {
        LogRecord rec;
        if (logRead(x->log, off, &rec, &scratch, NULL) != PN_OK) continue;
        Message *m = messageDecode(rec.data, rec.len, off, x->spif, NULL);
        if (!m) continue;
        if (m->qos && topicMatch(g->inner, m->topic)) shareOffer(x, g, m, 0);
        messageUnref(m);
    }
    bufFree(&scratch);
}

/* s drained: refill the groups it belongs to that wait in the log, once
 * it has room for a good part of a queue. */
static void shareRefillFor(Exchange *x, Session *s) {
    if (s->qlen >= x->opt.maxQueued / 2) return;
    for (int i = 0; i < s->nsubs; i++) {
        ShareGroup *g = s->subs[i].group;
        if (g && g->overflow) shareRefill(x, g);
    }
}

/* s leaves every group it is in (its session ends). */
static void shareLeaveAll(Exchange *x, Session *s) {
    for (int i = 0; i < s->nsubs; i++)
        if (s->subs[i].group) {
            shareLeave(x->shares, s->subs[i].group, s);
            s->subs[i].group = NULL;
        }
}

/* A shared message given to a member and not acknowledged, as saved. */
typedef struct Given {
    uint32_t shareId;
    PersistGiven g;
} Given;

static int cmpGiven(const void *a, const void *b) {
    const Given *p = a, *q = b;
    return p->shareId < q->shareId ? -1 : p->shareId > q->shareId;
}

/* The first of all[0..n) (sorted by group) of group id, or n. */
static size_t givenFirst(const Given *all, size_t n, uint32_t id) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (all[mid].shareId < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* g has a persistent member: it outlives a restart, so it is saved. */
static int sharePersistent(const ShareGroup *g) {
    for (size_t j = 0; j < g->nmembers; j++)
        if (((const Session *)g->members[j].session)->persistent) return 1;
    return 0;
}

/* Every shared message given and not acknowledged (QoS 0 ones are not
 * kept over a restart), sorted by group: *n of them, NULL out of memory. */
static Given *givenAll(Exchange *x, size_t *n) {
    size_t cnt = 0;
    for (Session *s = x->sessions; s; s = s->nextAll)
        for (uint32_t i = 0; i < s->qlen; i++) {
            Outgoing *o = qAt(s, i);
            cnt += o->shareId && o->state != STATE_DONE && o->m->qos;
        }
    Given *all = malloc((cnt ? cnt : 1) * sizeof(*all));
    *n = 0;
    for (Session *s = x->sessions; all && s; s = s->nextAll)
        for (uint32_t i = 0; i < s->qlen; i++) {
            Outgoing *o = qAt(s, i);
            if (o->shareId && o->state != STATE_DONE && o->m->qos)
                all[(*n)++] = (Given){o->shareId, {o->m->offset, s->clientId}};
        }
    if (all && *n) qsort(all, *n, sizeof(*all), cmpGiven);
    return all;
}

/* Write DIR/shares.json when a shared message moved since: per group with
 * a persistent member, where its stream resumes and what is given and not
 * acknowledged (persist.h). */
static void saveShares(Exchange *x) {
    if (!x->sharesDirty) return;
    size_t n = 0, ngiven = 0, k = 0, used = 0;
    for (ShareGroup *g = shareFirst(x->shares); g; g = g->next)
        n++;
    Given *all = givenAll(x, &ngiven);
    PersistShare *ps = calloc(n ? n : 1, sizeof(*ps));
    PersistGiven *given = calloc(ngiven ? ngiven : 1, sizeof(*given));
    for (ShareGroup *g = shareFirst(x->shares); all && ps && given && g; g = g->next) {
        if (!sharePersistent(g)) continue;
        ps[k] =
            (PersistShare){g->share, g->overflow ? g->overflowFrom : x->fanned, given + used, 0};
        for (size_t i = givenFirst(all, ngiven, g->id); i < ngiven && all[i].shareId == g->id; i++)
            given[used++] = all[i].g, ps[k].ngiven++;
        k++;
    }
    pnError err = {0};
    int rc = !all || !ps || !given  ? pnErrorSet(&err, PN_ENOMEM, "out of memory")
             : k || x->sharesOnDisk ? persistSharesWrite(x->dir, ps, k, &err)
                                    : PN_OK;
    free(all);
    free(ps);
    free(given);
    if (rc == PN_OK) {
        x->sharesDirty = x->sharesFailed = 0;
        x->sharesOnDisk = k;
    } else if (!x->sharesFailed++) {
        auditEvent(x, "session_save_failed", "", NULL, "", "", "storage", err.msg);
    }
}

/* Matches of one message, merged per session (MQTT 5 §3.3.4). */
typedef struct Match {
    Session *s;
    uint8_t qos, rap;
    uint32_t ids[4];
    uint8_t nids;
} Match;

typedef struct Matches {
    Match *m;
    size_t n, cap;
} Matches;

static void onMatch(void *owner, uint32_t data, const char *filter, void *ctx) {
    (void)filter;
    Matches *ms = ctx;
    Session *s = owner;
    Subscription *sub = &s->subs[data];
    for (size_t i = 0; i < ms->n; i++)
        if (ms->m[i].s == s) {
            Match *mt = &ms->m[i];
            if (sub->qos > mt->qos) mt->qos = sub->qos;
            if (sub->subId && mt->nids < 4) mt->ids[mt->nids++] = sub->subId;
            mt->rap |= sub->retainAsPublished;
            return;
        }
    if (arrayGrow((void **)&ms->m, &ms->cap, ms->n + 1, sizeof(Match)) != 0) return;
    Match *mt = &ms->m[ms->n++];
    memset(mt, 0, sizeof(*mt));
    mt->s = s;
    mt->qos = sub->qos;
    mt->rap = sub->retainAsPublished;
    if (sub->subId) mt->ids[mt->nids++] = sub->subId;
}

static void fanOut(Exchange *x, Message *m, Session *from) {
    Matches ms = {NULL, 0, 0};
    topicIndexMatch(x->index, m->topic, onMatch, &ms);
    for (size_t i = 0; i < ms.n; i++) {
        Match *mt = &ms.m[i];
        Session *s = mt->s;
        if (s == from) {
            int noLocal = 0;
            for (int k = 0; k < s->nsubs; k++)
                if (topicMatch(s->subs[k].filter, m->topic) && s->subs[k].noLocal) noLocal = 1;
            if (noLocal) continue;
        }
        uint8_t qos = m->qos < mt->qos ? m->qos : mt->qos;
        if (!s->conn && qos == 0) continue; /* offline sessions keep QoS>0 only */
        if (qPush(x, s, m, qos, mt->rap ? m->retain : 0, mt->ids, mt->nids, 0) == 0)
            exchangeDrain(x, s);
    }
    free(ms.m);
    shareFanOut(x, m);
}

/* ---- retained ------------------------------------------------------------- */

/* Keep m as its topic's retained message (an empty payload deletes it).
 * Out of memory, the topic keeps its previous message: the publish itself
 * is stored and delivered all the same. */
static void retainStore(Exchange *x, Message *m) {
    retainedPut(x->retained, m);
}

/* Refuse a retained publish that would pass the node's or its
 * publisher's cap (XR_QUOTA_EXCEEDED, audited).  Publishes accepted this
 * turn count as new topics until the commit stores them.  relayed: a
 * federation link relays many publishers' messages (each capped at its
 * origin), so only the node's caps apply. */
static int retainQuota(Exchange *x, Session *from, const Message *m, int relayed,
                       const char **why) {
    RetainedPending pend = x->pendRetained;
    pend.count = pend.bytes = 0;
    uint64_t count, bytes;
    retainedUsage(x->retained, m->publisher, &count, &bytes);
    /* Only near its caps can the pending publishes change the answer:
     * then count this principal's among them. */
    RetainedLimits node = {x->opt.retained.maxCount, x->opt.retained.maxBytes, 0, 0};
    const RetainedLimits *lim = relayed ? &node : &x->opt.retained;
    if (!relayed &&
        (count + x->pendRetained.nodeCount >= lim->maxCountPerPrincipal ||
         bytes + x->pendRetained.nodeBytes + retainedMessageBytes(m) > lim->maxBytesPerPrincipal))
        for (size_t i = 0; i < x->npending; i++) {
            const Message *p = x->pending[i].m;
            if (p && p->retain && p->payloadLen && strcmp(p->publisher, m->publisher) == 0)
                pend.count++, pend.bytes += retainedMessageBytes(p);
        }
    if (retainedCheck(x->retained, lim, m, &pend, why) == 0) return 0;
    x->st.refusedPublish++, x->st.refusedPublishBy[XP_OTHER]++;
    auditSession(x, "publish_refused", from, m->topic, m->label, "retained_quota", *why);
    return XR_QUOTA_EXCEEDED;
}

/* ---- sessions file -------------------------------------------------------- */

static uint64_t sessionFloor(Exchange *x, Session *s) {
    uint64_t floor = logNext(x->log);
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        if (o->state != STATE_DONE && o->m->offset < floor && !o->stored && !o->shareId)
            floor = o->m->offset;
    }
    if (s->restored && s->resumeFrom < floor) floor = s->resumeFrom;
    if (s->overflow && s->overflowFrom < floor) floor = s->overflowFrom;
    return floor;
}

/* What a session's resume offset does not cover, as written: the log
 * offsets of retained messages sent on subscribe and not acknowledged (in
 * queue order).  *sig (optional) gets a digest of them, so the periodic
 * check sees an acknowledgement that left the resume offset where it was.
 * Returns the count; out is NULL for the digest alone. */
static size_t storedPending(Session *s, uint64_t *out, uint64_t *sig) {
    size_t n = 0;
    uint64_t h = 14695981039346656037ull;
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        if (!o->stored || o->state == STATE_DONE) continue;
        if (out) out[n] = o->m->offset;
        n++;
        h = (h ^ o->m->offset) * 1099511628211ull;
    }
    if (sig) *sig = h ^ n;
    return n;
}

/* The digest storedPending gives for offsets off[0..n) (ascending, as a
 * restored session re-queues them). */
static uint64_t storedSig(const uint64_t *off, size_t n) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ off[i]) * 1099511628211ull;
    return h ^ n;
}

/* ps (with stored offsets digest sig) is what s's files now say. */
static void savedOffsets(Session *s, const PersistSession *ps, uint64_t sig) {
    s->saveSeq = ps->seq;
    s->savedFloor = ps->resumeFrom;
    s->savedStoredSig = sig;
    s->floorSavedAt = timeNow();
    s->queueMoved = 0;
}

/* Write s to its own file (persist.h), giving it a file number first:
 * subscriptions, resume offset, and what that offset does not cover --
 * retained messages sent on subscribe and not acknowledged, and incoming
 * QoS 2 ids awaiting PUBREL. */
static int saveSession(Exchange *x, Session *s, pnError *err) {
    PersistSub stack[16], *subs = stack;
    uint64_t sstack[16], *stored = sstack, sig;
    size_t nstored = storedPending(s, NULL, NULL);
    if (s->nsubs > 16 && !(subs = malloc((size_t)s->nsubs * sizeof(*subs))))
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (nstored > 16 && !(stored = malloc(nstored * sizeof(*stored)))) {
        if (subs != stack) free(subs);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    storedPending(s, stored, &sig);
    for (int i = 0; i < s->nsubs; i++) {
        Subscription *b = &s->subs[i];
        subs[i] = (PersistSub){b->filter,
                               (uint8_t)(b->qos | b->noLocal << 2 | b->retainAsPublished << 3 |
                                         b->retainHandling << 4),
                               b->subId};
    }
    if (!s->fileNo) s->fileNo = ++x->nextFileNo;
    uint64_t floor = sessionFloor(x, s);
    PersistSession ps = {.fileNo = s->fileNo,
                         .seq = s->saveSeq + 1,
                         .clientId = s->clientId,
                         .principal = s->principalName,
                         .principalId = s->principalId,
                         .expiry = s->expiry,
                         .disconnectedAt = s->conn ? 0 : s->disconnectedAt,
                         .resumeFrom = floor,
                         .node = s->auditAll,
                         .lost = s->lostToRetention,
                         .stored = stored,
                         .nstored = nstored,
                         .qos2 = s->qos2In,
                         .nqos2 = s->nqos2In,
                         .subs = subs,
                         .nsubs = (size_t)s->nsubs};
    PersistWill will;
    if (s->will) {
        const PendingWill *w = s->will;
        will = (PersistWill){w->topic,      w->label, w->props,  w->payload, w->propsLen,
                             w->payloadLen, w->qos,   w->retain, w->dueMs};
        ps.will = &will;
    }
    int rc = persistWrite(x->dir, &ps, err);
    if (subs != stack) free(subs);
    if (stored != sstack) free(stored);
    if (rc == PN_OK) s->dirty = 0, savedOffsets(s, &ps, sig);
    return rc;
}

/* Write only s's offsets (persistWriteResume): its file exists and
 * nothing else of it changed. */
static int saveResume(Exchange *x, Session *s, pnError *err) {
    uint64_t sstack[16], *stored = sstack, sig;
    size_t nstored = storedPending(s, NULL, NULL);
    if (nstored > 16 && !(stored = malloc(nstored * sizeof(*stored))))
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    storedPending(s, stored, &sig);
    PersistSession ps = {.fileNo = s->fileNo,
                         .seq = s->saveSeq + 1,
                         .resumeFrom = sessionFloor(x, s),
                         .stored = stored,
                         .nstored = nstored};
    int rc = persistWriteResume(x->dir, &ps, err);
    if (stored != sstack) free(stored);
    if (rc == PN_OK) savedOffsets(s, &ps, sig);
    return rc;
}

/* Did s's resume offset, or the retained messages it has not
 * acknowledged, move since it was written in a way that matters for
 * recovery?  An offset that moved only with the end of the log (nothing
 * entered or left s's queue) matters only every FLOOR_LAZY_SECONDS, or
 * when all is written (force: the node stops). */
static int sessionMoved(Exchange *x, Session *s, int64_t now, int force) {
    uint64_t sig;
    storedPending(s, NULL, &sig);
    if (sig != s->savedStoredSig) return 1;
    if (sessionFloor(x, s) == s->savedFloor) return 0;
    return force || s->queueMoved || now - s->floorSavedAt >= FLOOR_LAZY_SECONDS;
}

/* Write the sessions that changed: at every commit those marked dirty
 * (whole), once a second the offsets alone of those whose resume offset
 * (or unacknowledged retained messages sent on subscribe) moved
 * (sessionMoved).  Nothing is written while nothing changes.  A failed
 * write is retried a second later (and audited once per failing streak).
 * force: write every moved offset now (the node stops). */
static void saveChanged(Exchange *x, int64_t now, int force) {
    int periodic = now - x->lastSave >= 1;
    if (periodic) x->lastSave = now;
    if (!periodic && !x->anyDirty) return;
    if (x->saveFailedAt && now - x->saveFailedAt < 1) return;
    x->anyDirty = 0;
    int failed = 0;
    pnError err = {0};
    for (Session *s = x->sessions; s && !failed; s = s->nextAll) {
        if (!s->persistent) continue;
        if (!s->dirty && !(periodic && sessionMoved(x, s, now, force))) continue;
        /* a session not yet in its file, or changed in more than its
         * offsets, is written whole */
        failed =
            (s->dirty || !s->fileNo ? saveSession(x, s, &err) : saveResume(x, s, &err)) != PN_OK;
    }
    if (periodic) saveShares(x);
    if (failed) x->anyDirty = 1; /* the rest are written at the retry */
    if (failed && !x->saveFailedAt)
        auditEvent(x, "session_save_failed", "", NULL, "", "", "storage", err.msg);
    x->saveFailedAt = failed ? now : 0;
}

static Session *sessionNew(Exchange *x, const char *clientId) {
    Session *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    strCopy(s->clientId, sizeof(s->clientId), clientId);
    s->window = 1000;
    s->nextAll = x->sessions;
    x->sessions = s;
    x->st.sessions++;
    return s;
}

static void sessionUnlink(Exchange *x, Session *s) {
    for (Session **pp = &x->sessions; *pp; pp = &(*pp)->nextAll)
        if (*pp == s) {
            *pp = s->nextAll;
            break;
        }
    for (size_t i = 0; i < x->npending; i++)
        if (x->pending[i].from == s) x->pending[i].from = NULL;
    topicIndexRemoveOwner(x->index, s);
    shareLeaveAll(x, s);
    x->st.sessions--;
    sessionFree(s);
}

/* The session ends for good: its file goes with it.  (sessionUnlink alone
 * is for closing the exchange, when sessions stay on disk.)  A file that
 * cannot be removed would bring the session back after a restart: that is
 * audited. */
static void sessionDrop(Exchange *x, Session *s) {
    pnError err = {0};
    handOff(x, s, NULL, 1, 1); /* §4.8.2: its shared messages go to another member */
    if (s->fileNo && persistRemove(x->dir, s->fileNo, &err) != PN_OK)
        auditSession(x, "session_save_failed", s, "", "", "storage", err.msg);
    sessionUnlink(x, s);
}

/* Add or replace a subscription; returns its slot, or -1 when the session
 * has limit subscriptions already (or out of memory). */
static int subSet(Exchange *x, Session *s, const char *filter, uint8_t options, uint32_t subId,
                  uint32_t limit, int *isNew) {
    int slot = -1;
    for (int i = 0; i < s->nsubs; i++)
        if (strcmp(s->subs[i].filter, filter) == 0) slot = i;
    *isNew = slot < 0;
    if (slot < 0) {
        size_t cap = (size_t)s->capsubs;
        if ((uint32_t)s->nsubs >= limit ||
            arrayGrow((void **)&s->subs, &cap, (size_t)s->nsubs + 1, sizeof(Subscription)) != 0)
            return -1;
        s->capsubs = (int)cap;
        char *f = strdup(filter);
        if (!f) return -1;
        slot = s->nsubs++;
        memset(&s->subs[slot], 0, sizeof(s->subs[slot]));
        s->subs[slot].filter = f;
    }
    Subscription *b = &s->subs[slot];
    b->qos = options & 3;
    b->noLocal = options >> 2 & 1;
    b->retainAsPublished = options >> 3 & 1;
    b->retainHandling = options >> 4 & 3;
    b->subId = subId;
    ShareName sn;
    int added;
    if (shareParse(filter, strlen(filter), &sn) == 1) {
        added = (b->group = shareJoin(x->shares, b->filter, s)) != NULL;
        x->sharesDirty = 1;
    } else {
        added = topicIndexAdd(x->index, b->filter, s, (uint32_t)slot) >= 0;
    }
    if (!added && *isNew) { /* out of memory: no half-made subscription is left */
        free(b->filter);
        s->nsubs--;
    }
    return added ? slot : -1;
}

static int cmpOffset(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The saved "stored" offsets, sorted for storedResumeHas (none when
 * memory is short: those retained messages are then not sent again). */
static void loadStored(Session *s, const uint64_t *off, size_t n) {
    if (!n || n > UINT32_MAX || !(s->storedResume = malloc(n * sizeof(uint64_t)))) return;
    memcpy(s->storedResume, off, n * sizeof(uint64_t));
    qsort(s->storedResume, n, sizeof(uint64_t), cmpOffset);
    s->nstoredResume = (uint32_t)n;
}

/* One stored session (persist.h) back in memory.  Two files naming the
 * same client id (a crash between writing a new session and removing the
 * old one) keep the newer, higher-numbered one. */
static void loadOne(void *ctx, const PersistSession *ps) {
    Exchange *x = ctx;
    Session *s = findSession(x, ps->clientId);
    if (s && ps->fileNo && s->fileNo > ps->fileNo) {
        persistRemove(x->dir, ps->fileNo, NULL);
        return;
    }
    if (s) {
        if (s->fileNo) persistRemove(x->dir, s->fileNo, NULL);
        sessionUnlink(x, s);
    }
    s = sessionNew(x, ps->clientId);
    if (!s) return;
    strCopy(s->principalName, sizeof(s->principalName), ps->principal);
    strCopy(s->principalId, sizeof(s->principalId), ps->principalId ? ps->principalId : "");
    s->persistent = 1;
    s->fileNo = ps->fileNo;
    s->dirty = ps->fileNo == 0; /* from the old sessions.json: write it in its own file */
    s->expiry = ps->expiry;
    s->disconnectedAt = ps->disconnectedAt ? ps->disconnectedAt : timeNow();
    s->disconnectedMs = s->disconnectedAt * 1000;
    s->resumeFrom = s->savedFloor = ps->resumeFrom;
    s->saveSeq = ps->seq;
    s->floorSavedAt = timeNow();
    s->auditAll = ps->node;
    s->lostToRetention = ps->lost;
    s->restored = 1;
    loadStored(s, ps->stored, ps->nstored);
    s->savedStoredSig = storedSig(s->storedResume, s->nstoredResume);
    for (size_t k = 0; k < ps->nqos2 && s->nqos2In < QOS2_IN_MAX; k++)
        if (!exchangeQos2Held(s, ps->qos2[k])) s->qos2In[s->nqos2In++] = ps->qos2[k];
    for (size_t k = 0; k < ps->nsubs; k++) {
        int isNew;
        /* Granted before: kept even if max_subscriptions was lowered since. */
        subSet(x, s, ps->subs[k].filter, ps->subs[k].options, ps->subs[k].subId, UINT32_MAX,
               &isNew);
    }
    /* Published when due, once the node has compiled the session's
     * principal (nodeOpen).  Out of memory it is lost, as at exchangeDelayWill. */
    if (ps->will) s->will = willNew(ps->will);
}

static int loadSessions(Exchange *x, pnError *err) {
    uint64_t maxNo = 0;
    int rc = persistLoad(x->dir, loadOne, x, &maxNo, err);
    if (maxNo > x->nextFileNo) x->nextFileNo = maxNo;
    return rc;
}

/* Sessions read from an old DIR/sessions.json are written one file each;
 * only then is the old file removed. */
static int convertLegacy(Exchange *x, pnError *err) {
    if (!persistHasLegacy(x->dir)) return PN_OK;
    for (Session *s = x->sessions; s; s = s->nextAll)
        if (s->dirty) {
            int rc = saveSession(x, s, err);
            if (rc != PN_OK) return rc;
        }
    return persistRemoveLegacy(x->dir, err);
}

/* Retention removed the records of s from *from up to first before they
 * reached it: count them, move *from to first and audit it -- a loss is
 * reported per session, never passed over in silence. */
static void noteRetentionLoss(Exchange *x, Session *s, uint64_t *from, uint64_t first) {
    uint64_t lost = first - *from;
    s->lostToRetention += lost;
    *from = first;
    char d[160];
    strFormat(d, sizeof(d), "up to %llu messages removed by log retention before delivery to %s",
              (unsigned long long)lost, s->clientId);
    auditSession(x, "retention_loss", s, "", "", "retention", d);
    markDirty(x, s);
}

/* The retained message at log offset off was sent to s on subscribe and
 * not acknowledged before the restart (offsets ascending). */
static int storedResumeHas(const Session *s, uint64_t off) {
    uint32_t lo = 0, hi = s->nstoredResume;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->storedResume[mid] == off) return 1;
        if (s->storedResume[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Queue again a retained message sent on subscribe before the restart. */
static void requeueStored(Exchange *x, Session *s, Message *m) {
    SubMatch sm;
    subMatch(s, m->topic, &sm);
    if (sm.any && sm.qos) qPush(x, s, m, m->qos < sm.qos ? m->qos : sm.qos, 1, sm.ids, sm.nids, 1);
}

/* A shared message given to a member and not acknowledged before the
 * restart (DIR/shares.json): queued for that member again by the rescan. */
typedef struct ShareResume {
    uint64_t offset;
    uint32_t groupId;
    Session *s; /* NULL: the member is gone (its session ended): given anew */
} ShareResume;

static int cmpShareResume(const void *a, const void *b) {
    const ShareResume *p = a, *q = b;
    if (p->offset != q->offset) return p->offset < q->offset ? -1 : 1;
    return p->groupId < q->groupId ? -1 : p->groupId > q->groupId;
}

/* One group of DIR/shares.json: kept when a restored session is still a
 * member (the group exists again), else forgotten. */
static void loadShare(void *ctx, const PersistShare *ps) {
    Exchange *x = ctx;
    ShareGroup *g = shareFind(x->shares, ps->share);
    if (!g) return;
    g->restored = 1;
    g->resumeFrom = ps->resumeFrom;
    size_t cap = x->nshareResume;
    if (arrayGrow((void **)&x->shareResume, &cap, x->nshareResume + ps->ngiven,
                  sizeof(ShareResume)) != 0)
        return; /* out of memory: those messages are given anew from resumeFrom only */
    for (size_t k = 0; k < ps->ngiven; k++) {
        Session *s = findSession(x, ps->given[k].clientId);
        if (s && !shareSub(s, g)) s = NULL;
        x->shareResume[x->nshareResume++] = (ShareResume){ps->given[k].offset, g->id, s};
    }
}

/* Where each group's stream resumes after a restart.  A group the file
 * does not name (the node stopped before it was written) resumes where
 * its earliest member does: more may come twice, nothing is lost. */
static int loadShares(Exchange *x, pnError *err) {
    int rc = persistSharesLoad(x->dir, loadShare, x, err);
    if (rc != PN_OK) return rc;
    if (x->nshareResume)
        qsort(x->shareResume, x->nshareResume, sizeof(ShareResume), cmpShareResume);
    for (ShareGroup *g = shareFirst(x->shares); g; g = g->next) {
        if (g->restored) continue;
        g->restored = 1;
        g->resumeFrom = UINT64_MAX;
        for (size_t j = 0; j < g->nmembers; j++) {
            Session *s = g->members[j].session;
            if (s->resumeFrom < g->resumeFrom) g->resumeFrom = s->resumeFrom;
        }
    }
    x->sharesOnDisk = 1; /* rewritten at the first save (it may name groups gone now) */
    return PN_OK;
}

/* The saved hand-out of m (at off) in g, or NULL. */
static ShareResume *shareResumed(Exchange *x, uint64_t off, uint32_t groupId) {
    ShareResume key = {off, groupId, NULL};
    if (!x->nshareResume) return NULL;
    return bsearch(&key, x->shareResume, x->nshareResume, sizeof(ShareResume), cmpShareResume);
}

/* The rescan reached m: in each group of its topic, queue it again for
 * the member it was given to, or give it anew if it came after the
 * group's saved place (or its member is gone). */
static void recoverVisit(ShareGroup *g, void *ctx) {
    Exchange *x = ((ShareVisit *)ctx)->x;
    Message *m = ((ShareVisit *)ctx)->m;
    ShareResume *r = shareResumed(x, m->offset, g->id);
    Subscription *b = r && r->s ? shareSub(r->s, g) : NULL;
    if (b) {
        Outgoing *o = qAppend(r->s, m, shareQos(m, b), b->retainAsPublished ? m->retain : 0,
                              &b->subId, b->subId ? 1 : 0);
        if (o) o->shareId = g->id;
    } else if (r || m->offset >= g->resumeFrom) {
        shareOffer(x, g, m, 1);
    }
}

static void shareRecover(Exchange *x, Message *m) {
    ShareVisit v = {x, m};
    shareMatch(x->shares, m->topic, recoverVisit, &v);
}

/* One pass over the log: rebuild retained messages and re-queue, for each
 * restored session, what it had not acknowledged (a session saved before
 * a restart may resume below what retention has left meanwhile). */
static int recoverLog(Exchange *x, pnError *err) {
    uint64_t from = logFirst(x->log), end = logNext(x->log);
    for (Session *s = x->sessions; s; s = s->nextAll)
        if (s->restored && s->resumeFrom < from) noteRetentionLoss(x, s, &s->resumeFrom, from);
    for (ShareGroup *g = shareFirst(x->shares); g; g = g->next)
        if (g->restored && g->resumeFrom < from && g->resumeFrom != UINT64_MAX)
            shareRetentionLoss(x, g, &g->resumeFrom, from);
    int rc = PN_OK;
    pnBuf scratch;
    bufInit(&scratch);
    for (uint64_t off = from; off < end && rc == PN_OK; off++) {
        LogRecord rec;
        if (logRead(x->log, off, &rec, &scratch, NULL) != PN_OK)
            continue; /* reported by recovery */
        Message *m = messageDecode(rec.data, rec.len, off, x->spif, NULL);
        if (!m) continue;
        if (strcmp(m->origin, x->node) != 0 && seenAdd(&x->seen, m->origin, m->originSeq) < 0)
            rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
        if (m->retain) retainStore(x, m);
        for (Session *s = x->sessions; s; s = s->nextAll) {
            if (!s->restored || m->qos == 0) continue;
            if (off >= s->resumeFrom)
                queueFromLog(x, s, m);
            else if (storedResumeHas(s, off))
                requeueStored(x, s, m);
        }
        if (m->qos) shareRecover(x, m);
        messageUnref(m);
    }
    free(x->shareResume);
    x->shareResume = NULL;
    x->nshareResume = 0;
    for (ShareGroup *g = shareFirst(x->shares); g; g = g->next)
        g->restored = 0;
    /* Re-queued: from now on the queue itself says what is unacknowledged. */
    for (Session *s = x->sessions; s; s = s->nextAll) {
        s->restored = 0;
        free(s->storedResume);
        s->storedResume = NULL;
        s->nstoredResume = 0;
    }
    bufFree(&scratch);
    return rc;
}

/* DIR/seen.json: the ids of foreign messages held when retention last
 * removed segments (see seen.h). */
static void seenPath(const Exchange *x, char *path, size_t cap) {
    snprintf(path, cap, "%s/seen.json", x->dir);
}

/* Before the log is read: the ids retention removed stay held. */
static int loadSeen(Exchange *x, pnError *err) {
    char path[4200];
    seenPath(x, path, sizeof(path));
    return seenLoad(&x->seen, path, err);
}

/* Save the ids held before retention removes the records that prove them;
 * 0 (retention waits for the next tick) while imports are pending -- an
 * id whose commit then fails must not be kept -- or when the file cannot
 * be written (said once in the audit). */
static int saveSeen(Exchange *x) {
    if (x->npending) return 0;
    char path[4200];
    seenPath(x, path, sizeof(path));
    pnError err = {0};
    if (seenSave(&x->seen, path, &err) != PN_OK) {
        char d[sizeof(err.msg) + 64];
        snprintf(d, sizeof(d), "retention postponed: the ids held cannot be saved: %s", err.msg);
        if (!x->seenSaveFailed) exchangeAudit(x, "retention", "", "", "", "retention", d);
        x->seenSaveFailed = 1;
        return 0;
    }
    x->seenSaveFailed = 0;
    return 1;
}

int exchangeOpen(Exchange **out, const char *dir, const ExchangeOptions *opt, const Registry *reg,
                 const Spif *spif, LogRecovery *rep, pnError *err) {
    Exchange *x = calloc(1, sizeof(*x));
    if (!x) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    strCopy(x->dir, sizeof(x->dir), dir);
    x->opt = *opt;
    if (!x->opt.maxQueued) x->opt.maxQueued = 10000;
    AuditLimits *al = &x->opt.audit;
    if (!al->burst) al->burst = 100;
    if (!al->maxBytes) al->maxBytes = (int64_t)512 << 20;
    if (!al->retentionSecs) al->retentionSecs = (int64_t)365 * 86400;
    if (!x->opt.maxSubscriptions) x->opt.maxSubscriptions = SUB_MAX_PER_SESSION;
    if (!x->opt.maxSessionsPerPrincipal)
        x->opt.maxSessionsPerPrincipal = SESSIONS_MAX_PER_PRINCIPAL;
    strCopy(x->node, sizeof(x->node), opt->node && opt->node[0] ? opt->node : "node");
    x->opt.node = x->node;
    x->reg = reg;
    x->spif = spif;
    x->index = topicIndexNew();
    x->shares = shareSetNew();
    x->retained = retainedNew();
    RetainedLimits *rl = &x->opt.retained;
    if (!rl->maxCount) rl->maxCount = 100000;
    if (!rl->maxBytes) rl->maxBytes = 256ull << 20;
    if (!rl->maxCountPerPrincipal) rl->maxCountPerPrincipal = 10000;
    if (!rl->maxBytesPerPrincipal) rl->maxBytesPerPrincipal = 64ull << 20;
    char logDir[4200];
    snprintf(logDir, sizeof(logDir), "%s/log", dir);
    int rc =
        x->index && x->shares && x->retained ? PN_OK : pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (rc == PN_OK && mkdir(dir, 0750) != 0 && errno != EEXIST)
        rc = pnErrorSet(err, PN_EIO, "%s: %s", dir, strerror(errno));
    if (rc == PN_OK) rc = logOpen(&x->log, logDir, &x->opt.log, rep, err);
    if (rc == PN_OK) rc = auditOpen(&x->audit, dir, err);
    if (rc == PN_OK) auditSetLimits(x->audit, &x->opt.audit);
    /* Damage found by recovery stays on record, one event per place. */
    for (int i = 0; rc == PN_OK && rep && i < rep->nproblems; i++)
        auditEvent(x, "log_damaged", "", "", "", "", "log_damaged", rep->problem[i]);
    if (rc == PN_OK) rc = loadSessions(x, err);
    if (rc == PN_OK) rc = loadShares(x, err);
    if (rc == PN_OK) rc = loadSeen(x, err);
    if (rc == PN_OK) rc = recoverLog(x, err);
    if (rc == PN_OK) rc = convertLegacy(x, err);
    if (rc != PN_OK) {
        exchangeClose(x);
        return rc;
    }
    x->lastSave = timeNow();
    x->fanned = logNext(x->log);
    *out = x;
    return PN_OK;
}

int exchangeFlushAll(Exchange *x, ExchangeFlushed *out, pnError *err) {
    if (out) memset(out, 0, sizeof(*out));
    if (!x->log) return PN_OK;
    int rc = exchangeCommit(x, err);
    if (rc == PN_OK) rc = logSync(x->log, err);
    x->saveFailedAt = 0;
    x->lastSave = 0; /* also the resume offsets that moved in the last second */
    saveChanged(x, timeNow(), 1);
    if (x->anyDirty && rc == PN_OK) rc = pnErrorSet(err, PN_EIO, "a session could not be saved");
    if (x->audit) {
        pnError aerr = {0};
        if (auditFlush(x->audit, &aerr) != PN_OK && rc == PN_OK)
            rc = pnErrorSet(err, PN_EIO, "audit: %s", aerr.msg);
    }
    if (!out) return rc;
    for (Session *s = x->sessions; s; s = s->nextAll)
        out->sessions += s->persistent != 0;
    if (x->audit) out->auditRows = auditCount(x->audit);
    out->messages = logNext(x->log) - logFirst(x->log);
    return rc;
}

void exchangeClose(Exchange *x) {
    if (!x) return;
    seenFree(&x->seen);
    exchangeFlushAll(x, NULL, NULL);
    while (x->sessions)
        sessionUnlink(x, x->sessions);
    shareSetFree(x->shares);
    free(x->shareResume);
    retainedFree(x->retained);
    for (size_t i = 0; i < x->npending; i++)
        messageUnref(x->pending[i].m);
    free(x->pending);
    free(x->toSign);
    for (size_t i = 0; i < x->nlabels; i++)
        free(x->labels[i].filter), free(x->labels[i].label);
    for (int i = 0; i < LABEL_CACHE; i++)
        free(x->cache[i].text), free(x->cache[i].marking);
    bufFree(&x->rec);
    free(x->labels);
    if (x->index) topicIndexFree(x->index);
    logClose(x->log);
    auditClose(x->audit);
    free(x);
}

int exchangeTopicLabel(Exchange *x, const char *filter, const char *label, pnError *err) {
    if (!topicFilterValid(filter, strlen(filter)))
        return pnErrorSet(err, PN_EINVAL, "invalid topic filter '%s'", filter);
    Label l;
    labelInit(&l, x->spif);
    int rc = labelParse(&l, label, strlen(label), err);
    labelFree(&l);
    if (rc != PN_OK) return pnErrorPrefix(err, "default label for '%s': ", filter);
    TopicLabel *n = realloc(x->labels, (x->nlabels + 1) * sizeof(*n));
    if (!n) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    x->labels = n;
    char *f = strdup(filter), *lab = strdup(label);
    if (!f || !lab) {
        free(f), free(lab);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    n[x->nlabels].filter = f;
    n[x->nlabels].label = lab;
    x->nlabels++;
    return PN_OK;
}

const char *exchangeDefaultLabel(Exchange *x, const char *topic) {
    for (size_t i = x->nlabels; i-- > 0;)
        if (topicMatch(x->labels[i].filter, topic)) return x->labels[i].label;
    return NULL;
}

void *exchangeSessionConn(Exchange *x, const char *clientId) {
    Session *s = findSession(x, clientId);
    return s ? s->conn : NULL;
}

const char *exchangeSessionPrincipal(Exchange *x, const char *clientId) {
    Session *s = findSession(x, clientId);
    return s ? s->principalName : NULL;
}

/* A session recorded for instance id (saved without one: "") belongs to
 * the principal p. */
static int sameInstance(const char *id, const Principal *p) {
    return id[0] ? strcmp(id, p->instance) == 0 : !p->instance[0] || p->instanceV0;
}

static void publishWill(Exchange *x, Session *s);

/* A stored session of an earlier instance of p's name (removed and added
 * again) is not p's: it could never be resumed (exchangeAttach would
 * discard it), so it neither counts against p's quota nor waits for its
 * expiry; a disconnected one is discarded here, audited. */
static int otherInstance(Exchange *x, Session *s, const char *principalName, const Principal *p) {
    if (sameInstance(s->principalId, p)) return 0;
    if (s->conn) return 1; /* still connected: its connection ends it */
    char detail[300];
    snprintf(detail, sizeof(detail),
             "session '%s' of an earlier principal '%s' discarded: it was removed, and "
             "a new principal of the same name connected",
             s->clientId, principalName);
    auditEvent(x, "session_discarded", principalName, NULL, "", "", "instance", detail);
    publishWill(x, s); /* the session ends here: its delayed will is due */
    sessionDrop(x, s);
    return 1;
}

int exchangeSessionQuota(Exchange *x, const char *clientId, const char *principalName,
                         const Principal *p, int persistent, char *why, size_t cap) {
    if (!persistent) return 0;
    uint32_t n = 0;
    for (Session *s = x->sessions, *next; s; s = next) {
        next = s->nextAll;
        if (!s->persistent || strcmp(s->principalName, principalName) != 0) continue;
        if (strcmp(s->clientId, clientId) == 0) {
            /* another instance's: exchangeAttach discards it (the caller
             * may still hold its name); the new one is one more */
            if (!sameInstance(s->principalId, p)) continue;
            return 0; /* resumed (or replaced): not one more */
        }
        if (otherInstance(x, s, principalName, p)) continue;
        n++;
    }
    if (n < x->opt.maxSessionsPerPrincipal) return 0;
    snprintf(why, cap,
             "principal %s holds %lu persistent sessions already (max_sessions_per_principal %lu)",
             principalName, (unsigned long)n, (unsigned long)x->opt.maxSessionsPerPrincipal);
    return XR_QUOTA_EXCEEDED;
}

void exchangeSessionChanged(Exchange *x, Session *s) {
    markDirty(x, s);
}

uint32_t exchangeMaxSubscriptions(const Exchange *x) {
    return x->opt.maxSubscriptions;
}

/* A connection ended with o in flight: send it again on the next one, as
 * a duplicate with the same packet id, or its PUBREL if PUBREC came. */
static void resendLater(Outgoing *o) {
    if (o->state == STATE_SENT)
        o->state = STATE_QUEUED, o->dup = 1;
    else if (o->state == STATE_PUBREC)
        o->release = 1;
}

int exchangeDelayWill(Exchange *x, Session *s, const ExchangeWill *w) {
    PersistWill pw = {w->topic,   w->label,    w->props,
                      w->payload, w->propsLen, w->payloadLen,
                      w->qos,     w->retain,   timeNowMs() + (int64_t)w->delay * 1000};
    PendingWill *n = willNew(&pw);
    if (!n) return -1;
    free(s->will);
    s->will = n;
    markDirty(x, s); /* saved with the session: a restart must not lose it */
    return 0;
}

void exchangeDropWill(Exchange *x, Session *s, const char *why) {
    if (!s->will) return;
    auditSession(x, "will_dropped", s, s->will->topic, s->will->label ? s->will->label : "",
                 "principal", why);
    free(s->will);
    s->will = NULL;
    markDirty(x, s);
}

/* The session's delayed will is due (or the session ends): publish it. */
static void publishWill(Exchange *x, Session *s) {
    PendingWill *w = s->will;
    if (!w) return;
    s->will = NULL;
    markDirty(x, s);
    const char *why;
    exchangePublish(x, s, w->topic, strlen(w->topic), w->label, w->label ? strlen(w->label) : 0,
                    w->props, w->propsLen, w->payload, w->payloadLen, w->qos, w->retain, 0, &why);
    free(w);
}

Session *exchangeAttach(Exchange *x, const char *clientId, const char *principalName,
                        const Principal *p, int clean, uint32_t expiry, uint16_t receiveMax,
                        const ExchangeHooks *hooks, void *conn, int *present, void **taken) {
    Session *s = findSession(x, clientId);
    *taken = NULL;
    *present = 0;
    /* A session belongs to one principal: another principal reusing the
     * client id starts a fresh one rather than inheriting its queue. */
    if (s && strcmp(s->principalName, principalName) != 0) clean = 1;
    /* ... and to one instance of it: a principal removed and added again
     * under the same name is someone else. */
    if (s && !clean && !sameInstance(s->principalId, p)) {
        char detail[300];
        snprintf(detail, sizeof(detail),
                 "session '%s' of an earlier principal '%s' discarded: it was removed, and "
                 "this is a new principal of the same name",
                 clientId, principalName);
        auditEvent(x, "session_discarded", principalName, NULL, "", "", "instance", detail);
        clean = 1;
    }
    if (s && s->conn) {
        *taken = s->conn;
        s->conn = NULL;
    }
    if (s && clean) {
        publishWill(x, s); /* the session ends here: its delayed will is due */
        sessionDrop(x, s);
        s = NULL;
    }
    if (s) {
        if (s->will) markDirty(x, s);
        free(s->will); /* resumed before the will delay passed: never sent */
        s->will = NULL;
    }
    if (!s) {
        s = sessionNew(x, clientId);
        if (!s) return NULL;
    } else {
        *present = 1;
        /* Unacknowledged messages are sent again on the new connection. */
        for (uint32_t i = 0; i < s->qlen; i++)
            resendLater(qAt(s, i));
        s->inflight = 0;
    }
    strCopy(s->principalName, sizeof(s->principalName), principalName);
    strCopy(s->principalId, sizeof(s->principalId), p->instance);
    s->principal = *p;
    s->persistent = expiry > 0;
    s->expiry = expiry;
    s->window = receiveMax ? receiveMax : 1000;
    if (s->window > 1000) s->window = 1000;
    s->hooks = hooks;
    s->conn = conn;
    markDirty(x, s);
    return s;
}

void exchangeDetach(Exchange *x, Session *s) {
    s->conn = NULL;
    s->disconnectedMs = timeNowMs();
    s->disconnectedAt = s->disconnectedMs / 1000;
    if (!s->persistent) {
        sessionDrop(x, s);
        return;
    }
    /* Its shared messages not yet sent, or not acknowledged, go to a
     * connected member if one has room; the rest wait for it. */
    handOff(x, s, NULL, 1, 0);
    for (uint32_t i = 0; i < s->qlen; i++) {
        Outgoing *o = qAt(s, i);
        resendLater(o);
        if (o->qos == 0) o->state = STATE_DONE;
    }
    s->inflight = 0;
    qTrim(s);
    markDirty(x, s);
}

int exchangeMayRead(const Exchange *x, const Principal *p, const char *name, const char *topic) {
    if (!x->acl) return 1;
    const Registry *reg = p->reg ? p->reg : x->reg;
    AclWho w = {name, p->nation < reg->nnations ? reg->nations[p->nation].code : ""};
    return aclAllowsTopic(x->acl, &w, ACL_READ, topic);
}

void exchangeSetAcl(Exchange *x, const Acl *acl) {
    x->acl = acl;
}

/* A new subscription gets the retained messages its filter matches: a
 * scan of the retained store (once per SUBSCRIBE; publishes find their
 * topic by hash). */
typedef struct RetainedSend {
    Exchange *x;
    Session *s;
    const char *filter;
    uint8_t qos;
    uint32_t subId;
} RetainedSend;

static void sendRetained(Message *m, void *ctx) {
    RetainedSend *rs = ctx;
    if (!topicMatch(rs->filter, m->topic)) return;
    uint32_t ids[1] = {rs->subId};
    qPush(rs->x, rs->s, m, m->qos < rs->qos ? m->qos : rs->qos, 1, ids, rs->subId ? 1 : 0, 1);
}

int exchangeSubscribe(Exchange *x, Session *s, const char *filter, uint8_t options,
                      uint32_t subId) {
    ShareName sn;
    int shared = shareParse(filter, strlen(filter), &sn);
    if (shared < 0 || (!shared && !topicFilterValid(filter, strlen(filter))))
        return XR_TOPIC_FILTER_INVALID;
    if (x->acl) {
        AclWho w = aclWho(x, s);
        if (!aclAllowsFilter(x->acl, &w, shared ? filter + sn.innerOff : filter))
            return XR_NOT_AUTHORIZED;
    }
    int isNew;
    int slot = subSet(x, s, filter, options, subId, x->opt.maxSubscriptions, &isNew);
    if (slot < 0) return XR_QUOTA_EXCEEDED;
    markDirty(x, s);
    Subscription *b = &s->subs[slot];
    /* §4.8.2: no retained messages on subscribing to a share */
    if (b->group || b->retainHandling == 2 || (b->retainHandling == 1 && !isNew)) return b->qos;
    RetainedSend rs = {x, s, filter, b->qos, subId};
    retainedForEach(x->retained, sendRetained, &rs);
    exchangeDrain(x, s);
    return b->qos;
}

int exchangeUnsubscribe(Exchange *x, Session *s, const char *filter) {
    for (int i = 0; i < s->nsubs; i++) {
        if (strcmp(s->subs[i].filter, filter) != 0) continue;
        ShareGroup *g = s->subs[i].group;
        if (g) {
            handOff(x, s, g, 0, 0); /* what it was not sent yet goes to another member */
            shareLeave(x->shares, g, s);
            x->sharesDirty = 1;
        } else {
            topicIndexRemove(x->index, filter, s);
        }
        free(s->subs[i].filter);
        /* Keep slots stable for the index: move the last one here. */
        s->subs[i] = s->subs[--s->nsubs];
        if (i < s->nsubs && !s->subs[i].group)
            topicIndexAdd(x->index, s->subs[i].filter, s, (uint32_t)i);
        markDirty(x, s);
        return 1;
    }
    return 0;
}

/* The parsed form of a label text, from the cache or parsed now (NULL
 * with err set when the text is not a valid label). */
static const LabelCacheEntry *labelLookup(Exchange *x, const char *text, size_t len, pnError *err) {
    for (int i = 0; i < LABEL_CACHE; i++) {
        LabelCacheEntry *e = &x->cache[i];
        if (e->text && e->len == len && memcmp(e->text, text, len) == 0) return e;
    }
    Label l;
    labelInit(&l, x->spif);
    if (labelParse(&l, text, len, err) != PN_OK) return NULL;
    LabelCacheEntry *e = &x->cache[x->cacheNext++ % LABEL_CACHE];
    free(e->text);
    free(e->marking);
    pnBuf mk;
    bufInit(&mk);
    labelToMarking(&l, &mk);
    e->marking = bufDetach(&mk);
    e->text = malloc(len + 1);
    if (e->text) memcpy(e->text, text, len), e->text[len] = '\0';
    e->len = len;
    decideLabelCompile(&l, &e->dl);
    e->cls = l.cls;
    labelFree(&l);
    if (!e->text || !e->marking) {
        free(e->text);
        free(e->marking);
        e->text = e->marking = NULL;
        pnErrorSet(err, PN_ENOMEM, "out of memory");
        return NULL;
    }
    return e;
}

/* ---- the log failing to store ----------------------------------------------- */

/* A write or fsync of the log failed (err says how). */
static void storeFail(Exchange *x, const pnError *err) {
    StoreState *st = &x->store;
    int e = logError(x->log);
    st->noSpace = e == ENOSPC || e == EDQUOT;
    if (st->failed) return;
    st->failed = 1;
    st->newsFail = 1;
    st->refused = 0;
    st->first[0] = '\0';
    strFormat(st->error, sizeof(st->error), "%s", err->msg[0] ? err->msg : "log write failed");
    strFormat(st->reason, sizeof(st->reason), "the log cannot be written: %s",
              e ? strerror(e) : "write failed");
}

/* One publish refused because the store failed. */
static void storeRefuse(Exchange *x, const char *topic) {
    x->st.storeRefused++;
    x->store.refused++;
    if (!x->store.first[0]) strFormat(x->store.first, sizeof(x->store.first), "%s", topic);
}

/* The log stores again. */
static void storeOk(Exchange *x) {
    if (!x->store.failed) return;
    x->store.failed = 0;
    x->store.newsOk = 1;
}

/* A broken log is cut back to what was made visible (nothing after it was
 * acknowledged) and may be written again.  Not while records of this turn
 * are pending: their commit fails first (and rewinds).  Returns 1 when the
 * log can be written. */
static int storeRetry(Exchange *x) {
    if (!logBroken(x->log)) return 1;
    for (size_t i = 0; i < x->npending; i++)
        if (x->pending[i].m) return 0;
    return logRewind(x->log, x->fanned, NULL) == PN_OK;
}

int exchangeStoreNews(Exchange *x, char *msg, size_t cap) {
    StoreState *st = &x->store;
    if (st->newsFail) {
        st->newsFail = 0;
        snprintf(msg, cap,
                 "cannot write the log (%s): refusing every publish (MQTT 0x89, HTTP 503) until "
                 "it can; refused so far: %llu, the first on topic '%s'",
                 st->error, (unsigned long long)st->refused, st->first);
        return 1;
    }
    if (st->newsOk) {
        st->newsOk = 0;
        snprintf(msg, cap,
                 "the log is written again; %llu publishes were refused while it could not be "
                 "(the first on topic '%s')",
                 (unsigned long long)st->refused, st->first);
        return 1;
    }
    return 0;
}

const char *exchangeStoreError(const Exchange *x) {
    return x->store.failed ? x->store.reason : NULL;
}

/* What a publish or an import carries besides topic, label and body. */
typedef struct Origin {
    const char *node; /* NULL: this node (the sequence is the log offset) */
    uint64_t seq;
    int64_t time;
    int checkClearance; /* the publisher may not label above its clearance */
    const char *sig;    /* imports: the origin's signature token */
    size_t sigLen;
} Origin;

/* A publisher's label on a topic that has a default label must be that
 * label: two label sources that disagree are ambiguous, and the node does
 * not pick one (issue 10).  Compared by canonical marking, so the same
 * label written as XML or with other spacing agrees.  1 (with the reason
 * in msg) when they disagree; a default that no longer parses disagrees.
 * The reason names the publisher's label only: it is audited under that
 * label, and the default may be one its readers (or the publisher) may
 * not see. */
static int defaultDisagrees(Exchange *x, const char *topic, const LabelCacheEntry *lab, char *msg,
                            size_t cap) {
    const char *def = exchangeDefaultLabel(x, topic);
    if (!def) return 0;
    char *mine = strdup(lab->marking); /* the next lookup may reuse lab's cache slot */
    const LabelCacheEntry *d = labelLookup(x, def, strlen(def), NULL);
    int differ = !mine || !d || strcmp(mine, d->marking) != 0;
    if (differ)
        snprintf(msg, cap,
                 "ambiguous label: '%.200s' disagrees with the default label of this topic "
                 "([topic] label in the node's configuration)",
                 mine ? mine : "?");
    free(mine);
    return differ;
}

/* A peer relays only what its own principal here may hold: decide() for
 * the link's session principal (the peer's, see link.h), as a direct
 * publisher may not label above its clearance.  Until origins sign their
 * messages this is what keeps a rogue peer from injecting labels above
 * itself.  1 (audited, reason in msg) when refused. */
static int importDenied(Exchange *x, Session *from, const Origin *og, const char *topic,
                        const LabelCacheEntry *lab, char *msg, size_t cap) {
    if (!from || !from->principal.reg) { /* no principal: nothing may come in */
        snprintf(msg, cap, "id %s:%llu: no principal for the peer guards imports", og->node,
                 (unsigned long long)og->seq);
        auditSession(x, "import_refused", from, topic, lab->marking, "no_principal", msg);
        return 1;
    }
    Decision d = decide(&from->principal, &lab->dl, timeNow());
    if (d.reason == DECIDE_ALLOW) return 0;
    char ex[256];
    decideExplain(&d, &from->principal, x->spif, ex, sizeof(ex));
    snprintf(msg, cap, "id %s:%llu: label %.200s may not be held by the peer's principal %s: %s",
             og->node, (unsigned long long)og->seq, lab->marking, from->principalName, ex);
    auditSession(x, "import_refused", from, topic, lab->marking, decideReasonCode(d.reason), msg);
    return 1;
}

/* An import whose origin signature does not verify against the trusted
 * keys (when there are any): 1 (audited, reason in msg) when refused. */
static int importBadSig(Exchange *x, Session *from, const Origin *og, const char *topic,
                        size_t topicLen, const LabelCacheEntry *lab, const uint8_t *props,
                        uint32_t propsLen, const uint8_t *payload, uint32_t payloadLen, char *msg,
                        size_t cap) {
    if (!x->trust || x->trust->nkeys == 0) return 0;
    MessageView v = {.time = og->time,
                     .origin = og->node,
                     .originLen = (uint32_t)strlen(og->node),
                     .originSeq = og->seq,
                     .topic = topic,
                     .topicLen = (uint32_t)topicLen,
                     .label = lab->marking,
                     .labelLen = (uint32_t)strlen(lab->marking),
                     .props = props,
                     .propsLen = propsLen,
                     .payload = payload,
                     .payloadLen = payloadLen};
    SignFields f;
    msgSignFieldsView(&v, &f);
    char why[300];
    if (signVerify(x->trust, &x->verified, &f, og->sig, og->sigLen, why, sizeof(why)) == 0)
        return 0;
    snprintf(msg, cap, "id %s:%llu: %s", og->node, (unsigned long long)og->seq, why);
    auditSession(x, "import_refused", from, topic, lab->marking, "signature", msg);
    return 1;
}

/* Validate, label, log and queue one message for the next commit. */
static int accept(Exchange *x, Session *from, const Origin *og, const char *topic, size_t topicLen,
                  const char *label, size_t labelLen, const uint8_t *props, uint32_t propsLen,
                  const uint8_t *payload, uint32_t payloadLen, uint8_t qos, uint8_t retain,
                  uint16_t packetId, const char **why) {
    static char msg[600]; /* single-threaded: the reason outlives the call until the next one */
    static char topicz[TOPIC_MAX_LEN + 1]; /* any topic MQTT can carry (topic.h) */
    if (topicLen > TOPIC_MAX_LEN || !topicNameValid(topic, topicLen)) {
        *why = "invalid topic name";
        return XR_TOPIC_NAME_INVALID;
    }
    memcpy(topicz, topic, topicLen);
    topicz[topicLen] = '\0';
    if (x->acl && from && !og->node) {
        AclWho w = aclWho(x, from);
        if (!aclAllowsTopic(x->acl, &w, ACL_WRITE, topicz)) {
            *why = "the node's topic rules (ACL) do not let this principal publish here";
            x->st.refusedPublish++, x->st.refusedPublishBy[XP_OTHER]++;
            auditSession(x, "publish_refused", from, topicz, "", "acl", *why);
            return XR_NOT_AUTHORIZED;
        }
    }
    const char *text = label;
    size_t tlen = labelLen;
    if (!text) {
        text = exchangeDefaultLabel(x, topicz);
        tlen = text ? strlen(text) : 0;
    }
    const char *who = from ? from->principalName : "";
    const char *kind = og->node ? "import_refused" : "publish_refused";
    if (!text) {
        *why = "no label: attach a 'label' user property (no default label for this topic)";
        x->st.refusedPublish++, x->st.refusedPublishBy[XP_NO_LABEL]++;
        auditSession(x, kind, from, topicz, "", "no_label", *why);
        return XR_NOT_AUTHORIZED;
    }
    pnError err = {0};
    const LabelCacheEntry *lab = labelLookup(x, text, tlen, &err);
    if (!lab) {
        snprintf(msg, sizeof(msg), "invalid label: %s", err.msg);
        *why = msg;
        x->st.refusedPublish++, x->st.refusedPublishBy[XP_INVALID_LABEL]++;
        char shown[512];
        snprintf(shown, sizeof(shown), "%.*s",
                 (int)(tlen < sizeof(shown) ? tlen : sizeof(shown) - 1), text);
        auditSession(x, kind, from, topicz, shown, "invalid_label", msg);
        return XR_PAYLOAD_FORMAT_INVALID;
    }
    /* The node's own messages (from NULL: CSBM notices) carry the label the
     * node chose; a topic default is for publishers that attach none. */
    if (label && !og->node && from) {
        int differ = defaultDisagrees(x, topicz, lab, msg, sizeof(msg));
        lab = labelLookup(x, text, tlen, &err); /* the check may have reused its cache slot */
        if (differ || !lab) {
            *why = lab ? msg : "out of memory";
            x->st.refusedPublish++, x->st.refusedPublishBy[XP_INVALID_LABEL]++;
            auditSession(x, kind, from, topicz, lab ? lab->marking : "", "ambiguous_label", *why);
            return lab ? XR_PAYLOAD_FORMAT_INVALID : XR_SERVER_BUSY;
        }
    }
    if (og->node && importDenied(x, from, og, topicz, lab, msg, sizeof(msg))) {
        *why = msg;
        x->st.refusedPublish++, x->st.refusedPublishBy[XP_OTHER]++;
        return XR_NOT_AUTHORIZED;
    }
    if (og->node && importBadSig(x, from, og, topicz, topicLen, lab, props, propsLen, payload,
                                 payloadLen, msg, sizeof(msg))) {
        *why = msg;
        x->st.refusedPublish++, x->st.refusedPublishBy[XP_OTHER]++;
        return XR_NOT_AUTHORIZED;
    }
    if (og->checkClearance && from && from->principal.clearance < lab->cls) {
        snprintf(msg, sizeof(msg), "label %s is above the publisher's clearance",
                 x->spif->classes[lab->cls].phrase);
        *why = msg;
        x->st.refusedPublish++, x->st.refusedPublishBy[XP_CLEARANCE]++;
        auditSession(x, kind, from, topicz, lab->marking, "clearance", msg);
        return XR_NOT_AUTHORIZED;
    }
    Message *m =
        messageNew(og->node ? og->node : x->node, og->seq, who, topicz, topicLen, lab->marking,
                   &lab->dl, props, propsLen, payload, payloadLen, qos, retain, og->time);
    if (!m ||
        arrayGrow((void **)&x->pending, &x->cappending, x->npending + 1, sizeof(Pending)) != 0) {
        messageUnref(m);
        *why = "out of memory";
        return XR_SERVER_BUSY;
    }
    int quota = retain ? retainQuota(x, from, m, og->node != NULL, why) : 0;
    if (quota) {
        messageUnref(m);
        return quota;
    }
    /* Written to the log at the commit, once the node's own messages are
     * signed; the offset each will get is known now. */
    if (!storeRetry(x)) { /* after a failed write: the disk may have room now */
        messageUnref(m);
        storeRefuse(x, topicz);
        *why = "the node cannot store the message";
        return XR_SERVER_BUSY;
    }
    m->offset = logNext(x->log) + x->unlogged;
    if (!og->node) m->originSeq = m->offset;
    if (og->sigLen && !(m->sig = strndup(og->sig, og->sigLen))) {
        messageUnref(m);
        *why = "out of memory";
        return XR_SERVER_BUSY;
    }
    x->unlogged++;
    if (retain && payloadLen)
        x->pendRetained.nodeCount++, x->pendRetained.nodeBytes += retainedMessageBytes(m);
    x->pending[x->npending++] = (Pending){.m = m, .from = from, .packetId = packetId, .qos = qos};
    x->st.published++;
    return 0;
}

static const uint32_t fsyncBounds[XSTAT_FSYNC_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};

uint32_t exchangeFsyncBound(int i) {
    return i >= 0 && i < XSTAT_FSYNC_BUCKETS ? fsyncBounds[i] : UINT32_MAX;
}

static void fsyncObserve(ExchangeStats *st, uint64_t us) {
    int i = 0;
    while (i < XSTAT_FSYNC_BUCKETS && us > fsyncBounds[i])
        i++;
    st->fsyncBucket[i]++;
    st->fsyncs++;
    st->fsyncMicros += us;
}

int exchangePublish(Exchange *x, Session *from, const char *topic, size_t topicLen,
                    const char *label, size_t labelLen, const uint8_t *props, uint32_t propsLen,
                    const uint8_t *payload, uint32_t payloadLen, uint8_t qos, uint8_t retain,
                    uint16_t packetId, const char **why) {
    Origin og = {NULL, 0, timeNow(), 1, NULL, 0};
    return accept(x, from, &og, topic, topicLen, label, labelLen, props, propsLen, payload,
                  payloadLen, qos, retain, packetId, why);
}

int exchangePublishOwn(Exchange *x, const char *topic, const char *label, const uint8_t *payload,
                       uint32_t payloadLen, ExchangeDone done, void *ctx, int64_t tag,
                       const char **why) {
    int rc = exchangePublish(x, NULL, topic, strlen(topic), label, label ? strlen(label) : 0, NULL,
                             0, payload, payloadLen, 1, 0, 0, why);
    if (rc == 0) {
        Pending *p = &x->pending[x->npending - 1];
        p->done = done;
        p->doneCtx = ctx;
        p->doneTag = tag;
    }
    return rc;
}

int exchangeImport(Exchange *x, Session *from, const char *origin, uint64_t originSeq, int64_t time,
                   const char *topic, size_t topicLen, const char *label, size_t labelLen,
                   const uint8_t *props, uint32_t propsLen, const uint8_t *payload,
                   uint32_t payloadLen, uint8_t qos, uint8_t retain, uint16_t packetId,
                   const char *sig, size_t sigLen, const char **why) {
    if (!origin[0] || strlen(origin) >= sizeof(x->node) || !label) {
        *why = "a relayed message needs its origin id and label";
        return XR_PAYLOAD_FORMAT_INVALID;
    }
    if (!storeRetry(x)) { /* nothing is stored, so nothing may be called held */
        char t[200];
        snprintf(t, sizeof(t), "%.*s", (int)(topicLen < sizeof(t) ? topicLen : sizeof(t) - 1),
                 topic);
        storeRefuse(x, t);
        *why = "the node cannot store messages (its log refused a write)";
        return XR_SERVER_BUSY;
    }
    /* Originated here, or already held: the sender may forget it -- but
     * only once what holds it is durable, so the acknowledgement waits for
     * the same commit as the messages accepted in this turn. */
    if (strcmp(origin, x->node) == 0 || seenHas(&x->seen, origin, originSeq)) {
        if (qos && arrayGrow((void **)&x->pending, &x->cappending, x->npending + 1,
                             sizeof(Pending)) != 0) {
            *why = "out of memory";
            return XR_SERVER_BUSY;
        }
        if (qos)
            x->pending[x->npending++] = (Pending){.from = from, .packetId = packetId, .qos = qos};
        x->st.duplicates++;
        return XR_ALREADY_HELD;
    }
    Origin og = {origin, originSeq, time, 0, sig, sigLen};
    int rc = accept(x, from, &og, topic, topicLen, label, labelLen, props, propsLen, payload,
                    payloadLen, qos, retain, packetId, why);
    if (rc == 0 && seenAdd(&x->seen, origin, originSeq) < 0) {
        *why = "out of memory";
        return XR_SERVER_BUSY; /* logged but not remembered: a resend stores it again */
    }
    if (rc == 0) x->st.imported++;
    return rc;
}

/* The commit failed.  What is below kept is durable all the same (a
 * segment change synced it part-way through the turn) and is committed;
 * the rest is not held: refused, imported ids forgotten (a resend must be
 * stored, not dropped as held), the log cut back to kept so it can be
 * written again. */
static void commitFailed(Exchange *x, const pnError *err, uint64_t kept) {
    storeFail(x, err);
    for (size_t i = 0; i < x->npending; i++) {
        Message *m = x->pending[i].m;
        if (!m || m->offset < kept) continue;
        storeRefuse(x, m->topic);
        if (strcmp(m->origin, x->node) != 0) seenRemove(&x->seen, m->origin, m->originSeq);
    }
    logRewind(x->log, kept, NULL); /* failing, it is tried again by storeRetry */
}

void exchangeSetSigning(Exchange *x, const SignKey *key, const SignTrust *trust) {
    x->key = key;
    x->trust = trust;
    signCacheInit(&x->verified);
}

/* Sign the node's own pending messages (one signature per SIGN_BATCH_MAX). */
static int signPending(Exchange *x, pnError *err) {
    if (!x->key) return PN_OK;
    size_t n = 0;
    if (arrayGrow((void **)&x->toSign, &x->capSign, x->npending, sizeof(Message *)) != 0)
        return pnErrorSet(err, PN_ENOMEM, "out of memory signing messages");
    for (size_t i = 0; i < x->npending; i++) {
        Message *m = x->pending[i].m;
        if (m && !m->sig && strcmp(m->origin, x->node) == 0) x->toSign[n++] = m;
    }
    return n ? msgSignAll(x->key, x->toSign, n, err) : PN_OK;
}

/* Append every pending message to the log, in the order of the offsets
 * accept() gave them. */
static int logPending(Exchange *x, pnError *err) {
    int rc = signPending(x, err);
    pnBuf *rec = &x->rec; /* reused: one record is encoded per message */
    for (size_t i = 0; i < x->npending && rc == PN_OK; i++) {
        Message *m = x->pending[i].m;
        if (!m) continue;
        rec->len = 0;
        messageEncode(m, rec);
        uint64_t off;
        rc = bufFailed(rec)
                 ? pnErrorSet(err, PN_ENOMEM, "out of memory encoding a message")
                 : logAppend(x->log, bufStr(rec), (uint32_t)rec->len, m->time, &off, err);
        if (bufFailed(rec)) bufFree(rec); /* clear the sticky failure */
        if (rc == PN_OK && off != m->offset)
            rc = pnErrorSet(err, PN_EIO, "log offset %llu, expected %llu", (unsigned long long)off,
                            (unsigned long long)m->offset);
    }
    x->unlogged = 0;
    return rc;
}

int exchangeCommit(Exchange *x, pnError *err) {
    int rc = PN_OK;
    pnError own = {0};
    if (!err) err = &own;
    if (x->npending) {
        int durable = 0;
        for (size_t i = 0; i < x->npending && !durable; i++)
            durable = x->pending[i].qos > 0;
        rc = logPending(x, err);
        /* QoS 0 needs no fsync, but is written before it is delivered. */
        if (rc == PN_OK && durable) {
            struct timespec t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            rc = logSync(x->log, err);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            fsyncObserve(&x->st, (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 +
                                            (t1.tv_nsec - t0.tv_nsec) / 1000));
        } else if (rc == PN_OK) {
            rc = logFlush(x->log, err);
        }
        /* Offsets below kept are stored: all of them, or (failed) what was
         * made visible before plus what is durable anyway. */
        uint64_t kept = logNext(x->log);
        if (rc != PN_OK) {
            kept = logDurable(x->log) > x->fanned ? logDurable(x->log) : x->fanned;
            commitFailed(x, err, kept);
        } else {
            storeOk(x);
        }
        /* Nothing fans out or is acknowledged unless it is on disk. */
        for (size_t i = 0; i < x->npending; i++) {
            Pending *p = &x->pending[i];
            int stored = p->m ? p->m->offset < kept : rc == PN_OK;
            if (stored && p->m) {
                if (p->m->retain) retainStore(x, p->m);
                fanOut(x, p->m, p->from);
            }
            if (p->from && p->from->conn && p->qos)
                p->from->hooks->ack(p->from->conn, p->packetId, p->qos, stored ? 0 : XR_SERVER_BUSY,
                                    stored ? NULL : "the node cannot store the message");
            if (p->done) p->done(p->doneCtx, p->doneTag, stored);
            messageUnref(p->m);
        }
        x->npending = 0;
        memset(&x->pendRetained, 0, sizeof(x->pendRetained));
        /* What failed to become durable never becomes visible (history,
         * refill): its publisher was told it was not stored, and the log
         * was cut back to kept. */
        x->fanned = kept;
    }
    int64_t now = timeNow();
    saveChanged(x, now, 0);
    if (x->audit && now - x->lastAuditCheck >= 10) {
        auditMaintain(x->audit, now, NULL); /* flushes too */
        x->lastAuditCheck = now;
    } else if (x->audit) {
        auditFlush(x->audit, NULL);
    }
    return rc;
}

/* A session whose queue overflowed into the log loses what retention
 * removed before it was queued. */
static void reportRetentionLoss(Exchange *x) {
    uint64_t first = logFirst(x->log);
    for (Session *s = x->sessions; s; s = s->nextAll)
        if (s->overflow && s->overflowFrom < first)
            noteRetentionLoss(x, s, &s->overflowFrom, first);
    for (ShareGroup *g = shareFirst(x->shares); g; g = g->next)
        if (g->overflow && g->overflowFrom < first)
            shareRetentionLoss(x, g, &g->overflowFrom, first);
}

uint64_t exchangeBacklog(const Exchange *x, const Session *s) {
    uint64_t n = s->qlen;
    if (s->overflow && logNext(x->log) > s->overflowFrom) n += logNext(x->log) - s->overflowFrom;
    return n;
}

void exchangeExpire(Exchange *x, int64_t now) {
    /* Retention drops whole old log segments; what sessions still hold is
     * in memory, so only a session offline across a restart can miss some,
     * and that is reported. */
    /* A full disk ends when space comes back, even with nobody publishing
     * (so /healthz says so); the next publish writes again. */
    if (x->store.failed && x->store.noSpace && storeRetry(x) && logSpace(x->log) >= STORE_SPACE_MIN)
        storeOk(x);
    uint64_t dropped = logRetainDue(x->log, now) && saveSeen(x) ? logRetain(x->log, now) : 0;
    if (dropped) {
        char d[96];
        snprintf(d, sizeof(d), "%llu records dropped by retention", (unsigned long long)dropped);
        exchangeAudit(x, "retention", "", "", "", "retention", d);
        reportRetentionLoss(x);
    }
    int64_t nowMs = timeNowMs();
    for (Session *s = x->sessions, *next; s; s = next) {
        next = s->nextAll;
        int ends = !s->conn && s->persistent && s->expiry != UINT32_MAX &&
                   nowMs - s->disconnectedMs >= (int64_t)s->expiry * 1000;
        if (!s->conn && s->will && (ends || nowMs >= s->will->dueMs)) publishWill(x, s);
        if (ends) {
            char d[256];
            snprintf(d, sizeof(d), "session %s expired after %lld s offline (expiry %lu s)",
                     s->clientId, (long long)((nowMs - s->disconnectedMs) / 1000),
                     (unsigned long)s->expiry);
            auditSession(x, "session_expired", s, "", "", "expiry", d);
            sessionDrop(x, s);
        }
    }
}

void exchangeStats(const Exchange *x, ExchangeStats *st) {
    *st = x->st;
    st->retained = retainedCount(x->retained);
    st->shareGroups = 0;
    for (const ShareGroup *g = shareFirst(x->shares); g; g = g->next)
        st->shareGroups++;
    st->logBytes = logBytes(x->log);
    st->logFirst = logFirst(x->log);
    st->logNext = logNext(x->log);
    st->storeFailed = x->store.failed;
}

const char *exchangePublishReasonCode(int reason) {
    static const char *const codes[XP_NREASONS] = {"no_label", "invalid_label", "clearance",
                                                   "other"};
    return reason >= 0 && reason < XP_NREASONS ? codes[reason] : "other";
}

uint64_t exchangeNextOffset(const Exchange *x) {
    return logNext(x->log) + x->unlogged;
}

uint64_t exchangeFirstOffset(const Exchange *x) {
    return logFirst(x->log);
}

uint64_t exchangeVisibleOffset(const Exchange *x) {
    return x->fanned;
}

int exchangeRead(Exchange *x, uint64_t offset, MessageView *v, DecideLabel *dl, pnBuf *scratch) {
    LogRecord rec;
    if (offset >= x->fanned || logRead(x->log, offset, &rec, scratch, NULL) != PN_OK ||
        messageView(rec.data, rec.len, v) != 0)
        return PN_ENOENT;
    const LabelCacheEntry *lab = labelLookup(x, v->label, v->labelLen, NULL);
    if (!lab) return PN_ENOENT; /* a label the policy in force refuses goes to no one */
    *dl = lab->dl;
    return PN_OK;
}

pnAudit *exchangeAuditStore(Exchange *x) {
    return x->audit;
}

/* Compile m's label again under the current policy.  Messages are shared,
 * so one may be recompiled more than once; that is harmless. */
static void recompile(Exchange *x, Message *m) {
    Label l;
    labelInit(&l, x->spif);
    if (labelParseMarking(&l, m->label, NULL) == PN_OK) {
        decideLabelCompile(&l, &m->dl);
    } else {
        /* No clearance reaches an impossible classification: fail closed. */
        memset(&m->dl, 0, sizeof(m->dl));
        m->dl.cls = UINT8_MAX;
    }
    labelFree(&l);
}

static void recompileRetained(Message *m, void *x) {
    recompile(x, m);
}

void exchangeRebind(Exchange *x, const Registry *reg, const Spif *spif) {
    x->reg = reg;
    x->spif = spif;
    for (int i = 0; i < LABEL_CACHE; i++) {
        free(x->cache[i].text);
        free(x->cache[i].marking);
        x->cache[i].text = x->cache[i].marking = NULL;
    }
    retainedForEach(x->retained, recompileRetained, x);
    for (size_t i = 0; i < x->npending; i++)
        if (x->pending[i].m) recompile(x, x->pending[i].m);
    for (Session *s = x->sessions; s; s = s->nextAll)
        for (uint32_t i = 0; i < s->qlen; i++)
            if (qAt(s, i)->m) recompile(x, qAt(s, i)->m);
}

void exchangeForEachSession(Exchange *x, void (*fn)(Session *s, void *ctx), void *ctx) {
    for (Session *s = x->sessions; s; s = s->nextAll)
        fn(s, ctx);
}
