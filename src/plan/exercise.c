/*
 * exercise.c -- exercises, national contributions, their evaluation against
 * the Vienna Document thresholds, and the notifications queued for the
 * exchange (see plan.h, csbm.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "plan_int.h"

int planExercisePut(Plan *p, const PlanExercise *e, pnError *err) {
    int32_t start, end, notified;
    if (!e->code[0]) return pnErrorSet(err, PN_EINVAL, "field 'code': missing");
    if (!e->name[0]) return pnErrorSet(err, PN_EINVAL, "field 'name': missing");
    if (planCheckDate("start", e->start, &start, err) != PN_OK ||
        planCheckDate("end", e->end, &end, err) != PN_OK ||
        (e->notified[0] && planCheckDate("notified", e->notified, &notified, err) != PN_OK) ||
        planCheckNation(p, "host", e->host, err) != PN_OK)
        return PN_EINVAL;
    if (end < start)
        return pnErrorSet(err, PN_EINVAL, "field 'end': %s is before the start %s", e->end,
                          e->start);
    sqlite3_stmt *s = planPrepare(p,
                                  "INSERT INTO exercises(code, name, start, \"end\","
                                  " place, host, airborne, amphibious, notified)"
                                  " VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(code) DO UPDATE SET"
                                  " name = excluded.name, start = excluded.start,"
                                  " \"end\" = excluded.\"end\", host = excluded.host,"
                                  " place = coalesce(excluded.place, place),"
                                  " airborne = excluded.airborne OR airborne,"
                                  " amphibious = excluded.amphibious OR amphibious,"
                                  " notified = coalesce(excluded.notified, notified)",
                                  err);
    if (!s) return PN_EIO;
    planBindText(s, 1, e->code, 0);
    planBindText(s, 2, e->name, 0);
    planBindText(s, 3, e->start, 0);
    planBindText(s, 4, e->end, 0);
    planBindText(s, 5, e->place, 1);
    planBindText(s, 6, e->host, 0);
    sqlite3_bind_int(s, 7, e->airborne != 0);
    sqlite3_bind_int(s, 8, e->amphibious != 0);
    planBindText(s, 9, e->notified, 1);
    return planStepDone(p, s, err, "cannot store the exercise");
}

int planContributionPut(Plan *p, const PlanContribution *c, pnError *err) {
    if (planCheckNation(p, "nation", c->nation, err) != PN_OK) return PN_EINVAL;
    const int64_t v[] = {c->troops, c->tanks, c->acv, c->artillery, c->sorties};
    const char *names[] = {"troops", "tanks", "acv", "artillery", "sorties"};
    for (int k = 0; k < 5; k++)
        if (v[k] < 0) return pnErrorSet(err, PN_EINVAL, "field '%s': negative", names[k]);
    if (c->hasLanding && (c->landing < 0 || c->landing > c->troops))
        return pnErrorSet(err, PN_EINVAL,
                          "field 'landing': %lld troops landing or dropping, more than the %lld "
                          "troops",
                          (long long)c->landing, (long long)c->troops);
    sqlite3_stmt *s = planPrepare(p, "SELECT 1 FROM exercises WHERE code = ?", err);
    if (!s) return PN_EIO;
    planBindText(s, 1, c->exercise, 0);
    int found = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (!found)
        return pnErrorSet(err, PN_EINVAL, "field 'exercise': no exercise '%s'", c->exercise);
    s = planPrepare(p,
                    "INSERT OR REPLACE INTO contributions(exercise, nation, troops, tanks, acv,"
                    " artillery, sorties, landing) VALUES(?,?,?,?,?,?,?,?)",
                    err);
    if (!s) return PN_EIO;
    planBindText(s, 1, c->exercise, 0);
    planBindText(s, 2, c->nation, 0);
    for (int k = 0; k < 5; k++)
        sqlite3_bind_int64(s, 3 + k, v[k]);
    if (c->hasLanding) sqlite3_bind_int64(s, 8, c->landing); /* else NULL: not given */
    return planStepDone(p, s, err, "cannot store the contribution");
}

