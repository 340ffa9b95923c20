/*
 * generate.c -- generated (illustrative) planning data for scale tests:
 * a menu of activities, their instances over 2026-2027 and registrations
 * by eligible nations (see planGenerate in plan.h).  Deterministic: a
 * fixed-seed generator, so two runs give the same store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "plan_int.h"

static uint32_t nextRand(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*state >> 33);
}

static const char *const openTo[] = {"NATO,PFP", "NATO,PFP,MD", "NATO,PFP,MD,ICI,PAG",
                                     "NATO",     "EAPC",        "NATO,PFP,MD,ICI"};
static const char *const kindNames[] = {"course", "exercise", "seminar", "visit", "capacity"};

typedef struct Gen {
    Plan *p;
    sqlite3_stmt *act, *inst, *reg;
    uint64_t seed;
    int nations[PN_MAX_NATIONS], nn; /* nation indexes */
} Gen;

static int genActivities(Gen *g, int activities, int *capacity, int *openIdx, pnError *err) {
    for (int a = 0; a < activities; a++) {
        char code[32], title[64];
        snprintf(code, sizeof(code), "GEN-%04d", a);
        snprintf(title, sizeof(title), "Generated %s %d", kindNames[a % 5], a);
        capacity[a] = 10 + (int)(nextRand(&g->seed) % 51);
        openIdx[a] = (int)(nextRand(&g->seed) % (sizeof(openTo) / sizeof(openTo[0])));
        const char *org = g->p->reg->nations[g->nations[nextRand(&g->seed) % g->nn]].code;
        sqlite3_reset(g->act);
        planBindText(g->act, 1, code, 0);
        planBindText(g->act, 2, title, 0);
        planBindText(g->act, 3, kindNames[a % 5], 0);
        planBindText(g->act, 4, org, 0);
        planBindText(g->act, 5, openTo[openIdx[a]], 0);
        sqlite3_bind_int(g->act, 6, capacity[a]);
        if (sqlite3_step(g->act) != SQLITE_DONE)
            return planDbFail(g->p, err, "cannot store a generated activity");
    }
    return PN_OK;
}

/* Run sql (an INSERT with n parameters) once per row that fill() writes
 * into v (text values); fill returns 0 when there are no more rows. */
typedef int (*RowFn)(Gen *g, int row, char v[][64]);

static int insertRows(Gen *g, const char *sql, int n, RowFn fill, pnError *err) {
    sqlite3_stmt *s = planPrepare(g->p, sql, err);
    if (!s) return PN_EIO;
    char v[10][64];
    int rc = PN_OK;
    for (int row = 0; rc == PN_OK && fill(g, row, v); row++) {
        sqlite3_reset(s);
        for (int k = 0; k < n; k++)
            planBindText(s, k + 1, v[k], 1);
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = planDbFail(g->p, err, "cannot store generated rows");
    }
    sqlite3_finalize(s);
    return rc;
}

#define GEN_AREAS 40
#define GEN_CYCLES 3
#define GEN_UNITS 400
#define GEN_EVALS 3
#define GEN_ITEMS 20
#define GEN_EXERCISES 300
#define GEN_PROGRAMME 30

static const char *nationAt(Gen *g, int k) {
    return g->p->reg->nations[g->nations[k % g->nn]].code;
}

static int fillArea(Gen *g, int row, char v[][64]) {
    if (row >= GEN_AREAS) return 0;
    snprintf(v[0], 64, "GEN-AREA-%02d", row);
    snprintf(v[1], 64, "Generated capability area %d", row);
    return 1;
}

/* targets and holdings: every nation x area x cycle (2021, 2023, 2025) */
static int fillTarget(Gen *g, int row, char v[][64]) {
    if (row >= g->nn * GEN_AREAS * GEN_CYCLES) return 0;
    int target = 1 + (int)(nextRand(&g->seed) % 20);
    int held = (int)(nextRand(&g->seed) % 24),
        ready = held ? (int)(nextRand(&g->seed) % (held + 1)) : 0;
    snprintf(v[0], 64, "%d", 2021 + 2 * (row % GEN_CYCLES));
    snprintf(v[1], 64, "%s", nationAt(g, row / (GEN_AREAS * GEN_CYCLES)));
    snprintf(v[2], 64, "GEN-AREA-%02d", (row / GEN_CYCLES) % GEN_AREAS);
    snprintf(v[3], 64, "%d", target);
    snprintf(v[4], 64, "%d", held);
    snprintf(v[5], 64, "%d", ready);
    return 1;
}

