/*
 * plan_json.h -- planning records as JSON objects (jansson), written once
 * for `partnernet plan ... --format json` and the HTTP API (/v1/plan/...).
 * Every function returns a new reference, or NULL when out of memory.
 */
#ifndef PN_PLAN_JSON_H
#define PN_PLAN_JSON_H

#include <jansson.h>

#include "plan.h"

/*
 * One Vienna Document evaluation, the fields `plan csbm` prints:
 * notification and observation ("required" / "not required"), the
 * thresholds met (notification_because, observation_because, when
 * required), and with a start day and a required notification the
 * deadline; with a notified day too, notified and status ("on time" /
 * "late", days_late).  start and notified may be PN_DAY_NONE.
 */
json_t *planCsbmJson(const CsbmResult *r, int32_t start, int32_t notified);

/* An exercise with its summed forces and its evaluation (as above, under
 * "evaluation"; status "not notified" when notification is required and no
 * day was given). */
json_t *planExerciseJson(const PlanExercise *e, const CsbmForces *f, const CsbmResult *r);

/* One row of the gap report, ranked rank (1 is the largest gap):
 * rank, nation, area, cycle, target, held, ready, gap and, when there is
 * an earlier cycle, previous_cycle and previous_gap. */
json_t *planGapJson(const PlanGap *g, int rank);

/* Defence expenditure of a nation in a year against the guidelines. */
json_t *planSpendJson(const PlanSpend *s);

/* An interoperability evaluation (the unit's latest) and a nation's index. */
json_t *planInteropJson(const PlanInterop *e);
json_t *planNationIndexJson(const PlanNationIndex *n);

/* A listed instance with its activity's details and its label. */
json_t *planListingJson(const PlanListing *l, const char *label);

#endif
