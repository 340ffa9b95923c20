/*
 * activity.c -- the partnership cooperation menu: activities and their
 * instances, the workflow (propose -> approve -> invite -> register ->
 * attend -> feedback, each step recorded with who and when), eligibility
 * against the registry at the instance's dates, capacity with a waiting
 * list (see plan.h).  Programmes are in programme.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "plan_int.h"

static const char *const kinds[] = {"course", "exercise", "seminar", "visit", "capacity"};

/* Split openTo at commas into trimmed upper-case tokens; calls fn for each
 * until it returns non-zero, which is returned. */
static int eachCode(const char *openTo, int (*fn)(const char *code, void *ctx), void *ctx) {
    const char *s = openTo;
    while (*s) {
        while (*s == ' ' || *s == ',')
            s++;
        if (!*s) break;
        char code[48];
        size_t n = 0;
        while (*s && *s != ',') {
            if (*s != ' ' && n + 1 < sizeof(code)) code[n++] = *s;
            s++;
        }
        code[n] = '\0';
        strUpper(code);
        int rc = fn(code, ctx);
        if (rc) return rc;
    }
    return 0;
}

typedef struct Elig {
    const Registry *reg;
    int nation;
    const char *code;
    int32_t day;
    const RegTimelineEntry *at;
    int32_t soonest; /* earliest later joining day among the groups named */
    char soonestGroup[48];
} Elig;

static int eligOne(const char *code, void *ctx) {
    Elig *e = ctx;
    if (strEqualNoCase(code, e->code)) return 1;
    int g = registryGroup(e->reg, code);
    if (g < 0) return 0;
    if (GroupSetHas(&e->at->groups, (unsigned)g)) return 1;
    int32_t first = registryFirstDay(e->reg, g, e->nation);
    if (first != PN_DAY_NEVER && first > e->day && first < e->soonest) {
        e->soonest = first;
        snprintf(e->soonestGroup, sizeof(e->soonestGroup), "%s", code);
    }
    return 0;
}

int planEligible(const Registry *reg, const char *openTo, const char *nation, int32_t day,
                 char *reason, size_t cap) {
    char tmp[8];
    if (!reason) {
        reason = tmp;
        cap = sizeof(tmp);
    }
    int n = registryNation(reg, nation);
    if (n < 0) {
        snprintf(reason, cap, "unknown nation '%s'", nation);
        return 0;
    }
    char d[11];
    dateFormat(day, d);
    Elig e = {reg, n, reg->nations[n].code, day, registryAt(reg, n, day), PN_DAY_NEVER, ""};
    if (eachCode(openTo, eligOne, &e)) {
        snprintf(reason, cap, "%s may take part on %s (open to %s)", e.code, d, openTo);
        return 1;
    }
    if (e.soonest != PN_DAY_NEVER) {
        char j[11];
        dateFormat(e.soonest, j);
        snprintf(reason, cap, "%s is not eligible on %s: open to %s, and %s joins %s only on %s",
                 e.code, d, openTo, e.code, e.soonestGroup, j);
    } else {
        snprintf(reason, cap, "%s is not eligible on %s: open to %s only", e.code, d, openTo);
    }
    return 0;
}

/* ---- loading ----------------------------------------------------------- */

static const char listingCols[] =
    "SELECT i.code, i.activity, i.start, i.\"end\", coalesce(i.place, ''),"
    " coalesce(nullif(i.capacity, 0), a.capacity), i.status, a.title, a.kind, a.organiser,"
    " a.open_to, a.capacity, i.registered, i.waitlisted, coalesce(a.label, '')"
    " FROM instances i JOIN activities a ON a.code = i.activity ";

static void listingRow(sqlite3_stmt *s, PlanListing *l) {
    memset(l, 0, sizeof(*l));
    planColText(s, 0, l->i.code, sizeof(l->i.code));
    planColText(s, 1, l->i.activity, sizeof(l->i.activity));
    planColText(s, 2, l->i.start, sizeof(l->i.start));
    planColText(s, 3, l->i.end, sizeof(l->i.end));
    planColText(s, 4, l->i.place, sizeof(l->i.place));
    l->i.capacity = sqlite3_column_int(s, 5);
    planColText(s, 6, l->i.status, sizeof(l->i.status));
    planColText(s, 7, l->a.title, sizeof(l->a.title));
    planColText(s, 8, l->a.kind, sizeof(l->a.kind));
    planColText(s, 9, l->a.organiser, sizeof(l->a.organiser));
    planColText(s, 10, l->a.openTo, sizeof(l->a.openTo));
    l->a.capacity = sqlite3_column_int(s, 11);
    snprintf(l->a.code, sizeof(l->a.code), "%s", l->i.activity);
    l->registered = sqlite3_column_int(s, 12);
    l->waitlisted = sqlite3_column_int(s, 13);
    planColText(s, 14, l->a.label, sizeof(l->a.label));
}