static int fillEvaluation(Gen *g, int row, char v[][64]) {
    if (row >= GEN_UNITS * GEN_EVALS * GEN_ITEMS) return 0;
    static const char *const areas[] = {"communications", "procedures", "logistics",
                                        "command and control", "language"};
    static const char *const results[] = {"met", "partly", "not_met"};
    int unit = row / (GEN_EVALS * GEN_ITEMS), eval = (row / GEN_ITEMS) % GEN_EVALS;
    int item = row % GEN_ITEMS;
    snprintf(v[0], 64, "GEN-UNIT-%03d", unit);
    snprintf(v[1], 64, "%s", nationAt(g, unit * 7));
    snprintf(v[2], 64, "%d-06-01", 2023 + eval);
    snprintf(v[3], 64, "GEN-EVALUATOR");
    snprintf(v[4], 64, "%s", areas[item % 5]);
    snprintf(v[5], 64, "item %d", item);
    snprintf(v[6], 64, "%s", results[nextRand(&g->seed) % 3]);
    v[7][0] = '\0';
    return 1;
}

static int fillExercise(Gen *g, int row, char v[][64]) {
    if (row >= GEN_EXERCISES) return 0;
    int32_t start = dayFromCivil(2026, 1, 1) + (int32_t)(nextRand(&g->seed) % 700);
    snprintf(v[0], 64, "GEN-EX-%03d", row);
    snprintf(v[1], 64, "Generated exercise %d", row);
    dateFormat(start, v[2]);
    dateFormat(start + 10, v[3]);
    snprintf(v[4], 64, "%s", nationAt(g, row * 3));
    snprintf(v[5], 64, "%d", (int)(nextRand(&g->seed) % 10 == 0));
    return 1;
}

/* 1 to 6 contributions per exercise */
static int fillContribution(Gen *g, int row, char v[][64]) {
    if (row >= GEN_EXERCISES * 6) return 0;
    snprintf(v[0], 64, "GEN-EX-%03d", row / 6);
    snprintf(v[1], 64, "%s", nationAt(g, row * 5 + (row / 6)));
    snprintf(v[2], 64, "%u", nextRand(&g->seed) % 3000);
    snprintf(v[3], 64, "%u", nextRand(&g->seed) % 60);
    snprintf(v[4], 64, "%u", nextRand(&g->seed) % 120);
    snprintf(v[5], 64, "%u", nextRand(&g->seed) % 60);
    snprintf(v[6], 64, "%u", nextRand(&g->seed) % 100);
    return 1;
}

/* the programme of every partner nation for 2026: instances it registered for */
static int genProgrammes(Gen *g, pnError *err) {
    return planStepDone(g->p,
                        planPrepare(g->p,
                                    "INSERT OR IGNORE INTO programme(nation, cycle, instance)"
                                    " SELECT r.nation, 2026, r.instance FROM registrations r"
                                    " JOIN instances i ON i.code = r.instance"
                                    " WHERE i.start < '2027-01-01'"
                                    " AND r.participant LIKE 'participant-%'"
                                    " AND r.nation IN ('GEO', 'UKR', 'MDA', 'ARM', 'AZE', 'BIH',"
                                    " 'SRB', 'AUT', 'CHE', 'IRL', 'MLT', 'KAZ', 'JOR', 'AUS')",
                                    err),
                        err, "cannot store generated programmes");
}

typedef struct GenStep {
    const char *sql;
    int n;
    RowFn fill;
} GenStep;

static const GenStep genSteps[] = {
    {"INSERT OR REPLACE INTO areas(code, name) VALUES(?,?)", 2, fillArea},
    {"INSERT OR REPLACE INTO targets(cycle, nation, area, quantity) VALUES(?1,?2,?3,?4)", 4,
     fillTarget},
    {"INSERT OR REPLACE INTO holdings(cycle, nation, area, held, ready) VALUES(?1,?2,?3,?5,?6)", 6,
     fillTarget},
    {"INSERT OR REPLACE INTO evaluations(unit, nation, date, evaluator, area, item, result,"
     " evidence) VALUES(?,?,?,?,?,?,?,?)",
     8, fillEvaluation},
    {"INSERT OR REPLACE INTO exercises(code, name, start, \"end\", host, airborne, amphibious)"
     " VALUES(?,?,?,?,?,?,0)",
     6, fillExercise},
    {"INSERT OR REPLACE INTO contributions(exercise, nation, troops, tanks, acv, artillery,"
     " sorties) VALUES(?,?,?,?,?,?,?)",
     7, fillContribution},
};

static int genRest(Gen *g, pnError *err) {
    int rc = PN_OK;
    for (size_t k = 0; rc == PN_OK && k < sizeof(genSteps) / sizeof(genSteps[0]); k++)
        rc = insertRows(g, genSteps[k].sql, genSteps[k].n, genSteps[k].fill, err);
    return rc == PN_OK ? genProgrammes(g, err) : rc;
}

