/*
 * audit.h -- the audit trail: every release and every refusal a node makes.
 *
 * Events live in one SQLite database, DIR/audit.db (WAL journal,
 * synchronous=NORMAL), in the table
 *
 *     audit(id INTEGER PRIMARY KEY, time INTEGER, kind TEXT, principal TEXT,
 *           nation TEXT, topic TEXT, label TEXT, reason TEXT, detail TEXT,
 *           peer TEXT, count INTEGER)
 *
 * (a store written before `count` existed gets the column on open).
 *
 * Bounds (auditSetLimits), so that traffic cannot be amplified to disk:
 *   - aggregation: refusals (kinds ending in "_refused") from one principal
 *     are recorded one by one up to `burst` a minute; past that, the rest
 *     of that minute go into one row per (principal, kind, reason, label,
 *     topic) whose `count` says how many it stands for (its time is the
 *     first one's, its detail the first one's).  At most AUDIT_AGG_KEYS such
 *     rows a minute keep topic and label; past them a principal's refusals
 *     share one "overflow" row per kind and reason.  Its topic is
 *     AUDIT_AGG_TOPIC (empty when none of them had a topic); its label is
 *     the label they all had, and AUDIT_AGG_LABEL (which never parses)
 *     from the first one with another label (or one cut when stored); its
 *     detail says what was not kept.  So the row's label covers every
 *     refusal it counts, and a reader (auditview.h) is shown it only when
 *     decide() allows that label -- a mix of labels is shown to no one.
 *     At most AUDIT_PRINCIPALS principals a minute are counted apart (login
 *     refusals carry names a client chose); the rest share one count and
 *     aggregate under the principal "*".  Counts are held in memory and
 *     written at each auditFlush(), so the sum of `count` over the rows is
 *     exactly the number of events recorded.  When a drop below (or a
 *     rolled-back batch) took this minute's row, the refusals counted
 *     after it go into a new row with the same fields.
 *   - retention and size (auditMaintain): rows older than `retentionSecs`
 *     are deleted, and when the pages in use pass `maxBytes` the oldest
 *     rows are deleted until they are under 9/10 of it; each drop adds one
 *     row of kind "audit_dropped", reason "retention" or "size", whose
 *     `count` is the number of rows deleted.  Freed pages are reused, so
 *     the file stops growing near maxBytes (the WAL is capped by
 *     journal_size_limit).
 *
 * with an index on time.  Recording sits on the node's event loop, so it is
 * cheap: auditRecord() runs one prepared INSERT inside a transaction that
 * stays open until auditFlush() commits it.  The node flushes once per loop
 * turn, which makes one commit cover every event of that turn; a batch is
 * also committed on its own once AUDIT_BATCH_MAX rows are pending, and
 * auditClose() commits what is left.  Events recorded but not yet flushed
 * are lost if the process dies -- the same window as any unsynced write.
 *
 * Strings are always passed to SQLite as bound parameters, never pasted
 * into SQL, so a topic or principal name is stored exactly as given.
 *
 * A pnAudit is used from one thread.  Other processes (the `partnernet
 * audit` command) may open the same database to read it while the node
 * writes: WAL lets readers and the one writer proceed side by side.
 */
#ifndef PN_AUDIT_H
#define PN_AUDIT_H

#include <stdint.h>

#include "../core/err.h"

/* Pending rows past which auditRecord() commits on its own. */
#define AUDIT_BATCH_MAX 1000
/* Aggregated rows a minute that keep their topic and label. */
#define AUDIT_AGG_KEYS 1024
/* Principals a minute whose refusals are counted apart. */
#define AUDIT_PRINCIPALS 1024
/* An overflow row's topic when its refusals had topics, and its label when
 * they had more than one label (see above; the view withholds both). */
#define AUDIT_AGG_TOPIC "(not kept)"
#define AUDIT_AGG_LABEL "(several labels, not kept)"

/* One audit event.  kind is one of auditKinds, reason one of auditReasons
 * (below).  Every string is NUL-terminated
 * within its array (auditRecord also copes with a full array that is not). */
typedef struct AuditEvent {
    int64_t time;       /* seconds since the epoch */
    char kind[24];      /* what happened (above) */
    char principal[64]; /* who published or would have received */
    char nation[8];     /* the principal's nation code */
    char topic[256];    /* the topic published to or delivered from */
    char label[512];    /* the display marking, as received or as held */
    char reason[64];    /* decideReasonCode() or a protocol reason */
    char detail[256];   /* a sentence with names ("missing caveat ATOMAL") */
    char peer[64];      /* remote address or peer node */
    int64_t count;      /* events this row stands for: 1, more when aggregated (0 reads as 1) */
} AuditEvent;