typedef struct LabelText {
    char *out;
    size_t cap, len, start;
    int cut; /* a code did not fit */
} LabelText;

static int appendCode(const char *code, void *ctx) {
    LabelText *t = ctx;
    int n = snprintf(t->out + t->len, t->cap - t->len, "%s%s", t->len > t->start ? ", " : "", code);
    if (n < 0 || t->len + (size_t)n >= t->cap) {
        t->cut = 1;
        return 1;
    }
    t->len += (size_t)n;
    return 0;
}

void planActivityLabel(const PlanActivity *a, char *out, size_t cap) {
    if (a->label[0]) {
        if ((size_t)snprintf(out, cap, "%s", a->label) >= cap) out[0] = '\0';
        return;
    }
    int n = snprintf(out, cap, "NATO UNCLASSIFIED REL TO ");
    size_t start = n > 0 && (size_t)n < cap ? (size_t)n : 0;
    LabelText t = {out, cap, start, start, 0};
    eachCode(a->openTo, appendCode, &t);
    /* A cut list could name another code ("MDA" cut to "MD", a framework):
     * no label at all instead, which decide() refuses to everyone. */
    if (t.cut) out[0] = '\0';
}

/* One instance with its activity and counts; PN_ENOENT when unknown. */
static int loadInstance(Plan *p, const char *code, PlanListing *l, pnError *err) {
    char sql[1024];
    snprintf(sql, sizeof(sql), "%s WHERE i.code = ?", listingCols);
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    planBindText(s, 1, code, 0);
    int rc = sqlite3_step(s), out = PN_OK;
    if (rc == SQLITE_ROW)
        listingRow(s, l);
    else if (rc == SQLITE_DONE)
        out = pnErrorSet(err, PN_ENOENT, "no activity instance '%s'", code);
    else
        out = planDbFail(p, err, "cannot read the instance");
    sqlite3_finalize(s);
    return out;
}

int planInstanceGet(Plan *p, const char *instance, PlanListing *out, pnError *err) {
    return loadInstance(p, instance, out, err);
}

/* ---- the workflow ------------------------------------------------------ */

typedef struct CodeCheck {
    const Registry *reg;
    char bad[48];
} CodeCheck;

static int checkCode(const char *code, void *ctx) {
    CodeCheck *c = ctx;
    if (!c->reg || registryGroup(c->reg, code) >= 0 || registryNation(c->reg, code) >= 0) return 0;
    snprintf(c->bad, sizeof(c->bad), "%s", code);
    return 1;
}

/* Validate the fields of a menu activity. */
static int checkActivity(Plan *p, const PlanActivity *a, pnError *err) {
    if (!a->code[0]) return pnErrorSet(err, PN_EINVAL, "field 'code': missing");
    if (!a->title[0]) return pnErrorSet(err, PN_EINVAL, "field 'title': missing");
    int known = 0;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        known |= strcmp(a->kind, kinds[k]) == 0;
    if (!known)
        return pnErrorSet(err, PN_EINVAL,
                          "field 'kind': '%s' is not course, exercise, seminar, visit or capacity",
                          a->kind);
    if (planCheckNation(p, "organiser", a->organiser, err) != PN_OK) return PN_EINVAL;
    CodeCheck c = {p->reg, ""};
    if (!a->openTo[0]) return pnErrorSet(err, PN_EINVAL, "field 'open_to': missing");
    if (eachCode(a->openTo, checkCode, &c))
        return pnErrorSet(err, PN_EINVAL, "field 'open_to': unknown nation or framework '%s'",
                          c.bad);
    if (a->capacity <= 0) return pnErrorSet(err, PN_EINVAL, "field 'capacity': must be > 0");
    char label[256];
    planActivityLabel(a, label, sizeof(label));
    if (!a->label[0] && !label[0])
        return pnErrorSet(err, PN_EINVAL,
                          "field 'open_to': too many codes for the default label "
                          "'NATO UNCLASSIFIED REL TO ...'; give a label");
    return PN_OK;
}

