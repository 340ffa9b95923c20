/*
 * audit.c -- the audit trail in SQLite (see audit.h).
 *
 * Four statements are prepared once and kept: BEGIN IMMEDIATE, the
 * INSERT, the UPDATE of an aggregated row's count and COMMIT.  Whether a batch is open is asked of
 * SQLite itself (sqlite3_get_autocommit), so a batch that SQLite rolled back after an error is
 * never mistaken for one still pending.  Queries are rare and prepare their statement per call.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../core/date.h"
#include "../core/str.h"

/* How long a write waits for another writer's lock, in milliseconds. */
#define AUDIT_BUSY_MS 1000

/* How many refusals one principal made this minute. */
typedef struct AggWho {
    char name[64];
    int n, next; /* next: chain in the bucket, -1 at the end */
} AggWho;

/* One aggregated row of this minute: its key, the row as stored (to
 * write it again if a drop or a rollback took it), its id and counts. */
typedef struct AggRow {
    char principal[64], kind[24], reason[64], topic[256], label[512];
    AuditEvent row;  /* as inserted; topic, label and detail as last written */
    int64_t id;      /* the row's id */
    int64_t count;   /* refusals of this key this minute */
    int64_t gone;    /* of them, those counted by rows since deleted or rolled back */
    int64_t written; /* of them, those the database row holds (gone included) */
    int dirty;       /* count grew since written */
    int relabel;     /* topic, label or detail changed since written (overflow rows) */
    int next;
} AggRow;

#define AGG_BUCKETS 4096 /* a power of two */

struct pnAudit {
    sqlite3 *db;
    sqlite3_stmt *begin, *insert, *update, *commit;
    int pending; /* rows in the open batch */
    AuditLimits lim;
    /* aggregation, for the minute aggMinute (see audit.h) */
    int64_t aggMinute;
    AggWho *who;
    int nwho, capwho, others; /* others: refusals of principals past AUDIT_PRINCIPALS */
    AggRow *rows;
    int nrows, caprows, nkeyed; /* nkeyed: rows that keep topic and label */
    int whoBucket[AGG_BUCKETS], rowBucket[AGG_BUCKETS];
    char path[4096];
};

static const char schemaSql[] =
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER, kind TEXT,"
    " principal TEXT, nation TEXT, topic TEXT, label TEXT, reason TEXT, detail TEXT, peer TEXT,"
    " count INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);";

static const char insertSql[] =
    "INSERT INTO audit(time, kind, principal, nation, topic, label, reason, detail, peer, count)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

static const char querySql[] =
    "SELECT time, kind, principal, nation, topic, label, reason, detail, peer, count FROM audit"
    " WHERE time >= ?1 AND (?2 IS NULL OR reason = ?2 COLLATE NOCASE)"
    " AND (?3 IS NULL OR kind = ?3 COLLATE NOCASE) ORDER BY time, id";

/* ---- helpers ----------------------------------------------------------- */

/* Set err to "PATH: what: sqlite message" and return PN_EIO. */
static int dbFail(pnAudit *a, pnError *err, const char *what) {
    return pnErrorSet(err, PN_EIO, "%s: %s: %s", a->path, what, sqlite3_errmsg(a->db));
}

/* Run a statement that returns no rows and reset it for reuse. */
static int runOnce(pnAudit *a, sqlite3_stmt *s, pnError *err, const char *what) {
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) dbFail(a, err, what);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? PN_OK : PN_EIO;
}

