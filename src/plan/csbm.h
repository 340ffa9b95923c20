/*
 * csbm.h -- Vienna Document 2011 thresholds for prior notification and
 * observation of military activities (confidence- and security-building
 * measures, CSBMs).
 *
 * Source: OSCE, Vienna Document 2011 on Confidence- and Security-Building
 * Measures, FSC.DOC/1/11, 30 November 2011.
 *
 *   Chapter V, Prior notification of certain military activities:
 *     (38)     notification in writing 42 days or more in advance of the start;
 *     (40.1.1) land forces in one exercise under a single operational
 *              command: at least 9,000 troops, or 250 battle tanks, or 500
 *              armoured combat vehicles (ACVs), or 250 self-propelled and
 *              towed artillery pieces, mortars and multiple rocket launchers
 *              (100 mm calibre and above), when organised into a divisional
 *              structure or at least two brigades/regiments;
 *     (40.1.2) air forces are included in the notification when 200 or more
 *              sorties are foreseen -- part of what is notified, not a
 *              trigger of its own, so sorties are carried but not tested;
 *     (40.2.1) an amphibious landing or a parachute assault by airborne
 *              forces: at least 3,000 troops -- the troops that land or
 *              drop, not the activity's total.
 *   Chapter VI, Observation of certain military activities:
 *     (47.4) at least 13,000 troops, or 300 battle tanks, or 500 ACVs, or
 *            250 artillery pieces (100 mm and above);
 *     (47.5) an amphibious landing or parachute assault: at least 3,500
 *            troops (again those that land or drop).
 *
 * Each figure is an "at least" threshold: a value equal to it triggers the
 * measure.  The figures are those of the issue and the brief.  The public
 * copies of FSC.DOC/1/11 found with the project's search
 * (fdocuments.net/document/osce-vienna-document-2011.html,
 * scribd.com/doc/225249621) returned only the title pages and table of
 * contents, not the paragraphs, so the figures and the paragraph numbers
 * (the numbering VD 2011 keeps from VD 1999) could not be checked against
 * the text here; check them before relying on them.  The divisional-
 * structure condition of 40.1.1 is not modelled: every exercise is
 * evaluated on the sum of its national contributions.
 *
 * Pure functions: no I/O, no allocation.
 */
#ifndef PN_CSBM_H
#define PN_CSBM_H

#include <stdint.h>

#define CSBM_NOTIFY_DAYS 42        /* para. 38 */
#define CSBM_NOTIFY_TROOPS 9000    /* para. 40.1.1 */
#define CSBM_NOTIFY_TANKS 250      /* para. 40.1.1 */
#define CSBM_NOTIFY_ACV 500        /* para. 40.1.1 */
#define CSBM_NOTIFY_ARTILLERY 250  /* para. 40.1.1 */
#define CSBM_NOTIFY_AIRBORNE 3000  /* para. 40.2.1 */
#define CSBM_OBSERVE_TROOPS 13000  /* para. 47.4 */
#define CSBM_OBSERVE_TANKS 300     /* para. 47.4 */
#define CSBM_OBSERVE_ACV 500       /* para. 47.4 */
#define CSBM_OBSERVE_ARTILLERY 250 /* para. 47.4 */
#define CSBM_OBSERVE_AIRBORNE 3500 /* para. 47.5 */

/* The figures of one activity (all nations' contributions added up). */
typedef struct CsbmForces {
    int64_t troops, tanks, acv, artillery, sorties;
    int airborne;   /* a parachute assault by airborne forces */
    int amphibious; /* an amphibious landing */
    /* Troops that land or drop (paras. 40.2.1, 47.5), when hasLanding; an
     * activity without that count is evaluated on its total troops, the
     * reading that never misses a notification. */
    int64_t landing;
    int hasLanding;
} CsbmForces;

typedef struct CsbmResult {
    int notify;          /* prior notification required */
    int observe;         /* observers must be invited */
    char notifyWhy[96];  /* the first threshold met, e.g. "troops 10000 >= 9000 (para. 40.1.1)" */
    char observeWhy[96]; /* likewise for observation; "" when not required */
    int32_t deadline;    /* last day to notify (start - 42); PN_DAY_NONE without a start */
    int late;            /* notify, notified given, and notified after deadline */
    int32_t daysLate;    /* notified - deadline when late, else 0 */
} CsbmResult;

/*
 * Apply the thresholds to f.  start is the activity's first day or
 * PN_DAY_NONE; notified the day notification was given or PN_DAY_NONE.
 * The deadline is computed whenever start is given; lateness only when
 * notification is required and notified is given.  Never fails.
 */
void csbmEvaluate(const CsbmForces *f, int32_t start, int32_t notified, CsbmResult *out);

#endif
