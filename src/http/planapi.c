/*
 * planapi.c -- the planning endpoints (/v1/plan/...): the activities open
 * to a nation, individual partnership programmes, exercises with their
 * Vienna Document evaluation (and recording one, which queues its
 * notification for src/plan/notify.c to publish), a CSBM evaluation
 * without storing, capability gaps, defence expenditure and
 * interoperability.
 *
 * The store is DIR/plan.db of the node, opened on the first planning
 * request and kept; a reload (SIGHUP) closes it, since the Plan borrows the
 * registry that the reload replaces, and the next request opens it again.
 * Rules live in src/plan: this file parses requests and writes JSON.
 *
 * Who sees what: an activity's details are shown only when decide() allows
 * its label (planActivityLabel) for the authenticated caller -- not for
 * the nation named in open_to, which only selects the instances that
 * nation may join: a caller must not read, by naming another nation,
 * what its own principal may not see.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/date.h"
#include "../core/str.h"
#include "../plan/plan_json.h"
#include "../plan/view.h"
#include "conn.h"

#define PLAN_LIMIT_DEFAULT 1000
#define PLAN_LIMIT_MAX 10000

/* The node's planning store, opened on first use; NULL after a 503. */
static Plan *store(HttpConn *c) {
    HttpServer *srv = c->srv;
    if (srv->plan) return srv->plan;
    pnError err = {0};
    if (planOpen(&srv->plan, nodeDataDir(srv->node), nodeRegistry(srv->node), &err) != PN_OK) {
        srv->plan = NULL;
        httpFailInternal(c, 503, "plan_unavailable", "the planning store cannot be opened",
                         err.msg);
        return NULL;
    }
    /* On the event loop: a `partnernet plan` writer holding the lock makes
     * a request fail at once (503), not stall every client for seconds. */
    sqlite3_busy_timeout(planDb(srv->plan), 100);
    return srv->plan;
}

void apiPlanClose(HttpServer *srv) {
    planClose(srv->plan);
    srv->plan = NULL;
}

/* Whether the caller may receive data labelled text (decide(), fail
 * closed).  Planning records without a label of their own are released
 * as: a partner's programme and evaluations "NATO UNCLASSIFIED REL TO
 * <that nation>" (allies and the partner), the alliance's capability
 * targets and gaps "NATO UNCLASSIFIED" (allies only). */
static int callerMay(HttpConn *c, const char *label) {
    PlanViewer *v = malloc(sizeof(*v));
    if (!v) return 0;
    planViewerInit(v, &c->p, nodeSpif(c->srv->node), timeNow());
    int may = planViewerMay(v, label, NULL, 0);
    free(v);
    return may;
}

static int nationMay(HttpConn *c, const char *nation) {
    char label[64];
    snprintf(label, sizeof(label), "NATO UNCLASSIFIED REL TO %s", nation);
    return callerMay(c, label);
}

/* A PN_E* failure of a planning call as an HTTP error. */
static void planFail(HttpConn *c, int rc, const pnError *err) {
    if (rc == PN_EINVAL) return httpError(c, 400, "invalid_field", "%s", err->msg);
    if (rc == PN_ENOENT) return httpError(c, 404, "not_found", "%s", err->msg);
    httpFailInternal(c, 500, "plan_error", "the planning store failed", err->msg);
}

/* ---- query parameters ---------------------------------------------------------- */

/* Query parameter key as a whole number in [min, max] into *out (left as
 * is when absent).  Returns 1 present, 0 absent, -1 after a 400. */
static int queryInt(HttpConn *c, const char *key, long min, long max, long *out) {
    char text[24], *end = NULL;
    int q = queryGet(c->req.query, key, text, sizeof(text));
    if (q == 0) return 0;
    long v = q > 0 && text[0] ? strtol(text, &end, 10) : 0;
    if (q < 0 || !text[0] || *end || v < min || v > max) {
        httpError(c, 400, "bad_request", "'%s' must be a whole number from %ld to %ld", key, min,
                  max);
        return -1;
    }
    *out = v;
    return 1;
}

