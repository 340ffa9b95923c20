/*
 * view.h -- who may see an activity's details: decide() for a viewer
 * (principal) against the activity's label (planActivityLabel), with the
 * answers for the few distinct labels of a listing remembered.  Used by
 * `partnernet plan activities --open-to` and `activity show --nation`
 * and by GET /v1/plan/activities, so the rule is written once.
 *
 * A label that does not parse under the policy is refused (fail closed).
 * A PlanViewer is a few KiB: allocate it, do not put it on a small stack.
 */
#ifndef PN_PLAN_VIEW_H
#define PN_PLAN_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "../label/label.h"
#include "../label/spif.h"
#include "../policy/decide.h"

#define PLAN_VIEW_LABELS 32

typedef struct PlanViewer {
    const Spif *spif; /* borrowed */
    Principal p;      /* copied */
    int64_t at;
    int n;
    char label[PLAN_VIEW_LABELS][256];
    int allow[PLAN_VIEW_LABELS];
} PlanViewer;

/* Set up a viewer: principal p (copied) under policy spif (borrowed) at
 * instant at. */
void planViewerInit(PlanViewer *v, const Principal *p, const Spif *spif, int64_t at);

/*
 * 1 when the viewer may see details labelled text (a display marking or
 * STANAG 4774 XML), 0 otherwise.  why (may be NULL; cap bytes) gets the
 * reason of a refusal; a call with why set asks decide() again rather than
 * answering from the remembered labels.
 */
int planViewerMay(PlanViewer *v, const char *text, char *why, size_t cap);

#endif