static int prepare(pnAudit *a, const char *sql, sqlite3_stmt **out, pnError *err) {
    if (sqlite3_prepare_v3(a->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot prepare a statement");
    return PN_OK;
}

/* Bind a fixed-size string field, which may lack its terminator. */
static void bindField(sqlite3_stmt *s, int idx, const char *text, size_t cap) {
    sqlite3_bind_text(s, idx, text, (int)strnlen(text, cap), SQLITE_STATIC);
}

/* Copy a text column into a fixed-size field (cut at a UTF-8 boundary). */
static void copyColumn(sqlite3_stmt *s, int col, char *dst, size_t cap) {
    const char *t = (const char *)sqlite3_column_text(s, col);
    strCopyUtf8(dst, cap, t ? t : "", t ? (size_t)sqlite3_column_bytes(s, col) : 0);
}

static void rowToEvent(sqlite3_stmt *s, AuditEvent *ev) {
    memset(ev, 0, sizeof(*ev));
    ev->time = sqlite3_column_int64(s, 0);
    copyColumn(s, 1, ev->kind, sizeof(ev->kind));
    copyColumn(s, 2, ev->principal, sizeof(ev->principal));
    copyColumn(s, 3, ev->nation, sizeof(ev->nation));
    copyColumn(s, 4, ev->topic, sizeof(ev->topic));
    copyColumn(s, 5, ev->label, sizeof(ev->label));
    copyColumn(s, 6, ev->reason, sizeof(ev->reason));
    copyColumn(s, 7, ev->detail, sizeof(ev->detail));
    copyColumn(s, 8, ev->peer, sizeof(ev->peer));
    ev->count = sqlite3_column_int64(s, 9);
}

/* ---- aggregation state ------------------------------------------------- */

/* Forget this minute's counts (their rows are written already). */
static void aggClear(pnAudit *a) {
    a->nwho = a->nrows = a->nkeyed = a->others = 0;
    memset(a->whoBucket, -1, sizeof(a->whoBucket));
    memset(a->rowBucket, -1, sizeof(a->rowBucket));
}

/* FNV-1a over NUL-separated strings. */
static uint64_t hashStrings(const char *const *s, int n) {
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        for (const char *p = s[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

/* The count of refusals this minute for principal name, or NULL when
 * AUDIT_PRINCIPALS are counted already (the caller uses a->others). */
static int *whoCount(pnAudit *a, const char *name) {
    uint64_t h = hashStrings(&name, 1) & (AGG_BUCKETS - 1);
    for (int i = a->whoBucket[h]; i >= 0; i = a->who[i].next)
        if (strcmp(a->who[i].name, name) == 0) return &a->who[i].n;
    if (a->nwho >= AUDIT_PRINCIPALS) return NULL;
    if (a->nwho == a->capwho) {
        int cap = a->capwho ? a->capwho * 2 : 64;
        AggWho *w = realloc(a->who, (size_t)cap * sizeof(*w));
        if (!w) return NULL;
        a->who = w, a->capwho = cap;
    }
    AggWho *w = &a->who[a->nwho];
    strCopy(w->name, sizeof(w->name), name);
    w->n = 0;
    w->next = a->whoBucket[h];
    a->whoBucket[h] = a->nwho++;
    return &w->n;
}

/* The aggregated row with this key, or NULL. *hash gets the bucket. */
static AggRow *rowFind(pnAudit *a, const char *const key[5], int *bucket) {
    *bucket = (int)(hashStrings(key, 5) & (AGG_BUCKETS - 1));
    for (int i = a->rowBucket[*bucket]; i >= 0; i = a->rows[i].next) {
        AggRow *r = &a->rows[i];
        if (strcmp(r->principal, key[0]) == 0 && strcmp(r->kind, key[1]) == 0 &&
            strcmp(r->reason, key[2]) == 0 && strcmp(r->topic, key[3]) == 0 &&
            strcmp(r->label, key[4]) == 0)
            return r;
    }
    return NULL;
}

/* ---- open and close ---------------------------------------------------- */

/* Create the database file with restrictive permissions before SQLite
 * does (SQLite would use 0644; its -wal and -shm files copy this mode). */
static int createFile(const char *path, pnError *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return pnErrorSet(err, PN_EIO, "%s: %s", path, strerror(errno));
    close(fd);
    return PN_OK;
}

/* A store written before aggregation has no count column: add it. */
static int addCountColumn(pnAudit *a, pnError *err) {
    sqlite3_stmt *s = NULL;
    int has = 0;
    if (sqlite3_prepare_v2(a->db, "PRAGMA table_info(audit)", -1, &s, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot read the audit table");
    while (sqlite3_step(s) == SQLITE_ROW)
        if (strcmp((const char *)sqlite3_column_text(s, 1), "count") == 0) has = 1;
    sqlite3_finalize(s);
    if (!has && sqlite3_exec(a->db, "ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1",
                             NULL, NULL, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot add the count column");
    return PN_OK;
}

static int openDb(pnAudit *a, pnError *err) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(a->path, &a->db, flags, NULL) != SQLITE_OK) {
        if (!a->db) return pnErrorSet(err, PN_ENOMEM, "out of memory");
        return dbFail(a, err, "cannot open");
    }
    sqlite3_busy_timeout(a->db, AUDIT_BUSY_MS);
    if (sqlite3_exec(a->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot use WAL mode");
    if (sqlite3_exec(a->db, schemaSql, NULL, NULL, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot create the audit table");
    if (addCountColumn(a, err) != PN_OK) return PN_EIO;
    /* A checkpointed WAL is cut back to this size, so it cannot stay large. */
    sqlite3_exec(a->db, "PRAGMA journal_size_limit=16777216", NULL, NULL, NULL);
    int rc = prepare(a, "BEGIN IMMEDIATE", &a->begin, err);
    if (rc == PN_OK) rc = prepare(a, insertSql, &a->insert, err);
    if (rc == PN_OK)
        rc = prepare(a,
                     "UPDATE audit SET count = ?1, topic = ifnull(?3, topic),"
                     " label = ifnull(?4, label), detail = ifnull(?5, detail) WHERE id = ?2",
                     &a->update, err);
    if (rc == PN_OK) rc = prepare(a, "COMMIT", &a->commit, err);
    return rc;
}

int auditOpen(pnAudit **out, const char *dir, pnError *err) {
    if (!dir || !dir[0]) return pnErrorSet(err, PN_EINVAL, "no audit directory given");
    pnAudit *a = calloc(1, sizeof(*a));
    if (!a) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    int rc = PN_OK;
    if (strlen(dir) + sizeof("/audit.db") > sizeof(a->path))
        rc = pnErrorSet(err, PN_EINVAL, "audit directory path too long");
    else
        snprintf(a->path, sizeof(a->path), "%s/audit.db", dir);
    if (rc == PN_OK) rc = dirMake(dir, err);
    if (rc == PN_OK) rc = createFile(a->path, err);
    if (rc == PN_OK) rc = openDb(a, err);
    aggClear(a);
    if (rc != PN_OK) {
        auditClose(a);
        return rc;
    }
    *out = a;
    return PN_OK;
}

void auditClose(pnAudit *a) {
    if (!a) return;
    if (a->db) auditFlush(a, NULL);
    sqlite3_finalize(a->begin);
    sqlite3_finalize(a->insert);
    sqlite3_finalize(a->update);
    sqlite3_finalize(a->commit);
    free(a->who);
    free(a->rows);
    sqlite3_close_v2(a->db); /* rolls back a batch that could not commit */
    free(a);
}

/* ---- writing ----------------------------------------------------------- */

/* After a failure: if SQLite rolled the batch back, say how much was lost. */
static int noteRollback(pnAudit *a, pnError *err, int rc) {
    if (sqlite3_get_autocommit(a->db) && a->pending > 0) {
        int lost = a->pending;
        a->pending = 0;
        pnErrorPrefix(err, "%d audit event%s lost: ", lost, lost == 1 ? "" : "s");
    }
    return rc;
}

/* Begin a batch unless one is open. */
static int batchOpen(pnAudit *a, pnError *err) {
    if (!sqlite3_get_autocommit(a->db)) return PN_OK;
    a->pending = 0;
    return runOnce(a, a->begin, err, "cannot begin a batch");
}

/* Insert ev as one row standing for count events (inside a batch). */
static int insertRow(pnAudit *a, const AuditEvent *ev, int64_t count, pnError *err) {
    if (batchOpen(a, err) != PN_OK) return PN_EIO;
    sqlite3_stmt *s = a->insert;
    sqlite3_bind_int64(s, 1, ev->time);
    bindField(s, 2, ev->kind, sizeof(ev->kind));
    bindField(s, 3, ev->principal, sizeof(ev->principal));
    bindField(s, 4, ev->nation, sizeof(ev->nation));
    bindField(s, 5, ev->topic, sizeof(ev->topic));
    bindField(s, 6, ev->label, sizeof(ev->label));
    bindField(s, 7, ev->reason, sizeof(ev->reason));
    bindField(s, 8, ev->detail, sizeof(ev->detail));
    bindField(s, 9, ev->peer, sizeof(ev->peer));
    sqlite3_bind_int64(s, 10, count > 0 ? count : 1);
    int rc = runOnce(a, s, err, "cannot record an event");
    sqlite3_clear_bindings(s); /* the bound strings belong to the caller */
    if (rc != PN_OK) return noteRollback(a, err, rc);
    a->pending++;
    return PN_OK;
}

/* The row of r is gone (a retention or size drop deleted it, or a
 * rollback undid its insert): what it held is accounted for by the drop's
 * record or the rollback's error; the refusals counted since go into a new
 * row (inside the batch). */
static int writeAgain(pnAudit *a, AggRow *r, pnError *err) {
    r->gone = r->written;
    if (r->count <= r->gone) return PN_OK;
    if (insertRow(a, &r->row, r->count - r->gone, err) != PN_OK) return PN_EIO;
    r->id = sqlite3_last_insert_rowid(a->db);
    return PN_OK;
}

/* Write the counts of aggregated rows that grew, and the topic, label and
 * detail of overflow rows that changed (inside the batch). */
static int writeCounts(pnAudit *a, pnError *err) {
    for (int i = 0; i < a->nrows; i++) {
        AggRow *r = &a->rows[i];
        if (!r->dirty && !r->relabel) continue;
        if (batchOpen(a, err) != PN_OK) return PN_EIO;
        sqlite3_stmt *s = a->update;
        sqlite3_bind_int64(s, 1, r->count - r->gone);
        sqlite3_bind_int64(s, 2, r->id);
        if (r->relabel) {
            bindField(s, 3, r->row.topic, sizeof(r->row.topic));
            bindField(s, 4, r->row.label, sizeof(r->row.label));
            bindField(s, 5, r->row.detail, sizeof(r->row.detail));
        }
        int rc = runOnce(a, s, err, "cannot update an aggregated count");
        sqlite3_clear_bindings(s); /* unbound: NULL, the stored field is kept */
        if (rc == PN_OK && sqlite3_changes(a->db) == 0) rc = writeAgain(a, r, err);
        if (rc != PN_OK) return noteRollback(a, err, PN_EIO);
        r->written = r->count;
        r->dirty = r->relabel = 0;
    }
    return PN_OK;
}

static int isRefusal(const char *kind) {
    size_t n = strnlen(kind, 24);
    return n > 8 && memcmp(kind + n - 8, "_refused", 8) == 0;
}

static int64_t minuteOf(int64_t t) {
    return t >= 0 ? t / 60 : -((-t + 59) / 60);
}

/* An overflow row stands for refusals of several topics: its topic is
 * AUDIT_AGG_TOPIC when any of them had one, its label theirs while they
 * all had the same one, else AUDIT_AGG_LABEL (see audit.h). */
static void overflowAdd(AggRow *r, const AuditEvent *ev) {
    size_t cap = sizeof(ev->label);
    int hasTopic = ev->topic[0] != '\0';
    int cut = strnlen(ev->label, cap) == cap;
    if (hasTopic && strcmp(r->row.topic, AUDIT_AGG_TOPIC) != 0) {
        strCopy(r->row.topic, sizeof(r->row.topic), AUDIT_AGG_TOPIC);
        r->relabel = 1;
    }
    if (strcmp(r->row.label, AUDIT_AGG_LABEL) != 0 &&
        (cut || strncmp(r->row.label, ev->label, cap) != 0)) {
        strCopy(r->row.label, sizeof(r->row.label), AUDIT_AGG_LABEL);
        r->relabel = 1;
    }
    const char *detail = strcmp(r->row.label, AUDIT_AGG_LABEL) == 0
                             ? "aggregated: topics and labels not kept"
                         : r->row.topic[0] ? "aggregated: topics not kept"
                                           : "aggregated";
    if (strcmp(r->row.detail, detail) != 0) {
        strCopy(r->row.detail, sizeof(r->row.detail), detail);
        r->relabel = 1;
    }
}

/* One more refusal past the burst: counted in this minute's row for its
 * key, a new row for a new key. */
static int aggAdd(pnAudit *a, const AuditEvent *ev, const char *who, pnError *err) {
    char kind[24], reason[64], topic[256], label[512];
    strCopyUtf8(kind, sizeof(kind), ev->kind, strnlen(ev->kind, sizeof(ev->kind)));
    strCopyUtf8(reason, sizeof(reason), ev->reason, strnlen(ev->reason, sizeof(ev->reason)));
    strCopyUtf8(topic, sizeof(topic), ev->topic, strnlen(ev->topic, sizeof(ev->topic)));
    strCopyUtf8(label, sizeof(label), ev->label, strnlen(ev->label, sizeof(ev->label)));
    const char *key[5] = {who, kind, reason, topic, label};
    int bucket;
    AggRow *r = rowFind(a, key, &bucket);
    int fallback = !r && a->nkeyed >= AUDIT_AGG_KEYS;
    if (fallback) { /* past the keyed rows: no topic, no label */
        key[3] = key[4] = "";
        r = rowFind(a, key, &bucket);
    }
    if (r) {
        r->count++;
        r->dirty = 1;
        if (fallback) overflowAdd(r, ev);
        return batchOpen(a, err);
    }
    if (a->nrows == a->caprows) {
        int cap = a->caprows ? a->caprows * 2 : 64;
        AggRow *rows = realloc(a->rows, (size_t)cap * sizeof(*rows));
        if (!rows) return pnErrorSet(err, PN_ENOMEM, "out of memory");
        a->rows = rows, a->caprows = cap;
    }
    r = &a->rows[a->nrows];
    memset(r, 0, sizeof(*r));
    r->row = *ev;
    AuditEvent *row = &r->row;
    strCopy(row->principal, sizeof(row->principal), who);
    if (fallback) { /* no topic; the label only while it is the only one */
        row->topic[0] = '\0';
        strCopy(row->detail, sizeof(row->detail), "-");
        overflowAdd(r, ev);
    } else {
        snprintf(row->detail, sizeof(row->detail), "aggregated: %.*s",
                 (int)strnlen(ev->detail, sizeof(ev->detail) - 13), ev->detail);
    }
    if (strcmp(who, "*") == 0) row->nation[0] = row->peer[0] = '\0';
    if (insertRow(a, row, 1, err) != PN_OK) return PN_EIO;
    strCopy(r->principal, sizeof(r->principal), key[0]);
    strCopy(r->kind, sizeof(r->kind), key[1]);
    strCopy(r->reason, sizeof(r->reason), key[2]);
    strCopy(r->topic, sizeof(r->topic), key[3]);
    strCopy(r->label, sizeof(r->label), key[4]);
    r->id = sqlite3_last_insert_rowid(a->db);
    r->count = r->written = 1;
    r->dirty = r->relabel = 0;
    r->next = a->rowBucket[bucket];
    a->rowBucket[bucket] = a->nrows++;
    if (!fallback) a->nkeyed++;
    return PN_OK;
}

/* 1 when ev was taken by aggregation (rc set), 0 to record it as a row. */
static int aggregate(pnAudit *a, const AuditEvent *ev, int *rc, pnError *err) {
    if (a->lim.burst <= 0 || !isRefusal(ev->kind)) return 0;
    int64_t minute = minuteOf(ev->time);
    if (minute != a->aggMinute) {
        if ((*rc = writeCounts(a, err)) != PN_OK) return 1;
        aggClear(a);
        a->aggMinute = minute;
    }
    char who[64];
    strCopyUtf8(who, sizeof(who), ev->principal, strnlen(ev->principal, sizeof(ev->principal)));
    int *n = whoCount(a, who);
    if (!n) {
        n = &a->others;
        strcpy(who, "*");
    }
    if (++*n <= a->lim.burst) return 0;
    *rc = aggAdd(a, ev, who, err);
    return 1;
}

int auditRecord(pnAudit *a, const AuditEvent *ev, pnError *err) {
    int rc = PN_OK;
    if (!aggregate(a, ev, &rc, err)) rc = insertRow(a, ev, ev->count, err);
    if (rc != PN_OK) return rc;
    if (a->pending >= AUDIT_BATCH_MAX) return auditFlush(a, err);
    return PN_OK;
}

void auditSetLimits(pnAudit *a, const AuditLimits *lim) {
    a->lim = *lim;
}

int auditFlush(pnAudit *a, pnError *err) {
    if (writeCounts(a, err) != PN_OK) return PN_EIO;
    if (sqlite3_get_autocommit(a->db)) {
        a->pending = 0;
        return PN_OK;
    }
    int rc = runOnce(a, a->commit, err, "cannot commit");
    if (rc == PN_OK) {
        a->pending = 0;
        return PN_OK;
    }
    return noteRollback(a, err, rc);
}

/* ---- reading ----------------------------------------------------------- */

int auditQuery(pnAudit *a, int64_t since, const char *reasonOrNull, const char *kindOrNull,
               int (*cb)(const AuditEvent *ev, void *ctx), void *ctx, pnError *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db, querySql, -1, &s, NULL) != SQLITE_OK)
        return dbFail(a, err, "cannot prepare the query");
    sqlite3_bind_int64(s, 1, since);
    if (reasonOrNull) sqlite3_bind_text(s, 2, reasonOrNull, -1, SQLITE_STATIC);
    if (kindOrNull) sqlite3_bind_text(s, 3, kindOrNull, -1, SQLITE_STATIC);
    AuditEvent ev;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        rowToEvent(s, &ev);
        if (cb(&ev, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : dbFail(a, err, "cannot read events");
    sqlite3_finalize(s);
    return out;
}

int64_t auditCount(pnAudit *a) {
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM audit", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

/* ---- retention and size ------------------------------------------------ */

static int64_t pragmaInt(pnAudit *a, const char *sql) {
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(a->db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

int64_t auditUsedBytes(pnAudit *a) {
    int64_t pages = pragmaInt(a, "PRAGMA page_count"), free = pragmaInt(a, "PRAGMA freelist_count"),
            size = pragmaInt(a, "PRAGMA page_size");
    return pages < 0 || free < 0 || size < 0 ? -1 : (pages - free) * size;
}

/* Run sql with ?1 bound to v (inside the batch); the rows it changed, or
 * -1 after an error. */
static int64_t execInt(pnAudit *a, const char *sql, int64_t v, pnError *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(a->db, sql, -1, &s, NULL) != SQLITE_OK) {
        dbFail(a, err, "cannot prepare a statement");
        return -1;
    }
    sqlite3_bind_int64(s, 1, v);
    int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) dbFail(a, err, "cannot drop old events");
    int64_t n = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : sqlite3_changes(a->db);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? n : -1;
}

/* The row saying that n rows were dropped, and why. */
static int dropRecord(pnAudit *a, int64_t now, const char *reason, int64_t n, const char *detail,
                      pnError *err) {
    AuditEvent ev;
    memset(&ev, 0, sizeof(ev));
    ev.time = now;
    strCopy(ev.kind, sizeof(ev.kind), "audit_dropped");
    strCopy(ev.reason, sizeof(ev.reason), reason);
    strCopy(ev.detail, sizeof(ev.detail), detail);
    return insertRow(a, &ev, n, err);
}

static int dropOld(pnAudit *a, int64_t now, pnError *err) {
    int64_t days = a->lim.retentionSecs / 86400;
    int64_t n = execInt(a, "DELETE FROM audit WHERE time < ?1", now - a->lim.retentionSecs, err);
    if (n <= 0) return n < 0 ? PN_EIO : PN_OK;
    char d[200];
    snprintf(d, sizeof(d), "%lld events older than %lld %s removed (audit_retention_days)",
             (long long)n, (long long)(days ? days : a->lim.retentionSecs),
             days ? "days" : "seconds");
    return dropRecord(a, now, "retention", n, d, err);
}

/* Delete the oldest tenth of the id range until the pages in use are
 * under 9/10 of the bound.  Ids only grow, so the range is found from the
 * rowid tree's ends, without counting rows. */
static int dropOverSize(pnAudit *a, int64_t now, pnError *err) {
    int64_t dropped = 0, upTo = 0;
    while (auditUsedBytes(a) > a->lim.maxBytes / 10 * 9) {
        int64_t lo = execInt(a, "SELECT ifnull(min(id), -1) FROM audit WHERE ?1", 1, err);
        int64_t hi = execInt(a, "SELECT ifnull(max(id), -1) FROM audit WHERE ?1", 1, err);
        if (lo < 0 || hi < 0) break;
        int64_t cut = lo + ((hi - lo + 1) / 10 > 0 ? (hi - lo + 1) / 10 : hi - lo + 1);
        int64_t t = execInt(
            a, "SELECT ifnull((SELECT time FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT 1), 0)",
            cut, err);
        int64_t n = t < 0 ? -1 : execInt(a, "DELETE FROM audit WHERE id < ?1", cut, err);
        if (n < 0) return PN_EIO;
        dropped += n;
        upTo = t;
    }
    if (!dropped) return PN_OK;
    char when[21], d[200];
    timeFormat(upTo, when);
    snprintf(d, sizeof(d),
             "%lld oldest events (up to %s) removed: the store passed %lld MB (audit_max_mb)",
             (long long)dropped, when, (long long)(a->lim.maxBytes >> 20));
    return dropRecord(a, now, "size", dropped, d, err);
}

int auditMaintain(pnAudit *a, int64_t now, pnError *err) {
    if (auditFlush(a, err) != PN_OK) return PN_EIO;
    int rc = PN_OK;
    if (a->lim.retentionSecs > 0 && batchOpen(a, err) == PN_OK) rc = dropOld(a, now, err);
    if (rc == PN_OK && a->lim.maxBytes > 0 && auditUsedBytes(a) > a->lim.maxBytes)
        rc = batchOpen(a, err) == PN_OK ? dropOverSize(a, now, err) : PN_EIO;
    if (rc != PN_OK) return noteRollback(a, err, rc);
    return auditFlush(a, err);
}

/* ---- --since ----------------------------------------------------------- */

static int64_t unitSeconds(char unit) {
    return unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
}

/* "<digits><unit>" into seconds; -1 when text is not of that form or the
 * value does not fit. */
static int parseDuration(const char *text, int64_t *secs) {
    size_t n = strlen(text);
    int64_t unit = n >= 2 ? unitSeconds(text[n - 1]) : 0;
    if (!unit) return -1;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        int d = text[i] - '0';
        if (v > (INT64_MAX / unit - d) / 10) return -1;
        v = v * 10 + d;
    }
    *secs = v * unit;
    return 0;
}

int auditParseSince(const char *text, int64_t now, int64_t *since) {
    if (!text || !text[0]) return -1;
    int64_t ago, at;
    if (parseDuration(text, &ago) == 0) {
        if (now < INT64_MIN + ago) return -1;
        *since = now - ago;
        return 0;
    }
    if (timeParse(text, &at) != 0) return -1;
    *since = at;
    return 0;
}

/* ---- the names recorded ----------------------------------------------- */

const char *const auditKinds[] = {"publish_refused",
                                  "delivery_refused",
                                  "released",
                                  "login_refused",
                                  "subscribe_refused",
                                  "import_refused",
                                  "share_refused",
                                  "will_dropped",
                                  "session_discarded",
                                  "session_expired",
                                  "session_lost",
                                  "session_save_failed",
                                  "retention",
                                  "retention_loss",
                                  "log_damaged",
                                  "audit_dropped",
                                  NULL};

const char *const auditReasons[] = {"clearance",
                                    "caveat",
                                    "not_releasable",
                                    "not_yet_member",
                                    "no_longer_member",
                                    "no_agreement",
                                    "no_label",
                                    "invalid_label",
                                    "other",
                                    "no_principal",
                                    "acl",
                                    "retained_quota",
                                    "ambiguous_label",
                                    "payload_format",
                                    "login",
                                    "quota",
                                    "import",
                                    "session_lost",
                                    "principal",
                                    "reserved",
                                    "storage",
                                    "retention",
                                    "instance",
                                    "log_damaged",
                                    "expiry",
                                    "size",
                                    "signature",
                                    "no_member",
                                    NULL};

int auditNameKnown(const char *const *list, const char *name) {
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], name) == 0) return 1;
    return 0;
}

const char *auditNameList(const char *const *list, char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = '\0';
    for (size_t i = 0; list[i] && o < cap; i++) {
        int w = snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", list[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
    return buf;
}
