/*
 * interop.c -- interoperability evaluations of partner units against a
 * checklist (communications, procedures, logistics, command and control,
 * language ...): each item met, partly met or not met with evidence and
 * evaluator; the index per evaluation, unit and nation, and its trend
 * (see plan.h for the formula).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "plan_int.h"

/* Items of one evaluation held while its index is computed. */
#define INTEROP_MAX_ITEMS 512
#define INTEROP_MAX_AREAS 32

double planInteropScore(const char *result) {
    if (strcmp(result, "met") == 0) return 1.0;
    if (strcmp(result, "partly") == 0) return 0.5;
    if (strcmp(result, "not_met") == 0) return 0.0;
    return -1.0;
}

double planInteropIndex(const char *const *areas, const char *const *results, int n) {
    const char *name[INTEROP_MAX_AREAS];
    double sum[INTEROP_MAX_AREAS];
    int count[INTEROP_MAX_AREAS], na = 0;
    if (n <= 0) return -1;
    for (int k = 0; k < n; k++) {
        double v = planInteropScore(results[k]);
        if (v < 0) return -1;
        int a = 0;
        while (a < na && strcmp(name[a], areas[k]) != 0)
            a++;
        if (a == na) {
            if (na == INTEROP_MAX_AREAS) return -1;
            name[na] = areas[k];
            sum[na] = 0;
            count[na++] = 0;
        }
        sum[a] += v;
        count[a]++;
    }
    double total = 0;
    for (int a = 0; a < na; a++)
        total += sum[a] / count[a];
    return 100.0 * total / na;
}

int planInteropRecord(Plan *p, const char *unit, const char *nation, const char *date,
                      const char *evaluator, const char *area, const char *item, const char *result,
                      const char *evidence, pnError *err) {
    if (!unit || !unit[0]) return pnErrorSet(err, PN_EINVAL, "field 'unit': missing");
    if (planCheckNation(p, "nation", nation, err) != PN_OK ||
        planCheckDate("date", date, NULL, err) != PN_OK)
        return PN_EINVAL;
    if (!evaluator || !evaluator[0])
        return pnErrorSet(err, PN_EINVAL, "field 'evaluator': missing");
    if (!area || !area[0]) return pnErrorSet(err, PN_EINVAL, "field 'area': missing");
    if (!item || !item[0]) return pnErrorSet(err, PN_EINVAL, "field 'item': missing");
    if (planInteropScore(result ? result : "") < 0)
        return pnErrorSet(err, PN_EINVAL, "field 'result': '%s' is not met, partly or not_met",
                          result ? result : "");
    sqlite3_stmt *s = planPrepare(p,
                                  "INSERT OR REPLACE INTO evaluations(unit, nation, date,"
                                  " evaluator, area, item, result, evidence)"
                                  " VALUES(?,?,?,?,?,?,?,?)",
                                  err);
    if (!s) return PN_EIO;
    const char *v[] = {unit, nation, date, evaluator, area, item, result, evidence};
    for (int k = 0; k < 8; k++)
        planBindText(s, k + 1, v[k] ? v[k] : "", k == 7);
    return planStepDone(p, s, err, "cannot store the evaluation");
}

/* The items of the evaluation being read. */
typedef struct Eval {
    PlanInterop cur;
    int n;
    char area[INTEROP_MAX_ITEMS][32];
    char result[INTEROP_MAX_ITEMS][12];
} Eval;

/* Finish the evaluation in e->cur (index and counts). */
static void evalFinish(Eval *e) {
    const char *areas[INTEROP_MAX_ITEMS], *results[INTEROP_MAX_ITEMS];
    e->cur.met = e->cur.partly = e->cur.notMet = 0;
    for (int k = 0; k < e->n; k++) {
        areas[k] = e->area[k];
        results[k] = e->result[k];
        double v = planInteropScore(e->result[k]);
        if (v == 1.0) e->cur.met++;
        if (v == 0.5) e->cur.partly++;
        if (v == 0.0) e->cur.notMet++;
    }
    e->cur.items = e->n;
    e->cur.index = planInteropIndex(areas, results, e->n);
}