int planActivityPutRow(Plan *p, const PlanActivity *a, pnError *err) {
    if (checkActivity(p, a, err) != PN_OK) return PN_EINVAL;
    sqlite3_stmt *s = planPrepare(p,
                                  "INSERT OR REPLACE INTO activities(code, title, kind, organiser,"
                                  " open_to, capacity, label) VALUES(?,?,?,?,?,?,?)",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, a->code, 0);
    planBindText(s, 2, a->title, 0);
    planBindText(s, 3, a->kind, 0);
    planBindText(s, 4, a->organiser, 0);
    planBindText(s, 5, a->openTo, 0);
    sqlite3_bind_int(s, 6, a->capacity);
    planBindText(s, 7, a->label, 1);
    return planStepDone(p, s, err, "cannot store the activity");
}

int planInstancePutRow(Plan *p, const PlanInstance *i, pnError *err) {
    int32_t start, end;
    if (!i->code[0]) return pnErrorSet(err, PN_EINVAL, "field 'code': missing");
    if (planCheckDate("start", i->start, &start, err) != PN_OK ||
        planCheckDate("end", i->end, &end, err) != PN_OK)
        return PN_EINVAL;
    if (end < start)
        return pnErrorSet(err, PN_EINVAL, "field 'end': %s is before the start %s", i->end,
                          i->start);
    if (i->capacity < 0) return pnErrorSet(err, PN_EINVAL, "field 'capacity': negative");
    const char *st = i->status[0] ? i->status : "proposed";
    if (strcmp(st, "proposed") && strcmp(st, "approved") && strcmp(st, "invited"))
        return pnErrorSet(err, PN_EINVAL,
                          "field 'status': '%s' is not proposed, approved or invited", st);
    sqlite3_stmt *s = planPrepare(p, "SELECT 1 FROM activities WHERE code = ?", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, i->activity, 0);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!found)
        return pnErrorSet(err, PN_EINVAL, "field 'activity': no activity '%s'", i->activity);
    s = planPrepare(p,
                    "INSERT OR REPLACE INTO instances(code, activity, start, \"end\", place,"
                    " capacity, status) VALUES(?,?,?,?,?,?,?)",
                    err);
    if (!s) return PN_EIO;
    planBindText(s, 1, i->code, 0);
    planBindText(s, 2, i->activity, 0);
    planBindText(s, 3, i->start, 0);
    planBindText(s, 4, i->end, 0);
    planBindText(s, 5, i->place, 1);
    sqlite3_bind_int(s, 6, i->capacity);
    planBindText(s, 7, st, 0);
    int rc = planStepDone(p, s, err, "cannot store the instance");
    return rc == PN_OK ? planRecount(p, i->code, err) : rc; /* REPLACE reset the counters */
}

/* The existence check and the writes in one transaction, so two proposals
 * of the same instance at the same moment cannot both pass the check. */
static int proposeLocked(Plan *p, const PlanActivity *a, const PlanInstance *i, const char *by,
                         const char *nation, int64_t at, pnError *err) {
    PlanInstance copy = *i;
    snprintf(copy.activity, sizeof(copy.activity), "%s", a->code);
    snprintf(copy.status, sizeof(copy.status), "proposed");
    PlanListing old;
    pnError ignore = {0};
    if (loadInstance(p, i->code, &old, &ignore) == PN_OK)
        return pnErrorSet(err, PN_EINVAL, "instance '%s' already exists (%s)", i->code,
                          old.i.status);
    int rc = planActivityPutRow(p, a, err);
    if (rc == PN_OK) rc = planInstancePutRow(p, &copy, err);
    if (rc == PN_OK) rc = planEvent(p, i->code, "proposed", nation, by, at, a->title, err);
    return rc;
}

int planPropose(Plan *p, const PlanActivity *a, const PlanInstance *i, const char *by,
                const char *nation, int64_t at, pnError *err) {
    if (planCheckNation(p, "nation", nation, err) != PN_OK) return PN_EINVAL;
    int rc = planBegin(p, err);
    if (rc != PN_OK) return rc;
    rc = proposeLocked(p, a, i, by, nation, at, err);
    int end = planEnd(p, rc == PN_OK, err);
    return rc != PN_OK ? rc : end;
}

