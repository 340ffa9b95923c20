/*
 * programme.c -- individually tailored partnership programmes: per partner
 * nation and cycle, its objectives and the menu instances chosen for it
 * (each one the nation is eligible for), with its progress on each:
 * registered, attended, feedback given (see plan.h).
 */
#include <stdio.h>
#include <string.h>

#include "plan_int.h"

int planObjectiveAdd(Plan *p, const char *nation, int cycle, const char *objective, pnError *err) {
    if (planCheckNation(p, "nation", nation, err) != PN_OK) return PN_EINVAL;
    if (!objective || !objective[0])
        return pnErrorSet(err, PN_EINVAL, "field 'objective': missing");
    sqlite3_stmt *s = planPrepare(
        p, "INSERT OR REPLACE INTO objectives(nation, cycle, objective) VALUES(?,?,?)", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, nation, 0);
    sqlite3_bind_int(s, 2, cycle);
    planBindText(s, 3, objective, 0);
    return planStepDone(p, s, err, "cannot store the objective");
}

int planProgrammeAdd(Plan *p, const char *nation, int cycle, const char *instance, pnError *err) {
    if (planCheckNation(p, "nation", nation, err) != PN_OK) return PN_EINVAL;
    char reason[256];
    int full = 0;
    pnError why = {0};
    int rc = planRegistrationCheck(p, instance, nation, reason, sizeof(reason), &full, &why);
    if (rc == PN_ENOENT) return pnErrorSet(err, PN_EINVAL, "field 'instance': %s", why.msg);
    if (rc != PN_OK) return pnErrorSet(err, rc, "field 'nation': %s", why.msg);
    sqlite3_stmt *s = planPrepare(
        p, "INSERT OR REPLACE INTO programme(nation, cycle, instance) VALUES(?,?,?)", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, nation, 0);
    sqlite3_bind_int(s, 2, cycle);
    planBindText(s, 3, instance, 0);
    return planStepDone(p, s, err, "cannot store the programme entry");
}

int planProgramme(Plan *p, const char *nation, int cycle,
                  int (*cb)(const PlanProgrammeRow *row, void *ctx), void *ctx, pnError *err) {
    PlanProgrammeRow r;
    sqlite3_stmt *s = planPrepare(
        p, "SELECT objective FROM objectives WHERE nation = ? AND cycle = ? ORDER BY objective",
        err);
    if (!s) return PN_EIO;
    planBindText(s, 1, nation, 0);
    sqlite3_bind_int(s, 2, cycle);
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        r.isObjective = 1;
        planColText(s, 0, r.text, sizeof(r.text));
        stop = cb(&r, ctx);
    }
    sqlite3_finalize(s);
    if (stop) return PN_OK;
    s = planPrepare(p,
                    "SELECT i.code, i.activity, i.start, i.\"end\", coalesce(i.place, ''),"
                    " i.status, a.title, coalesce(a.label, ''), coalesce(a.open_to, ''),"
                    " EXISTS(SELECT 1 FROM registrations r WHERE r.instance = i.code"
                    "  AND r.nation = ?1 AND r.status IN ('registered', 'attended')),"
                    " EXISTS(SELECT 1 FROM registrations r WHERE r.instance = i.code"
                    "  AND r.nation = ?1 AND r.status = 'attended'),"
                    " EXISTS(SELECT 1 FROM feedback f WHERE f.instance = i.code"
                    "  AND f.nation = ?1)"
                    " FROM programme g JOIN instances i ON i.code = g.instance"
                    " JOIN activities a ON a.code = i.activity"
                    " WHERE g.nation = ?1 AND g.cycle = ?2 ORDER BY i.start, i.code",
                    err);
    if (!s) return PN_EIO;
    planBindText(s, 1, nation, 0);
    sqlite3_bind_int(s, 2, cycle);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        memset(&r, 0, sizeof(r));
        planColText(s, 0, r.i.code, sizeof(r.i.code));
        planColText(s, 1, r.i.activity, sizeof(r.i.activity));
        planColText(s, 2, r.i.start, sizeof(r.i.start));
        planColText(s, 3, r.i.end, sizeof(r.i.end));
        planColText(s, 4, r.i.place, sizeof(r.i.place));
        planColText(s, 5, r.i.status, sizeof(r.i.status));
        planColText(s, 6, r.title, sizeof(r.title));
        PlanActivity a; /* only what planActivityLabel reads */
        memset(&a, 0, sizeof(a));
        planColText(s, 7, a.label, sizeof(a.label));
        planColText(s, 8, a.openTo, sizeof(a.openTo));
        planActivityLabel(&a, r.label, sizeof(r.label));
        r.registered = sqlite3_column_int(s, 9);
        r.attended = sqlite3_column_int(s, 10);
        r.feedback = sqlite3_column_int(s, 11);
        if (cb(&r, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot read the programme");
    sqlite3_finalize(s);
    return out;
}
