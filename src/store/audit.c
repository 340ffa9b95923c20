/*
 * audit.c -- the audit trail in SQLite (see audit.h).
 *
 * Three statements are prepared once and kept: BEGIN IMMEDIATE, the
 * INSERT and COMMIT.  Whether a batch is open is asked of SQLite itself
 * (sqlite3_get_autocommit), so a batch that SQLite rolled back after an
 * error is never mistaken for one still pending.  Queries are rare and
 * prepare their statement per call.
 */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../core/date.h"
#include "../core/str.h"

/* How long a write waits for another writer's lock, in milliseconds. */
#define AUDIT_BUSY_MS 1000

struct pnAudit {
    sqlite3 *db;
    sqlite3_stmt *begin, *insert, *commit;
    int pending; /* rows in the open batch */
    char path[4096];
};

static const char schemaSql[] =
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, time INTEGER, kind TEXT,"
    " principal TEXT, nation TEXT, topic TEXT, label TEXT, reason TEXT, detail TEXT, peer TEXT);"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);";

static const char insertSql[] =
    "INSERT INTO audit(time, kind, principal, nation, topic, label, reason, detail, peer)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

static const char querySql[] =
    "SELECT time, kind, principal, nation, topic, label, reason, detail, peer FROM audit"
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
    int rc = prepare(a, "BEGIN IMMEDIATE", &a->begin, err);
    if (rc == PN_OK) rc = prepare(a, insertSql, &a->insert, err);
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
    sqlite3_finalize(a->commit);
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

int auditRecord(pnAudit *a, const AuditEvent *ev, pnError *err) {
    if (sqlite3_get_autocommit(a->db)) {
        a->pending = 0;
        if (runOnce(a, a->begin, err, "cannot begin a batch") != PN_OK) return PN_EIO;
    }
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
    int rc = runOnce(a, s, err, "cannot record an event");
    sqlite3_clear_bindings(s); /* the bound strings belong to the caller */
    if (rc != PN_OK) return noteRollback(a, err, rc);
    a->pending++;
    if (a->pending >= AUDIT_BATCH_MAX) return auditFlush(a, err);
    return PN_OK;
}

int auditFlush(pnAudit *a, pnError *err) {
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