/* Query parameter key as a day (YYYY-MM-DD).  Same returns as queryInt. */
static int queryDay(HttpConn *c, const char *key, int32_t *out) {
    char text[16];
    int q = queryGet(c->req.query, key, text, sizeof(text));
    if (q == 0) return 0;
    if (q < 0 || dateParse(text, out) != 0) {
        httpError(c, 400, "bad_date", "'%s' must be a date (YYYY-MM-DD)", key);
        return -1;
    }
    return 1;
}

/* Query parameter key naming a nation: its registry code into code (8
 * bytes).  Same returns as queryInt; an unknown nation is a 400. */
static int queryNation(HttpConn *c, const char *key, char *code) {
    char text[16];
    int q = queryGet(c->req.query, key, text, sizeof(text));
    if (q == 0) return 0;
    const Registry *r = nodeRegistry(c->srv->node);
    int n = q > 0 ? registryNation(r, text) : -1;
    if (n < 0) {
        httpError(c, 400, "unknown_nation", "'%s': unknown nation '%s'", key, q > 0 ? text : "");
        return -1;
    }
    snprintf(code, 8, "%s", r->nations[n].code);
    return 1;
}

/* ---- activities ------------------------------------------------------------------ */

typedef struct ActOut {
    PlanViewer *viewer;
    json_t *rows;
    long limit, withheld;
    int truncated;
} ActOut;

static int activityRow(const PlanListing *l, void *ctx) {
    ActOut *o = ctx;
    char label[256];
    planActivityLabel(&l->a, label, sizeof(label));
    if (!planViewerMay(o->viewer, label, NULL, 0)) {
        o->withheld++;
        return 0;
    }
    if ((long)json_array_size(o->rows) >= o->limit) {
        o->truncated = 1; /* go on: withheld counts every instance */
        return 0;
    }
    json_array_append_new(o->rows, planListingJson(l, label));
    return 0;
}

static void activities(HttpConn *c) {
    char nation[8] = "", kind[16];
    int32_t from = PN_DAY_NONE;
    long limit = PLAN_LIMIT_DEFAULT;
    int hasNation = queryNation(c, "open_to", nation);
    if (hasNation < 0) return;
    if (hasNation == 0)
        return httpError(c, 400, "bad_request", "'open_to' (a nation code) is required");
    if (queryDay(c, "from", &from) < 0 || queryInt(c, "limit", 1, PLAN_LIMIT_MAX, &limit) < 0)
        return;
    int hasKind = queryGet(c->req.query, "kind", kind, sizeof(kind));
    if (hasKind < 0) return httpError(c, 400, "bad_request", "'kind' is too long");
    Plan *p = store(c);
    if (!p) return;
    ActOut o = {malloc(sizeof(PlanViewer)), json_array(), limit, 0, 0};
    if (!o.viewer) {
        json_decref(o.rows);
        return httpError(c, 500, "out_of_memory", "out of memory");
    }
    planViewerInit(o.viewer, &c->p, nodeSpif(c->srv->node), timeNow());
    pnError err = {0};
    int rc = planActivities(p, from, nation, hasKind > 0 ? kind : NULL, activityRow, &o, &err);
    free(o.viewer);
    if (rc != PN_OK) {
        json_decref(o.rows);
        return planFail(c, rc, &err);
    }
    char fromText[11] = "";
    if (from != PN_DAY_NONE) dateFormat(from, fromText);
    json_t *doc = json_pack("{s:s, s:o, s:o, s:i, s:I, s:b}", "open_to", nation, "from",
                            fromText[0] ? json_string(fromText) : json_null(), "instances", o.rows,
                            "count", (int)json_array_size(o.rows), "withheld",
                            (json_int_t)o.withheld, "truncated", o.truncated);
    httpJson(c, 200, doc);
}

/* ---- programmes ------------------------------------------------------------------ */

typedef struct ProgOut {
    PlanViewer *viewer; /* the caller */
    json_t *objectives, *rows;
    int registered, attended, feedback, withheld;
} ProgOut;