static const char exerciseCols[] =
    "SELECT e.code, e.name, e.start, e.\"end\", coalesce(e.place, ''), e.host, e.airborne,"
    " e.amphibious, coalesce(e.notified, ''), coalesce(sum(c.troops), 0),"
    " coalesce(sum(c.tanks), 0), coalesce(sum(c.acv), 0), coalesce(sum(c.artillery), 0),"
    " coalesce(sum(c.sorties), 0), count(c.landing),"
    " coalesce(sum(coalesce(c.landing, c.troops)), 0) FROM exercises e"
    " LEFT JOIN contributions c ON c.exercise = e.code ";

/* Fill e, f and r from a row of exerciseCols. */
static void exerciseRow(sqlite3_stmt *s, PlanExercise *e, CsbmForces *f, CsbmResult *r) {
    memset(e, 0, sizeof(*e));
    memset(f, 0, sizeof(*f));
    planColText(s, 0, e->code, sizeof(e->code));
    planColText(s, 1, e->name, sizeof(e->name));
    planColText(s, 2, e->start, sizeof(e->start));
    planColText(s, 3, e->end, sizeof(e->end));
    planColText(s, 4, e->place, sizeof(e->place));
    planColText(s, 5, e->host, sizeof(e->host));
    e->airborne = sqlite3_column_int(s, 6);
    e->amphibious = sqlite3_column_int(s, 7);
    planColText(s, 8, e->notified, sizeof(e->notified));
    f->troops = sqlite3_column_int64(s, 9);
    f->tanks = sqlite3_column_int64(s, 10);
    f->acv = sqlite3_column_int64(s, 11);
    f->artillery = sqlite3_column_int64(s, 12);
    f->sorties = sqlite3_column_int64(s, 13);
    /* A contribution without a landing count lands all its troops. */
    f->hasLanding = sqlite3_column_int64(s, 14) > 0;
    f->landing = sqlite3_column_int64(s, 15);
    f->airborne = e->airborne;
    f->amphibious = e->amphibious;
    int32_t start = PN_DAY_NONE, notified = PN_DAY_NONE;
    if (dateParse(e->start, &start) != 0) start = PN_DAY_NONE;
    if (!e->notified[0] || dateParse(e->notified, &notified) != 0) notified = PN_DAY_NONE;
    csbmEvaluate(f, start, notified, r);
}

/* Evaluate one exercise, also returning its record. */
static int evaluate(Plan *p, const char *code, PlanExercise *e, CsbmForces *f, CsbmResult *r,
                    pnError *err) {
    char sql[1024];
    snprintf(sql, sizeof(sql), "%s WHERE e.code = ? GROUP BY e.code", exerciseCols);
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    planBindText(s, 1, code, 0);
    int rc = sqlite3_step(s);
    int out = PN_OK;
    if (rc == SQLITE_ROW)
        exerciseRow(s, e, f, r);
    else if (rc == SQLITE_DONE)
        out = pnErrorSet(err, PN_ENOENT, "no exercise '%s'", code);
    else
        out = planDbFail(p, err, "cannot read the exercise");
    sqlite3_finalize(s);
    return out;
}

int planExerciseEvaluate(Plan *p, const char *code, CsbmForces *f, CsbmResult *r, pnError *err) {
    PlanExercise e;
    return evaluate(p, code, &e, f, r, err);
}

