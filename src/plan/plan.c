/*
 * plan.c -- the planning store: open, schema, transactions, the outbox and
 * the helpers the other files of src/plan share (see plan.h).
 */
#include "plan_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/date.h"
#include "../core/str.h"

/* How long a write waits for another writer's lock, in milliseconds. */
#define PLAN_BUSY_MS 5000

static const char schemaSql[] =
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS activities(code TEXT PRIMARY KEY, title TEXT NOT NULL,"
    " kind TEXT NOT NULL, organiser TEXT NOT NULL, open_to TEXT NOT NULL,"
    " capacity INTEGER NOT NULL, label TEXT);"
    "CREATE TABLE IF NOT EXISTS instances(code TEXT PRIMARY KEY, activity TEXT NOT NULL,"
    " start TEXT NOT NULL, \"end\" TEXT NOT NULL, place TEXT, capacity INTEGER,"
    " status TEXT NOT NULL, registered INTEGER NOT NULL DEFAULT 0,"
    " waitlisted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS instances_start ON instances(start);"
    "CREATE INDEX IF NOT EXISTS instances_activity ON instances(activity);"
    "CREATE TABLE IF NOT EXISTS registrations(instance TEXT, nation TEXT, participant TEXT,"
    " status TEXT NOT NULL, PRIMARY KEY(instance, nation, participant));"
    "CREATE INDEX IF NOT EXISTS registrations_nation ON registrations(nation, instance);"
    "CREATE TABLE IF NOT EXISTS feedback(instance TEXT, nation TEXT, text TEXT NOT NULL,"
    " PRIMARY KEY(instance, nation));"
    "CREATE TABLE IF NOT EXISTS objectives(nation TEXT, cycle INTEGER, objective TEXT,"
    " PRIMARY KEY(nation, cycle, objective));"
    "CREATE TABLE IF NOT EXISTS programme(nation TEXT, cycle INTEGER, instance TEXT,"
    " PRIMARY KEY(nation, cycle, instance));"
    "CREATE TABLE IF NOT EXISTS exercises(code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    " start TEXT NOT NULL, \"end\" TEXT NOT NULL, place TEXT, host TEXT NOT NULL,"
    " airborne INTEGER NOT NULL, amphibious INTEGER NOT NULL, notified TEXT);"
    "CREATE INDEX IF NOT EXISTS exercises_start ON exercises(start);"
    "CREATE TABLE IF NOT EXISTS contributions(exercise TEXT, nation TEXT, troops INTEGER,"
    " tanks INTEGER, acv INTEGER, artillery INTEGER, sorties INTEGER,"
    " PRIMARY KEY(exercise, nation));"
    "CREATE TABLE IF NOT EXISTS areas(code TEXT PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS targets(cycle INTEGER, nation TEXT, area TEXT,"
    " quantity INTEGER NOT NULL, PRIMARY KEY(cycle, nation, area));"
    "CREATE INDEX IF NOT EXISTS targets_trend ON targets(nation, area, cycle);"
    "CREATE TABLE IF NOT EXISTS holdings(cycle INTEGER, nation TEXT, area TEXT,"
    " held INTEGER NOT NULL, ready INTEGER NOT NULL, PRIMARY KEY(cycle, nation, area));"
    "CREATE TABLE IF NOT EXISTS gdp(nation TEXT, year INTEGER, gdp_musd REAL NOT NULL,"
    " PRIMARY KEY(nation, year));"
    "CREATE TABLE IF NOT EXISTS expenditure(nation TEXT, year INTEGER, pct_gdp REAL NOT NULL,"
    " status TEXT NOT NULL, source TEXT, PRIMARY KEY(nation, year));"
    "CREATE TABLE IF NOT EXISTS evaluations(unit TEXT, nation TEXT NOT NULL, date TEXT,"
    " evaluator TEXT NOT NULL, area TEXT, item TEXT, result TEXT NOT NULL, evidence TEXT,"
    " PRIMARY KEY(unit, date, area, item));"
    "CREATE INDEX IF NOT EXISTS evaluations_nation ON evaluations(nation, unit, date);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, instance TEXT, step TEXT,"
    " nation TEXT, actor TEXT, at INTEGER, detail TEXT);"
    "CREATE INDEX IF NOT EXISTS events_instance ON events(instance, id);"
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
    " label TEXT NOT NULL, payload TEXT NOT NULL, created INTEGER NOT NULL, done INTEGER);"
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(done, id);";

/* ---- helpers ----------------------------------------------------------- */

int planDbFail(Plan *p, pnError *err, const char *what) {
    return pnErrorSet(err, PN_EIO, "%s: %s: %s", p->path, what, sqlite3_errmsg(p->db));
}

sqlite3_stmt *planPrepare(Plan *p, const char *sql, pnError *err) {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(p->db, sql, -1, &s, NULL) != SQLITE_OK) {
        planDbFail(p, err, "cannot prepare a statement");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

int planStepDone(Plan *p, sqlite3_stmt *s, pnError *err, const char *what) {
    int rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, what);
    sqlite3_finalize(s);
    return out;
}

void planColText(sqlite3_stmt *s, int col, char *dst, size_t cap) {
    const char *t = (const char *)sqlite3_column_text(s, col);
    strCopyUtf8(dst, cap, t ? t : "", t ? (size_t)sqlite3_column_bytes(s, col) : 0);
}

void planBindText(sqlite3_stmt *s, int idx, const char *text, int nullIfEmpty) {
    if (!text || (nullIfEmpty && !text[0]))
        sqlite3_bind_null(s, idx);
    else
        sqlite3_bind_text(s, idx, text, -1, SQLITE_TRANSIENT);
}

int planCheckNation(Plan *p, const char *field, const char *code, pnError *err) {
    if (!code || !code[0]) return pnErrorSet(err, PN_EINVAL, "field '%s': missing", field);
    if (p->reg && registryNation(p->reg, code) < 0)
        return pnErrorSet(err, PN_EINVAL, "field '%s': unknown nation '%s'", field, code);
    return PN_OK;
}

int planCheckDate(const char *field, const char *text, int32_t *day, pnError *err) {
    int32_t d;
    if (!text || dateParse(text, &d) != 0)
        return pnErrorSet(err, PN_EINVAL, "field '%s': '%s' is not a date (YYYY-MM-DD)", field,
                          text ? text : "");
    if (day) *day = d;
    return PN_OK;
}

int planRecount(Plan *p, const char *instanceOrNull, pnError *err) {
    sqlite3_stmt *s = planPrepare(
        p,
        "UPDATE instances SET registered = (SELECT count(*) FROM registrations r"
        " WHERE r.instance = instances.code AND r.status IN ('registered', 'attended')),"
        " waitlisted = (SELECT count(*) FROM registrations r WHERE r.instance = instances.code"
        " AND r.status = 'waitlisted') WHERE ?1 IS NULL OR code = ?1",
        err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instanceOrNull, 1);
    return planStepDone(p, s, err, "cannot count registrations");
}

int planEvent(Plan *p, const char *instance, const char *step, const char *nation,
              const char *actor, int64_t at, const char *detail, pnError *err) {
    sqlite3_stmt *s = planPrepare(
        p, "INSERT INTO events(instance, step, nation, actor, at, detail) VALUES(?,?,?,?,?,?)",
        err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    planBindText(s, 2, step, 0);
    planBindText(s, 3, nation ? nation : "", 0);
    planBindText(s, 4, actor ? actor : "", 0);
    sqlite3_bind_int64(s, 5, at);
    planBindText(s, 6, detail ? detail : "", 0);
    return planStepDone(p, s, err, "cannot record a workflow step");
}

/* ---- open and close ---------------------------------------------------- */

int planOpen(Plan **out, const char *dir, const Registry *reg, pnError *err) {
    if (!dir || !dir[0]) return pnErrorSet(err, PN_EINVAL, "no data directory given");
    Plan *p = calloc(1, sizeof(*p));
    if (!p) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    p->reg = reg;
    int rc = PN_OK;
    if (strlen(dir) + sizeof("/plan.db") > sizeof(p->path))
        rc = pnErrorSet(err, PN_EINVAL, "data directory path too long");
    else
        snprintf(p->path, sizeof(p->path), "%s/plan.db", dir);
    if (rc == PN_OK) rc = dirMake(dir, err);
    if (rc == PN_OK) {
        int fd = open(p->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0)
            rc = pnErrorSet(err, PN_EIO, "%s: %s", p->path, strerror(errno));
        else
            close(fd);
    }
    if (rc == PN_OK) {
        int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(p->path, &p->db, flags, NULL) != SQLITE_OK)
            rc = p->db ? planDbFail(p, err, "cannot open")
                       : pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    if (rc == PN_OK) {
        sqlite3_busy_timeout(p->db, PLAN_BUSY_MS);
        if (sqlite3_exec(p->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
            rc = planDbFail(p, err, "cannot use WAL mode");
        else if (sqlite3_exec(p->db, schemaSql, NULL, NULL, NULL) != SQLITE_OK)
            rc = planDbFail(p, err, "cannot create the planning tables");
    }
    if (rc != PN_OK) {
        planClose(p);
        return rc;
    }
    *out = p;
    return PN_OK;
}

void planClose(Plan *p) {
    if (!p) return;
    sqlite3_close_v2(p->db); /* an open transaction is rolled back */
    free(p);
}

struct sqlite3 *planDb(Plan *p) {
    return p->db;
}

int planBegin(Plan *p, pnError *err) {
    if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return planDbFail(p, err, "cannot begin a transaction");
    return PN_OK;
}

int planEnd(Plan *p, int ok, pnError *err) {
    if (sqlite3_get_autocommit(p->db)) return PN_OK; /* nothing open */
    if (ok && sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return PN_OK;
    int rc = ok ? planDbFail(p, err, "cannot commit") : PN_OK;
    sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---- the outbox -------------------------------------------------------- */

int planOutboxNext(Plan *p, int64_t after, PlanNotice *out, pnError *err) {
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT id, topic, label, payload, created FROM outbox"
                                  " WHERE done IS NULL AND id > ?1 ORDER BY id LIMIT 1",
                                  err);
    if (!s) return PN_EIO;
    sqlite3_bind_int64(s, 1, after);
    int rc = sqlite3_step(s);
    int ret = 0;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof(*out));
        out->id = sqlite3_column_int64(s, 0);
        planColText(s, 1, out->topic, sizeof(out->topic));
        planColText(s, 2, out->label, sizeof(out->label));
        planColText(s, 3, out->payload, sizeof(out->payload));
        out->created = sqlite3_column_int64(s, 4);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = planDbFail(p, err, "cannot read the outbox");
    }
    sqlite3_finalize(s);
    return ret;
}

/* The exercise of notice id counts as notified on the day the notice was
 * published, unless a day was already recorded (given by the user, or an
 * earlier notice): the first notification is the one the deadline is about. */
static int markNotified(Plan *p, int64_t id, pnError *err) {
    sqlite3_stmt *s =
        planPrepare(p,
                    "UPDATE exercises SET notified = (SELECT date(done, 'unixepoch') FROM outbox"
                    " WHERE id = ?1) WHERE coalesce(notified, '') = '' AND code ="
                    " (SELECT json_extract(payload, '$.exercise') FROM outbox WHERE id = ?1"
                    " AND json_valid(payload))",
                    err);
    if (!s) return PN_EIO;
    sqlite3_bind_int64(s, 1, id);
    return planStepDone(p, s, err, "cannot record the notification");
}

int planOutboxDone(Plan *p, int64_t id, pnError *err) {
    sqlite3_stmt *s =
        planPrepare(p, "UPDATE outbox SET done = coalesce(done, ?2) WHERE id = ?1", err);
    if (!s) return PN_EIO;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, timeNow());
    int rc = planStepDone(p, s, err, "cannot mark a notice done");
    if (rc == PN_OK && sqlite3_changes(p->db) == 0)
        return pnErrorSet(err, PN_ENOENT, "no notice %lld in the outbox", (long long)id);
    return rc == PN_OK ? markNotified(p, id, err) : rc;
}

int64_t planOutboxPending(Plan *p) {
    sqlite3_stmt *s = planPrepare(p, "SELECT count(*) FROM outbox WHERE done IS NULL", NULL);
    int64_t n = -1;
    if (s && sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}