static int programmeRow(const PlanProgrammeRow *r, void *ctx) {
    ProgOut *o = ctx;
    if (r->isObjective) return json_array_append_new(o->objectives, json_string(r->text)) != 0;
    o->registered += r->registered != 0;
    o->attended += r->attended != 0;
    o->feedback += r->feedback != 0;
    /* The activity's details (its title) only where decide() allows its
     * label for the caller; the row and its progress stay (they are about
     * the partner the caller asked for). */
    if (!planViewerMay(o->viewer, r->label, NULL, 0)) {
        o->withheld++;
        return json_array_append_new(o->rows, json_pack("{s:s, s:s, s:s, s:n, s:b, s:b, s:b, s:b}",
                                                        "instance", r->i.code, "start", r->i.start,
                                                        "end", r->i.end, "title", "withheld", 1,
                                                        "registered", r->registered, "attended",
                                                        r->attended, "feedback", r->feedback)) != 0;
    }
    return json_array_append_new(o->rows,
                                 json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "instance",
                                           r->i.code, "start", r->i.start, "end", r->i.end, "title",
                                           r->title, "registered", r->registered, "attended",
                                           r->attended, "feedback", r->feedback)) != 0;
}

static void programme(HttpConn *c, const char *code) {
    const Registry *r = nodeRegistry(c->srv->node);
    long cycle = 0;
    int n = registryNation(r, code);
    if (n < 0) return httpError(c, 404, "unknown_nation", "unknown nation '%s'", code);
    int q = queryInt(c, "cycle", 1900, 2999, &cycle);
    if (q < 0) return;
    if (q == 0) return httpError(c, 400, "bad_request", "'cycle' (a year) is required");
    if (!nationMay(c, r->nations[n].code))
        return httpError(c, 403, "forbidden",
                         "the programme of %s is releasable to allies and %s only",
                         r->nations[n].code, r->nations[n].code);
    Plan *p = store(c);
    if (!p) return;
    ProgOut o = {malloc(sizeof(PlanViewer)), json_array(), json_array(), 0, 0, 0, 0};
    if (!o.viewer) {
        json_decref(o.objectives);
        json_decref(o.rows);
        return httpError(c, 500, "out_of_memory", "out of memory");
    }
    planViewerInit(o.viewer, &c->p, nodeSpif(c->srv->node), timeNow());
    pnError err = {0};
    int rc = planProgramme(p, r->nations[n].code, (int)cycle, programmeRow, &o, &err);
    free(o.viewer);
    if (rc != PN_OK) {
        json_decref(o.objectives);
        json_decref(o.rows);
        return planFail(c, rc, &err);
    }
    int total = (int)json_array_size(o.rows);
    httpJson(c, 200,
             json_pack("{s:s, s:s, s:i, s:o, s:o, s:i, s:{s:i, s:i, s:i, s:i}}", "nation",
                       r->nations[n].code, "name", r->nations[n].name, "cycle", (int)cycle,
                       "objectives", o.objectives, "activities", o.rows, "withheld", o.withheld,
                       "progress", "activities", total, "registered", o.registered, "attended",
                       o.attended, "feedback", o.feedback));
}

/* ---- exercises and CSBM ------------------------------------------------------------ */

static int exerciseRow(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r, void *ctx) {
    return json_array_append_new(ctx, planExerciseJson(e, f, r)) != 0;
}

static void exercises(HttpConn *c) {
    int32_t from = PN_DAY_NONE;
    if (queryDay(c, "from", &from) < 0) return;
    Plan *p = store(c);
    if (!p) return;
    json_t *rows = json_array();
    pnError err = {0};
    int rc = planExercises(p, from, exerciseRow, rows, &err);
    if (rc != PN_OK) {
        json_decref(rows);
        return planFail(c, rc, &err);
    }
    /* Exercise details are released as their notifications are
     * (PLAN_CSBM_LABEL): decide() for the caller, all or nothing. */
    int may = callerMay(c, PLAN_CSBM_LABEL);
    size_t withheld = may ? 0 : json_array_size(rows);
    if (!may) json_array_clear(rows);
    httpJson(c, 200,
             json_pack("{s:o, s:I, s:s, s:s}", "exercises", rows, "withheld", (json_int_t)withheld,
                       "label", PLAN_CSBM_LABEL, "thresholds",
                       "Vienna Document 2011, paras. 38, 40, 47"));
}

/* Member key of doc: a whole number >= 0 (absent: 0) into *out.  0, or -1
 * after a 400 naming the field. */
