/*
 * csbm.c -- Vienna Document 2011 notification and observation rules (see
 * csbm.h for the figures and their paragraphs).
 */
#include "csbm.h"

#include <stdio.h>
#include <string.h>

#include "../core/date.h"

typedef struct Threshold {
    const char *what;
    int64_t notify, observe;
} Threshold;

/* The first threshold of the list that value meets, written into why. */
static int meets(const CsbmForces *f, int observe, char *why, size_t cap) {
    const Threshold land[] = {
        {"troops", CSBM_NOTIFY_TROOPS, CSBM_OBSERVE_TROOPS},
        {"battle tanks", CSBM_NOTIFY_TANKS, CSBM_OBSERVE_TANKS},
        {"ACVs", CSBM_NOTIFY_ACV, CSBM_OBSERVE_ACV},
        {"artillery pieces", CSBM_NOTIFY_ARTILLERY, CSBM_OBSERVE_ARTILLERY},
    };
    const int64_t value[] = {f->troops, f->tanks, f->acv, f->artillery};
    const char *para = observe ? "47.4" : "40.1.1";
    for (size_t i = 0; i < sizeof(land) / sizeof(land[0]); i++) {
        int64_t limit = observe ? land[i].observe : land[i].notify;
        if (value[i] >= limit) {
            snprintf(why, cap, "%s %lld >= %lld (para. %s)", land[i].what, (long long)value[i],
                     (long long)limit, para);
            return 1;
        }
    }
    int64_t air = observe ? CSBM_OBSERVE_AIRBORNE : CSBM_NOTIFY_AIRBORNE;
    int64_t landing = f->hasLanding ? f->landing : f->troops;
    if ((f->airborne || f->amphibious) && landing >= air) {
        snprintf(why, cap, "%s %s %lld >= %lld (para. %s)", f->airborne ? "airborne" : "amphibious",
                 f->hasLanding ? "landing" : "troops", (long long)landing, (long long)air,
                 observe ? "47.5" : "40.2.1");
        return 1;
    }
    why[0] = '\0';
    return 0;
}

void csbmEvaluate(const CsbmForces *f, int32_t start, int32_t notified, CsbmResult *out) {
    memset(out, 0, sizeof(*out));
    out->notify = meets(f, 0, out->notifyWhy, sizeof(out->notifyWhy));
    out->observe = meets(f, 1, out->observeWhy, sizeof(out->observeWhy));
    out->deadline = start == PN_DAY_NONE ? PN_DAY_NONE : start - CSBM_NOTIFY_DAYS;
    if (out->notify && start != PN_DAY_NONE && notified != PN_DAY_NONE &&
        notified > out->deadline) {
        out->late = 1;
        out->daysLate = notified - out->deadline;
    }
}