/* The notification's JSON payload; NULL when out of memory. */
static char *noticePayload(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r) {
    char deadline[11] = "";
    if (r->deadline != PN_DAY_NONE) dateFormat(r->deadline, deadline);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:b, "
        "s:b}, s:b, s:s, s:b, s:s, s:s, s:s}",
        "type", "prior-notification", "document", "Vienna Document 2011", "exercise", e->code,
        "name", e->name, "start", e->start, "end", e->end, "host", e->host, "figures", "troops",
        (json_int_t)f->troops, "tanks", (json_int_t)f->tanks, "acv", (json_int_t)f->acv,
        "artillery", (json_int_t)f->artillery, "sorties", (json_int_t)f->sorties, "airborne",
        f->airborne, "amphibious", f->amphibious, "notification", r->notify, "notification_reason",
        r->notifyWhy, "observation", r->observe, "observation_reason", r->observeWhy, "deadline",
        deadline, "place", e->place);
    if (!o) return NULL;
    if (f->hasLanding)
        json_object_set_new(json_object_get(o, "figures"), "landing", json_integer(f->landing));
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return text;
}

int planExerciseNotify(Plan *p, const char *code, int *queued, pnError *err) {
    PlanExercise e;
    CsbmForces f;
    CsbmResult r;
    if (queued) *queued = 0;
    int rc = evaluate(p, code, &e, &f, &r, err);
    if (rc != PN_OK || !r.notify) return rc;
    char *payload = noticePayload(&e, &f, &r);
    if (!payload) return pnErrorSet(err, PN_ENOMEM, "out of memory");
    if (strlen(payload) >= sizeof(((PlanNotice *)0)->payload)) {
        free(payload);
        return pnErrorSet(err, PN_ELIMIT, "exercise '%s': notification too long", code);
    }
    sqlite3_stmt *s = planPrepare(p,
                                  "INSERT INTO outbox(topic, label, payload, created)"
                                  " SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS"
                                  " (SELECT 1 FROM outbox WHERE payload = ?3)",
                                  err);
    if (!s) {
        free(payload);
        return PN_EIO;
    }
    planBindText(s, 1, PLAN_CSBM_TOPIC, 0);
    planBindText(s, 2, PLAN_CSBM_LABEL, 0);
    planBindText(s, 3, payload, 0);
    sqlite3_bind_int64(s, 4, timeNow());
    rc = planStepDone(p, s, err, "cannot queue the notification");
    free(payload);
    if (rc == PN_OK && queued) *queued = sqlite3_changes(p->db) > 0;
    return rc;
}

int planExercises(Plan *p, int32_t from,
                  int (*cb)(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r,
                            void *ctx),
                  void *ctx, pnError *err) {
    char sql[1024], fromText[11];
    snprintf(sql, sizeof(sql), "%s WHERE e.start >= ? GROUP BY e.code ORDER BY e.start, e.code",
             exerciseCols);
    sqlite3_stmt *s = planPrepare(p, sql, err);
    if (!s) return PN_EIO;
    dateFormat(from == PN_DAY_NONE ? dayFromCivil(0, 1, 1) : from, fromText);
    planBindText(s, 1, fromText, 0);
    int rc;
    PlanExercise e;
    CsbmForces f;
    CsbmResult r;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        exerciseRow(s, &e, &f, &r);
        if (cb(&e, &f, &r, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    int out = rc == SQLITE_DONE ? PN_OK : planDbFail(p, err, "cannot list exercises");
    sqlite3_finalize(s);
    return out;
}

int planExerciseRecord(Plan *p, const PlanExercise *e, PlanContribution *c, CsbmForces *f,
                       CsbmResult *r, int *queued, pnError *err) {
    int q = 0;
    snprintf(c->exercise, sizeof(c->exercise), "%s", e->code);
    int rc = planBegin(p, err);
    if (rc != PN_OK) return rc;
    rc = planExercisePut(p, e, err);
    if (rc == PN_OK) rc = planContributionPut(p, c, err);
    if (rc == PN_OK) rc = planExerciseNotify(p, e->code, &q, err);
    if (rc == PN_OK) rc = planExerciseEvaluate(p, e->code, f, r, err);
    pnError endErr = {0};
    int endRc = planEnd(p, rc == PN_OK, &endErr);
    if (rc == PN_OK && endRc != PN_OK) {
        *err = endErr;
        rc = endRc;
    }
    if (queued) *queued = rc == PN_OK && q;
    return rc;
}