static int fieldCount(HttpConn *c, json_t *doc, const char *key, int64_t *out) {
    json_t *v = json_object_get(doc, key);
    *out = 0;
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        httpError(c, 400, "invalid_field", "field '%s': must be a whole number >= 0", key);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

/* Member key of doc: a string of fewer than cap bytes into out (absent:
 * "" unless required).  0, or -1 after a 400 naming the field. */
static int fieldText(HttpConn *c, json_t *doc, const char *key, int required, char *out,
                     size_t cap) {
    json_t *v = json_object_get(doc, key);
    out[0] = '\0';
    if (!v && !required) return 0;
    if (!v) {
        httpError(c, 400, "invalid_field", "field '%s': is required", key);
        return -1;
    }
    if (!json_is_string(v) || strCopy(out, cap, json_string_value(v)) != 0) {
        httpError(c, 400, "invalid_field", "field '%s': must be a string of at most %zu bytes", key,
                  cap - 1);
        return -1;
    }
    return 0;
}

/* Member key of doc: a day (absent: PN_DAY_NONE) into *out, its text into
 * text (11 bytes).  0, or -1 after a 400. */
static int fieldDay(HttpConn *c, json_t *doc, const char *key, int required, char *text,
                    int32_t *out) {
    *out = PN_DAY_NONE;
    if (fieldText(c, doc, key, required, text, 11) != 0) return -1;
    if (!text[0] && !required) return 0;
    if (dateParse(text, out) != 0) {
        httpError(c, 400, "invalid_field", "field '%s': '%s' is not a date (YYYY-MM-DD)", key,
                  text);
        return -1;
    }
    return 0;
}

/* Member key of doc: a boolean (absent: false). */
static int fieldFlag(HttpConn *c, json_t *doc, const char *key, int *out) {
    json_t *v = json_object_get(doc, key);
    *out = v && json_is_true(v);
    if (v && !json_is_boolean(v)) {
        httpError(c, 400, "invalid_field", "field '%s': must be true or false", key);
        return -1;
    }
    return 0;
}

/* The forces of a CSBM body or exercise (troops required; landing, the
 * troops that land or drop, optional and at most troops). */
static int fieldForces(HttpConn *c, json_t *doc, CsbmForces *f) {
    memset(f, 0, sizeof(*f));
    if (!json_object_get(doc, "troops")) {
        httpError(c, 400, "invalid_field", "field 'troops': is required");
        return -1;
    }
    if (fieldCount(c, doc, "troops", &f->troops) || fieldCount(c, doc, "tanks", &f->tanks) ||
        fieldCount(c, doc, "acv", &f->acv) || fieldCount(c, doc, "artillery", &f->artillery) ||
        fieldCount(c, doc, "sorties", &f->sorties) || fieldFlag(c, doc, "airborne", &f->airborne) ||
        fieldFlag(c, doc, "amphibious", &f->amphibious))
        return -1;
    f->hasLanding = json_object_get(doc, "landing") != NULL;
    if (f->hasLanding && fieldCount(c, doc, "landing", &f->landing)) return -1;
    if (f->hasLanding && f->landing > f->troops) {
        httpError(c, 400, "invalid_field", "field 'landing': more than 'troops'");
        return -1;
    }
    return 0;
}

/* The forces fields of a CSBM body and of an exercise (fieldForces reads
 * them): one list, so the two bodies cannot drift apart. */
#define FORCE_FIELDS                                                                               \
    "troops", "tanks", "acv", "artillery", "sorties", "airborne", "amphibious", "landing"

static void csbm(HttpConn *c) {
    static const char *const fields[] = {FORCE_FIELDS, "start", "notified", NULL};
    json_t *doc = httpBodyObject(c, fields);
    if (!doc) return;
    CsbmForces f;
    char startText[11], notifiedText[11];
    int32_t start, notified;
    if (fieldForces(c, doc, &f) == 0 && fieldDay(c, doc, "start", 0, startText, &start) == 0 &&
        fieldDay(c, doc, "notified", 0, notifiedText, &notified) == 0) {
        if (notified != PN_DAY_NONE && start == PN_DAY_NONE) {
            httpError(c, 400, "invalid_field", "field 'notified': needs 'start'");
        } else {
            CsbmResult r;
            csbmEvaluate(&f, start, notified, &r);
            httpJson(c, 200, planCsbmJson(&r, start, notified));
        }
    }
    json_decref(doc);
}

/* POST /v1/plan/exercises: what `plan exercise add` takes, as JSON. */
static int exerciseFields(HttpConn *c, json_t *doc, PlanExercise *e, PlanContribution *k) {
    CsbmForces f;
    char end[11];
    int32_t day;
    memset(e, 0, sizeof(*e));
    memset(k, 0, sizeof(*k));
    if (fieldText(c, doc, "code", 1, e->code, sizeof(e->code)) ||
        fieldText(c, doc, "name", 1, e->name, sizeof(e->name)) ||
        fieldDay(c, doc, "start", 1, e->start, &day) || fieldDay(c, doc, "end", 1, end, &day) ||
        fieldText(c, doc, "place", 0, e->place, sizeof(e->place)) ||
        fieldText(c, doc, "host", 1, e->host, sizeof(e->host)) ||
        fieldText(c, doc, "nation", 0, k->nation, sizeof(k->nation)) ||
        fieldDay(c, doc, "notified", 0, e->notified, &day) || fieldForces(c, doc, &f))
        return -1;
    memcpy(e->end, end, sizeof(e->end));
    if (!e->code[0] || !e->name[0]) {
        httpError(c, 400, "invalid_field", "field '%s': must not be empty",
                  e->code[0] ? "name" : "code");
        return -1;
    }
    if (!k->nation[0]) memcpy(k->nation, e->host, sizeof(k->nation));
    strUpper(e->host);
    strUpper(k->nation);
    e->airborne = f.airborne;
    e->amphibious = f.amphibious;
    k->troops = f.troops;
    k->tanks = f.tanks;
    k->acv = f.acv;
    k->artillery = f.artillery;
    k->sorties = f.sorties;
    k->landing = f.landing;
    k->hasLanding = f.hasLanding;
    return 0;
}

static void exerciseAdd(HttpConn *c) {
    static const char *const fields[] = {"code", "name",   "start",      "end",      "place",
                                         "host", "nation", FORCE_FIELDS, "notified", NULL};
    if (!httpRequireOperator(c)) return;
    json_t *doc = httpBodyObject(c, fields);
    if (!doc) return;
    PlanExercise e;
    PlanContribution k;
    int rc = exerciseFields(c, doc, &e, &k);
    json_decref(doc);
    if (rc != 0) return;
    Plan *p = store(c);
    if (!p) return;
    CsbmForces f;
    CsbmResult r;
    int queued = 0;
    pnError err = {0};
    rc = planExerciseRecord(p, &e, &k, &f, &r, &queued, &err);
    if (rc != PN_OK) return planFail(c, rc == PN_ENOENT ? PN_EINVAL : rc, &err);
    json_t *out = planExerciseJson(&e, &f, &r);
    if (out) {
        json_object_set_new(out, "notification_queued", json_boolean(queued));
        if (queued) {
            json_object_set_new(out, "topic", json_string(PLAN_CSBM_TOPIC));
            json_object_set_new(out, "label", json_string(PLAN_CSBM_LABEL));
        }
    }
    httpJson(c, 201, out);
}

/* ---- gaps, expenditure, interoperability ------------------------------------------ */

typedef struct GapOut {
    json_t *rows;
    int rank;
} GapOut;

static int gapRow(const PlanGap *g, void *ctx) {
    GapOut *o = ctx;
    return json_array_append_new(o->rows, planGapJson(g, ++o->rank)) != 0;
}

static void gaps(HttpConn *c) {
    long cycle = 0;
    char nation[8] = "";
    int q = queryInt(c, "cycle", 1900, 2999, &cycle);
    if (q < 0) return;
    if (q == 0) return httpError(c, 400, "bad_request", "'cycle' (a year) is required");
    int hasNation = queryNation(c, "nation", nation);
    if (hasNation < 0) return;
    if (!callerMay(c, "NATO UNCLASSIFIED"))
        return httpError(c, 403, "forbidden",
                         "capability targets and gaps are releasable to allies only");
    Plan *p = store(c);
    if (!p) return;
    GapOut o = {json_array(), 0};
    pnError err = {0};
    int rc = planGaps(p, (int)cycle, hasNation ? nation : NULL, gapRow, &o, &err);
    if (rc != PN_OK) {
        json_decref(o.rows);
        return planFail(c, rc, &err);
    }
    httpJson(c, 200, json_pack("{s:i, s:o}", "cycle", (int)cycle, "gaps", o.rows));
}

static int spendRow(const PlanSpend *s, void *ctx) {
    return json_array_append_new(ctx, planSpendJson(s)) != 0;
}

static void expenditure(HttpConn *c) {
    long year = 0;
    char nation[8] = "";
    if (queryInt(c, "year", 1900, 2999, &year) < 0) return;
    int hasNation = queryNation(c, "nation", nation);
    if (hasNation < 0) return;
    Plan *p = store(c);
    if (!p) return;
    json_t *rows = json_array();
    pnError err = {0};
    int rc = planExpenditure(p, (int)year, hasNation ? nation : NULL, spendRow, rows, &err);
    if (rc != PN_OK) {
        json_decref(rows);
        return planFail(c, rc, &err);
    }
    httpJson(c, 200,
             json_pack("{s:o, s:{s:f, s:f, s:f}}", "expenditure", rows, "guidelines",
                       "wales_2014_pct", PLAN_WALES_PCT, "hague_2025_core_pct", PLAN_HAGUE_CORE_PCT,
                       "hague_2025_related_pct", PLAN_HAGUE_REL_PCT));
}

typedef struct InteropOut {
    HttpConn *c;
    json_t *units;
    int withheld;
} InteropOut;

/* A unit's evaluation goes to allies and the unit's own nation. */
static int interopRow(const PlanInterop *e, void *ctx) {
    InteropOut *o = ctx;
    if (!nationMay(o->c, e->nation)) return o->withheld++, 0;
    return json_array_append_new(o->units, planInteropJson(e)) != 0;
}

static void interop(HttpConn *c) {
    char nation[8] = "";
    int hasNation = queryNation(c, "nation", nation);
    if (hasNation < 0) return;
    Plan *p = store(c);
    if (!p) return;
    json_t *units = json_array(), *nations = json_array();
    InteropOut o = {c, units, 0};
    PlanNationIndex *rows = NULL;
    int n = 0;
    pnError err = {0};
    int rc = planInterop(p, hasNation ? nation : NULL, NULL, interopRow, &o, &err);
    if (rc == PN_OK) rc = planInteropNations(p, &rows, &n, &err);
    for (int k = 0; rc == PN_OK && k < n; k++)
        if ((!hasNation || strcmp(rows[k].nation, nation) == 0) && nationMay(c, rows[k].nation))
            json_array_append_new(nations, planNationIndexJson(&rows[k]));
    free(rows);
    if (rc != PN_OK) {
        json_decref(units);
        json_decref(nations);
        return planFail(c, rc, &err);
    }
    httpJson(c, 200,
             json_pack("{s:o, s:o, s:i, s:s}", "units", units, "nations", nations, "withheld",
                       o.withheld, "index",
                       "100 x mean over checklist areas of the area's mean item score; met 1, "
                       "partly 0.5, not met 0"));
}

/* ---- dispatch ------------------------------------------------------------------- */

void apiPlan(HttpConn *c, RouteId id, const char *param) {
    switch (id) {
    case ROUTE_PLAN_ACTIVITIES:
        return activities(c);
    case ROUTE_PLAN_PROGRAMME:
        return programme(c, param);
    case ROUTE_PLAN_EXERCISES_GET:
        return exercises(c);
    case ROUTE_PLAN_EXERCISES_POST:
        return exerciseAdd(c);
    case ROUTE_PLAN_CSBM:
        return csbm(c);
    case ROUTE_PLAN_GAPS:
        return gaps(c);
    case ROUTE_PLAN_EXPENDITURE:
        return expenditure(c);
    case ROUTE_PLAN_INTEROP:
        return interop(c);
    default:
        return httpError(c, 404, "not_found", "no such path: %s", c->req.path);
    }
}