int planInterop(Plan *p, const char *nationOrNull, const char *unitOrNull,
                int (*cb)(const PlanInterop *e, void *ctx), void *ctx, pnError *err) {
    sqlite3_stmt *s = planPrepare(p,
                                  "SELECT unit, nation, date, evaluator, area, result"
                                  " FROM evaluations WHERE (?1 IS NULL OR nation = ?1)"
                                  " AND (?2 IS NULL OR unit = ?2) ORDER BY unit, date, area, item",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, nationOrNull, 1);
    planBindText(s, 2, unitOrNull, 1);
    Eval *e = calloc(1, sizeof(*e));
    if (!e) {
        sqlite3_finalize(s);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    PlanInterop prev; /* the unit's evaluation before cur */
    int havePrev = 0, rc, stop = 0, all = unitOrNull != NULL;
    char unit[64], date[11];
    for (;;) {
        rc = sqlite3_step(s);
        int row = rc == SQLITE_ROW;
        if (row) {
            planColText(s, 0, unit, sizeof(unit));
            planColText(s, 2, date, sizeof(date));
        }
        int newUnit = !row || strcmp(unit, e->cur.unit) != 0;
        int newEval = newUnit || strcmp(date, e->cur.date) != 0;
        if (e->n > 0 && newEval) {
            evalFinish(e);
            e->cur.hasPrev = havePrev;
            e->cur.prevIndex = havePrev ? prev.index : 0;
            if (all || newUnit) stop = cb(&e->cur, ctx);
            prev = e->cur;
            havePrev = !newUnit;
            e->n = 0;
        }
        if (!row || stop) break;
        if (newEval) {
            if (newUnit) havePrev = 0;
            memset(&e->cur, 0, sizeof(e->cur));
            snprintf(e->cur.unit, sizeof(e->cur.unit), "%s", unit);
            snprintf(e->cur.date, sizeof(e->cur.date), "%s", date);
            planColText(s, 1, e->cur.nation, sizeof(e->cur.nation));
            planColText(s, 3, e->cur.evaluator, sizeof(e->cur.evaluator));
        }
        if (e->n < INTEROP_MAX_ITEMS) {
            planColText(s, 4, e->area[e->n], sizeof(e->area[0]));
            planColText(s, 5, e->result[e->n], sizeof(e->result[0]));
            e->n++;
        }
    }
    free(e);
    int out = rc == SQLITE_DONE || stop ? PN_OK : planDbFail(p, err, "cannot read evaluations");
    sqlite3_finalize(s);
    return out;
}

typedef struct NationAcc {
    PlanNationIndex *v;
    int n, cap;
    int failed;
} NationAcc;

/* Add one unit's latest evaluation to its nation's running sums (turned
 * into means by planInteropNations); units arrive sorted by nation. */
static void addUnit(NationAcc *a, const PlanInterop *e) {
    PlanNationIndex *x = a->n ? &a->v[a->n - 1] : NULL;
    if (!x || strcmp(x->nation, e->nation) != 0) {
        if (a->n == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 32;
            PlanNationIndex *nv = realloc(a->v, sizeof(*nv) * (size_t)a->cap);
            if (!nv) {
                a->failed = 1;
                return;
            }
            a->v = nv;
        }
        x = &a->v[a->n++];
        memset(x, 0, sizeof(*x));
        snprintf(x->nation, sizeof(x->nation), "%s", e->nation);
    }
    x->index += e->index;
    x->units++;
    if (e->hasPrev) {
        x->prevIndex += e->prevIndex;
        x->hasPrev++;
    }
}

typedef struct Latest {
    PlanInterop *v;
    int n, cap;
    int failed;
} Latest;

static int collectLatest(const PlanInterop *e, void *ctx) {
    Latest *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        PlanInterop *nv = realloc(l->v, sizeof(*nv) * (size_t)l->cap);
        if (!nv) return l->failed = 1;
        l->v = nv;
    }
    l->v[l->n++] = *e;
    return 0;
}

static int byNation(const void *a, const void *b) {
    const PlanInterop *x = a, *y = b;
    int c = strcmp(x->nation, y->nation);
    return c ? c : strcmp(x->unit, y->unit);
}

int planInteropNations(Plan *p, PlanNationIndex **rows, int *n, pnError *err) {
    *rows = NULL;
    *n = 0;
    Latest units = {0};
    int rc = planInterop(p, NULL, NULL, collectLatest, &units, err);
    if (rc == PN_OK && units.failed) rc = pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (rc != PN_OK) {
        free(units.v);
        return rc;
    }
    if (units.n) qsort(units.v, (size_t)units.n, sizeof(*units.v), byNation);
    NationAcc acc = {0};
    for (int k = 0; k < units.n && !acc.failed; k++)
        addUnit(&acc, &units.v[k]);
    free(units.v);
    if (acc.failed) {
        free(acc.v);
        return pnErrorSet(err, PN_ENOMEM, "out of memory");
    }
    for (int k = 0; k < acc.n; k++) {
        PlanNationIndex *x = &acc.v[k];
        x->index /= x->units;
        if (x->hasPrev) x->prevIndex /= x->hasPrev;
        x->hasPrev = x->hasPrev > 0;
    }
    *rows = acc.v;
    *n = acc.n;
    return PN_OK;
}