static int setStatus(Plan *p, const char *code, const char *status, pnError *err) {
    sqlite3_stmt *s = planPrepare(p, "UPDATE instances SET status = ? WHERE code = ?", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, status, 0);
    planBindText(s, 2, code, 0);
    return planStepDone(p, s, err, "cannot change the status");
}

/* Record an "invited" event for every nation eligible for l. */
static int inviteAll(Plan *p, const PlanListing *l, const char *by, int64_t at, int *count,
                     pnError *err) {
    int32_t start;
    if (dateParse(l->i.start, &start) != 0)
        return pnErrorSet(err, PN_EINVAL, "instance '%s' has no valid start", l->i.code);
    *count = 0;
    for (size_t n = 0; p->reg && n < p->reg->nnations; n++) {
        if (p->reg->nations[n].kind != REG_NATION) continue;
        if (!planEligible(p->reg, l->a.openTo, p->reg->nations[n].code, start, NULL, 0)) continue;
        int rc = planEvent(p, l->i.code, "invited", p->reg->nations[n].code, by, at, "", err);
        if (rc != PN_OK) return rc;
        (*count)++;
    }
    return PN_OK;
}

/* The status check and the step in one transaction (see proposeLocked). */
static int advanceLocked(Plan *p, const char *instance, const char *step, const char *need,
                         const char *next, const char *by, int64_t at, int *count, pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    if (strcmp(l.i.status, need) != 0)
        return pnErrorSet(err, PN_EINVAL, "cannot %s '%s': it is %s, not %s", step, instance,
                          l.i.status, need);
    rc = setStatus(p, instance, next, err);
    if (rc == PN_OK) rc = planEvent(p, instance, next, "", by, at, "", err);
    if (rc == PN_OK && strcmp(next, "invited") == 0) rc = inviteAll(p, &l, by, at, count, err);
    return rc;
}

int planAdvance(Plan *p, const char *instance, const char *step, const char *by, int64_t at,
                int *count, pnError *err) {
    const char *need, *next;
    if (strcmp(step, "approve") == 0) {
        need = "proposed";
        next = "approved";
    } else if (strcmp(step, "invite") == 0) {
        need = "approved";
        next = "invited";
    } else {
        return pnErrorSet(err, PN_EINVAL, "unknown step '%s' (approve or invite)", step);
    }
    int n = 0;
    int rc = planBegin(p, err);
    if (rc != PN_OK) return rc;
    rc = advanceLocked(p, instance, step, need, next, by, at, &n, err);
    int end = planEnd(p, rc == PN_OK, err);
    if (count) *count = rc == PN_OK && end == PN_OK ? n : 0;
    return rc != PN_OK ? rc : end;
}

