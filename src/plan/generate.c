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