int planGenerate(Plan *p, int activities, int instances, int participants, int *made,
                 pnError *err) {
    *made = 0;
    if (!p->reg) return pnErrorSet(err, PN_EINVAL, "the generator needs the registry");
    if (activities <= 0 || instances < activities || participants < 0)
        return pnErrorSet(err, PN_EINVAL,
                          "need activities > 0, instances >= activities, participants >= 0");
    Gen g = {p, NULL, NULL, NULL, 20260101, {0}, 0};
    for (size_t n = 0; n < p->reg->nnations; n++)
        if (p->reg->nations[n].kind == REG_NATION) g.nations[g.nn++] = (int)n;
    int *capacity = calloc((size_t)activities, sizeof(int));
    int *openIdx = calloc((size_t)activities, sizeof(int));
    int *instAct = calloc((size_t)instances, sizeof(int));
    int32_t *instStart = calloc((size_t)instances, sizeof(int32_t));
    int *taken = calloc((size_t)instances, sizeof(int));
    int rc = capacity && openIdx && instAct && instStart && taken
                 ? PN_OK
                 : pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (rc == PN_OK) rc = planBegin(p, err);
    if (rc == PN_OK) {
        g.act = planPrepare(p,
                            "INSERT OR REPLACE INTO activities(code, title, kind, organiser,"
                            " open_to, capacity) VALUES(?,?,?,?,?,?)",
                            err);
        g.inst = planPrepare(p,
                             "INSERT OR REPLACE INTO instances(code, activity, start, \"end\","
                             " place, capacity, status) VALUES(?,?,?,?,?,0,'invited')",
                             err);
        g.reg = planPrepare(p,
                            "INSERT OR REPLACE INTO registrations(instance, nation, participant,"
                            " status) VALUES(?,?,?,?)",
                            err);
        if (!g.act || !g.inst || !g.reg) rc = PN_EIO;
    }
    if (rc == PN_OK) rc = genActivities(&g, activities, capacity, openIdx, err);
    int32_t first = dayFromCivil(2026, 1, 1);
    for (int i = 0; rc == PN_OK && i < instances; i++) {
        char code[48], act[32], start[11], end[11];
        instAct[i] = i % activities;
        instStart[i] = first + (int32_t)(nextRand(&g.seed) % 730);
        snprintf(act, sizeof(act), "GEN-%04d", instAct[i]);
        snprintf(code, sizeof(code), "%s/%d", act, i / activities + 1);
        dateFormat(instStart[i], start);
        dateFormat(instStart[i] + 1 + (int32_t)(nextRand(&g.seed) % 10), end);
        sqlite3_reset(g.inst);
        planBindText(g.inst, 1, code, 0);
        planBindText(g.inst, 2, act, 0);
        planBindText(g.inst, 3, start, 0);
        planBindText(g.inst, 4, end, 0);
        planBindText(g.inst, 5, "Generated place", 0);
        if (sqlite3_step(g.inst) != SQLITE_DONE)
            rc = planDbFail(p, err, "cannot store a generated instance");
    }
    /* registrations: eligible nations only, waitlisted past capacity; a
     * draw that hits an ineligible nation is simply skipped */
    for (int k = 0, tries = 0; rc == PN_OK && k < participants && tries < participants * 20;
         tries++) {
        int i = (int)(nextRand(&g.seed) % (uint32_t)instances);
        const char *nation = p->reg->nations[g.nations[nextRand(&g.seed) % g.nn]].code;
        if (!planEligible(p->reg, openTo[openIdx[instAct[i]]], nation, instStart[i], NULL, 0))
            continue;
        char code[48], who[32];
        snprintf(code, sizeof(code), "GEN-%04d/%d", instAct[i], i / activities + 1);
        snprintf(who, sizeof(who), "participant-%d", k);
        const char *status = taken[i] < capacity[instAct[i]] ? "registered" : "waitlisted";
        taken[i] += status[0] == 'r';
        sqlite3_reset(g.reg);
        planBindText(g.reg, 1, code, 0);
        planBindText(g.reg, 2, nation, 0);
        planBindText(g.reg, 3, who, 0);
        planBindText(g.reg, 4, status, 0);
        if (sqlite3_step(g.reg) != SQLITE_DONE)
            rc = planDbFail(p, err, "cannot store a generated registration");
        k++;
        *made = k;
    }
    if (rc == PN_OK) rc = planRecount(p, NULL, err);
    if (rc == PN_OK) rc = genRest(&g, err);
    sqlite3_finalize(g.act);
    sqlite3_finalize(g.inst);
    sqlite3_finalize(g.reg);
    int end = planEnd(p, rc == PN_OK, err);
    free(capacity);
    free(openIdx);
    free(instAct);
    free(instStart);
    free(taken);
    return rc != PN_OK ? rc : end;
}