/* Insert or update one registration row. */
static int putRegistration(Plan *p, const char *instance, const char *nation,
                           const char *participant, const char *status, pnError *err) {
    sqlite3_stmt *s = planPrepare(p,
                                  "INSERT OR REPLACE INTO registrations(instance, nation,"
                                  " participant, status) VALUES(?,?,?,?)",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    planBindText(s, 2, nation, 0);
    planBindText(s, 3, participant, 0);
    planBindText(s, 4, status, 0);
    int rc = planStepDone(p, s, err, "cannot store the registration");
    return rc == PN_OK ? planRecount(p, instance, err) : rc;
}

int planRegistrationCheck(Plan *p, const char *instance, const char *nation, char *reason,
                          size_t cap, int *full, pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    int32_t start;
    if (dateParse(l.i.start, &start) != 0)
        return pnErrorSet(err, PN_EINVAL, "instance '%s' has no valid start", instance);
    if (p->reg && !planEligible(p->reg, l.a.openTo, nation, start, reason, cap))
        return pnErrorSet(err, PN_EINVAL, "%s", reason);
    *full = l.registered >= l.i.capacity;
    return PN_OK;
}

/* The registration itself, inside the caller's transaction, so the
 * capacity counted is the capacity written against. */
static int registerLocked(Plan *p, const char *instance, const char *nation,
                          const char *participant, const char *by, int64_t at, int *outcome,
                          char *reason, size_t cap, pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    if (strcmp(l.i.status, "invited") != 0) {
        snprintf(reason, cap, "'%s' is not open for registration (it is %s; invitations not sent)",
                 instance, l.i.status);
        return PN_OK;
    }
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT status FROM registrations WHERE instance = ?"
                                  " AND nation = ? AND participant = ?",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    planBindText(s, 2, nation, 0);
    planBindText(s, 3, participant, 0);
    char was[16] = "";
    if (sqlite3_step(s) == SQLITE_ROW) planColText(s, 0, was, sizeof(was));
    sqlite3_finalize(s);
    if (was[0]) {
        snprintf(reason, cap, "%s (%s) is already %s for '%s'", participant, nation, was, instance);
        return PN_OK;
    }
    int full = 0;
    pnError why = {0};
    rc = planRegistrationCheck(p, instance, nation, reason, cap, &full, &why);
    if (rc == PN_EINVAL) {
        snprintf(reason, cap, "%s", why.msg);
        return PN_OK;
    }
    if (rc != PN_OK) return pnErrorSet(err, rc, "%s", why.msg);
    const char *status = full ? "waitlisted" : "registered";
    if (full)
        snprintf(reason, cap, "'%s' is full (%d of %d places): %s is on the waiting list", instance,
                 l.registered, l.i.capacity, participant);
    else
        snprintf(reason, cap, "%s (%s) registered for '%s' (%d of %d places)", participant, nation,
                 instance, l.registered + 1, l.i.capacity);
    rc = putRegistration(p, instance, nation, participant, status, err);
    if (rc == PN_OK) rc = planEvent(p, instance, status, nation, by, at, participant, err);
    if (rc == PN_OK) *outcome = full ? PLAN_REG_WAITLISTED : PLAN_REG_REGISTERED;
    return rc;
}

int planRegister(Plan *p, const char *instance, const char *nation, const char *participant,
                 const char *by, int64_t at, int *outcome, char *reason, size_t cap, pnError *err) {
    *outcome = PLAN_REG_REFUSED;
    if (!participant || !participant[0])
        return pnErrorSet(err, PN_EINVAL, "field 'participant': missing");
    int rc = planBegin(p, err);
    if (rc != PN_OK) return rc;
    rc = registerLocked(p, instance, nation, participant, by, at, outcome, reason, cap, err);
    int end = planEnd(p, rc == PN_OK && *outcome != PLAN_REG_REFUSED, err);
    if (rc == PN_OK && end != PN_OK) *outcome = PLAN_REG_REFUSED;
    return rc != PN_OK ? rc : end;
}

int planAttend(Plan *p, const char *instance, const char *nation, const char *by, int64_t at,
               int *count, pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    /* Nobody attends what has not begun (as feedback waits for the end). */
    int32_t start;
    if (dateParse(l.i.start, &start) == 0 && dayOfTime(at) < start)
        return pnErrorSet(err, PN_EINVAL, "'%s' starts on %s: attendance is recorded from then on",
                          instance, l.i.start);
    if ((rc = planBegin(p, err)) != PN_OK) return rc;
    sqlite3_stmt *s = planPrepare(p,
                                  "UPDATE registrations SET status = 'attended' WHERE instance = ?"
                                  " AND nation = ? AND status = 'registered'",
                                  err);
    rc = s ? PN_OK : PN_EIO;
    if (s) {
        planBindText(s, 1, instance, 0);
        planBindText(s, 2, nation, 0);
        rc = planStepDone(p, s, err, "cannot record attendance");
    }
    *count = rc == PN_OK ? sqlite3_changes(p->db) : 0;
    if (rc == PN_OK && *count == 0)
        rc = pnErrorSet(err, PN_EINVAL, "%s has no registered participant on '%s'", nation,
                        instance);
    if (rc == PN_OK) rc = planEvent(p, instance, "attended", nation, by, at, "", err);
    int end = planEnd(p, rc == PN_OK, err);
    return rc != PN_OK ? rc : end;
}

/* Whether nation took part in instance (registered or attended). */
static int tookPart(Plan *p, const char *instance, const char *nation, int *yes, pnError *err) {
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT 1 FROM registrations WHERE instance = ? AND nation = ?"
                                  " AND status IN ('registered', 'attended') LIMIT 1",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    planBindText(s, 2, nation, 0);
    *yes = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    return PN_OK;
}

int planFeedback(Plan *p, const char *instance, const char *nation, const char *text,
                 const char *by, int64_t at, pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    if (!text || !text[0]) return pnErrorSet(err, PN_EINVAL, "field 'text': missing");
    int32_t end;
    if (dateParse(l.i.end, &end) == 0 && dayOfTime(at) < end)
        return pnErrorSet(err, PN_EINVAL, "'%s' runs until %s: feedback comes after it", instance,
                          l.i.end);
    int yes = 0;
    if ((rc = tookPart(p, instance, nation, &yes, err)) != PN_OK) return rc;
    if (!yes) return pnErrorSet(err, PN_EINVAL, "%s had no participant on '%s'", nation, instance);
    if ((rc = planBegin(p, err)) != PN_OK) return rc;
    sqlite3_stmt *s = planPrepare(
        p, "INSERT OR REPLACE INTO feedback(instance, nation, text) VALUES(?,?,?)", err);
    rc = s ? PN_OK : PN_EIO;
    if (s) {
        planBindText(s, 1, instance, 0);
        planBindText(s, 2, nation, 0);
        planBindText(s, 3, text, 0);
        rc = planStepDone(p, s, err, "cannot store the feedback");
    }
    if (rc == PN_OK) rc = planEvent(p, instance, "feedback", nation, by, at, "", err);
    int e = planEnd(p, rc == PN_OK, err);
    return rc != PN_OK ? rc : e;
}

/* ---- reading ----------------------------------------------------------- */

int planActivities(Plan *p, int32_t from, const char *nationOrNull, const char *kindOrNull,
                   int (*cb)(const PlanListing *row, void *ctx), void *ctx, pnError *err) {
    char sql[1200], fromText[11];
    snprintf(sql, sizeof(sql),
             "%s WHERE i.start >= ?1 AND (?2 IS NULL OR a.kind = ?2) ORDER BY i.start, i.code",
             listingCols);
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    dateFormat(from == PN_DAY_NONE ? dayFromCivil(0, 1, 1) : from, fromText);
    planBindText(s, 1, fromText, 0);
    planBindText(s, 2, kindOrNull, 1);
    PlanListing l;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        listingRow(s, &l);
        int32_t start;
        if (nationOrNull && p->reg &&
            (dateParse(l.i.start, &start) != 0 ||
             !planEligible(p->reg, l.a.openTo, nationOrNull, start, NULL, 0)))
            continue;
        if (cb(&l, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot list activities");
    sqlite3_finalize(s);
    return out;
}

int planEvents(Plan *p, const char *instance, int (*cb)(const PlanEvent *ev, void *ctx), void *ctx,
               pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT instance, step, nation, actor, at, detail FROM events"
                                  " WHERE instance = ? ORDER BY id",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    PlanEvent ev;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&ev, 0, sizeof(ev));
        planColText(s, 0, ev.instance, sizeof(ev.instance));
        planColText(s, 1, ev.step, sizeof(ev.step));
        planColText(s, 2, ev.nation, sizeof(ev.nation));
        planColText(s, 3, ev.actor, sizeof(ev.actor));
        ev.at = sqlite3_column_int64(s, 4);
        planColText(s, 5, ev.detail, sizeof(ev.detail));
        if (cb(&ev, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot read the workflow");
    sqlite3_finalize(s);
    return out;
}

int planFeedbackFor(Plan *p, const char *instance, const char *nation,
                    int (*cb)(const char *nation, const char *text, void *ctx), void *ctx,
                    pnError *err) {
    PlanListing l;
    int rc = loadInstance(p, instance, &l, err);
    if (rc != PN_OK) return rc;
    int yes = 0;
    if ((rc = tookPart(p, instance, nation, &yes, err)) != PN_OK) return rc;
    if (!yes)
        return pnErrorSet(err, PN_EINVAL,
                          "%s did not take part in '%s': feedback goes to participating nations",
                          nation, instance);
    sqlite3_stmt *s =
        planPrepare(p, "SELECT nation, text FROM feedback WHERE instance = ? ORDER BY nation", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, instance, 0);
    char n[8], text[2048];
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        planColText(s, 0, n, sizeof(n));
        planColText(s, 1, text, sizeof(text));
        if (cb(n, text, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot read feedback");
    sqlite3_finalize(s);
    return out;
}
