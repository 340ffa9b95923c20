/*
 * plan_json.c -- planning records as JSON objects (see plan_json.h).
 */
#include "plan_json.h"

#include <string.h>

#include "../core/date.h"

static json_t *day(int32_t d) {
    char text[11];
    dateFormat(d, text);
    return json_string(text);
}

json_t *planCsbmJson(const CsbmResult *r, int32_t start, int32_t notified) {
    json_t *o = json_pack("{s:s, s:s}", "notification", r->notify ? "required" : "not required",
                          "observation", r->observe ? "required" : "not required");
    if (!o) return NULL;
    if (r->notify) json_object_set_new(o, "notification_because", json_string(r->notifyWhy));
    if (r->observe) json_object_set_new(o, "observation_because", json_string(r->observeWhy));
    if (start == PN_DAY_NONE || !r->notify) return o;
    json_object_set_new(o, "deadline", day(r->deadline));
    json_object_set_new(o, "notice_days", json_integer(CSBM_NOTIFY_DAYS));
    if (notified == PN_DAY_NONE) return o;
    json_object_set_new(o, "notified", day(notified));
    json_object_set_new(o, "status", json_string(r->late ? "late" : "on time"));
    json_object_set_new(o, "days_late", json_integer(r->late ? r->daysLate : 0));
    return o;
}

json_t *planExerciseJson(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r) {
    int32_t start = PN_DAY_NONE, notified = PN_DAY_NONE;
    if (dateParse(e->start, &start) != 0) start = PN_DAY_NONE;
    if (!e->notified[0] || dateParse(e->notified, &notified) != 0) notified = PN_DAY_NONE;
    json_t *ev = planCsbmJson(r, start, notified);
    if (ev && r->notify && notified == PN_DAY_NONE)
        json_object_set_new(ev, "status", json_string("not notified"));
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:{s:I, s:I, s:I, s:I, s:I}, "
        "s:o}",
        "code", e->code, "name", e->name, "start", e->start, "end", e->end, "place", e->place,
        "host", e->host, "airborne", e->airborne, "amphibious", e->amphibious, "notified",
        e->notified[0] ? json_string(e->notified) : json_null(), "forces", "troops",
        (json_int_t)f->troops, "tanks", (json_int_t)f->tanks, "acv", (json_int_t)f->acv,
        "artillery", (json_int_t)f->artillery, "sorties", (json_int_t)f->sorties, "evaluation", ev);
    if (o && f->hasLanding)
        json_object_set_new(json_object_get(o, "forces"), "landing", json_integer(f->landing));
    return o;
}

json_t *planGapJson(const PlanGap *g, int rank) {
    json_t *o =
        json_pack("{s:i, s:s, s:s, s:i, s:I, s:I, s:I, s:I}", "rank", rank, "nation", g->nation,
                  "area", g->area, "cycle", g->cycle, "target", (json_int_t)g->target, "held",
                  (json_int_t)g->held, "ready", (json_int_t)g->ready, "gap", (json_int_t)g->gap);
    if (o && g->hasPrev) {
        json_object_set_new(o, "previous_cycle", json_integer(g->prevCycle));
        json_object_set_new(o, "previous_gap", json_integer(g->prevGap));
    }
    return o;
}

json_t *planSpendJson(const PlanSpend *s) {
    return json_pack("{s:s, s:i, s:f, s:s, s:f, s:s, s:s}", "nation", s->nation, "year", s->year,
                     "pct_gdp", s->pct, "wales_2pct", s->pct >= PLAN_WALES_PCT ? "met" : "below",
                     "vs_core_3_5pct", s->pct - PLAN_HAGUE_CORE_PCT, "status", s->status, "source",
                     s->source);
}

json_t *planInteropJson(const PlanInterop *e) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:f}", "unit", e->unit, "nation",
                  e->nation, "date", e->date, "evaluator", e->evaluator, "items", e->items, "met",
                  e->met, "partly", e->partly, "not_met", e->notMet, "index", e->index);
    if (o && e->hasPrev) json_object_set_new(o, "previous_index", json_real(e->prevIndex));
    return o;
}

json_t *planNationIndexJson(const PlanNationIndex *n) {
    json_t *o =
        json_pack("{s:s, s:i, s:f}", "nation", n->nation, "units", n->units, "index", n->index);
    if (o && n->hasPrev) json_object_set_new(o, "previous_index", json_real(n->prevIndex));
    return o;
}

json_t *planListingJson(const PlanListing *l, const char *label) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:s}",
                     "instance", l->i.code, "activity", l->a.code, "title", l->a.title, "kind",
                     l->a.kind, "organiser", l->a.organiser, "open_to", l->a.openTo, "start",
                     l->i.start, "end", l->i.end, "place", l->i.place, "status", l->i.status,
                     "capacity", l->i.capacity, "registered", l->registered, "waitlisted",
                     l->waitlisted, "label", label);
}