/* What the store keeps (see the top of this file).  0 turns a bound off. */
typedef struct AuditLimits {
    int burst;             /* refusals per principal and minute recorded one by one */
    int64_t maxBytes;      /* bytes of pages in use */
    int64_t retentionSecs; /* age past which rows are deleted */
} AuditLimits;

typedef struct pnAudit pnAudit;

/*
 * Open the audit store in dir, creating dir (and missing parents, mode
 * 0750), the database file (mode 0640) and its table and index when absent.
 * Returns PN_OK with *out set, to be released with auditClose(); otherwise
 * PN_EINVAL (path too long), PN_ENOMEM, or PN_EIO with the SQLite or system
 * message in err, and *out is left untouched.
 */
int auditOpen(pnAudit **out, const char *dir, pnError *err);

/* Commit pending rows (errors are dropped: use auditFlush first to see
 * them), then close.  NULL is ignored. */
void auditClose(pnAudit *a);

/*
 * Add one event to the current batch, beginning a transaction if none is
 * open; the row is visible to this handle at once and to other readers
 * after the next auditFlush().  Commits by itself when AUDIT_BATCH_MAX rows
 * are pending.  ev is only read during the call.  Returns PN_OK or PN_EIO
 * (the database refused the row, or the write lock could not be taken).
 */
int auditRecord(pnAudit *a, const AuditEvent *ev, pnError *err);

/*
 * Commit the pending rows; a no-op when there are none.  Returns PN_OK or
 * PN_EIO.  When the commit failed but the transaction is still open (the
 * database was busy), the rows stay pending and the next flush retries;
 * when SQLite rolled it back, the message says how many rows were lost.
 */
int auditFlush(pnAudit *a, pnError *err);

/*
 * Call cb for every event with time >= since, oldest first (ties in the
 * order recorded), keeping only those whose reason equals reasonOrNull and
 * whose kind equals kindOrNull (ASCII case-insensitive; NULL matches
 * anything).  The event passed to cb is valid only during the call.  cb
 * returns 0 to continue or anything else to stop early, which is not an
 * error.  cb must not use a.  Rows recorded on this handle but not yet
 * flushed are included.  Returns PN_OK or PN_EIO.
 */
int auditQuery(pnAudit *a, int64_t since, const char *reasonOrNull, const char *kindOrNull,
               int (*cb)(const AuditEvent *ev, void *ctx), void *ctx, pnError *err);

/* The number of rows held (pending ones included), or -1 on error. */
int64_t auditCount(pnAudit *a);

/* Set the bounds; a store opened by auditOpen() has none (all 0). */
void auditSetLimits(pnAudit *a, const AuditLimits *lim);

/*
 * Apply retention and the size bound at instant now: flush, delete what is
 * too old or too much (oldest first) with one "audit_dropped" row per kind
 * of drop, and commit.  Cheap when nothing is to be dropped: call it every
 * few seconds.  Returns PN_OK or PN_EIO.
 */
int auditMaintain(pnAudit *a, int64_t now, pnError *err);

/* Bytes of database pages in use (not free), or -1 on error. */
int64_t auditUsedBytes(pnAudit *a);

/*
 * Parse a --since value into an instant: a count of seconds, minutes,
 * hours or days before now ("45s", "30m", "1h", "2d"), or an absolute date
 * or time as timeParse() reads it ("2026-01-31", "2026-01-31T12:00:00Z").
 * Returns 0 with *since set, or -1 (and *since untouched) on bad input.
 */
int auditParseSince(const char *text, int64_t now, int64_t *since);

/*
 * What the node records, for validating and documenting filters: every
 * kind and every reason it writes (NULL-terminated; reasons include
 * decide()'s codes and the publish refusal codes).  `partnernet audit
 * --help` says what each records.
 */
extern const char *const auditKinds[];
extern const char *const auditReasons[];

/* Whether name is in the NULL-terminated list (ASCII case-insensitive, as
 * auditQuery matches). */
int auditNameKnown(const char *const *list, const char *name);

/* The list as "a, b, c" into buf (cut to fit).  Returns buf. */
const char *auditNameList(const char *const *list, char *buf, size_t cap);

#endif
